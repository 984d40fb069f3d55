//! CoinPaprika's free `GET /v1/tickers[?quotes=USD]` (no key).
//!
//! Answers `[{"id":"btc-bitcoin","name":…,"symbol":"BTC","rank":1,…,"last_updated":…,
//! "quotes":{"USD":{"price":60012.345…,"volume_24h":…}}},…]` for every PegNet crypto with a
//! CoinPaprika id in `pegnet_common::market` (the real answer has every active coin), plus a
//! second coin with PegNet HT's symbol, as the real list has symbol collisions, so a client
//! reading by symbol would be caught. Prices unrounded; timestamps from the feed's clock.
//!
//! Errors are `{"error":"…"}`: rate limiting HTTP 429 with `Retry-After`; failing mode
//! HTTP 500; a `quotes` other than USD HTTP 400; the endpoint takes no key, so unauthorized
//! mode answers HTTP 402, what the free tier says when its quota is used up or a plan is
//! needed.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use pegnet_common::market;
use serde_json::{Value, json};

use super::date::iso_timestamp;
use super::{
    Feed, Mode, Source, WalkError, json_response, json_retry_after, normal_or_malformed,
    query_param,
};

/// The `Retry-After` seconds sent with a 429.
pub const RETRY_AFTER_SECS: u64 = 60;

/// The handler of `/v1/tickers`.
pub(super) async fn tickers(
    State(feed): State<Arc<Feed>>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let mode = feed.admit(Source::CoinPaprika).await;
    match mode {
        Mode::Failing => error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error"),
        Mode::RateLimited => json_retry_after(
            StatusCode::TOO_MANY_REQUESTS,
            error_body("Too many requests"),
            RETRY_AFTER_SECS,
        ),
        Mode::Unauthorized => error(
            StatusCode::PAYMENT_REQUIRED,
            "Free plan limit reached or this endpoint needs a paid plan",
        ),
        Mode::Normal | Mode::Slow { .. } | Mode::Malformed => {
            let query = query.map(|Query(q)| q).unwrap_or_default();
            match answer(&feed, &query) {
                Ok((status, body)) => normal_or_malformed(mode, status, body),
                Err(e) => {
                    tracing::error!(error = %e, "coinpaprika: no price");
                    error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
                }
            }
        }
    }
}

fn answer(feed: &Feed, query: &[(String, String)]) -> Result<(StatusCode, String), WalkError> {
    if query_param(query, "quotes").is_some_and(|q| !q.trim().eq_ignore_ascii_case("USD")) {
        return Ok((
            StatusCode::BAD_REQUEST,
            error_body("invalid quotes: only USD is simulated"),
        ));
    }
    let stamp = iso_timestamp(feed.now_unix());
    let step = feed.step();
    let mut list = Vec::new();
    for (rank, m) in market::MARKET_NAMES.iter().enumerate() {
        let Some(id) = m.coinpaprika_id else { continue };
        let price = feed.walk().price(m.asset, step)?;
        list.push(ticker(
            id,
            m.fx_code.unwrap_or(m.asset),
            rank + 1,
            price,
            &stamp,
        ));
    }
    // Another token with HT's symbol, at ten times HT's price.
    let ht = feed.walk().price("HT", step)?;
    list.push(ticker("ht-heco-token", "HT", 5000, ht * 10.0, &stamp));
    Ok((StatusCode::OK, Value::Array(list).to_string()))
}

fn ticker(id: &str, symbol: &str, rank: usize, price: f64, stamp: &str) -> Value {
    json!({
        "id": id,
        "name": id.split_once('-').map_or(id, |(_, slug)| slug),
        "symbol": symbol,
        "rank": rank,
        "beta_value": 1.0,
        "last_updated": stamp,
        "quotes": {"USD": {"price": price, "volume_24h": 1_000_000.0, "percent_change_24h": 0.0}},
    })
}

fn error(status: StatusCode, message: &str) -> Response {
    json_response(status, error_body(message))
}

/// `{"error":"…"}`, the body of every error.
fn error_body(message: &str) -> String {
    json!({ "error": message }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickers_carry_ids_and_walk_prices() {
        let feed = Feed::with_clock(5, || 1_718_366_400);
        let (status, body) = answer(&feed, &[("quotes".into(), "USD".into())]).unwrap();
        assert_eq!(status, StatusCode::OK);
        let v: Value = serde_json::from_str(&body).unwrap();
        let btc = v
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == "btc-bitcoin")
            .unwrap();
        assert_eq!(btc["symbol"], "BTC");
        assert_eq!(
            btc["quotes"]["USD"]["price"].as_f64(),
            Some(feed.price("XBT").unwrap())
        );
        assert!(!body.contains("fct-factom"));
        let (status, body) = answer(&feed, &[("quotes".into(), "EUR".into())]).unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.starts_with(r#"{"error":"#), "{body}");
    }
}
