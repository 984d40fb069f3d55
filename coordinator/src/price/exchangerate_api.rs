//! ExchangeRate-API's latest rates for USD: fiat only.
//!
//! Without a key the open access endpoint `GET /v6/latest/USD` (`https://open.er-api.com`,
//! what the devnet serves); with one, the same path on `https://v6.exchangerate-api.com`
//! with the key as `Authorization: Bearer <key>` (the API's "token bearer" method, which it
//! offers so the key stays out of URLs and logs, instead of its default `/v6/<key>/latest/USD`).
//! Both answer `{"result":"success","base_code":"USD",
//! "rates":{"USD":1,"EUR":0.925,…}}` in units per US dollar, inverted here as PegNet does
//! for every FX source.
//!
//! Errors are `{"result":"error","error-type":"…"}`: `rate-limited` with HTTP 429,
//! `invalid-key` with 403, `unsupported-code` with 404; the keyed API may send
//! `invalid-key`, `inactive-account` or `quota-reached` with HTTP 200, which are read as
//! the refusals they are. A down server answers an HTML 503.

use reqwest::header::AUTHORIZATION;
use reqwest::{Client, RequestBuilder};
use serde_json::Value;

use super::config::Endpoint;
use super::http::{self, Adapter, Reply};
use super::source::Quotes;
use super::{ErrorKind, Source};

/// How the oracle talks to ExchangeRate-API.
pub(crate) const ADAPTER: Adapter = Adapter {
    request,
    parse,
    max_body_bytes: http::MAX_BODY_BYTES,
};

fn request(client: &Client, endpoint: &Endpoint) -> RequestBuilder {
    let url = http::with_path(&endpoint.base, &["v6", "latest", "USD"]);
    let request = client.get(url);
    match &endpoint.key {
        Some(key) => request.header(AUTHORIZATION, format!("Bearer {key}")),
        None => request,
    }
}

fn parse(reply: &Reply) -> Result<Quotes, ErrorKind> {
    let value = http::json(&reply.body);
    let error_type = value.as_ref().ok().and_then(error_type);
    if let Some(refused) = http::refusal(reply, error_type.clone()) {
        return Err(refused);
    }
    let value = value?;
    if let Some(error_type) = error_type {
        return Err(in_body_error(reply.status, error_type));
    }
    http::usd_rates(&value, "base_code", Source::ExchangeRateApi)
}

/// `error-type` when `result` is `error`.
fn error_type(value: &Value) -> Option<String> {
    if value.get("result").and_then(Value::as_str) != Some("error") {
        return None;
    }
    let error_type = value.get("error-type").and_then(Value::as_str);
    Some(http::short(error_type.unwrap_or("unknown")))
}

/// An error reported in a 2xx answer.
fn in_body_error(status: u16, error_type: String) -> ErrorKind {
    match error_type.as_str() {
        "invalid-key" | "inactive-account" => ErrorKind::Unauthorized {
            status,
            detail: Some(error_type),
        },
        "quota-reached" => ErrorKind::RateLimited {
            status,
            retry_after_secs: None,
        },
        _ => ErrorKind::Api { detail: error_type },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::price::http::recorded as reply;

    #[test]
    fn rates_are_inverted() {
        let body =
            r#"{"result":"success","base_code":"USD","rates":{"USD":1,"EUR":0.8,"RWF":1250}}"#;
        let q = parse(&reply(200, body)).unwrap();
        assert_eq!(q["USD"], 1.0);
        assert_eq!(q["EUR"], 1.25);
        assert_eq!(q["RWF"], 0.0008);
        assert!(!q.contains_key("XAU") && !q.contains_key("JPY"));
    }

    #[test]
    fn errors_are_read_from_status_and_body() {
        let limited = r#"{"result":"error","error-type":"rate-limited"}"#;
        assert!(matches!(
            parse(&reply(429, limited)),
            Err(ErrorKind::RateLimited { status: 429, .. })
        ));
        let key = r#"{"result":"error","error-type":"invalid-key"}"#;
        for status in [403, 200] {
            assert_eq!(
                parse(&reply(status, key)),
                Err(ErrorKind::Unauthorized {
                    status,
                    detail: Some("invalid-key".to_owned())
                })
            );
        }
        let quota = r#"{"result":"error","error-type":"quota-reached"}"#;
        assert!(matches!(
            parse(&reply(200, quota)),
            Err(ErrorKind::RateLimited { status: 200, .. })
        ));
        let html = "<html><head><title>503 Service Temporarily Unavailable</title></head></html>";
        assert_eq!(
            parse(&reply(503, html)),
            Err(ErrorKind::Status {
                status: 503,
                detail: None
            })
        );
        assert!(matches!(
            parse(&reply(200, r#"{"result":"success","rates":{"USD""#)),
            Err(ErrorKind::Malformed { .. })
        ));
    }
}
