//! The European Central Bank's euro foreign exchange reference rates:
//! `GET /stats/eurofxref/eurofxref-daily.xml` on `https://www.ecb.europa.eu`, no key.
//!
//! The answer is one small XML document, published once a working day around 16:00 CET:
//!
//! ```xml
//! <gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
//!                  xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
//!   <gesmes:subject>Reference rates</gesmes:subject>
//!   <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
//!   <Cube><Cube time='2024-06-14'>
//!     <Cube currency='USD' rate='1.0714'/><Cube currency='JPY' rate='168.16'/>…
//!   </Cube></Cube>
//! </gesmes:Envelope>
//! ```
//!
//! Rates are units per euro. The USD price of the euro is the USD rate itself, and of any
//! other listed currency `X` the USD rate over `X`'s (USD per euro ÷ X per euro), so the
//! source fails as a whole when the USD rate is missing. The list has about 30 currencies;
//! of PegNet's it has EUR and the 18 in [`QUOTED`]. RUB has been suspended since March 2022;
//! AED, ARS, TWD and the African currencies were never in it.
//!
//! Errors: the file is static, served by a CDN, so failures are plain HTTP statuses with an
//! HTML body (404, 429, 5xx); there is no error document. An XML syntax error, a document
//! that ends inside an element, or a rate that is not a number is a malformed answer.

use pegnet_common::market;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use reqwest::{Client, RequestBuilder};

use super::config::Endpoint;
use super::http::{self, Adapter, Reply};
use super::source::Quotes;
use super::{ErrorKind, Source};

/// How the oracle talks to the ECB.
pub(crate) const ADAPTER: Adapter = Adapter {
    request,
    parse,
    max_body_bytes: http::MAX_BODY_BYTES,
};

/// The PegNet currencies in the ECB's list besides the euro (the list as of 2024, without
/// the currencies PegNet does not price).
const QUOTED: [&str; 18] = [
    "JPY", "GBP", "SEK", "CHF", "NOK", "TRY", "AUD", "BRL", "CAD", "CNY", "HKD", "INR", "KRW",
    "MXN", "NZD", "PHP", "SGD", "ZAR",
];

/// Whether the ECB's daily file gives the USD price of the currency `code`.
pub(crate) fn is_quoted(code: &str) -> bool {
    code == "EUR" || QUOTED.contains(&code)
}

fn request(client: &Client, endpoint: &Endpoint) -> RequestBuilder {
    let url = http::with_path(
        &endpoint.base,
        &["stats", "eurofxref", "eurofxref-daily.xml"],
    );
    client.get(url)
}

fn parse(reply: &Reply) -> Result<Quotes, ErrorKind> {
    if let Some(refused) = http::refusal(reply, None) {
        return Err(refused);
    }
    let rates = euro_rates(&reply.body)?;
    let rate_of = |code: &str| rates.iter().find(|(c, _)| c == code).map(|(_, r)| *r);
    let Some(usd_per_euro) = rate_of("USD") else {
        return Err(ErrorKind::Malformed {
            detail: "no USD rate, so nothing can be crossed to USD".to_owned(),
        });
    };
    let mut quotes = Quotes::new();
    for asset in Source::Ecb.assets() {
        let Some(code) = market::fx_code(asset) else {
            continue;
        };
        let usd = if code == "EUR" {
            Some(usd_per_euro)
        } else {
            rate_of(code).map(|per_euro| usd_per_euro / per_euro)
        };
        if let Some(usd) = usd {
            quotes.insert(asset, usd);
        }
    }
    Ok(quotes)
}

/// Every `<Cube currency='…' rate='…'/>` of the document, in document order.
fn euro_rates(body: &[u8]) -> Result<Vec<(String, f64)>, ErrorKind> {
    let malformed = |detail: String| ErrorKind::Malformed { detail };
    let text = std::str::from_utf8(body).map_err(|e| malformed(format!("not UTF-8: {e}")))?;
    let mut reader = Reader::from_str(text);
    let mut depth = 0usize;
    let mut rates = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed(format!("XML: {e}")))?;
        match event {
            Event::Start(e) => {
                depth += 1;
                rates.extend(cube_rate(&e)?);
            }
            Event::Empty(e) => rates.extend(cube_rate(&e)?),
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof if depth > 0 => {
                return Err(malformed("the document ends inside an element".to_owned()));
            }
            Event::Eof => return Ok(rates),
            _ => {}
        }
    }
}

