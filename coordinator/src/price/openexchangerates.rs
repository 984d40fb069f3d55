//! OpenExchangeRates' `GET /api/latest.json`: fiat, the four metals and bitcoin.
//!
//! The answer `{"disclaimer":…,"timestamp":…,"base":"USD","rates":{"EUR":0.925,…}}` gives
//! units per US dollar, so a USD price is `1 / rate` (PegNet does the same); `BTC` is
//! PegNet's `XBT`. The App ID goes in the `Authorization: Token <id>` header, which the API
//! accepts in place of `?app_id=`, so the key never appears in a URL that a proxy or an
//! error message could log.
//!
//! Errors share one shape, `{"error":true,"status":401,"message":"invalid_app_id",
//! "description":…}`: 401 for a missing or wrong key, 403 for a plan that does not allow
//! the request, 429 when over quota.

use reqwest::header::AUTHORIZATION;
use reqwest::{Client, RequestBuilder};
use serde_json::Value;

use super::config::Endpoint;
use super::http::{self, Adapter, Reply};
use super::source::Quotes;
use super::{ErrorKind, Source};

/// How the oracle talks to OpenExchangeRates.
pub(crate) const ADAPTER: Adapter = Adapter {
    request,
    parse,
    max_body_bytes: http::MAX_BODY_BYTES,
};

fn request(client: &Client, endpoint: &Endpoint) -> RequestBuilder {
    let url = http::with_path(&endpoint.base, &["api", "latest.json"]);
    let request = client.get(url);
    match &endpoint.key {
        Some(key) => request.header(AUTHORIZATION, format!("Token {key}")),
        None => request,
    }
}

fn parse(reply: &Reply) -> Result<Quotes, ErrorKind> {
    let value = http::json(&reply.body);
    let detail = value.as_ref().ok().and_then(error_message);
    if let Some(refused) = http::refusal(reply, detail.clone()) {
        return Err(refused);
    }
    let value = value?;
    if value.get("error").and_then(Value::as_bool) == Some(true) {
        return Err(ErrorKind::Api {
            detail: detail.unwrap_or_else(|| "error without a message".to_owned()),
        });
    }
    http::usd_rates(&value, "base", Source::OpenExchangeRates)
}

/// `message` of the error shape (`invalid_app_id`, `not_allowed`, ...).
fn error_message(value: &Value) -> Option<String> {
    let message = value.get("message")?.as_str()?;
    Some(http::short(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            retry_after_secs: Some(3600),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn rates_are_inverted() {
        let body = r#"{"disclaimer":"d","license":"l","timestamp":1,"base":"USD",
                       "rates":{"EUR":0.8,"BTC":0.0000152587890625,"XAU":0.0005,"USD":1,"ZZZ":3}}"#;
        let q = parse(&reply(200, body)).unwrap();
        assert_eq!(q["EUR"], 1.25);
        assert_eq!(q["XBT"], 65536.0); // 2^-16 inverts exactly.
        assert_eq!(q["XAU"], 2000.0);
        assert_eq!(q["USD"], 1.0);
        assert!(!q.contains_key("JPY"));
        // A zero rate becomes an infinite price, which the oracle refuses as unusable.
        let q = parse(&reply(200, r#"{"base":"USD","rates":{"EUR":0}}"#)).unwrap();
        assert!(q["EUR"].is_infinite());
    }

    #[test]
    fn errors_keep_the_apis_message() {
        let invalid = r#"{"error":true,"status":401,"message":"invalid_app_id","description":"x"}"#;
        assert_eq!(
            parse(&reply(401, invalid)),
            Err(ErrorKind::Unauthorized {
                status: 401,
                detail: Some("invalid_app_id".to_owned())
            })
        );
        let limited = r#"{"error":true,"status":429,"message":"access_restricted"}"#;
        assert_eq!(
            parse(&reply(429, limited)),
            Err(ErrorKind::RateLimited {
                status: 429,
                retry_after_secs: Some(3600)
            })
        );
        assert!(matches!(
            parse(&reply(200, r#"{"base":"EUR","rates":{}}"#)),
            Err(ErrorKind::Malformed { .. })
        ));
        assert!(matches!(
            parse(&reply(200, r#"{"base":"USD"}"#)),
            Err(ErrorKind::Malformed { .. })
        ));
        assert!(matches!(
            parse(&reply(200, r#"{"error":true,"message":"odd"}"#)),
            Err(ErrorKind::Api { .. })
        ));
    }
}
