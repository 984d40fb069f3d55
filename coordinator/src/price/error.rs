//! What goes wrong when polling prices, typed so the oracle can decide what to retry and the
//! coordinator can say exactly why a block was skipped.
//!
//! A [`SourceError`] is one source failing, for everything it quotes (it timed out, said
//! 429, refused the key, sent broken JSON) or for one asset (no quote, an unusable number).
//! [`MissingPrices`] is the oracle giving up on a block: every asset without a price, with
//! every source tried for it and why each failed. No message ever holds a URL, because the
//! URLs of keyed APIs carry the key.

use std::fmt;

use super::Source;

/// How a source failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ErrorKind {
    /// No complete answer within the configured timeout (`Oracle.TimeoutMs`), retries
    /// included.
    #[error("timed out after {after_ms} ms")]
    Timeout {
        /// The time allowed.
        after_ms: u64,
    },
    /// No HTTP answer: connection refused, DNS, a connection broken mid-answer.
    #[error("no answer: {detail}")]
    Transport {
        /// The HTTP client's error and its causes.
        detail: String,
    },
    /// HTTP 429, or the API's quota error. Not retried: asking again at once only
    /// prolongs the lock-out.
    #[error("rate-limited (HTTP {status}{})", retry_after(*.retry_after_secs))]
    RateLimited {
        /// The HTTP status (429, or 200 for an API that reports its quota in the body).
        status: u16,
        /// The `Retry-After` header, in seconds, when the API sent one.
        retry_after_secs: Option<u64>,
    },
    /// HTTP 401 or 403, or the API's bad-key error: the key is missing, wrong, or not
    /// allowed this request. Not retried: it will not change by itself.
    #[error("unauthorized (HTTP {status}){}", detail_suffix(.detail.as_deref()))]
    Unauthorized {
        /// The HTTP status.
        status: u16,
        /// The API's own error message, if it sent one.
        detail: Option<String>,
    },
    /// Any other HTTP status than 200. 5xx are retried, other codes are not.
    #[error("HTTP {status}{}", detail_suffix(.detail.as_deref()))]
    Status {
        /// The HTTP status.
        status: u16,
        /// The API's own error message, if it sent one.
        detail: Option<String>,
    },
    /// An HTTP 200 whose body reports an error the API has no status for.
    #[error("API error: {detail}")]
    Api {
        /// The API's error type or message.
        detail: String,
    },
    /// The body is not JSON, or not the JSON this API answers. Retried: a cut connection
    /// looks like this.
    #[error("malformed answer: {detail}")]
    Malformed {
        /// What did not parse.
        detail: String,
    },
    /// The body is larger than the limit; refused before it is all read.
    #[error("answer larger than {limit_bytes} bytes")]
    TooLarge {
        /// The limit.
        limit_bytes: usize,
    },
    /// The answer has no quote for an asset this source normally quotes.
    #[error("no quote for {asset}")]
    MissingAsset {
        /// The PegNet asset.
        asset: &'static str,
    },
    /// The quote for an asset is not a usable USD price: zero, negative, not finite, too
    /// large for an OPR, or below 1e-8 USD (it would truncate to 0).
    #[error("unusable quote {value} for {asset}")]
    InvalidPrice {
        /// The PegNet asset.
        asset: &'static str,
        /// The USD price as computed from the answer.
        value: f64,
    },
}

