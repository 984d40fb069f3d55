//! APILayer's Exchange Rates Data API, `GET /exchangerates_data/latest[?base=USD]
//! [&symbols=EUR,GBP]`, keyed by the `apikey` header (or an `apikey` query parameter).
//!
//! Answers the Fixer shape `{"success":true,"timestamp":…,"base":"USD","date":"2024-06-14",
//! "rates":{"AED":3.6725,…}}`: units per unit of the base (default USD; any code served
//! works), sorted by code, 6 decimals or 6 significant digits below 0.1, for every PegNet
//! fiat currency, XAU, XAG and `BTC`; `symbols` narrows them.
//!
//! Errors as the marketplace gateway sends them, `{"message":"…"}`: no `apikey` is 401
//! `No API key found in request`; unauthorized mode 401 `Invalid authentication
//! credentials`; rate limiting 429 `API rate limit exceeded` with `Retry-After`; failing
//! mode 503. An unknown base is the API's own error, HTTP 400 with
//! `{"success":false,"error":{"code":201,"type":"invalid_base_currency",…}}`.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pegnet_common::market::{self, AssetClass};
use serde_json::json;

use super::date::iso_date;
use super::json::{Ordered, number, round_decimals, round_significant, to_text};
use super::{
    Feed, Mode, Source, WalkError, json_response, json_retry_after, normal_or_malformed,
    query_param,
};

/// The `Retry-After` seconds sent with a 429.
pub const RETRY_AFTER_SECS: u64 = 86_400;

/// The handler of `/exchangerates_data/latest`.
pub(super) async fn latest(
    State(feed): State<Arc<Feed>>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let mode = feed.admit(Source::ApiLayer).await;
    match mode {
        Mode::Failing => message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"),
        Mode::RateLimited => json_retry_after(
            StatusCode::TOO_MANY_REQUESTS,
            to_text(&json!({ "message": "API rate limit exceeded" })),
            RETRY_AFTER_SECS,
        ),
        Mode::Unauthorized => message(
            StatusCode::UNAUTHORIZED,
            "Invalid authentication credentials",
        ),
        Mode::Normal | Mode::Slow { .. } | Mode::Malformed => {
            let query = query.map(|Query(q)| q).unwrap_or_default();
            let header_key = headers.get("apikey").is_some_and(|v| !v.is_empty());
            if !header_key && query_param(&query, "apikey").is_none() {
                return message(StatusCode::UNAUTHORIZED, "No API key found in request");
            }
            match answer(&feed, &query) {
                Ok((status, body)) => normal_or_malformed(mode, status, body),
                Err(error) => {
                    tracing::error!(%error, "apilayer: no price");
                    message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
                }
            }
        }
    }
}

fn message(status: StatusCode, text: &str) -> Response {
    json_response(status, to_text(&json!({ "message": text })))
}

/// The PegNet assets served, with their codes: fiat, gold, silver and BTC.
pub fn quoted() -> impl Iterator<Item = (&'static str, &'static str)> {
    market::MARKET_NAMES.iter().filter_map(|m| {
        let served = match m.class {
            AssetClass::Fiat => true,
            AssetClass::Metal => matches!(m.asset, "XAU" | "XAG"),
            AssetClass::Crypto => m.asset == "XBT",
            AssetClass::Peg => false,
        };
        served
            .then_some(m.fx_code.map(|code| (m.asset, code)))
            .flatten()
    })
}

fn answer(feed: &Feed, query: &[(String, String)]) -> Result<(StatusCode, String), WalkError> {
    let base = query_param(query, "base")
        .unwrap_or("USD")
        .trim()
        .to_uppercase();
    let Some((base_asset, base_code)) = quoted().find(|(_, code)| *code == base) else {
        let body = json!({
            "success": false,
            "error": {
                "code": 201,
                "type": "invalid_base_currency",
                "info": "You have entered an invalid \"base\" property. [Example: base=EUR]"
            }
        });
        return Ok((StatusCode::BAD_REQUEST, to_text(&body)));
    };
    let symbols: Option<Vec<String>> = query_param(query, "symbols")
        .map(|s| s.split(',').map(|c| c.trim().to_uppercase()).collect());
    let step = feed.step();
    let base_usd = feed.walk().price(base_asset, step)?;
    let mut rates: Vec<(&str, f64)> = Vec::new();
    for (asset, code) in quoted() {
        if symbols
            .as_ref()
            .is_some_and(|w| !w.iter().any(|c| c == code))
        {
            continue;
        }
        rates.push((code, base_usd / feed.walk().price(asset, step)?));
    }
    rates.sort_by(|a, b| a.0.cmp(b.0));
    let mut body_rates: Ordered = Ordered::default();
    for (code, rate) in rates {
        let rounded = if rate >= 0.1 {
            round_decimals(rate, 6)
        } else {
            round_significant(rate, 6)
        };
        body_rates.push(code, number(rounded));
    }
    let now = feed.now_unix();
    let mut body: Ordered = Ordered::default();
    body.push("success", true);
    body.push("timestamp", now);
    body.push("base", base_code);
    body.push("date", iso_date(now));
    body.push(
        "rates",
        serde_json::to_value(&body_rates).unwrap_or_default(),
    );
    Ok((StatusCode::OK, to_text(&body)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn rates_are_per_unit_of_the_base() {
        let feed = Feed::with_clock(2, || 1_718_366_400);
        let (status, body) = answer(&feed, &[]).unwrap();
        assert_eq!(status, StatusCode::OK);
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (v["base"].as_str(), v["date"].as_str()),
            (Some("USD"), Some("2024-06-14"))
        );
        assert_eq!(v["rates"]["USD"], 1);
        assert!(v["rates"]["BTC"].is_f64() && v["rates"]["ETB"].is_f64());
        assert!(v["rates"].get("XPT").is_none() && v["rates"].get("ETH").is_none());
        let q = vec![("base".to_owned(), "XYZ".to_owned())];
        let (status, body) = answer(&feed, &q).unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("invalid_base_currency"));
    }
}
