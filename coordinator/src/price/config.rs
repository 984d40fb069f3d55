//! The price layer's configuration, with PegNet's names: the `[Oracle]` table (where each
//! API lives, its key, timeouts), `[OracleDataSources]` (source → priority) and
//! `[OracleAssetDataSourcesPriority]` (asset → source order). The coordinator's config
//! loader embeds the three tables and hands them to [`Oracle::new`](super::Oracle::new),
//! which checks everything and names the offending key in its error.
//!
//! Defaults need no API key: `FixedUSD` for USD, ExchangeRate-API's open endpoint, CoinGecko's
//! public API, Coinbase's public exchange rates, the ECB's daily reference rates and
//! CoinPaprika's free tickers.
//! OpenExchangeRates, CoinMarketCap and APILayer need a key (`Oracle.OpenExchangeRatesKey`,
//! `Oracle.CoinMarketCapKey`, `Oracle.APILayerKey`), so they are disabled until one is given.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use reqwest::Url;
use serde::{Deserialize, Serialize};

use super::Source;

/// The longest `Oracle.TimeoutMs`: prices are polled at minute 1 and must be ready well
/// before miners need the job.
pub const MAX_TIMEOUT_MS: u64 = 60_000;
/// The most `Oracle.Retries`.
pub const MAX_RETRIES: u32 = 10;
/// The longest `Oracle.CacheTtlSeconds`: a day, the slowest API's refresh.
pub const MAX_CACHE_TTL_SECONDS: u64 = 86_400;

/// The `[Oracle]` table.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OracleSection {
    /// `CoinGeckoUrl`: base URL of CoinGecko's API. Default `https://api.coingecko.com`;
    /// `https://pro-api.coingecko.com` for a pro key; the devnet feed's URL in tests.
    #[serde(rename = "CoinGeckoUrl")]
    pub coingecko_url: String,
    /// `CoinGeckoKey`: optional API key, sent as `x-cg-pro-api-key` to a `pro-api.` host
    /// and as `x-cg-demo-api-key` elsewhere. Default empty (the public, keyless API).
    #[serde(rename = "CoinGeckoKey")]
    pub coingecko_key: String,
    /// `OpenExchangeRatesUrl`: base URL. Default `https://openexchangerates.org`.
    #[serde(rename = "OpenExchangeRatesUrl")]
    pub open_exchange_rates_url: String,
    /// `OpenExchangeRatesKey`: the App ID; required while the source is enabled. Default
    /// empty.
    #[serde(rename = "OpenExchangeRatesKey")]
    pub open_exchange_rates_key: String,
    /// `ExchangeRateApiUrl`: base URL. Default `https://open.er-api.com` (open access,
    /// `/v6/latest/USD`); use `https://v6.exchangerate-api.com` with a key.
    #[serde(rename = "ExchangeRateApiUrl")]
    pub exchange_rate_api_url: String,
    /// `ExchangeRateApiKey`: optional; when set, it is sent as `Authorization: Bearer`
    /// (point `ExchangeRateApiUrl` at `https://v6.exchangerate-api.com`). Default empty.
    #[serde(rename = "ExchangeRateApiKey")]
    pub exchange_rate_api_key: String,
    /// `CoinbaseUrl`: base URL of Coinbase's API. Default `https://api.coinbase.com`; no key.
    #[serde(rename = "CoinbaseUrl")]
    pub coinbase_url: String,
    /// `ECBUrl`: where the ECB's `/stats/eurofxref/eurofxref-daily.xml` is. Default
    /// `https://www.ecb.europa.eu`; no key.
    #[serde(rename = "ECBUrl")]
    pub ecb_url: String,
    /// `CoinPaprikaUrl`: base URL of CoinPaprika's API. Default `https://api.coinpaprika.com`;
    /// no key.
    #[serde(rename = "CoinPaprikaUrl")]
    pub coinpaprika_url: String,
    /// `CoinMarketCapUrl`: base URL. Default `https://pro-api.coinmarketcap.com`.
    #[serde(rename = "CoinMarketCapUrl")]
    pub coinmarketcap_url: String,
    /// `CoinMarketCapKey`: the Pro API key (sent as `X-CMC_PRO_API_KEY`); required while the
    /// source is enabled. Default empty.
    #[serde(rename = "CoinMarketCapKey")]
    pub coinmarketcap_key: String,
    /// `APILayerUrl`: base URL. Default `https://api.apilayer.com`.
    #[serde(rename = "APILayerUrl")]
    pub apilayer_url: String,
    /// `APILayerKey`: the APILayer key (sent as `apikey`); required while the source is
    /// enabled. Default empty.
    #[serde(rename = "APILayerKey")]
    pub apilayer_key: String,
    /// `TimeoutMs`: the most one source may take per poll, retries included. Default 5000.
    #[serde(rename = "TimeoutMs")]
    pub timeout_ms: u64,
    /// `CacheTtlSeconds`: a source's answer is reused for this long (PegNet: 8 minutes).
    /// 0 disables the cache. Default 480.
    #[serde(rename = "CacheTtlSeconds")]
    pub cache_ttl_seconds: u64,
    /// `Retries`: further attempts after a transient failure (no answer, HTTP 5xx, a cut
    /// body), within `TimeoutMs`. Refusals (401, 403, 429) are never retried. Default 2.
    #[serde(rename = "Retries")]
    pub retries: u32,
}

