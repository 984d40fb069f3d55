//! CoinPaprika's free `GET /v1/tickers?quotes=USD` on `https://api.coinpaprika.com`: no key,
//! the cryptos whose CoinPaprika id is in `pegnet_common::market`.
//!
//! One request answers for every coin CoinPaprika tracks as active; the per-coin
//! `/v1/tickers/{coin_id}` would take one request per asset (about 25 a poll), and the free
//! plan allows 20 000 calls a month: one call a block is about 4 300, one per asset over
//! 100 000. The price is that the answer is large (a few MB: every active coin), so this
//! source reads up to [`http::MAX_LIST_BODY_BYTES`] and keeps only the id and USD price of
//! each coin while parsing.
//!
//! Answer: `[{"id":"btc-bitcoin","name":"Bitcoin","symbol":"BTC","rank":1,…,
//! "last_updated":"…","quotes":{"USD":{"price":60012.3,"volume_24h":…,…}}},…]`. Coins are
//! matched by `id`, never by `symbol` (symbols collide: many tokens are `BTC` or `HT`). A
//! coin without a USD price is left out (reported as missing, the next source is used); a
//! price that is not a number is kept as NaN and a non-positive one as it is, for the
//! oracle to refuse by name.
//!
//! Coverage: every PegNet crypto but FCT (its id `fct-factom` is listed inactive, so it has
//! no ticker), not PEG (no CoinPaprika id for PegNet could be confirmed). HT (Huobi Token,
//! `ht-huobi-token`) was renamed HTX in 2023; whether CoinPaprika still answers that id
//! could not be confirmed, and an answer without it is reported as a missing asset.
//!
//! Errors are `{"error":"…"}` with the HTTP status: 429 when the shared free-tier rate
//! limit is hit, 402 (reported by CoinPaprika's own CLI) when the monthly free quota is
//! used up or the endpoint needs a paid plan; both are treated as rate limiting and not
//! retried. The exact error texts could not be confirmed from CoinPaprika's reference.

use pegnet_common::market;
use reqwest::{Client, RequestBuilder};
use serde::Deserialize;
use serde_json::Value;

use super::config::Endpoint;
use super::http::{self, Adapter, Reply};
use super::source::Quotes;
use super::{ErrorKind, Source};

/// How the oracle talks to CoinPaprika.
pub(crate) const ADAPTER: Adapter = Adapter {
    request,
    parse,
    max_body_bytes: http::MAX_LIST_BODY_BYTES,
};

fn request(client: &Client, endpoint: &Endpoint) -> RequestBuilder {
    let url = http::with_path(&endpoint.base, &["v1", "tickers"]);
    client.get(url).query(&[("quotes", "USD")])
}

/// One element of the answer, only what is read.
#[derive(Deserialize)]
struct Ticker {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    quotes: Option<TickerQuotes>,
}

#[derive(Deserialize)]
struct TickerQuotes {
    #[serde(rename = "USD", default)]
    usd: Option<UsdQuote>,
}

#[derive(Deserialize)]
struct UsdQuote {
    #[serde(default)]
    price: Option<Value>,
}

fn parse(reply: &Reply) -> Result<Quotes, ErrorKind> {
    if !(200..=299).contains(&reply.status) {
        let detail = error_message(&reply.body);
        if reply.status == 402 {
            return Err(ErrorKind::RateLimited {
                status: 402,
                retry_after_secs: reply.retry_after_secs,
            });
        }
        if let Some(refused) = http::refusal(reply, detail) {
            return Err(refused);
        }
    }
    let tickers: Vec<Ticker> = match serde_json::from_slice(&reply.body) {
        Ok(tickers) => tickers,
        Err(e) => {
            return Err(match error_message(&reply.body) {
                Some(detail) => ErrorKind::Api { detail },
                None => ErrorKind::Malformed {
                    detail: format!("not a list of tickers: {e}"),
                },
            });
        }
    };
    Ok(Source::CoinPaprika
        .assets()
        .filter_map(|asset| {
            let id = market::coinpaprika_id(asset)?;
            let ticker = tickers.iter().find(|t| t.id.as_deref() == Some(id))?;
            let price = ticker.quotes.as_ref()?.usd.as_ref()?.price.as_ref()?;
            let price = match price {
                Value::Null => return None,
                other => other.as_f64().unwrap_or(f64::NAN),
            };
            Some((asset, price))
        })
        .collect())
}

