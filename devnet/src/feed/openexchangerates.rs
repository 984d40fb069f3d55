//! OpenExchangeRates' `GET /api/latest.json`, free plan.
//!
//! `?app_id=KEY[&base=USD][&symbols=EUR,GBP][&show_alternative=1]` (or the key as
//! `Authorization: Token KEY`) answers
//! `{"disclaimer":…,"license":…,"timestamp":…,"base":"USD","rates":{"AED":3.672538,…}}`.
//! Rates are units per US dollar, the inverse of the walk's USD prices, sorted by code, for
//! every PegNet fiat currency, the four metals and `BTC` (PegNet's `XBT`), like the real
//! API's standard set; `symbols` narrows them. Rates have 6 decimals, or 6 significant
//! digits below 0.1 (`BTC`, `XAU`). `timestamp` is the feed's clock. Any key is accepted
//! unless the source is switched to unauthorized; `show_alternative` and `prettyprint` are
//! accepted and ignored.
//!
//! Errors use the API's one error shape
//! `{"error":true,"status":N,"message":"…","description":"…"}`: no key is 401
//! `missing_app_id`; unauthorized mode is 401 `invalid_app_id`; any base but USD is 403
//! `not_allowed` (free plan); rate limiting is 429 `access_restricted`.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pegnet_common::market::{self, AssetClass};
use serde::Serialize;

use super::json::{Ordered, number, round_decimals, round_significant, to_text};
use super::{Feed, Mode, Source, WalkError, json_response, normal_or_malformed};

/// The `disclaimer` of every answer.
pub const DISCLAIMER: &str = "Usage subject to terms: https://openexchangerates.org/terms";

/// The `license` of every answer.
pub const LICENSE: &str = "https://openexchangerates.org/license";

/// The `Retry-After` seconds sent with a 429.
pub const RETRY_AFTER_SECS: u64 = 3600;

const MISSING_APP_ID: &str = "No App ID provided. Please sign up at https://openexchangerates.org/signup, or contact support@openexchangerates.org.";
const INVALID_APP_ID: &str = "Invalid App ID provided - please sign up at https://openexchangerates.org/signup, or contact support@openexchangerates.org.";
const NOT_ALLOWED_BASE: &str = "Changing the API `base` currency is available for Developer, Enterprise and Unlimited plan clients. Please upgrade, or contact support@openexchangerates.org with any questions.";
const ACCESS_RESTRICTED: &str = "Access restricted for repeated over-use (status: 429). If you feel this is in error, please contact support@openexchangerates.org.";
const UNAVAILABLE: &str = "The service is temporarily unavailable. Please try again later, or contact support@openexchangerates.org.";

/// The handler of `/api/latest.json`.
pub(super) async fn latest(
    State(feed): State<Arc<Feed>>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let mode = feed.admit(Source::OpenExchangeRates).await;
    match mode {
        Mode::Failing => {
            let (status, body) = error(503, "service_unavailable", UNAVAILABLE);
            json_response(status, body)
        }
        Mode::RateLimited => {
            let (status, body) = error(429, "access_restricted", ACCESS_RESTRICTED);
            let headers = [
                (
                    header::CONTENT_TYPE,
                    "application/json; charset=utf-8".to_owned(),
                ),
                (header::RETRY_AFTER, RETRY_AFTER_SECS.to_string()),
            ];
            (status, headers, body).into_response()
        }
        Mode::Unauthorized => {
            let (status, body) = error(401, "invalid_app_id", INVALID_APP_ID);
            json_response(status, body)
        }
        Mode::Normal | Mode::Slow { .. } | Mode::Malformed => {
            let query = query.map(|Query(q)| q).unwrap_or_default();
            match answer(&feed, &headers, &query) {
                Ok((status, body)) => normal_or_malformed(mode, status, body),
                Err(error_) => {
                    tracing::error!(error = %error_, "openexchangerates: no price");
                    let (status, body) = error(503, "service_unavailable", UNAVAILABLE);
                    json_response(status, body)
                }
            }
        }
    }
}

/// The status and body of a well-behaved answer.
fn answer(
    feed: &Feed,
    headers: &HeaderMap,
    query: &[(String, String)],
) -> Result<(StatusCode, String), WalkError> {
    if param(query, "app_id").is_none() && token(headers).is_none() {
        return Ok(error(401, "missing_app_id", MISSING_APP_ID));
    }
    if param(query, "base").is_some_and(|base| !base.trim().eq_ignore_ascii_case("USD")) {
        return Ok(error(403, "not_allowed", NOT_ALLOWED_BASE));
    }
    let symbols: Option<Vec<String>> = param(query, "symbols").map(|s| {
        s.split(',')
            .map(|code| code.trim().to_uppercase())
            .collect()
    });
    let step = feed.step();
    let mut rates: Vec<(&str, f64)> = Vec::new();
    for (asset, code) in quoted() {
        if symbols
            .as_ref()
            .is_some_and(|wanted| !wanted.iter().any(|w| w == code))
        {
            continue;
        }
        rates.push((code, 1.0 / feed.walk().price(asset, step)?));
    }
    rates.sort_by(|a, b| a.0.cmp(b.0));
    let mut body_rates: Ordered = Ordered::default();
    for (code, rate) in rates {
        body_rates.push(code, number(round_rate(rate)));
    }
    let body = Latest {
        disclaimer: DISCLAIMER,
        license: LICENSE,
        timestamp: feed.now_unix(),
        base: "USD",
        rates: body_rates,
    };
    Ok((StatusCode::OK, to_text(&body)))
}

/// A successful answer, fields in the API's order.
#[derive(Serialize)]
struct Latest {
    disclaimer: &'static str,
    license: &'static str,
    timestamp: u64,
    base: &'static str,
    rates: Ordered,
}

/// The PegNet assets this API quotes, with their codes: fiat, metals and BTC.
pub fn quoted() -> impl Iterator<Item = (&'static str, &'static str)> {
    market::MARKET_NAMES.iter().filter_map(|m| {
        let quoted = matches!(m.class, AssetClass::Fiat | AssetClass::Metal) || m.asset == "XBT";
        quoted
            .then_some(m.fx_code.map(|code| (m.asset, code)))
            .flatten()
    })
}

/// A rate as the API prints it: 6 decimals, or 6 significant digits below 0.1.
fn round_rate(rate: f64) -> f64 {
    if rate >= 0.1 {
        round_decimals(rate, 6)
    } else {
        round_significant(rate, 6)
    }
}

/// The key from `Authorization: Token KEY`, the API's header alternative to `app_id`.
fn token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Token ")
        .map(str::trim)
        .filter(|key| !key.is_empty())
}

fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
        .filter(|value| !value.trim().is_empty())
}

/// The API's error shape.
fn error(status: u16, message: &str, description: &str) -> (StatusCode, String) {
    let mut body: Ordered = Ordered::default();
    body.push("error", true);
    body.push("status", status);
    body.push("message", message);
    body.push("description", description);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, to_text(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_fiat_metals_and_btc() {
        let codes: Vec<&str> = quoted().map(|(_, code)| code).collect();
        assert_eq!(codes.len(), 31 + 4 + 1);
        assert!(codes.contains(&"BTC") && codes.contains(&"XPT") && codes.contains(&"NGN"));
        assert!(!codes.contains(&"ETH") && !codes.contains(&"PEG"));
    }

    #[test]
    fn rates_keep_their_digits() {
        assert_eq!(round_rate(3.67253812), 3.672538);
        assert_eq!(round_rate(1.0 / 60000.0), 0.0000166667);
    }
}