impl Default for OracleSection {
    fn default() -> Self {
        OracleSection {
            coingecko_url: "https://api.coingecko.com".to_owned(),
            coingecko_key: String::new(),
            open_exchange_rates_url: "https://openexchangerates.org".to_owned(),
            open_exchange_rates_key: String::new(),
            exchange_rate_api_url: "https://open.er-api.com".to_owned(),
            exchange_rate_api_key: String::new(),
            coinbase_url: "https://api.coinbase.com".to_owned(),
            ecb_url: "https://www.ecb.europa.eu".to_owned(),
            coinpaprika_url: "https://api.coinpaprika.com".to_owned(),
            coinmarketcap_url: "https://pro-api.coinmarketcap.com".to_owned(),
            coinmarketcap_key: String::new(),
            apilayer_url: "https://api.apilayer.com".to_owned(),
            apilayer_key: String::new(),
            timeout_ms: 5000,
            cache_ttl_seconds: 480,
            retries: 2,
        }
    }
}

impl fmt::Debug for OracleSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OracleSection")
            .field("coingecko_url", &self.coingecko_url)
            .field("coingecko_key", &redacted(&self.coingecko_key))
            .field("open_exchange_rates_url", &self.open_exchange_rates_url)
            .field(
                "open_exchange_rates_key",
                &redacted(&self.open_exchange_rates_key),
            )
            .field("exchange_rate_api_url", &self.exchange_rate_api_url)
            .field(
                "exchange_rate_api_key",
                &redacted(&self.exchange_rate_api_key),
            )
            .field("coinbase_url", &self.coinbase_url)
            .field("ecb_url", &self.ecb_url)
            .field("coinpaprika_url", &self.coinpaprika_url)
            .field("coinmarketcap_url", &self.coinmarketcap_url)
            .field("coinmarketcap_key", &redacted(&self.coinmarketcap_key))
            .field("apilayer_url", &self.apilayer_url)
            .field("apilayer_key", &redacted(&self.apilayer_key))
            .field("timeout_ms", &self.timeout_ms)
            .field("cache_ttl_seconds", &self.cache_ttl_seconds)
            .field("retries", &self.retries)
            .finish()
    }
}

fn redacted(key: &str) -> &'static str {
    if key.is_empty() { "" } else { "<redacted>" }
}

