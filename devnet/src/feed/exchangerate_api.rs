//! ExchangeRate-API's open access endpoint (`open.er-api.com`), `GET /v6/latest/{base}`.
//!
//! `/v6/latest/USD` answers `{"result":"success","provider":…,"documentation":…,
//! "terms_of_use":…,"time_last_update_unix":…,"time_last_update_utc":"Fri, 27 Mar 2020
//! 00:00:01 +0000","time_next_update_unix":…,"time_next_update_utc":…,"time_eol_unix":0,
//! "base_code":"USD","rates":{"USD":1,"AED":3.6725,…}}`: fiat only, like the real one, the
//! base first and then by code, 6 significant digits. The real data refreshes once a day,
//! so the update times are the start of the clock's UTC day (plus one second) and a day
//! later; the rates themselves follow the feed's step. No key is needed.
//!
//! Only `USD` is served as a base (case-insensitive): any other is HTTP 404
//! `{"result":"error","error-type":"unsupported-code"}`. Rate limiting is HTTP 429
//! `{"result":"error","error-type":"rate-limited"}`. The open endpoint has no key, so the
//! unauthorized mode answers what the keyed v6 API says of a bad key:
//! HTTP 403 `{"result":"error","error-type":"invalid-key"}`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use pegnet_common::market::{self, AssetClass};
use serde::Serialize;

use super::date::{SECS_PER_DAY, http_date};
use super::json::{Ordered, number, round_significant, to_text};
use super::{Feed, Mode, Source, WalkError, json_response, normal_or_malformed};

/// `provider` of every answer.
pub const PROVIDER: &str = "https://www.exchangerate-api.com";
/// `documentation` of every answer.
pub const DOCUMENTATION: &str = "https://www.exchangerate-api.com/docs/free";
/// `terms_of_use` of every answer.
pub const TERMS_OF_USE: &str = "https://www.exchangerate-api.com/terms";

/// The `Retry-After` seconds sent with a 429: the open endpoint's 20-minute lock-out.
pub const RETRY_AFTER_SECS: u64 = 1200;

const FAILING_BODY: &str = "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n";

/// The handler of `/v6/latest/{base}`.
pub(super) async fn latest(State(feed): State<Arc<Feed>>, Path(base): Path<String>) -> Response {
    let mode = feed.admit(Source::ExchangeRateApi).await;
    match mode {
        Mode::Failing => failing(),
        Mode::RateLimited => {
            let headers = [
                (header::CONTENT_TYPE, "application/json".to_owned()),
                (header::RETRY_AFTER, RETRY_AFTER_SECS.to_string()),
            ];
            (
                StatusCode::TOO_MANY_REQUESTS,
                headers,
                error_body("rate-limited"),
            )
                .into_response()
        }
        Mode::Unauthorized => json_response(StatusCode::FORBIDDEN, error_body("invalid-key")),
        Mode::Normal | Mode::Slow { .. } | Mode::Malformed => match answer(&feed, &base) {
            Ok((status, body)) => normal_or_malformed(mode, status, body),
            Err(error) => {
                tracing::error!(%error, "exchangerate-api: no price");
                failing()
            }
        },
    }
}

fn failing() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/html")],
        FAILING_BODY,
    )
        .into_response()
}

/// The status and body of a well-behaved answer for `base`.
fn answer(feed: &Feed, base: &str) -> Result<(StatusCode, String), WalkError> {
    if !base.eq_ignore_ascii_case("USD") {
        return Ok((StatusCode::NOT_FOUND, error_body("unsupported-code")));
    }
    let step = feed.step();
    let mut rates: Vec<(&str, f64)> = Vec::new();
    for m in market::MARKET_NAMES
        .iter()
        .filter(|m| m.class == AssetClass::Fiat)
    {
        if let Some(code) = m.fx_code {
            rates.push((code, 1.0 / feed.walk().price(m.asset, step)?));
        }
    }
    rates.sort_by(|a, b| (a.0 != "USD").cmp(&(b.0 != "USD")).then(a.0.cmp(b.0)));
    let mut body_rates: Ordered = Ordered::default();
    for (code, rate) in rates {
        body_rates.push(code, number(round_significant(rate, 6)));
    }
    let last = last_update(feed.now_unix());
    let next = last + SECS_PER_DAY;
    let body = Latest {
        result: "success",
        provider: PROVIDER,
        documentation: DOCUMENTATION,
        terms_of_use: TERMS_OF_USE,
        time_last_update_unix: last,
        time_last_update_utc: http_date(last),
        time_next_update_unix: next,
        time_next_update_utc: http_date(next),
        time_eol_unix: 0,
        base_code: "USD",
        rates: body_rates,
    };
    Ok((StatusCode::OK, to_text(&body)))
}

/// A successful answer, fields in the API's order.
#[derive(Serialize)]
struct Latest {
    result: &'static str,
    provider: &'static str,
    documentation: &'static str,
    terms_of_use: &'static str,
    time_last_update_unix: u64,
    time_last_update_utc: String,
    time_next_update_unix: u64,
    time_next_update_utc: String,
    time_eol_unix: u64,
    base_code: &'static str,
    rates: Ordered,
}

/// The API's error shape.
fn error_body(error_type: &str) -> String {
    let mut body: Ordered = Ordered::default();
    body.push("result", "error");
    body.push("error-type", error_type);
    to_text(&body)
}

/// The daily update at or before `now`: one second past midnight UTC.
fn last_update(now: u64) -> u64 {
    let today = now - now % SECS_PER_DAY + 1;
    if today <= now {
        today
    } else {
        today.saturating_sub(SECS_PER_DAY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_are_daily() {
        let midnight = 1_585_267_200;
        assert_eq!(last_update(midnight + 500), midnight + 1);
        assert_eq!(last_update(midnight + 1), midnight + 1);
        assert_eq!(last_update(midnight), midnight + 1 - SECS_PER_DAY);
    }
}