impl ErrorKind {
    /// The `kind` metric label.
    pub fn label(&self) -> &'static str {
        match self {
            ErrorKind::Timeout { .. } => "timeout",
            ErrorKind::Transport { .. } => "transport",
            ErrorKind::RateLimited { .. } => "rate_limited",
            ErrorKind::Unauthorized { .. } => "unauthorized",
            ErrorKind::Status { .. } => "http_status",
            ErrorKind::Api { .. } => "api_error",
            ErrorKind::Malformed { .. } => "malformed",
            ErrorKind::TooLarge { .. } => "too_large",
            ErrorKind::MissingAsset { .. } => "missing_asset",
            ErrorKind::InvalidPrice { .. } => "invalid_price",
        }
    }

    /// Whether asking again, within the same deadline, may succeed: a broken connection, a
    /// server error or a cut-off body may; a refusal, a quota, or a deadline already spent
    /// will not.
    pub fn is_retryable(&self) -> bool {
        match self {
            ErrorKind::Transport { .. } | ErrorKind::Malformed { .. } => true,
            ErrorKind::Status { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

fn retry_after(secs: Option<u64>) -> String {
    secs.map(|s| format!(", retry after {s} s"))
        .unwrap_or_default()
}

fn detail_suffix(detail: Option<&str>) -> String {
    detail.map(|d| format!(": {d}")).unwrap_or_default()
}

/// One source's failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{data_source}: {kind}")]
pub struct SourceError {
    /// The source that failed.
    pub data_source: Source,
    /// How.
    pub kind: ErrorKind,
}

/// An asset nobody priced.
#[derive(Debug, Clone, PartialEq)]
pub struct MissingAsset {
    /// The PegNet asset.
    pub asset: &'static str,
    /// Every source asked for it, in the order asked, each with its failure.
    pub tried: Vec<SourceError>,
}

impl fmt::Display for MissingAsset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (tried ", self.asset)?;
        for (i, e) in self.tried.iter().enumerate() {
            let sep = if i == 0 { "" } else { "; " };
            write!(f, "{sep}{e}")?;
        }
        f.write_str(")")
    }
}

/// Why an OPR cannot be priced this block.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MissingPrices {
    /// The OPR version has no asset list the coordinator can fill (PegNet itself stopped
    /// producing version 1 records; versions above 5 do not exist).
    #[error("OPR version {0} cannot be priced: only versions 2 to 5 can")]
    UnsupportedVersion(u8),
    /// Some assets have no live quote from any of their sources.
    #[error("OPR version {version}: no price for {}: {}", count(.missing), list(.missing))]
    Assets {
        /// The OPR version asked for.
        version: u8,
        /// Every asset without a price, in consensus order.
        missing: Vec<MissingAsset>,
    },
}

impl MissingPrices {
    /// The assets without a price (none for an unsupported version).
    pub fn assets(&self) -> &[MissingAsset] {
        match self {
            MissingPrices::UnsupportedVersion(_) => &[],
            MissingPrices::Assets { missing, .. } => missing,
        }
    }
}

fn count(missing: &[MissingAsset]) -> String {
    match missing.len() {
        1 => "1 asset".to_owned(),
        n => format!("{n} assets"),
    }
}

fn list(missing: &[MissingAsset]) -> String {
    let items: Vec<String> = missing.iter().map(ToString::to_string).collect();
    items.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_source_the_kind_and_the_asset() {
        let missing = MissingPrices::Assets {
            version: 5,
            missing: vec![MissingAsset {
                asset: "RWF",
                tried: vec![
                    SourceError {
                        data_source: Source::ExchangeRateApi,
                        kind: ErrorKind::Status {
                            status: 503,
                            detail: None,
                        },
                    },
                    SourceError {
                        data_source: Source::OpenExchangeRates,
                        kind: ErrorKind::RateLimited {
                            status: 429,
                            retry_after_secs: Some(3600),
                        },
                    },
                ],
            }],
        };
        assert_eq!(
            missing.to_string(),
            "OPR version 5: no price for 1 asset: RWF (tried ExchangeRateApi: HTTP 503; \
             OpenExchangeRates: rate-limited (HTTP 429, retry after 3600 s))"
        );
    }

    #[test]
    fn refusals_are_not_retried() {
        let refused = [
            ErrorKind::Unauthorized {
                status: 401,
                detail: None,
            },
            ErrorKind::Status {
                status: 403,
                detail: None,
            },
            ErrorKind::RateLimited {
                status: 429,
                retry_after_secs: None,
            },
            ErrorKind::Timeout { after_ms: 1 },
        ];
        assert!(refused.iter().all(|k| !k.is_retryable()));
        let transient = ErrorKind::Status {
            status: 503,
            detail: None,
        };
        assert!(transient.is_retryable());
    }
}
