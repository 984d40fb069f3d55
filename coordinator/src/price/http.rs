//! How a web price source is asked: one bounded GET, the shared reading of HTTP statuses,
//! and retries within one deadline.
//!
//! Every adapter ([`coingecko`](super::coingecko), [`openexchangerates`](super::openexchangerates),
//! [`exchangerate_api`](super::exchangerate_api)) is a pair of plain functions, one building
//! its request and one reading the [`Reply`], so the reading is tested on canned bodies.
//! Nothing here puts a URL into an error: the URLs of keyed APIs carry the key.

use std::error::Error as _;
use std::time::Duration;

use reqwest::header::RETRY_AFTER;
use reqwest::{Client, RequestBuilder, Url};
use serde_json::Value;
use tokio::time::Instant;

use super::ErrorKind;
use super::config::{Endpoint, OracleConfigError};
use super::source::{Quotes, Source};

/// The largest answer read from most APIs. The biggest real one of those (OpenExchangeRates
/// with every currency) is about 10 KiB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The largest answer read from an API that can only be asked for every coin it tracks at
/// once (CoinPaprika's `/v1/tickers`, several MB).
pub const MAX_LIST_BODY_BYTES: usize = 32 * 1024 * 1024;

/// The first wait before a retry; doubled for each further one.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// One web API: how to ask it and how to read its answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Adapter {
    pub request: fn(&Client, &Endpoint) -> RequestBuilder,
    pub parse: fn(&Reply) -> Result<Quotes, ErrorKind>,
    /// The largest answer read ([`MAX_BODY_BYTES`] unless the API only answers in bulk).
    pub max_body_bytes: usize,
}

/// An HTTP answer, read in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub status: u16,
    pub retry_after_secs: Option<u64>,
    pub body: Vec<u8>,
}

/// The client every source shares. Redirects are not followed: an API that moved is a
/// configuration error to see, not a reason to send its key somewhere else.
pub(crate) fn client(timeout: Duration) -> Result<Client, OracleConfigError> {
    let builder = Client::builder()
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("pegnet-coordinator/", env!("CARGO_PKG_VERSION")));
    // reqwest is built without a TLS provider and panics building a client without one.
    crate::tls::install_crypto_provider();
    builder
        .build()
        .map_err(|e| OracleConfigError::Client(e.to_string()))
}

/// `base` with `segments` appended to its path (a base with a path, such as a proxy's
/// `https://proxy/coingecko`, keeps it).
pub(crate) fn with_path(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    // Cannot fail: the configuration refuses URLs that cannot be a base.
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// Sends `request` and reads the answer, refusing bodies over `max_body_bytes`.
pub(crate) async fn send(
    request: RequestBuilder,
    max_body_bytes: usize,
) -> Result<Reply, ErrorKind> {
    let too_large = ErrorKind::TooLarge {
        limit_bytes: max_body_bytes,
    };
    let mut response = request.send().await.map_err(transport)?;
    let status = response.status().as_u16();
    let retry_after_secs = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    if response
        .content_length()
        .is_some_and(|n| n > max_body_bytes as u64)
    {
        return Err(too_large);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > max_body_bytes {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Reply {
        status,
        retry_after_secs,
        body,
    })
}

/// The HTTP client's error with its causes, without the URL.
fn transport(e: reqwest::Error) -> ErrorKind {
    let e = e.without_url();
    let mut detail = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        detail.push_str(": ");
        detail.push_str(&c.to_string());
        cause = c.source();
    }
    ErrorKind::Transport { detail }
}

/// The error an HTTP status means by itself, with the API's own message; `None` for 2xx.
pub(crate) fn refusal(reply: &Reply, detail: Option<String>) -> Option<ErrorKind> {
    match reply.status {
        200..=299 => None,
        429 => Some(ErrorKind::RateLimited {
            status: 429,
            retry_after_secs: reply.retry_after_secs,
        }),
        status @ (401 | 403) => Some(ErrorKind::Unauthorized { status, detail }),
        status => Some(ErrorKind::Status { status, detail }),
    }
}

/// The body as JSON.
pub(crate) fn json(body: &[u8]) -> Result<Value, ErrorKind> {
    serde_json::from_slice(body).map_err(|e| ErrorKind::Malformed {
        detail: e.to_string(),
    })
}

/// An API's error text, cut to a length fit for a log line.
pub(crate) fn short(text: &str) -> String {
    const MAX_CHARS: usize = 200;
    text.chars().take(MAX_CHARS).collect()
}

/// How a source is retried.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    /// The whole budget, every attempt and wait included.
    pub timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
}