/// The `error` text of an error body.
fn error_message(body: &[u8]) -> Option<String> {
    let value = http::json(body).ok()?;
    let message = value.get("error")?.as_str()?;
    Some(http::short(message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::price::http::recorded as reply;

    /// An excerpt of a `/v1/tickers?quotes=USD` answer in its layout; the second `HT` is
    /// another token with the same symbol, which must not be read for PegNet's HT.
    const ANSWER: &str = r#"[
        {"id":"btc-bitcoin","name":"Bitcoin","symbol":"BTC","rank":1,"circulating_supply":19700000,
         "total_supply":19700000,"max_supply":21000000,"beta_value":0.87,
         "first_data_at":"2010-07-17T00:00:00Z","last_updated":"2024-06-14T12:00:00Z",
         "quotes":{"USD":{"price":65536.0,"volume_24h":2.1e10,"volume_24h_change_24h":-4.1,
                          "market_cap":1.29e12,"percent_change_24h":0.5,"ath_price":73750.07,
                          "ath_date":"2024-03-14T07:10:00Z","percent_from_price_ath":-11.1}}},
        {"id":"ht-fake-heco-token","name":"Fake","symbol":"HT","rank":9000,
         "quotes":{"USD":{"price":1000.0}}},
        {"id":"ht-huobi-token","name":"Huobi Token","symbol":"HT","rank":400,
         "quotes":{"USD":{"price":0.5}}},
        {"id":"dgb-digibyte","name":"DigiByte","symbol":"DGB","rank":300,
         "quotes":{"USD":{"price":0.0}}},
        {"id":"rvn-ravencoin","name":"Ravencoin","symbol":"RVN","rank":200,
         "quotes":{"USD":{"price":null}}},
        {"id":"xmr-monero","name":"Monero","symbol":"XMR","rank":30,
         "quotes":{"USD":{"price":"n/a"}}},
        {"id":"neo-neo","name":"Neo","symbol":"NEO","rank":80,"quotes":{}},
        {"id":"fct-factom","name":"Factom","symbol":"FCT","rank":0,
         "quotes":{"USD":{"price":0.05}}}
    ]"#;

    #[test]
    fn coins_are_read_by_id() {
        let q = parse(&reply(200, ANSWER)).unwrap();
        assert_eq!(q["XBT"], 65536.0);
        assert_eq!(q["HT"], 0.5);
        // A non-positive or non-numeric price is kept for the oracle to refuse by name.
        assert_eq!(q["DGB"], 0.0);
        assert!(q["XMR"].is_nan());
        // No USD price, or no quote at all: left out, reported as missing.
        assert!(!q.contains_key("RVN") && !q.contains_key("NEO"));
        // Not in the answer, or not a CoinPaprika asset here.
        assert!(!q.contains_key("ETH") && !q.contains_key("FCT") && !q.contains_key("PEG"));
    }

    #[test]
    fn errors_keep_coinpaprikas_message() {
        let limited = reply(429, r#"{"error":"Too many requests"}"#);
        assert_eq!(
            parse(&limited),
            Err(ErrorKind::RateLimited {
                status: 429,
                retry_after_secs: None
            })
        );
        assert!(matches!(
            parse(&reply(402, r#"{"error":"Payment Required"}"#)),
            Err(ErrorKind::RateLimited { status: 402, .. })
        ));
        assert_eq!(
            parse(&reply(400, r#"{"error":"invalid quotes"}"#)),
            Err(ErrorKind::Status {
                status: 400,
                detail: Some("invalid quotes".to_owned())
            })
        );
        assert!(matches!(
            parse(&reply(403, r#"{"error":"forbidden"}"#)),
            Err(ErrorKind::Unauthorized { status: 403, .. })
        ));
        assert!(matches!(
            parse(&reply(502, "<html>Bad gateway</html>")),
            Err(ErrorKind::Status {
                status: 502,
                detail: None
            })
        ));
        assert_eq!(
            parse(&reply(200, r#"{"error":"id not found"}"#)),
            Err(ErrorKind::Api {
                detail: "id not found".to_owned()
            })
        );
        assert!(matches!(
            parse(&reply(200, &ANSWER[..120])),
            Err(ErrorKind::Malformed { .. })
        ));
        assert!(matches!(
            parse(&reply(200, r#"{"data":[]}"#)),
            Err(ErrorKind::Malformed { .. })
        ));
    }

    #[test]
    fn one_request_for_every_coin() {
        let endpoint = Endpoint {
            base: reqwest::Url::parse("https://api.coinpaprika.com").unwrap(),
            key: None,
        };
        let client = http::client(std::time::Duration::from_secs(1)).unwrap();
        let built = request(&client, &endpoint).build().unwrap();
        assert_eq!(
            built.url().as_str(),
            "https://api.coinpaprika.com/v1/tickers?quotes=USD"
        );
    }
}