/// The default `[OracleDataSources]`: the sources that need no key, `FixedUSD = 0`,
/// `ExchangeRateApi = 1`, `CoinGecko = 2`, `Coinbase = 3`, `ECB = 4`, `CoinPaprika = 10` (after
/// CoinGecko and Coinbase, leaving 5 to 9 free for keyed sources one enables, so a
/// configuration written before CoinPaprika was added keeps its unique priorities); the
/// keyed ones disabled until their key is set (`OpenExchangeRates`, `CoinMarketCap`, `APILayer` = -1).
/// Lower is preferred, -1 disables, priorities are unique.
pub fn default_data_sources() -> BTreeMap<String, i32> {
    [
        (Source::FixedUsd, 0),
        (Source::ExchangeRateApi, 1),
        (Source::CoinGecko, 2),
        (Source::Coinbase, 3),
        (Source::Ecb, 4),
        (Source::CoinPaprika, 10),
        (Source::OpenExchangeRates, -1),
        (Source::CoinMarketCap, -1),
        (Source::ApiLayer, -1),
    ]
    .into_iter()
    .map(|(s, p)| (s.name().to_owned(), p))
    .collect()
}

/// Why the price configuration is refused. Every message starts with the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OracleConfigError {
    #[error("Oracle.{key}: {value:?} is not a usable base URL: {reason}")]
    Url {
        key: &'static str,
        value: String,
        reason: String,
    },
    #[error("Oracle.{key}: {value} is out of range {min}..={max}")]
    OutOfRange {
        key: &'static str,
        value: u64,
        min: u64,
        max: u64,
    },
    #[error(
        "Oracle.{key}: required while OracleDataSources.{name} is enabled (set it, or set {name} = -1)"
    )]
    MissingKey { key: &'static str, name: Source },
    #[error("Oracle.{key}: the key may only hold letters, digits, '-' and '_'")]
    BadKey { key: &'static str },
    #[error("OracleDataSources.{name}: unknown source; known sources are {known}")]
    UnknownSource { name: String, known: String },
    #[error(
        "OracleDataSources.{name}: names the same source as {other} (names are case-insensitive)"
    )]
    DuplicateSource { name: String, other: String },
    #[error(
        "OracleDataSources.{name}: priority {priority} is not allowed: -1 disables, 0 and up enable (lower is preferred)"
    )]
    BadPriority { name: String, priority: i32 },
    #[error("OracleDataSources.{name}: priority {priority} is also used by {other}")]
    SharedPriority {
        name: String,
        priority: i32,
        other: String,
    },
    #[error("OracleDataSources: no enabled source quotes {}; enable a source that does", .assets.join(", "))]
    Uncovered { assets: Vec<&'static str> },
    #[error(
        "OracleAssetDataSourcesPriority.{asset}: unknown asset; assets are those of OPR version 5"
    )]
    UnknownAsset { asset: String },
    #[error("OracleAssetDataSourcesPriority.{asset}: empty source list")]
    EmptyOrder { asset: String },
    #[error(
        "OracleAssetDataSourcesPriority.{asset}: unknown source {name:?}; known sources are {known}"
    )]
    OrderUnknownSource {
        asset: String,
        name: String,
        known: String,
    },
    #[error("OracleAssetDataSourcesPriority.{asset}: {name} is disabled in OracleDataSources")]
    OrderDisabledSource { asset: String, name: Source },
    #[error("OracleAssetDataSourcesPriority.{asset}: {name} does not quote {asset}")]
    OrderUncovered { asset: String, name: Source },
    #[error("OracleAssetDataSourcesPriority.{asset}: {name} is listed twice")]
    OrderRepeated { asset: String, name: Source },
    #[error("OracleAssetDataSourcesPriority.{asset}: the asset is given twice (as {other})")]
    DuplicateAsset { asset: String, other: String },
    #[error("cannot build the HTTP client for the price sources: {0}")]
    Client(String),
}

