//! CoinMarketCap Pro's `GET /v1/cryptocurrency/quotes/latest?id=1,1027,…[&convert=USD]
//! [&skip_invalid=true]`, keyed by the `X-CMC_PRO_API_KEY` header (or the
//! `CMC_PRO_API_KEY` query parameter, which the API also accepts).
//!
//! Answers `{"status":{"timestamp":…,"error_code":0,"error_message":null,"elapsed":…,
//! "credit_count":1,"notice":null},"data":{"1":{"id":1,"name":…,"symbol":"BTC","slug":…,
//! "last_updated":…,"quote":{"USD":{"price":60012.345…,"last_updated":…}}},…}}` for PEG and
//! every crypto (by the ids of `pegnet_common::market`), prices unrounded; timestamps from
//! the feed's clock. Names are the CoinGecko ids, which is close enough for a client that
//! reads prices by id.
//!
//! Errors, all in the `status` object with the HTTP status of the real API: no key 401
//! `1002 API key missing.`; unauthorized mode 401 `1001 This API Key is invalid.`; rate
//! limiting 429 `1008` with `Retry-After`; failing mode 500; an unknown id without
//! `skip_invalid=true`, a missing `id` or a `convert` other than USD is 400.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pegnet_common::market;
use serde::Serialize;
use serde_json::Value;

use super::date::iso_timestamp;
use super::json::{Ordered, to_text};
use super::{
    Feed, Mode, Source, WalkError, json_response, json_retry_after, normal_or_malformed,
    query_param,
};

/// The `Retry-After` seconds sent with a 429 (the per-minute limit resets every minute).
pub const RETRY_AFTER_SECS: u64 = 60;

/// The handler of `/v1/cryptocurrency/quotes/latest`.
pub(super) async fn quotes_latest(
    State(feed): State<Arc<Feed>>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let mode = feed.admit(Source::CoinMarketCap).await;
    let now = feed.now_unix();
    match mode {
        Mode::Failing => refuse(500, 500, "An internal server error occurred", now),
        Mode::RateLimited => json_retry_after(
            StatusCode::TOO_MANY_REQUESTS,
            status_body(
                1008,
                "You've exceeded your API Key's HTTP request rate limit. Rate limits reset every minute.",
                now,
            ),
            RETRY_AFTER_SECS,
        ),
        Mode::Unauthorized => refuse(401, 1001, "This API Key is invalid.", now),
        Mode::Normal | Mode::Slow { .. } | Mode::Malformed => {
            let query = query.map(|Query(q)| q).unwrap_or_default();
            let has_key = headers
                .get("X-CMC_PRO_API_KEY")
                .is_some_and(|v| !v.is_empty())
                || query_param(&query, "CMC_PRO_API_KEY").is_some();
            if !has_key {
                return refuse(401, 1002, "API key missing.", now);
            }
            match answer(&feed, &query) {
                Ok((status, body)) => normal_or_malformed(mode, status, body),
                Err(error) => {
                    tracing::error!(%error, "coinmarketcap: no price");
                    refuse(500, 500, "An internal server error occurred", now)
                }
            }
        }
    }
}

fn answer(feed: &Feed, query: &[(String, String)]) -> Result<(StatusCode, String), WalkError> {
    let now = feed.now_unix();
    let bad = |message: String| -> Result<(StatusCode, String), WalkError> {
        Ok((StatusCode::BAD_REQUEST, status_body(400, &message, now)))
    };
    if query_param(query, "convert").is_some_and(|c| !c.trim().eq_ignore_ascii_case("USD")) {
        return bad("Invalid value for \"convert\": only USD is simulated".to_owned());
    }
    let Some(ids) = query_param(query, "id") else {
        return bad("\"value\" must contain at least one of [id, symbol, slug]".to_owned());
    };
    let skip_invalid = query_param(query, "skip_invalid") == Some("true");
    let step = feed.step();
    let mut data: Ordered<Ordered> = Ordered::default();
    for text in ids.split(',').map(str::trim) {
        let asset = text
            .parse::<u32>()
            .ok()
            .and_then(market::asset_for_coinmarketcap_id);
        let Some(asset) = asset else {
            if skip_invalid {
                continue;
            }
            return bad(format!("Invalid value for \"id\": \"{text}\""));
        };
        let price = feed.walk().price(asset, step)?;
        let symbol = market::fx_code(asset).unwrap_or(asset);
        let slug = market::coingecko_id(asset).unwrap_or(asset);
        let stamp = iso_timestamp(now);
        let mut usd: Ordered = Ordered::default();
        usd.push("price", price);
        usd.push("last_updated", stamp.clone());
        let mut quote: Ordered<Ordered> = Ordered::default();
        quote.push("USD", usd);
        let mut coin: Ordered = Ordered::default();
        coin.push("id", text.parse::<u32>().unwrap_or(0));
        coin.push("name", slug);
        coin.push("symbol", symbol);
        coin.push("slug", slug);
        coin.push("last_updated", stamp);
        coin.push("quote", serde_json::to_value(&quote).unwrap_or(Value::Null));
        data.push(text, coin);
    }
    let body = Answer {
        status: status(0, None, now),
        data,
    };
    Ok((StatusCode::OK, to_text(&body)))
}

/// A successful answer, fields in the API's order.
#[derive(Serialize)]
struct Answer {
    status: Ordered,
    data: Ordered<Ordered>,
}

fn refuse(http: u16, code: u32, message: &str, now: u64) -> Response {
    let status = StatusCode::from_u16(http).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, status_body(code, message, now))
}

/// `{"status":{…}}` alone, the body of every error.
fn status_body(code: u32, message: &str, now: u64) -> String {
    let mut body: Ordered<Ordered> = Ordered::default();
    body.push("status", status(code, Some(message), now));
    to_text(&body)
}

/// The `status` object, fields in the API's order.
fn status(code: u32, message: Option<&str>, now: u64) -> Ordered {
    let mut status: Ordered = Ordered::default();
    status.push("timestamp", iso_timestamp(now));
    status.push("error_code", code);
    status.push("error_message", message.map_or(Value::Null, Value::from));
    status.push("elapsed", 1);
    status.push("credit_count", u32::from(code == 0));
    status.push("notice", Value::Null);
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn coins_are_answered_by_id() {
        let feed = Feed::with_clock(5, || 1_718_366_400);
        let (status, body) =
            answer(&feed, &query(&[("id", "1,4979"), ("convert", "USD")])).unwrap();
        assert_eq!(status, StatusCode::OK);
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["status"]["error_code"], 0);
        assert_eq!(v["data"]["1"]["symbol"], "BTC");
        assert_eq!(
            v["data"]["4979"]["quote"]["USD"]["price"].as_f64(),
            Some(feed.price("PEG").unwrap())
        );
        let (status, body) = answer(&feed, &query(&[("id", "1,999999")])).unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("999999"), "{body}");
        let (status, body) = answer(
            &feed,
            &query(&[("id", "1,999999"), ("skip_invalid", "true")]),
        )
        .unwrap();
        assert_eq!(status, StatusCode::OK);
        assert!(!body.contains("999999"));
    }
}
