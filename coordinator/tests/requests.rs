//! What the price adapters send, seen by a local server that records every request: each
//! API's real path and query parameters, and every key in a header, never in the URL (URLs
//! end up in proxy and server logs, and in error messages). The devnet's feed is lenient
//! about where keys are; this server is not, it only records.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use pegnet_coordinator::price::{Oracle, OracleSection};

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    query: String,
    headers: BTreeMap<String, String>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// Records the request and answers 503, so no adapter gets as far as parsing.
async fn record(State(log): State<Log>, request: Request) -> StatusCode {
    let headers = request
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    log.lock().unwrap().push(Seen {
        path: request.uri().path().to_owned(),
        query: request.uri().query().unwrap_or("").to_owned(),
        headers,
    });
    StatusCode::SERVICE_UNAVAILABLE
}

async fn recorder() -> (String, Log) {
    let log: Log = Arc::default();
    let app = Router::new().fallback(record).with_state(log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, log)
}

const CG_KEY: &str = "cg-demo-key-0001";
const OXR_KEY: &str = "oxr0app0id0002";
const ERA_KEY: &str = "era0key0005";
const CMC_KEY: &str = "cmc-pro-key-0003";
const APILAYER_KEY: &str = "apilayer0key0004";

#[tokio::test]
async fn keys_travel_in_headers_and_requests_are_the_apis() {
    let (url, log) = recorder().await;
    let section = OracleSection {
        coingecko_url: url.clone(),
        coingecko_key: CG_KEY.to_owned(),
        open_exchange_rates_url: url.clone(),
        open_exchange_rates_key: OXR_KEY.to_owned(),
        exchange_rate_api_url: url.clone(),
        exchange_rate_api_key: ERA_KEY.to_owned(),
        coinbase_url: url.clone(),
        ecb_url: url.clone(),
        coinpaprika_url: url.clone(),
        coinmarketcap_url: url.clone(),
        coinmarketcap_key: CMC_KEY.to_owned(),
        apilayer_url: url.clone(),
        apilayer_key: APILAYER_KEY.to_owned(),
        timeout_ms: 5000,
        cache_ttl_seconds: 0,
        retries: 0,
    };
    let sources: BTreeMap<String, i32> = [
        "FixedUSD",
        "CoinGecko",
        "OpenExchangeRates",
        "ExchangeRateApi",
        "Coinbase",
        "ECB",
        "CoinMarketCap",
        "APILayer",
        "CoinPaprika",
    ]
    .iter()
    .enumerate()
    .map(|(i, name)| ((*name).to_owned(), i32::try_from(i).unwrap()))
    .collect();
    let oracle = Oracle::new(&section, &sources, &BTreeMap::new()).unwrap();
    let missing = tokio::time::timeout(Duration::from_secs(60), oracle.prices(5))
        .await
        .unwrap()
        .unwrap_err();

    let message = missing.to_string();
    let seen = log.lock().unwrap().clone();
    assert_eq!(seen.len(), 8, "one request per web API: {seen:#?}");
    for key in [CG_KEY, OXR_KEY, ERA_KEY, CMC_KEY, APILAYER_KEY] {
        assert!(!message.contains(key), "{key} in the error: {message}");
        for s in &seen {
            assert!(
                !s.path.contains(key) && !s.query.contains(key),
                "{key} in the URL {}?{}",
                s.path,
                s.query
            );
        }
    }
    let find = |path: &str| {
        seen.iter()
            .find(|s| s.path == path)
            .unwrap_or_else(|| panic!("no request to {path}: {seen:#?}"))
    };
    let has =
        |s: &Seen, name: &str, value: &str| s.headers.get(name).map(String::as_str) == Some(value);

    let cg = find("/api/v3/simple/price");
    assert!(has(cg, "x-cg-demo-api-key", CG_KEY), "{cg:?}");
    assert!(
        cg.query.contains("bitcoin") && cg.query.contains("pegnet"),
        "{cg:?}"
    );
    assert!(cg.query.contains("vs_currencies=usd"), "{cg:?}");

    let oxr = find("/api/latest.json");
    assert!(
        has(oxr, "authorization", &format!("Token {OXR_KEY}")),
        "{oxr:?}"
    );
    assert!(!oxr.query.contains("app_id"), "{oxr:?}");

    let era = find("/v6/latest/USD");
    assert!(
        has(era, "authorization", &format!("Bearer {ERA_KEY}")),
        "{era:?}"
    );

    let coinbase = find("/v2/exchange-rates");
    assert_eq!(coinbase.query, "currency=USD");

    let ecb = find("/stats/eurofxref/eurofxref-daily.xml");
    assert_eq!(ecb.query, "");

    let cmc = find("/v1/cryptocurrency/quotes/latest");
    assert!(has(cmc, "x-cmc_pro_api_key", CMC_KEY), "{cmc:?}");
    let ids = cmc
        .query
        .split('&')
        .find_map(|p| p.strip_prefix("id="))
        .unwrap()
        .replace("%2C", ",");
    let ids: Vec<&str> = ids.split(',').collect();
    assert_eq!(ids.len(), 29, "PEG and the 28 other cryptos: {ids:?}");
    assert!(ids.contains(&"4979") && ids.contains(&"1") && ids.contains(&"109"));
    assert!(cmc.query.contains("convert=USD"), "{cmc:?}");

    let apilayer = find("/exchangerates_data/latest");
    assert!(has(apilayer, "apikey", APILAYER_KEY), "{apilayer:?}");
    assert_eq!(apilayer.query, "base=USD");

    // One request for every coin, not one per coin; CoinPaprika takes no key.
    let paprika = find("/v1/tickers");
    assert_eq!(paprika.query, "quotes=USD");
    assert!(seen.iter().all(|s| !s.path.starts_with("/v1/tickers/")));
}