/// Where a web API lives and the key it gets.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    pub base: Url,
    pub key: Option<String>,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("base", &self.base.as_str())
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// `[Oracle]` checked.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub timeout: Duration,
    pub cache_ttl: Duration,
    pub retries: u32,
}

impl OracleSection {
    /// Checks the numbers and the key of every enabled source that needs one.
    pub(crate) fn settings(&self, enabled: &[Source]) -> Result<Settings, OracleConfigError> {
        in_range("TimeoutMs", self.timeout_ms, 1, MAX_TIMEOUT_MS)?;
        in_range(
            "CacheTtlSeconds",
            self.cache_ttl_seconds,
            0,
            MAX_CACHE_TTL_SECONDS,
        )?;
        in_range(
            "Retries",
            u64::from(self.retries),
            0,
            u64::from(MAX_RETRIES),
        )?;
        for &source in enabled.iter().filter(|s| s.needs_key()) {
            if let Some(fields) = self.fields(source)
                && let Some((key_name, key)) = fields.key
                && key.trim().is_empty()
            {
                return Err(OracleConfigError::MissingKey {
                    key: key_name,
                    name: source,
                });
            }
        }
        Ok(Settings {
            timeout: Duration::from_millis(self.timeout_ms),
            cache_ttl: Duration::from_secs(self.cache_ttl_seconds),
            retries: self.retries,
        })
    }

    /// The endpoint of a web API, or `None` for `FixedUSD`.
    pub(crate) fn endpoint(&self, source: Source) -> Result<Option<Endpoint>, OracleConfigError> {
        let Some(Fields { url_key, url, key }) = self.fields(source) else {
            return Ok(None);
        };
        let base = base_url(url_key, url)?;
        let key = match key {
            Some((key_name, key)) => checked_key(key_name, key)?,
            None => None,
        };
        Ok(Some(Endpoint { base, key }))
    }

    /// A web API's keys in this table; `None` for `FixedUSD`.
    fn fields(&self, source: Source) -> Option<Fields<'_>> {
        let (url_key, url, key) = match source {
            Source::FixedUsd => return None,
            Source::CoinGecko => (
                "CoinGeckoUrl",
                &self.coingecko_url,
                Some(("CoinGeckoKey", &self.coingecko_key)),
            ),
            Source::OpenExchangeRates => (
                "OpenExchangeRatesUrl",
                &self.open_exchange_rates_url,
                Some(("OpenExchangeRatesKey", &self.open_exchange_rates_key)),
            ),
            Source::ExchangeRateApi => (
                "ExchangeRateApiUrl",
                &self.exchange_rate_api_url,
                Some(("ExchangeRateApiKey", &self.exchange_rate_api_key)),
            ),
            Source::Coinbase => ("CoinbaseUrl", &self.coinbase_url, None),
            Source::Ecb => ("ECBUrl", &self.ecb_url, None),
            Source::CoinPaprika => ("CoinPaprikaUrl", &self.coinpaprika_url, None),
            Source::CoinMarketCap => (
                "CoinMarketCapUrl",
                &self.coinmarketcap_url,
                Some(("CoinMarketCapKey", &self.coinmarketcap_key)),
            ),
            Source::ApiLayer => (
                "APILayerUrl",
                &self.apilayer_url,
                Some(("APILayerKey", &self.apilayer_key)),
            ),
        };
        Some(Fields {
            url_key,
            url,
            key: key.map(|(name, value)| (name, value.as_str())),
        })
    }
}

/// One web API's keys in `[Oracle]`: its URL and, if it takes one, its API key.
struct Fields<'a> {
    url_key: &'static str,
    url: &'a str,
    key: Option<(&'static str, &'a str)>,
}

/// An API key as given, or `None` when empty. Keys go into HTTP headers; anything
/// but letters, digits, '-' and '_' is a paste error, and would otherwise surface later as
/// an opaque request-building failure.
fn checked_key(name: &'static str, key: &str) -> Result<Option<String>, OracleConfigError> {
    let key = key.trim();
    if !key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(OracleConfigError::BadKey { key: name });
    }
    Ok((!key.is_empty()).then(|| key.to_owned()))
}

