//! The European Central Bank's daily euro reference rates,
//! `GET /stats/eurofxref/eurofxref-daily.xml` (no key, no parameters).
//!
//! The document has the real one's layout (a `gesmes:Envelope` with the ECB's namespaces,
//! tabs, single-quoted attributes, `<Cube time='YYYY-MM-DD'>` holding one
//! `<Cube currency='USD' rate='1.0714'/>` per currency), with the rates in units per euro
//! rounded to 5 significant digits as the ECB prints them, the day from the feed's clock.
//! The real list has 30 currencies; here only those the walk prices are given, in the real
//! list's order: USD and the 18 PegNet currencies the ECB publishes (not RUB, suspended
//! since 2022).
//!
//! The file is static behind a CDN, so failures are HTML pages with a status: 503 (failing),
//! 429 with `Retry-After` (rate-limited), 403 (unauthorized: the CDN refusing the client).
//! Malformed mode cuts the document in half.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::date::iso_date;
use super::json::round_significant;
use super::{Feed, Mode, Source, WalkError};

/// The `Retry-After` seconds sent with a 429.
pub const RETRY_AFTER_SECS: u64 = 300;

/// The currencies served, in the order of the real file: USD first, then the PegNet
/// currencies among the ECB's.
pub const CURRENCIES: [&str; 19] = [
    "USD", "JPY", "GBP", "SEK", "CHF", "NOK", "TRY", "AUD", "BRL", "CAD", "CNY", "HKD", "INR",
    "KRW", "MXN", "NZD", "PHP", "SGD", "ZAR",
];

/// The handler of `/stats/eurofxref/eurofxref-daily.xml`.
pub(super) async fn daily(State(feed): State<Arc<Feed>>) -> Response {
    let mode = feed.admit(Source::Ecb).await;
    match mode {
        Mode::Failing => html(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"),
        Mode::RateLimited => {
            let mut response = html(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(RETRY_AFTER_SECS),
            );
            response
        }
        Mode::Unauthorized => html(StatusCode::FORBIDDEN, "Forbidden"),
        Mode::Normal | Mode::Slow { .. } | Mode::Malformed => match document(&feed) {
            Ok(mut xml) => {
                if mode == Mode::Malformed {
                    xml.truncate(xml.len() / 2);
                }
                (StatusCode::OK, [(header::CONTENT_TYPE, "text/xml")], xml).into_response()
            }
            Err(error) => {
                tracing::error!(%error, "ecb: no price");
                html(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
            }
        },
    }
}

/// The daily file at the feed's step. Only ASCII, so any cut is a char boundary.
fn document(feed: &Feed) -> Result<String, WalkError> {
    let step = feed.step();
    let eur = feed.walk().price("EUR", step)?;
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <gesmes:Envelope xmlns:gesmes=\"http://www.gesmes.org/xml/2002-08-01\" \
         xmlns=\"http://www.ecb.int/vocabulary/2002-08-01/eurofxref\">\n\
         \t<gesmes:subject>Reference rates</gesmes:subject>\n\
         \t<gesmes:Sender>\n\t\t<gesmes:name>European Central Bank</gesmes:name>\n\
         \t</gesmes:Sender>\n\t<Cube>\n",
    );
    xml.push_str(&format!(
        "\t\t<Cube time='{}'>\n",
        iso_date(feed.now_unix())
    ));
    for code in CURRENCIES {
        let per_euro = eur / feed.walk().price(code, step)?;
        let rate = round_significant(per_euro, 5);
        xml.push_str(&format!("\t\t\t<Cube currency='{code}' rate='{rate}'/>\n"));
    }
    xml.push_str("\t\t</Cube>\n\t</Cube>\n</gesmes:Envelope>\n");
    Ok(xml)
}

fn html(status: StatusCode, title: &str) -> Response {
    let code = status.as_u16();
    let body = format!(
        "<html><head><title>{code} {title}</title></head><body><h1>{title}</h1></body></html>\n"
    );
    (status, [(header::CONTENT_TYPE, "text/html")], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_has_the_ecbs_layout() {
        let feed = Feed::with_clock(3, || 1_718_366_400);
        let xml = document(&feed).unwrap();
        assert!(xml.contains("<Cube time='2024-06-14'>"), "{xml}");
        let usd = round_significant(feed.price("EUR").unwrap(), 5);
        assert!(
            xml.contains(&format!("<Cube currency='USD' rate='{usd}'/>")),
            "{xml}"
        );
        assert_eq!(xml.matches("<Cube currency=").count(), 19);
        assert!(!xml.contains("RUB") && !xml.contains("EUR'"));
    }
}