/// Runs `attempt` until it succeeds, fails for good, has been retried `policy.retries`
/// times, or the deadline passes; a wait that would end past the deadline is not started.
pub(crate) async fn with_retries<T, F>(
    policy: RetryPolicy,
    attempt: impl Fn() -> F,
) -> Result<T, ErrorKind>
where
    F: Future<Output = Result<T, ErrorKind>>,
{
    let deadline = Instant::now() + policy.timeout;
    let timed_out = ErrorKind::Timeout {
        after_ms: u64::try_from(policy.timeout.as_millis()).unwrap_or(u64::MAX),
    };
    let mut retried = 0;
    loop {
        let outcome = tokio::time::timeout_at(deadline, attempt())
            .await
            .unwrap_or_else(|_| Err(timed_out.clone()));
        match outcome {
            Err(kind) if kind.is_retryable() && retried < policy.retries => {
                let wait = jittered(FIRST_BACKOFF * 2u32.saturating_pow(retried));
                if Instant::now() + wait >= deadline {
                    return Err(kind);
                }
                tokio::time::sleep(wait).await;
                retried += 1;
            }
            outcome => return outcome,
        }
    }
}

/// ±25 % around `base`, so coordinators that failed together do not retry together.
fn jittered(base: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    base * (750 + nanos % 500) / 1000
}

/// An FX API's rates in units per US dollar (`{"<base_key>":"USD","rates":{"EUR":0.92,…}}`,
/// the shape every FX source answers in) as USD prices of `source`'s assets, inverted as
/// PegNet does.
pub(crate) fn usd_rates(
    value: &Value,
    base_key: &str,
    source: Source,
) -> Result<Quotes, ErrorKind> {
    if let Some(base) = value.get(base_key).and_then(Value::as_str)
        && base != "USD"
    {
        return Err(ErrorKind::Malformed {
            detail: format!("rates are in {}, not USD", short(base)),
        });
    }
    let Some(rates) = value.get("rates").and_then(Value::as_object) else {
        return Err(ErrorKind::Malformed {
            detail: "no `rates` object".to_owned(),
        });
    };
    Ok(source
        .assets()
        .filter_map(|asset| {
            let rate = rates
                .get(pegnet_common::market::fx_code(asset)?)?
                .as_f64()?;
            Some((asset, 1.0 / rate))
        })
        .collect())
}

/// An answer as an adapter's tests record it: `status` and `body`, no `Retry-After`.
#[cfg(test)]
pub(crate) fn recorded(status: u16, body: &str) -> Reply {
    Reply {
        status,
        retry_after_secs: None,
        body: body.as_bytes().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn reply(status: u16) -> Reply {
        Reply {
            status,
            retry_after_secs: Some(60),
            body: Vec::new(),
        }
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(refusal(&reply(200), None), None);
        assert_eq!(
            refusal(&reply(429), None),
            Some(ErrorKind::RateLimited {
                status: 429,
                retry_after_secs: Some(60)
            })
        );
        assert!(matches!(
            refusal(&reply(403), None),
            Some(ErrorKind::Unauthorized { status: 403, .. })
        ));
        assert!(matches!(
            refusal(&reply(422), None),
            Some(ErrorKind::Status { status: 422, .. })
        ));
    }

    #[test]
    fn paths_are_appended() {
        let base = Url::parse("http://h:1/proxy/").unwrap();
        assert_eq!(
            with_path(&base, &["api", "latest.json"]).as_str(),
            "http://h:1/proxy/api/latest.json"
        );
        let base = Url::parse("http://h:1").unwrap();
        assert_eq!(
            with_path(&base, &["v6", "k/ey", "latest"]).as_str(),
            "http://h:1/v6/k%2Fey/latest"
        );
    }

    fn policy(retries: u32) -> RetryPolicy {
        RetryPolicy {
            timeout: Duration::from_secs(30),
            retries,
        }
    }

    #[tokio::test]
    async fn transient_failures_are_retried_a_bounded_number_of_times() {
        let calls = AtomicU32::new(0);
        let failing = || {
            calls.fetch_add(1, Ordering::Relaxed);
            std::future::ready(Err::<(), _>(ErrorKind::Status {
                status: 503,
                detail: None,
            }))
        };
        let e = with_retries(policy(2), failing).await.unwrap_err();
        assert!(matches!(e, ErrorKind::Status { status: 503, .. }));
        assert_eq!(calls.load(Ordering::Relaxed), 3);
    }

    #[tokio::test]
    async fn refusals_are_not_retried() {
        let calls = AtomicU32::new(0);
        let refused = || {
            calls.fetch_add(1, Ordering::Relaxed);
            std::future::ready(Err::<(), _>(ErrorKind::Unauthorized {
                status: 401,
                detail: None,
            }))
        };
        with_retries(policy(5), refused).await.unwrap_err();
        assert_eq!(calls.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn a_hung_attempt_ends_at_the_deadline() {
        let policy = RetryPolicy {
            timeout: Duration::from_millis(50),
            retries: 3,
        };
        let hung = std::future::pending::<Result<(), ErrorKind>>;
        let e = with_retries(policy, hung).await.unwrap_err();
        assert_eq!(e, ErrorKind::Timeout { after_ms: 50 });
    }

    #[test]
    fn jitter_stays_within_a_quarter() {
        let d = jittered(Duration::from_millis(1000));
        assert!(d >= Duration::from_millis(750) && d < Duration::from_millis(1250));
    }
}