/// The currency and rate of a `Cube` element that has both.
fn cube_rate(e: &BytesStart<'_>) -> Result<Option<(String, f64)>, ErrorKind> {
    if e.local_name().as_ref() != "Cube" {
        return Ok(None);
    }
    let attribute = |name: &str| -> Result<Option<String>, ErrorKind> {
        let found = e
            .try_get_attribute(name)
            .map_err(|err| ErrorKind::Malformed {
                detail: format!("Cube attributes: {err}"),
            })?;
        Ok(found.map(|a| a.value.into_owned()))
    };
    let (Some(currency), Some(rate)) = (attribute("currency")?, attribute("rate")?) else {
        return Ok(None);
    };
    let value = rate
        .trim()
        .parse::<f64>()
        .map_err(|_| ErrorKind::Malformed {
            detail: format!(
                "rate {:?} of {} is not a number",
                http::short(&rate),
                http::short(&currency)
            ),
        })?;
    Ok(Some((currency, value)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::price::http::recorded as reply;

    /// The daily file as the ECB lays it out (tabs, single quotes), shortened to five rates.
    const DAILY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
	<gesmes:subject>Reference rates</gesmes:subject>
	<gesmes:Sender>
		<gesmes:name>European Central Bank</gesmes:name>
	</gesmes:Sender>
	<Cube>
		<Cube time='2024-06-14'>
			<Cube currency='USD' rate='1.0714'/>
			<Cube currency='JPY' rate='168.16'/>
			<Cube currency='BGN' rate='1.9558'/>
			<Cube currency='GBP' rate='0.84495'/>
			<Cube currency='ZAR' rate='19.6545'/>
		</Cube>
	</Cube>
</gesmes:Envelope>"#;

    #[test]
    fn rates_are_crossed_through_the_euro() {
        let q = parse(&reply(200, DAILY)).unwrap();
        assert_eq!(q["EUR"], 1.0714);
        assert_eq!(q["JPY"], 1.0714 / 168.16);
        assert_eq!(q["GBP"], 1.0714 / 0.84495);
        assert!(q.contains_key("ZAR"));
        // Listed by the ECB but not a PegNet asset; a PegNet currency the file lacks.
        assert!(!q.contains_key("BGN") && !q.contains_key("CHF"));
        assert!(!q.contains_key("USD"));
    }

    #[test]
    fn failures_are_classified() {
        let html = "<html><body><h1>503 Service Unavailable</h1></body></html>";
        assert_eq!(
            parse(&reply(503, html)),
            Err(ErrorKind::Status {
                status: 503,
                detail: None
            })
        );
        assert!(matches!(
            parse(&reply(429, html)),
            Err(ErrorKind::RateLimited { status: 429, .. })
        ));
        // Cut in the middle, as a dropped connection leaves it.
        let cut = &DAILY[..DAILY.len() / 2];
        assert!(matches!(
            parse(&reply(200, cut)),
            Err(ErrorKind::Malformed { .. })
        ));
        let no_usd = DAILY.replace("currency='USD'", "currency='CHF'");
        let e = parse(&reply(200, &no_usd)).unwrap_err();
        assert!(e.to_string().contains("no USD rate"), "{e}");
        let bad = DAILY.replace("rate='168.16'", "rate='n/a'");
        let e = parse(&reply(200, &bad)).unwrap_err();
        assert!(e.to_string().contains("\"n/a\" of JPY"), "{e}");
        assert!(matches!(
            parse(&reply(200, "{\"rates\":{}}")),
            Err(ErrorKind::Malformed { .. })
        ));
    }

    #[test]
    fn every_quoted_code_is_a_pegnet_currency() {
        for code in QUOTED {
            assert!(market::asset_for_fx_code(code).is_some(), "{code}");
        }
    }
}
