//! Coinbase's public `GET /v2/exchange-rates[?currency=BASE]` (no key).
//!
//! Answers `{"data":{"currency":"USD","rates":{"AED":"3.6725",…,"BTC":"0.0000166",…}}}`:
//! units of each currency per unit of the base (default `USD`, case-insensitive; any code
//! of the table below works as a base), as decimal strings. Fiat and metals have up to 6
//! decimals (8 significant digits below 0.1, as `XAU`), cryptos full precision, as in the
//! real answers. The table is every PegNet fiat currency, the four metals and the 16
//! cryptos in [`CRYPTO`] (those of a recorded answer of late 2021), unordered like the real
//! one (here: sorted by code).
//!
//! Errors use the v2 API's shape `{"errors":[{"id":…,"message":…}]}`: an unknown base is
//! HTTP 400 `invalid_request`; rate limiting HTTP 429 `rate_limit_exceeded` with
//! `Retry-After`; failing mode HTTP 503 `internal_server_error`; the endpoint takes no key,
//! so unauthorized mode answers what the v2 API says of bad credentials, HTTP 401
//! `authentication_error`.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use pegnet_common::market::{self, AssetClass};
use serde_json::{Value, json};

use super::json::{Ordered, round_decimals, round_significant, to_text};
use super::{
    Feed, Mode, Source, WalkError, json_response, json_retry_after, normal_or_malformed,
    query_param,
};

/// The `Retry-After` seconds sent with a 429.
pub const RETRY_AFTER_SECS: u64 = 60;

/// The PegNet cryptos in the rates.
pub const CRYPTO: [&str; 16] = [
    "XBT", "ETH", "LTC", "XBC", "XLM", "ADA", "DASH", "ZEC", "EOS", "LINK", "ATOM", "BAT", "XTZ",
    "ETC", "DOGE", "ALGO",
];

/// The handler of `/v2/exchange-rates`.
pub(super) async fn exchange_rates(
    State(feed): State<Arc<Feed>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let mode = feed.admit(Source::Coinbase).await;
    match mode {
        Mode::Failing => failing(),
        Mode::RateLimited => json_retry_after(
            StatusCode::TOO_MANY_REQUESTS,
            error_body("rate_limit_exceeded", "Too many requests"),
            RETRY_AFTER_SECS,
        ),
        Mode::Unauthorized => json_response(
            StatusCode::UNAUTHORIZED,
            error_body("authentication_error", "invalid api key"),
        ),
        Mode::Normal | Mode::Slow { .. } | Mode::Malformed => {
            let query = query.map(|Query(q)| q).unwrap_or_default();
            let base = query_param(&query, "currency").unwrap_or("USD");
            match answer(&feed, base) {
                Ok((status, body)) => normal_or_malformed(mode, status, body),
                Err(error) => {
                    tracing::error!(%error, "coinbase: no price");
                    failing()
                }
            }
        }
    }
}

fn failing() -> Response {
    json_response(
        StatusCode::SERVICE_UNAVAILABLE,
        error_body("internal_server_error", "Service unavailable"),
    )
}

/// The PegNet assets in the rates, with their codes.
pub fn quoted() -> impl Iterator<Item = (&'static str, &'static str)> {
    market::MARKET_NAMES.iter().filter_map(|m| {
        let listed = match m.class {
            AssetClass::Fiat | AssetClass::Metal => true,
            AssetClass::Crypto => CRYPTO.contains(&m.asset),
            AssetClass::Peg => false,
        };
        listed
            .then_some(m.fx_code.map(|code| (m.asset, code)))
            .flatten()
    })
}

fn answer(feed: &Feed, base: &str) -> Result<(StatusCode, String), WalkError> {
    let base = base.trim().to_uppercase();
    let Some((base_asset, base_code)) = quoted().find(|(_, code)| *code == base) else {
        return Ok((
            StatusCode::BAD_REQUEST,
            error_body("invalid_request", "Currency is invalid"),
        ));
    };
    let step = feed.step();
    let base_usd = feed.walk().price(base_asset, step)?;
    let mut rates: Vec<(&str, String)> = Vec::new();
    for (asset, code) in quoted() {
        let rate = base_usd / feed.walk().price(asset, step)?;
        let text = if market::class(asset) == Some(AssetClass::Crypto) {
            format!("{rate}")
        } else if rate >= 0.1 {
            format!("{}", round_decimals(rate, 6))
        } else {
            format!("{}", round_significant(rate, 8))
        };
        rates.push((code, text));
    }
    rates.sort_by(|a, b| a.0.cmp(b.0));
    let mut body_rates: Ordered = Ordered::default();
    for (code, text) in rates {
        body_rates.push(code, Value::from(text));
    }
    let body = json!({ "data": { "currency": base_code, "rates": body_rates } });
    Ok((StatusCode::OK, to_text(&body)))
}

/// The v2 API's error shape.
fn error_body(id: &str, message: &str) -> String {
    to_text(&json!({ "errors": [ { "id": id, "message": message } ] }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_strings_in_units_per_base() {
        let feed = Feed::with_clock(7, || 1_718_366_400);
        let (status, body) = answer(&feed, "usd").unwrap();
        assert_eq!(status, StatusCode::OK);
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["data"]["currency"], "USD");
        let rates = v["data"]["rates"].as_object().unwrap();
        assert_eq!(rates["USD"], "1");
        let btc: f64 = rates["BTC"].as_str().unwrap().parse().unwrap();
        assert_eq!(btc, 1.0 / feed.price("XBT").unwrap());
        assert!(rates.contains_key("RWF") && rates.contains_key("XAU"));
        assert!(!rates.contains_key("HBAR") && !rates.contains_key("PEG"));
        let (status, body) = answer(&feed, "XYZ").unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("invalid_request"));
        let (_, body) = answer(&feed, "BTC").unwrap();
        assert!(body.contains(r#""currency":"BTC""#) && body.contains(r#""BTC":"1""#));
    }
}
