//! CoinGecko's `GET /api/v3/simple/price`: PEG and every crypto by coin id, and fiat and
//! metals as cross rates.
//!
//! One request asks for every coin PegNet prices (`ids=`, the ids of
//! `pegnet_common::market`, as PegNet's own CoinGecko source) in USD and in each
//! `vs_currencies` code that is also a PegNet fiat or metal asset, with `precision=full`:
//! `{"bitcoin":{"usd":60012.3,"eur":55567.9,…},"pegnet":{"usd":0.0005,…},…}`. A coin's
//! `usd` is its price; a currency's USD price is bitcoin's USD price over bitcoin's price in
//! that currency (`usd / eur` above), which gives CoinGecko's own exchange rate and a
//! second source for the metals and most fiat. Full precision keeps that ratio from
//! inheriting the default 8-significant-digit rounding.
//!
//! Errors come as `{"status":{"error_code":…,"error_message":…}}` (429, 401 for a bad key,
//! 5xx) or `{"error":"Missing parameter ids"}` (422).

use pegnet_common::market::{self, AssetClass};
use reqwest::{Client, RequestBuilder};
use serde_json::Value;

use super::config::Endpoint;
use super::http::{self, Adapter, Reply};
use super::source::Quotes;
use super::{ErrorKind, Source};

/// How the oracle talks to CoinGecko.
pub(crate) const ADAPTER: Adapter = Adapter {
    request,
    parse,
    max_body_bytes: http::MAX_BODY_BYTES,
};

/// The coin whose prices in other currencies give the cross rates.
const CROSS_COIN: &str = "bitcoin";

/// CoinGecko's `vs_currencies` that are PegNet fiat or metal assets (FX codes, upper case;
/// the API wants them lower case). CoinGecko has none of RWF, KES, UGX, TZS, BIF, ETB,
/// XPD, XPT.
const VS_CURRENCIES: [&str; 27] = [
    "USD", "AED", "ARS", "AUD", "BRL", "CAD", "CHF", "CNY", "EUR", "GBP", "HKD", "INR", "JPY",
    "KRW", "MXN", "NGN", "NOK", "NZD", "PHP", "RUB", "SEK", "SGD", "TRY", "TWD", "ZAR", "XAG",
    "XAU",
];

/// Whether CoinGecko quotes prices in the FX code `code`.
pub(crate) fn is_vs_currency(code: &str) -> bool {
    VS_CURRENCIES.contains(&code)
}

fn request(client: &Client, endpoint: &Endpoint) -> RequestBuilder {
    let url = http::with_path(&endpoint.base, &["api", "v3", "simple", "price"]);
    let mut ids: Vec<&str> = Source::CoinGecko
        .assets()
        .filter_map(market::coingecko_id)
        .collect();
    ids.dedup(); // PEG and PNT, adjacent in the table, share `pegnet`.
    let vs = VS_CURRENCIES.map(str::to_lowercase).join(",");
    let mut request = client.get(url).query(&[
        ("ids", ids.join(",").as_str()),
        ("vs_currencies", vs.as_str()),
        ("precision", "full"),
    ]);
    if let Some(key) = &endpoint.key {
        let pro = endpoint
            .base
            .host_str()
            .is_some_and(|h| h.starts_with("pro-api."));
        let header = if pro {
            "x-cg-pro-api-key"
        } else {
            "x-cg-demo-api-key"
        };
        request = request.header(header, key.as_str());
    }
    request
}

fn parse(reply: &Reply) -> Result<Quotes, ErrorKind> {
    let value = http::json(&reply.body);
    let detail = value.as_ref().ok().and_then(error_message);
    if let Some(refused) = http::refusal(reply, detail) {
        return Err(refused);
    }
    let value = value?;
    let Some(coins) = value.as_object() else {
        return Err(ErrorKind::Malformed {
            detail: "the answer is not a JSON object".to_owned(),
        });
    };
    let price_in = |id: &str, code: &str| {
        coins
            .get(id)
            .and_then(|coin| coin.get(code.to_lowercase()))
            .and_then(Value::as_f64)
    };
    let cross_usd = price_in(CROSS_COIN, "usd");
    let mut quotes = Quotes::new();
    for asset in Source::CoinGecko.assets() {
        let Some(m) = market::market_name(asset) else {
            continue;
        };
        let usd = match (m.class, m.coingecko_id, m.fx_code) {
            (AssetClass::Peg | AssetClass::Crypto, Some(id), _) => price_in(id, "usd"),
            (AssetClass::Fiat | AssetClass::Metal, _, Some(code)) => cross_usd
                .zip(price_in(CROSS_COIN, code))
                .map(|(u, c)| u / c),
            _ => None,
        };
        if let Some(usd) = usd {
            quotes.insert(asset, usd);
        }
    }
    Ok(quotes)
}

/// The message of either error shape.
fn error_message(value: &Value) -> Option<String> {
    let message = value
        .pointer("/status/error_message")
        .or_else(|| value.get("error"))?;
    message.as_str().map(http::short)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::price::http::recorded as reply;

    #[test]
    fn coins_are_priced_and_currencies_crossed() {
        let body = r#"{"bitcoin":{"usd":60000,"eur":50000,"xau":25,"usd_24h_vol":1},
                       "pegnet":{"usd":0.0005},"dogecoin":{"usd":0.1}}"#;
        let q = parse(&reply(200, body)).unwrap();
        assert_eq!(q["XBT"], 60000.0);
        assert_eq!(q["PEG"], 0.0005);
        assert_eq!(q["DOGE"], 0.1);
        assert_eq!(q["EUR"], 1.2);
        assert_eq!(q["XAU"], 2400.0);
        assert_eq!(q["USD"], 1.0);
        // Not in the answer: left out, for the oracle to report as missing.
        assert!(!q.contains_key("ETH") && !q.contains_key("GBP"));
    }

    #[test]
    fn errors_keep_coingeckos_message() {
        let limited =
            r#"{"status":{"error_code":429,"error_message":"You've exceeded the Rate Limit."}}"#;
        assert!(matches!(
            parse(&reply(429, limited)),
            Err(ErrorKind::RateLimited { status: 429, .. })
        ));
        let key = r#"{"status":{"error_code":10002,"error_message":"API Key Missing"}}"#;
        assert_eq!(
            parse(&reply(401, key)),
            Err(ErrorKind::Unauthorized {
                status: 401,
                detail: Some("API Key Missing".to_owned())
            })
        );
        assert_eq!(
            parse(&reply(422, r#"{"error":"Missing parameter ids"}"#)),
            Err(ErrorKind::Status {
                status: 422,
                detail: Some("Missing parameter ids".to_owned())
            })
        );
        assert!(matches!(
            parse(&reply(200, r#"{"bitcoin":{"usd":6"#)),
            Err(ErrorKind::Malformed { .. })
        ));
        assert!(matches!(
            parse(&reply(200, "[1]")),
            Err(ErrorKind::Malformed { .. })
        ));
    }

    #[test]
    fn every_currency_asked_for_is_a_pegnet_asset() {
        for code in VS_CURRENCIES {
            assert!(market::asset_for_fx_code(code).is_some(), "{code}");
        }
    }
}