fn in_range(key: &'static str, value: u64, min: u64, max: u64) -> Result<(), OracleConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(OracleConfigError::OutOfRange {
            key,
            value,
            min,
            max,
        })
    }
}

/// An `http(s)` URL without credentials, query or fragment, to which API paths are appended.
fn base_url(key: &'static str, value: &str) -> Result<Url, OracleConfigError> {
    let bad = |reason: &str| OracleConfigError::Url {
        key,
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(value.trim()).map_err(|e| bad(&e.to_string()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(bad("the scheme must be http or https"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials belong in the key, not the URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("a base URL has no query or fragment"));
    }
    if url.cannot_be_a_base() {
        return Err(bad("it cannot take a path"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_need_no_key() {
        let section = OracleSection::default();
        let enabled = [
            Source::FixedUsd,
            Source::ExchangeRateApi,
            Source::CoinGecko,
            Source::Coinbase,
            Source::Ecb,
            Source::CoinPaprika,
        ];
        let settings = section.settings(&enabled).unwrap();
        assert_eq!(settings.timeout, Duration::from_secs(5));
        assert_eq!(settings.cache_ttl, Duration::from_secs(480));
        for s in Source::ALL {
            assert_eq!(section.endpoint(s).unwrap().is_some(), s.is_remote());
        }
    }

    #[test]
    fn errors_name_the_key() {
        let mut section = OracleSection {
            timeout_ms: 0,
            ..OracleSection::default()
        };
        let e = section.settings(&[]).unwrap_err().to_string();
        assert!(e.starts_with("Oracle.TimeoutMs: 0"), "{e}");
        section.timeout_ms = 1;
        let e = section.settings(&[Source::OpenExchangeRates]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Oracle.OpenExchangeRatesKey: required")
        );
        section.coingecko_url = "ftp://x".to_owned();
        let e = section.endpoint(Source::CoinGecko).unwrap_err().to_string();
        assert!(e.starts_with("Oracle.CoinGeckoUrl: \"ftp://x\""), "{e}");
        section.exchange_rate_api_key = "a/b".to_owned();
        let e = section.endpoint(Source::ExchangeRateApi).unwrap_err();
        assert!(e.to_string().starts_with("Oracle.ExchangeRateApiKey:"));
        for (source, key) in [
            (Source::CoinMarketCap, "Oracle.CoinMarketCapKey: required"),
            (Source::ApiLayer, "Oracle.APILayerKey: required"),
        ] {
            let e = OracleSection::default().settings(&[source]).unwrap_err();
            assert!(e.to_string().starts_with(key), "{e}");
        }
        section.ecb_url = "https://ecb/?x=1".to_owned();
        let e = section.endpoint(Source::Ecb).unwrap_err().to_string();
        assert!(e.starts_with("Oracle.ECBUrl:"), "{e}");
    }

    #[test]
    fn debug_hides_keys() {
        let section = OracleSection {
            open_exchange_rates_key: "secret123".to_owned(),
            coinmarketcap_key: "secret456".to_owned(),
            apilayer_key: "secret789".to_owned(),
            ..OracleSection::default()
        };
        let shown = format!("{section:?}");
        assert!(!shown.contains("secret"), "{shown}");
        let endpoint = section.endpoint(Source::CoinMarketCap).unwrap().unwrap();
        assert!(!format!("{endpoint:?}").contains("secret"));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = serde_json::from_str::<OracleSection>(r#"{"KitcoKey":"x"}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `KitcoKey`"), "{e}");
        let s: OracleSection = serde_json::from_str(r#"{"TimeoutMs":250}"#).unwrap();
        assert_eq!(s.timeout_ms, 250);
        assert_eq!(s.retries, 2);
    }
}
