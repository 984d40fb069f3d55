//! CoinMarketCap Pro's `GET /v1/cryptocurrency/quotes/latest` on
//! `https://pro-api.coinmarketcap.com`: PEG and every crypto; needs a key (the free Basic
//! plan has this endpoint).
//!
//! One request asks for every coin by CoinMarketCap id (`id=1,1027,…`, the ids of
//! `pegnet_common::market`, as PegNet's own CoinMarketCap source) with `convert=USD`, the key
//! in the `X-CMC_PRO_API_KEY` header (never in the URL). `skip_invalid=true` asks the API to
//! leave out an id it no longer tracks instead of refusing the whole request; the parameter
//! is documented for the quotes endpoints, but whether v1 still honours it could not be
//! confirmed, and without it one delisted coin would fail every coin.
//!
//! Answer: `{"status":{"timestamp":…,"error_code":0,"error_message":null,"elapsed":10,
//! "credit_count":1,"notice":null},"data":{"1":{"id":1,"name":"Bitcoin","symbol":"BTC",…,
//! "quote":{"USD":{"price":60012.3,"volume_24h":…,"last_updated":…}}},…}}`. A coin without
//! a USD price (`null`, as untracked coins have) is left out.
//!
//! Errors: the same `status` object with `error_code` and `error_message`, and the HTTP
//! status: 400 bad argument, 401 (1001 invalid key, 1002 key missing), 402 (1003, 1004
//! plan not active or expired), 403 (1005-1007 plan does not allow it, key disabled), 429
//! (1008 per-minute, 1009 daily, 1010 monthly, 1011 IP rate limit), 500.

use pegnet_common::market;
use reqwest::{Client, RequestBuilder};
use serde_json::Value;

use super::config::Endpoint;
use super::http::{self, Adapter, Reply};
use super::source::Quotes;
use super::{ErrorKind, Source};

/// How the oracle talks to CoinMarketCap.
pub(crate) const ADAPTER: Adapter = Adapter {
    request,
    parse,
    max_body_bytes: http::MAX_BODY_BYTES,
};

/// The header that carries the key.
pub(crate) const KEY_HEADER: &str = "X-CMC_PRO_API_KEY";

fn request(client: &Client, endpoint: &Endpoint) -> RequestBuilder {
    let url = http::with_path(
        &endpoint.base,
        &["v1", "cryptocurrency", "quotes", "latest"],
    );
    let mut ids: Vec<String> = Source::CoinMarketCap
        .assets()
        .filter_map(market::coinmarketcap_id)
        .map(|id| id.to_string())
        .collect();
    ids.dedup(); // PEG and PNT, adjacent in the table, share 4979.
    let request = client.get(url).query(&[
        ("id", ids.join(",").as_str()),
        ("convert", "USD"),
        ("skip_invalid", "true"),
    ]);
    match &endpoint.key {
        Some(key) => request.header(KEY_HEADER, key.as_str()),
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
    let code = value.pointer("/status/error_code").and_then(Value::as_i64);
    if code.is_some_and(|c| c != 0) {
        return Err(ErrorKind::Api {
            detail: detail.unwrap_or_else(|| format!("error_code {}", code.unwrap_or(0))),
        });
    }
    let Some(coins) = value.get("data").and_then(Value::as_object) else {
        return Err(ErrorKind::Malformed {
            detail: "no `data` object".to_owned(),
        });
    };
    Ok(Source::CoinMarketCap
        .assets()
        .filter_map(|asset| {
            let id = market::coinmarketcap_id(asset)?;
            let price = coins.get(&id.to_string())?.pointer("/quote/USD/price")?;
            Some((asset, price.as_f64()?))
        })
        .collect())
}

/// `status.error_message`, with the error code.
fn error_message(value: &Value) -> Option<String> {
    let message = value.pointer("/status/error_message")?.as_str()?;
    let code = value.pointer("/status/error_code").and_then(Value::as_i64);
    Some(http::short(&match code {
        Some(code) => format!("{code} {message}"),
        None => message.to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::price::http::recorded as reply;

    const ANSWER: &str = r#"{"status":{"timestamp":"2024-06-14T12:00:00.000Z","error_code":0,
        "error_message":null,"elapsed":12,"credit_count":1,"notice":null},
        "data":{"1":{"id":1,"name":"Bitcoin","symbol":"BTC","slug":"bitcoin",
                     "quote":{"USD":{"price":60012.5,"volume_24h":1.5e10,"last_updated":"2024-06-14T11:59:00.000Z"}}},
                "4979":{"id":4979,"name":"PegNet","symbol":"PEG","slug":"pegnet",
                     "quote":{"USD":{"price":0.00051,"volume_24h":12.0}}},
                "109":{"id":109,"name":"DigiByte","symbol":"DGB","slug":"digibyte",
                     "quote":{"USD":{"price":null}}}}}"#;

    #[test]
    fn coins_are_read_by_id() {
        let q = parse(&reply(200, ANSWER)).unwrap();
        assert_eq!(q["XBT"], 60012.5);
        assert_eq!(q["PEG"], 0.00051);
        assert!(!q.contains_key("DGB") && !q.contains_key("ETH"));
    }

    fn refusal(status: u16, code: u32, message: &str) -> Reply {
        let body = format!(
            r#"{{"status":{{"timestamp":"2024-06-14T12:00:00.000Z","error_code":{code},"error_message":"{message}","elapsed":0,"credit_count":0}}}}"#
        );
        reply(status, &body)
    }

    #[test]
    fn errors_keep_the_code_and_message() {
        assert_eq!(
            parse(&refusal(401, 1001, "This API Key is invalid.")),
            Err(ErrorKind::Unauthorized {
                status: 401,
                detail: Some("1001 This API Key is invalid.".to_owned())
            })
        );
        assert!(matches!(
            parse(&refusal(
                429,
                1008,
                "You've exceeded your API Key's HTTP request rate limit."
            )),
            Err(ErrorKind::RateLimited { status: 429, .. })
        ));
        assert!(matches!(
            parse(&refusal(
                403,
                1006,
                "Your API Key subscription plan doesn't support this endpoint."
            )),
            Err(ErrorKind::Unauthorized { status: 403, .. })
        ));
        assert!(matches!(
            parse(&refusal(400, 400, "Invalid value for \\\"id\\\"")),
            Err(ErrorKind::Status { status: 400, .. })
        ));
        assert!(matches!(
            parse(&refusal(200, 500, "odd")),
            Err(ErrorKind::Api { .. })
        ));
        assert!(matches!(
            parse(&reply(200, &ANSWER[..100])),
            Err(ErrorKind::Malformed { .. })
        ));
        assert!(matches!(
            parse(&reply(200, r#"{"status":{"error_code":0},"data":[]}"#)),
            Err(ErrorKind::Malformed { .. })
        ));
    }
}
