//! CoinGecko's `GET /api/v3/simple/price`, the way PegNet's CoinGecko source calls it.
//!
//! `?ids=bitcoin,pegnet&vs_currencies=usd[,eur][&include_last_updated_at=true][&precision=N]`
//! answers `{"bitcoin":{"usd":60012.345,"last_updated_at":1711356300},...}`: one object per
//! known id in request order (unknown ids are left out), one key per supported
//! `vs_currencies` code (unsupported ones are left out), then `last_updated_at` from the
//! feed's clock. Ids and codes are case-insensitive. Prices have 8 significant digits, or
//! `precision` decimals (`0`..`18`; `full` for no rounding). The key parameters
//! `x_cg_demo_api_key` / `x_cg_pro_api_key` (query or header) are accepted and ignored.
//!
//! Errors, with the real bodies: a missing or empty `ids` or `vs_currencies` is HTTP 422
//! `{"error":"Missing parameter ids"}`; rate limiting is HTTP 429 with [`RATE_LIMIT_BODY`];
//! the invalid-key error is HTTP 401 with [`UNAUTHORIZED_BODY`].

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use pegnet_common::market;
use serde_json::Value;

use super::json::{Ordered, number, round_decimals, round_significant, to_text};
use super::{Feed, Mode, Source, WalkError, json_response, normal_or_malformed};

/// CoinGecko's HTTP 429 body, verbatim.
pub const RATE_LIMIT_BODY: &str = r#"{"status":{"error_code":429,"error_message":"You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing to subscribe to our API plans for higher rate limits."}}"#;

/// The `Retry-After` seconds sent with a 429.
pub const RETRY_AFTER_SECS: u64 = 60;

/// CoinGecko's HTTP 401 body for a missing or wrong API key (error code 10002).
pub const UNAUTHORIZED_BODY: &str =
    r#"{"status":{"error_code":10002,"error_message":"API Key Missing"}}"#;

/// The HTTP 503 body of failing mode, in CoinGecko's error shape.
pub const FAILING_BODY: &str =
    r#"{"status":{"error_code":503,"error_message":"Service Unavailable"}}"#;

/// The `vs_currencies` codes CoinGecko supports that the walk can price: its fiat, metal
/// and crypto quote currencies that are also PegNet assets.
pub const VS_CURRENCIES: [&str; 35] = [
    "usd", "aed", "ars", "aud", "brl", "cad", "chf", "cny", "eur", "gbp", "hkd", "inr", "jpy",
    "krw", "mxn", "ngn", "nok", "nzd", "php", "rub", "sek", "sgd", "try", "twd", "zar", "xag",
    "xau", "btc", "eth", "ltc", "bch", "bnb", "eos", "xlm", "link",
];

/// The handler of `/api/v3/simple/price`.
pub(super) async fn simple_price(
    State(feed): State<Arc<Feed>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let mode = feed.admit(Source::CoinGecko).await;
    match mode {
        Mode::Failing => json_response(StatusCode::SERVICE_UNAVAILABLE, FAILING_BODY.to_owned()),
        Mode::RateLimited => (
            StatusCode::TOO_MANY_REQUESTS,
            [
                (
                    header::CONTENT_TYPE,
                    "application/json; charset=utf-8".to_owned(),
                ),
                (header::RETRY_AFTER, RETRY_AFTER_SECS.to_string()),
            ],
            RATE_LIMIT_BODY,
        )
            .into_response(),
        Mode::Unauthorized => json_response(StatusCode::UNAUTHORIZED, UNAUTHORIZED_BODY.to_owned()),
        Mode::Normal | Mode::Slow { .. } | Mode::Malformed => {
            let query = query.map(|Query(q)| q).unwrap_or_default();
            match answer(&feed, &query) {
                Ok((status, body)) => normal_or_malformed(mode, status, body),
                Err(error) => {
                    tracing::error!(%error, "coingecko: no price");
                    json_response(StatusCode::SERVICE_UNAVAILABLE, FAILING_BODY.to_owned())
                }
            }
        }
    }
}

/// The status and body of a well-behaved answer to `query`.
fn answer(feed: &Feed, query: &[(String, String)]) -> Result<(StatusCode, String), WalkError> {
    let Some(ids) = param(query, "ids") else {
        return Ok(missing("ids"));
    };
    let Some(vs_currencies) = param(query, "vs_currencies") else {
        return Ok(missing("vs_currencies"));
    };
    let with_time = param(query, "include_last_updated_at") == Some("true");
    let precision = param(query, "precision");
    let vs: Vec<(String, &str)> = list(vs_currencies)
        .into_iter()
        .filter_map(|code| vs_asset(&code).map(|asset| (code, asset)))
        .collect();
    let step = feed.step();
    let mut coins: Ordered<Ordered> = Ordered::default();
    for id in list(ids) {
        let Some(asset) = market::asset_for_coingecko_id(&id) else {
            continue;
        };
        let usd = feed.walk().price(asset, step)?;
        let mut quote = Ordered::default();
        for (code, vs_asset) in &vs {
            let price = usd / feed.walk().price(vs_asset, step)?;
            quote.push(code.clone(), number(round(price, precision)));
        }
        if with_time {
            quote.push("last_updated_at", feed.now_unix());
        }
        coins.push(id, quote);
    }
    Ok((StatusCode::OK, to_text(&coins)))
}

/// The value of query parameter `name` (the last if repeated), if present and not blank.
fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
        .filter(|value| !value.trim().is_empty())
}

/// A comma-separated list, trimmed, lower-cased, without blanks or repeats.
fn list(value: &str) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    for item in value.split(',').map(|s| s.trim().to_lowercase()) {
        if !item.is_empty() && !items.contains(&item) {
            items.push(item);
        }
    }
    items
}

/// The PegNet asset a supported `vs_currencies` code prices in.
fn vs_asset(code: &str) -> Option<&'static str> {
    VS_CURRENCIES
        .contains(&code)
        .then(|| market::asset_for_fx_code(&code.to_uppercase()))
        .flatten()
}

/// A price rounded the way `precision` asks: 8 significant digits by default.
fn round(price: f64, precision: Option<&str>) -> f64 {
    match precision {
        Some("full") => price,
        Some(places) => match places.parse::<usize>() {
            Ok(places) if places <= 18 => round_decimals(price, places),
            _ => round_significant(price, 8),
        },
        None => round_significant(price, 8),
    }
}

/// HTTP 422 for a missing required parameter.
fn missing(name: &str) -> (StatusCode, String) {
    let mut body: Ordered = Ordered::default();
    body.push("error", Value::from(format!("Missing parameter {name}")));
    (StatusCode::UNPROCESSABLE_ENTITY, to_text(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vs_currency_is_priced() {
        for code in VS_CURRENCIES {
            assert!(vs_asset(code).is_some(), "{code}");
        }
        assert_eq!(vs_asset("btc"), Some("XBT"));
        assert_eq!(vs_asset("bch"), Some("XBC"));
        assert_eq!(vs_asset("kes"), None);
    }

    #[test]
    fn lists_are_cleaned() {
        assert_eq!(list(" Bitcoin,,pegnet,bitcoin "), ["bitcoin", "pegnet"]);
    }

    #[test]
    fn precision() {
        assert_eq!(round(1.23456789123, None), 1.2345679);
        assert_eq!(round(1.23456789123, Some("2")), 1.23);
        assert_eq!(round(1.23456789123, Some("full")), 1.23456789123);
        assert_eq!(round(1.23456789123, Some("x")), 1.2345679);
    }
}
