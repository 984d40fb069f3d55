//! Coinbase's public `GET /v2/exchange-rates?currency=USD` on `https://api.coinbase.com`: no
//! key, fiat, gold and silver and the cryptos Coinbase lists, in one answer.
//!
//! `{"data":{"currency":"USD","rates":{"AED":"3.6725","BTC":"0.0000162","XAU":"0.00043",…}}}`
//! gives units per US dollar as decimal strings (about 640 of them), inverted here as for
//! every FX source; `BTC` and `BCH` are PegNet's `XBT` and `XBC`. A rate that is not a
//! number becomes a NaN price, which the oracle refuses as an unusable quote for that asset.
//!
//! Coverage: every PegNet fiat currency (RUB was in the recorded answer; whether it still is
//! since 2022 could not be confirmed), the four metals, and the 16 cryptos of [`CRYPTO`]:
//! those present in a recorded answer of late 2021 (the list grows as Coinbase lists
//! coins; HBAR and CRO may be there today, but that could not be confirmed, so they are
//! left to other sources). An asset missing from an answer is reported as such and the
//! next source is used.
//!
//! Errors come in the v2 API's shape `{"errors":[{"id":"rate_limit_exceeded",
//! "message":"Too many requests"}]}`: HTTP 429 when rate-limited (10 000 requests an hour
//! per IP), 400 `invalid_request` for an unknown base currency, 5xx when down.

use pegnet_common::market::{self, AssetClass, MarketName};
use reqwest::{Client, RequestBuilder};
use serde_json::Value;

use super::config::Endpoint;
use super::http::{self, Adapter, Reply};
use super::source::Quotes;
use super::{ErrorKind, Source};

/// How the oracle talks to Coinbase.
pub(crate) const ADAPTER: Adapter = Adapter {
    request,
    parse,
    max_body_bytes: http::MAX_BODY_BYTES,
};

/// The PegNet cryptos in Coinbase's rates (see the module comment).
const CRYPTO: [&str; 16] = [
    "XBT", "ETH", "LTC", "XBC", "XLM", "ADA", "DASH", "ZEC", "EOS", "LINK", "ATOM", "BAT", "XTZ",
    "ETC", "DOGE", "ALGO",
];

/// Whether Coinbase's rates hold the asset.
pub(crate) fn quotes(m: &MarketName) -> bool {
    match m.class {
        AssetClass::Fiat | AssetClass::Metal => true,
        AssetClass::Crypto => CRYPTO.contains(&m.asset),
        AssetClass::Peg => false,
    }
}

fn request(client: &Client, endpoint: &Endpoint) -> RequestBuilder {
    let url = http::with_path(&endpoint.base, &["v2", "exchange-rates"]);
    client.get(url).query(&[("currency", "USD")])
}

fn parse(reply: &Reply) -> Result<Quotes, ErrorKind> {
    let value = http::json(&reply.body);
    let detail = value.as_ref().ok().and_then(error_message);
    if let Some(refused) = http::refusal(reply, detail) {
        return Err(refused);
    }
    let value = value?;
    let data = value.get("data");
    if let Some(base) = data.and_then(|d| d.get("currency")).and_then(Value::as_str)
        && base != "USD"
    {
        return Err(ErrorKind::Malformed {
            detail: format!("rates are in {}, not USD", http::short(base)),
        });
    }
    let Some(rates) = data.and_then(|d| d.get("rates")).and_then(Value::as_object) else {
        return Err(ErrorKind::Malformed {
            detail: "no `data.rates` object".to_owned(),
        });
    };
    Ok(Source::Coinbase
        .assets()
        .filter_map(|asset| {
            let rate = rates.get(market::fx_code(asset)?)?;
            let rate = match rate {
                Value::String(text) => text.trim().parse::<f64>().unwrap_or(f64::NAN),
                other => other.as_f64().unwrap_or(f64::NAN),
            };
            Some((asset, 1.0 / rate))
        })
        .collect())
}

/// The first error's message, with its id.
fn error_message(value: &Value) -> Option<String> {
    let first = value.get("errors")?.get(0)?;
    let id = first.get("id").and_then(Value::as_str).unwrap_or("error");
    let message = first.get("message").and_then(Value::as_str).unwrap_or("");
    Some(http::short(&format!("{id}: {message}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::price::http::recorded as reply;

    /// An excerpt of a recorded answer, its layout kept (rates are strings, unordered).
    const ANSWER: &str = r#"{"data":{"currency":"USD","rates":{"MXN":"20.3412","UGX":"3552.896508",
        "BTC":"0.000015258789062500","BCH":"0.0017007381203442294","XAU":"0.0005","RWF":"1005.0",
        "EUR":"0.8","USD":"1.0","DOGE":"3.813886","SHIB":"123456.1","XAG":"nonsense",
        "ETH2":"0.00022119856442131693"}}}"#;

    #[test]
    fn rates_are_inverted() {
        let q = parse(&reply(200, ANSWER)).unwrap();
        assert_eq!(q["XBT"], 65536.0);
        assert_eq!(q["EUR"], 1.25);
        assert_eq!(q["XAU"], 2000.0);
        assert_eq!(q["USD"], 1.0);
        assert_eq!(q["RWF"], 1.0 / 1005.0);
        assert_eq!(q["XBC"], 1.0 / 0.0017007381203442294);
        assert_eq!(q["DOGE"], 1.0 / 3.813886);
        // A rate that is not a number is kept as NaN, for the oracle to refuse by name.
        assert!(q["XAG"].is_nan());
        assert!(!q.contains_key("ETH") && !q.contains_key("JPY"));
    }

    #[test]
    fn errors_keep_coinbases_message() {
        let limited = r#"{"errors":[{"id":"rate_limit_exceeded","message":"Too many requests"}]}"#;
        assert!(matches!(
            parse(&reply(429, limited)),
            Err(ErrorKind::RateLimited { status: 429, .. })
        ));
        let invalid = r#"{"errors":[{"id":"invalid_request","message":"Currency is invalid"}]}"#;
        assert_eq!(
            parse(&reply(400, invalid)),
            Err(ErrorKind::Status {
                status: 400,
                detail: Some("invalid_request: Currency is invalid".to_owned())
            })
        );
        let auth = r#"{"errors":[{"id":"authentication_error","message":"invalid signature"}]}"#;
        assert!(matches!(
            parse(&reply(401, auth)),
            Err(ErrorKind::Unauthorized { status: 401, .. })
        ));
        assert!(matches!(
            parse(&reply(200, &ANSWER[..40])),
            Err(ErrorKind::Malformed { .. })
        ));
        assert!(matches!(
            parse(&reply(200, r#"{"data":{"currency":"EUR","rates":{}}}"#)),
            Err(ErrorKind::Malformed { .. })
        ));
        assert!(matches!(
            parse(&reply(200, r#"{"data":[]}"#)),
            Err(ErrorKind::Malformed { .. })
        ));
    }

    #[test]
    fn every_listed_crypto_is_a_pegnet_crypto() {
        for asset in CRYPTO {
            assert_eq!(market::class(asset), Some(AssetClass::Crypto), "{asset}");
        }
    }
}
