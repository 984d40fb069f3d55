//! APILayer's Exchange Rates Data API, `GET /exchangerates_data/latest?base=USD` on
//! `https://api.apilayer.com`: fiat, gold, silver and bitcoin; needs a key (the free plan
//! allows 100 requests a month, so keep `Oracle.CacheTtlSeconds` long or the priority low).
//!
//! PegNet's `APILayer` source asked currencylayer's `live` endpoint with the key in the
//! query string; this one uses APILayer's current marketplace API, which takes the key in
//! the `apikey` header, so it never appears in a URL. The answer has the Fixer shape
//! `{"success":true,"timestamp":1718366400,"base":"USD","date":"2024-06-14",
//! "rates":{"AED":3.6725,…,"BTC":0.0000166,"XAU":0.000431,…}}`: units per US dollar,
//! inverted as for every FX source; `BTC` is PegNet's `XBT`. The currency list (about 170)
//! has every PegNet fiat currency, XAU and XAG, but not XPD or XPT.
//!
//! Errors come in two shapes, both read: the marketplace gateway's `{"message":"…"}` with
//! HTTP 401 (no or invalid `apikey`) or 429 (over the plan's quota or rate), and the
//! Fixer-style `{"success":false,"error":{"code":101,"type":"invalid_access_key",
//! "info":"…"}}`, which the API may send with HTTP 200. The gateway's exact messages and
//! which shape each refusal uses could not be confirmed from the documentation; both are
//! classified by status first and by `type` second.

use pegnet_common::market::{AssetClass, MarketName};
use reqwest::{Client, RequestBuilder};
use serde_json::Value;

use super::config::Endpoint;
use super::http::{self, Adapter, Reply};
use super::source::Quotes;
use super::{ErrorKind, Source};

/// How the oracle talks to APILayer.
pub(crate) const ADAPTER: Adapter = Adapter {
    request,
    parse,
    max_body_bytes: http::MAX_BODY_BYTES,
};

/// The header that carries the key.
pub(crate) const KEY_HEADER: &str = "apikey";

/// Whether the Exchange Rates Data API has the asset.
pub(crate) fn quotes(m: &MarketName) -> bool {
    match m.class {
        AssetClass::Fiat => true,
        AssetClass::Metal => matches!(m.asset, "XAU" | "XAG"),
        AssetClass::Crypto => m.asset == "XBT",
        AssetClass::Peg => false,
    }
}

fn request(client: &Client, endpoint: &Endpoint) -> RequestBuilder {
    let url = http::with_path(&endpoint.base, &["exchangerates_data", "latest"]);
    let request = client.get(url).query(&[("base", "USD")]);
    match &endpoint.key {
        Some(key) => request.header(KEY_HEADER, key.as_str()),
        None => request,
    }
}

fn parse(reply: &Reply) -> Result<Quotes, ErrorKind> {
    let value = http::json(&reply.body);
    let problem = value.as_ref().ok().and_then(error);
    let detail = problem.as_ref().map(|(_, message)| message.clone());
    if let Some(refused) = http::refusal(reply, detail) {
        return Err(refused);
    }
    let value = value?;
    if let Some((error_type, message)) = problem {
        return Err(in_body_error(reply.status, &error_type, message));
    }
    http::usd_rates(&value, "base", Source::ApiLayer)
}

/// The error's `type` (empty for the gateway's shape) and a message for the log.
fn error(value: &Value) -> Option<(String, String)> {
    if let Some(error) = value.get("error").filter(|e| e.is_object()) {
        let error_type = error.get("type").and_then(Value::as_str).unwrap_or("");
        let info = error.get("info").and_then(Value::as_str).unwrap_or("");
        let message = format!("{error_type}: {info}");
        return Some((
            error_type.to_owned(),
            http::short(message.trim_end_matches(": ")),
        ));
    }
    if value.get("success").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    let message = value.get("message")?.as_str()?;
    Some((String::new(), http::short(message)))
}

/// An error reported in a 2xx answer.
fn in_body_error(status: u16, error_type: &str, message: String) -> ErrorKind {
    match error_type {
        "invalid_access_key" | "missing_access_key" | "inactive_user" => ErrorKind::Unauthorized {
            status,
            detail: Some(message),
        },
        "usage_limit_reached" | "rate_limit_reached" => ErrorKind::RateLimited {
            status,
            retry_after_secs: None,
        },
        _ => ErrorKind::Api { detail: message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            retry_after_secs: Some(86_400),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn rates_are_inverted() {
        let body = r#"{"success":true,"timestamp":1718366400,"base":"USD","date":"2024-06-14",
                       "rates":{"AED":3.6725,"BTC":0.0000152587890625,"XAU":0.0005,"ETB":57.5,
                                "USD":1,"XPT":0.001,"ETH":0.0003}}"#;
        let q = parse(&reply(200, body)).unwrap();
        assert_eq!(q["XBT"], 65536.0);
        assert_eq!(q["XAU"], 2000.0);
        assert_eq!(q["ETB"], 1.0 / 57.5);
        assert_eq!(q["USD"], 1.0);
        assert!(!q.contains_key("ETH") && !q.contains_key("XPT") && !q.contains_key("EUR"));
    }

    #[test]
    fn both_error_shapes_are_read() {
        assert_eq!(
            parse(&reply(
                401,
                r#"{"message":"Invalid authentication credentials"}"#
            )),
            Err(ErrorKind::Unauthorized {
                status: 401,
                detail: Some("Invalid authentication credentials".to_owned())
            })
        );
        assert_eq!(
            parse(&reply(429, r#"{"message":"API rate limit exceeded"}"#)),
            Err(ErrorKind::RateLimited {
                status: 429,
                retry_after_secs: Some(86_400)
            })
        );
        let fixer = r#"{"success":false,"error":{"code":101,"type":"invalid_access_key","info":"You have not supplied a valid API Access Key."}}"#;
        assert_eq!(
            parse(&reply(200, fixer)),
            Err(ErrorKind::Unauthorized {
                status: 200,
                detail: Some(
                    "invalid_access_key: You have not supplied a valid API Access Key.".to_owned()
                )
            })
        );
        let quota = r#"{"success":false,"error":{"code":104,"type":"usage_limit_reached"}}"#;
        assert!(matches!(
            parse(&reply(200, quota)),
            Err(ErrorKind::RateLimited { status: 200, .. })
        ));
        let base = r#"{"success":false,"error":{"code":201,"type":"invalid_base_currency"}}"#;
        assert_eq!(
            parse(&reply(200, base)),
            Err(ErrorKind::Api {
                detail: "invalid_base_currency".to_owned()
            })
        );
        assert!(matches!(
            parse(&reply(
                200,
                r#"{"success":true,"base":"USD","rates":{"EUR""#
            )),
            Err(ErrorKind::Malformed { .. })
        ));
        assert!(matches!(
            parse(&reply(200, r#"{"success":true,"base":"EUR","rates":{}}"#)),
            Err(ErrorKind::Malformed { .. })
        ));
    }
}
