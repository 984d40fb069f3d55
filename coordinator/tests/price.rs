//! The price layer against the devnet's price feed over real HTTP: every OPR v5 asset
//! priced, priority and per-asset overrides respected, every failure mode of every source
//! reported with its kind while the next source takes over, missing assets named with the
//! sources tried, the cache honoured, and configuration errors naming their key.
//!
//! The feed's switches and request counters are driven through its HTTP control endpoints
//! (`POST /devnet/feed/{source}`, `GET /devnet/feed`), as an operator would.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use std::collections::BTreeMap;
use std::time::Duration;

use figment::Figment;
use figment::providers::{Format, Toml};
use pegnet_common::opr::ASSETS_V5;
use pegnet_coordinator::price::{
    ErrorKind, MissingPrices, Oracle, OracleSection, Origin, Prices, Rejection, Source,
    SourceError, default_data_sources,
};
use pegnet_devnet::{Devnet, DevnetConfig};
use serde::Deserialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// The process's metrics recorder, installed once; tests read what the price layer counted.
fn recorder() -> &'static metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder).unwrap();
        handle
    })
}

/// Longer than any poll can take; a test that reaches it has found a hang.
const GUARD: Duration = Duration::from_secs(60);

async fn devnet() -> Devnet {
    Devnet::start(
        &DevnetConfig::stepped_on_free_ports(),
        CancellationToken::new(),
    )
    .await
    .unwrap()
}

/// `[Oracle]` pointing every API at the devnet, without a cache.
fn section(devnet: &Devnet) -> OracleSection {
    OracleSection {
        coingecko_url: devnet.feed_url(),
        open_exchange_rates_url: devnet.feed_url(),
        open_exchange_rates_key: "devnet0app0id".to_owned(),
        exchange_rate_api_url: devnet.feed_url(),
        coinbase_url: devnet.feed_url(),
        ecb_url: devnet.feed_url(),
        coinpaprika_url: devnet.feed_url(),
        coinmarketcap_url: devnet.feed_url(),
        coinmarketcap_key: "devnet-cmc-key".to_owned(),
        apilayer_url: devnet.feed_url(),
        apilayer_key: "devnet0apilayer".to_owned(),
        timeout_ms: 10_000,
        cache_ttl_seconds: 0,
        retries: 2,
        ..OracleSection::default()
    }
}

fn priorities(pairs: &[(&str, i32)]) -> BTreeMap<String, i32> {
    pairs.iter().map(|(n, p)| ((*n).to_owned(), *p)).collect()
}

fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, l)| ((*a).to_owned(), (*l).to_owned()))
        .collect()
}

/// Every source on, in an order that gives every source a fallback somewhere.
fn all_four() -> BTreeMap<String, i32> {
    priorities(&[
        ("FixedUSD", 0),
        ("ExchangeRateApi", 1),
        ("OpenExchangeRates", 2),
        ("CoinGecko", 3),
    ])
}

async fn prices(oracle: &Oracle, version: u8) -> Result<Prices, MissingPrices> {
    tokio::time::timeout(GUARD, oracle.prices(version))
        .await
        .unwrap()
}

fn http() -> reqwest::Client {
    pegnet_coordinator::tls::install_crypto_provider();
    reqwest::Client::new()
}

/// Every source on, the new ones first.
fn all_eight() -> BTreeMap<String, i32> {
    priorities(&[
        ("FixedUSD", 0),
        ("Coinbase", 1),
        ("ECB", 2),
        ("CoinMarketCap", 3),
        ("APILayer", 4),
        ("ExchangeRateApi", 5),
        ("OpenExchangeRates", 6),
        ("CoinGecko", 7),
        ("CoinPaprika", 8),
    ])
}

/// Switches a feed source (`coingecko`, `openexchangerates`, `exchangerate-api`, `coinbase`,
/// `ecb`, `coinmarketcap`, `apilayer`, `coinpaprika`).
async fn switch(devnet: &Devnet, source: &str, mode: &str) {
    let url = format!("{}/devnet/feed/{source}", devnet.feed_url());
    let response = http().post(url).body(mode.to_owned()).send().await.unwrap();
    assert_eq!(response.status(), 200, "switching {source} to {mode}");
}

/// The number of price requests a feed source has received.
async fn requests(devnet: &Devnet, source: &str) -> u64 {
    let url = format!("{}/devnet/feed", devnet.feed_url());
    let status: Value = http().get(url).send().await.unwrap().json().await.unwrap();
    status["sources"][source]["requests"].as_u64().unwrap()
}

fn origin(prices: &Prices, asset: &str) -> Origin {
    prices.get(asset).unwrap().origin
}

#[tokio::test]
async fn every_v5_asset_is_priced_from_the_feed() {
    let devnet = devnet().await;
    let oracle = Oracle::new(&section(&devnet), &default_data_sources(), &BTreeMap::new()).unwrap();
    let prices = prices(&oracle, 5).await.unwrap();
    assert_eq!(prices.version, 5);
    let names: Vec<&str> = prices.assets.iter().map(|p| p.asset).collect();
    assert_eq!(names, ASSETS_V5);
    assert!(prices.failures.is_empty(), "{:?}", prices.failures);
    for p in &prices.assets {
        let want = devnet.feed().price(p.asset).unwrap() * 1e8;
        let got = p.price as f64;
        // The APIs round (6 significant digits for FX), and prices truncate to 1e-8 USD.
        assert!(
            (got - want).abs() <= want * 1e-3,
            "{}: {got} vs {want}",
            p.asset
        );
    }
    assert_eq!(prices.get("USD").unwrap().price, 100_000_000);
    let from = |asset| origin(&prices, asset);
    assert_eq!(from("USD"), Origin::Source(Source::FixedUsd));
    assert_eq!(from("EUR"), Origin::Source(Source::ExchangeRateApi));
    assert_eq!(from("RWF"), Origin::Source(Source::ExchangeRateApi));
    assert_eq!(from("XAU"), Origin::Source(Source::CoinGecko));
    assert!(prices.rejected.is_empty(), "{:?}", prices.rejected);
    assert_eq!(from("PEG"), Origin::Source(Source::CoinGecko));
    assert_eq!(from("DGB"), Origin::Source(Source::CoinGecko));
    assert_eq!(prices.values().len(), 62);
}

#[tokio::test]
async fn older_versions_get_their_lists_and_peg_rules() {
    let devnet = devnet().await;
    let oracle = Oracle::new(&section(&devnet), &default_data_sources(), &BTreeMap::new()).unwrap();
    let v2 = prices(&oracle, 2).await.unwrap();
    assert_eq!(v2.assets.len(), 30);
    assert_eq!(v2.assets[0].asset, "PEG");
    assert_eq!(
        (v2.assets[0].price, v2.assets[0].origin),
        (0, Origin::Protocol)
    );
    let v3 = prices(&oracle, 3).await.unwrap();
    assert!(v3.get("PEG").unwrap().price > 0);
    assert_eq!(prices(&oracle, 4).await.unwrap().assets.len(), 42);
    assert_eq!(
        prices(&oracle, 1).await.unwrap_err(),
        MissingPrices::UnsupportedVersion(1)
    );
}

#[tokio::test]
async fn priority_decides_and_per_asset_orders_override_it() {
    let devnet = devnet().await;
    let order = priorities(&[
        ("FixedUSD", 0),
        ("OpenExchangeRates", 1),
        ("CoinGecko", 2),
        ("ExchangeRateApi", 3),
    ]);
    let per_asset = overrides(&[
        ("XBT", "CoinGecko,OpenExchangeRates"),
        ("EUR", "ExchangeRateApi"),
        ("USD", "OpenExchangeRates,FixedUSD"),
    ]);
    let oracle = Oracle::new(&section(&devnet), &order, &per_asset).unwrap();
    assert_eq!(
        oracle.sources_for("JPY"),
        [
            Source::OpenExchangeRates,
            Source::CoinGecko,
            Source::ExchangeRateApi
        ]
    );
    let prices = prices(&oracle, 5).await.unwrap();
    let from = |asset| origin(&prices, asset);
    assert_eq!(from("JPY"), Origin::Source(Source::OpenExchangeRates));
    assert_eq!(from("RWF"), Origin::Source(Source::OpenExchangeRates));
    assert_eq!(from("XAU"), Origin::Source(Source::OpenExchangeRates));
    assert_eq!(from("ETH"), Origin::Source(Source::CoinGecko));
    assert_eq!(from("XBT"), Origin::Source(Source::CoinGecko));
    assert_eq!(from("EUR"), Origin::Source(Source::ExchangeRateApi));
    assert_eq!(from("USD"), Origin::Source(Source::OpenExchangeRates));
}

/// A web API as the feed simulates it, and what the oracle must make of its failures.
struct WebSource {
    /// The feed's switch (`POST /devnet/feed/{feed_name}`).
    feed_name: &'static str,
    source: Source,
    /// An asset the source quotes, put first for it by a per-asset order.
    asset: &'static str,
    /// The next source in that order, which must answer while `source` fails.
    fallback: Source,
    /// The kinds of the `failing`, `rate-limited` and `unauthorized` answers, each with the
    /// API's own message.
    refusals: [ErrorKind; 3],
}

fn detail(text: &str) -> Option<String> {
    Some(text.to_owned())
}

/// The refusals most APIs give: a 503 or 500, a 429 with `Retry-After`, and a 401 or 403.
fn refusals(
    failing: (u16, Option<String>),
    retry_after_secs: u64,
    unauthorized: (u16, Option<String>),
) -> [ErrorKind; 3] {
    [
        ErrorKind::Status {
            status: failing.0,
            detail: failing.1,
        },
        ErrorKind::RateLimited {
            status: 429,
            retry_after_secs: Some(retry_after_secs),
        },
        ErrorKind::Unauthorized {
            status: unauthorized.0,
            detail: unauthorized.1,
        },
    ]
}

/// Every web API, each with its own asset so one per-asset table serves them all.
fn web_sources() -> [WebSource; 8] {
    let row = |feed_name, source, asset, fallback, refusals| WebSource {
        feed_name,
        source,
        asset,
        fallback,
        refusals,
    };
    [
        row(
            "coingecko",
            Source::CoinGecko,
            "XBT",
            Source::OpenExchangeRates,
            refusals(
                (503, detail("Service Unavailable")),
                60,
                (401, detail("API Key Missing")),
            ),
        ),
        row(
            "openexchangerates",
            Source::OpenExchangeRates,
            "XAU",
            Source::CoinGecko,
            refusals(
                (503, detail("service_unavailable")),
                3600,
                (401, detail("invalid_app_id")),
            ),
        ),
        row(
            "exchangerate-api",
            Source::ExchangeRateApi,
            "KES",
            Source::OpenExchangeRates,
            refusals((503, None), 1200, (403, detail("invalid-key"))),
        ),
        row(
            "coinbase",
            Source::Coinbase,
            "RWF",
            Source::ExchangeRateApi,
            refusals(
                (503, detail("internal_server_error: Service unavailable")),
                60,
                (401, detail("authentication_error: invalid api key")),
            ),
        ),
        row(
            "ecb",
            Source::Ecb,
            "JPY",
            Source::ExchangeRateApi,
            refusals((503, None), 300, (403, None)),
        ),
        row(
            "coinmarketcap",
            Source::CoinMarketCap,
            "PEG",
            Source::CoinGecko,
            refusals(
                (500, detail("500 An internal server error occurred")),
                60,
                (401, detail("1001 This API Key is invalid.")),
            ),
        ),
        row(
            "apilayer",
            Source::ApiLayer,
            "ETB",
            Source::ExchangeRateApi,
            refusals(
                (503, detail("Service Unavailable")),
                86_400,
                (401, detail("Invalid authentication credentials")),
            ),
        ),
        // CoinPaprika takes no key: its "unauthorized" is the free tier's 402 (quota used up
        // or a paid plan needed), a refusal like a 429 and not retried.
        row(
            "coinpaprika",
            Source::CoinPaprika,
            "DGB",
            Source::CoinGecko,
            [
                ErrorKind::Status {
                    status: 500,
                    detail: detail("Internal server error"),
                },
                ErrorKind::RateLimited {
                    status: 429,
                    retry_after_secs: Some(60),
                },
                ErrorKind::RateLimited {
                    status: 402,
                    retry_after_secs: None,
                },
            ],
        ),
    ]
}

/// Per-asset orders putting each web source first for its asset and its fallback next.
fn first_then_fallback(sources: &[WebSource]) -> BTreeMap<String, String> {
    sources
        .iter()
        .map(|s| {
            assert!(s.source.quotes(s.asset) && s.fallback.quotes(s.asset));
            (
                s.asset.to_owned(),
                format!("{},{}", s.source.name(), s.fallback.name()),
            )
        })
        .collect()
}

/// One failure mode of a source, and what the oracle must make of it.
struct Case {
    mode: &'static str,
    /// `None` for a malformed body, whose parser message is not pinned down here.
    kind: Option<ErrorKind>,
    /// Requests the feed sees for one poll: 1, or 1 + retries for transient failures.
    requests: u64,
}

/// Every failure mode of `source` but `slow`.
fn cases(source: &WebSource) -> Vec<Case> {
    let [failing, rate_limited, unauthorized] = source.refusals.clone();
    let case = |mode, kind, requests| Case {
        mode,
        kind,
        requests,
    };
    vec![
        case(r#"{"mode":"failing"}"#, Some(failing), 3),
        case(r#"{"mode":"rate-limited"}"#, Some(rate_limited), 1),
        case(r#"{"mode":"unauthorized"}"#, Some(unauthorized), 1),
        case(r#"{"mode":"malformed"}"#, None, 3),
    ]
}

/// Ten minutes, the longest the feed allows: only a missing timeout would wait it out.
const SLOW: &str = r#"{"mode":"slow","delay_ms":600000}"#;

/// One poll with a feed source switched to `mode`, switched back to normal afterwards, and
/// the requests that source saw meanwhile.
async fn poll_with(
    devnet: &Devnet,
    oracle: &Oracle,
    feed_name: &str,
    mode: &str,
) -> (Result<Prices, MissingPrices>, u64) {
    switch(devnet, feed_name, mode).await;
    let before = requests(devnet, feed_name).await;
    let prices = prices(oracle, 5).await;
    let after = requests(devnet, feed_name).await;
    switch(devnet, feed_name, r#"{"mode":"normal"}"#).await;
    (prices, after - before)
}

fn assert_kind(got: &ErrorKind, want: Option<&ErrorKind>, what: &str) {
    match want {
        Some(want) => assert_eq!(got, want, "{what}"),
        None => assert!(matches!(got, ErrorKind::Malformed { .. }), "{what}: {got}"),
    }
}

/// Every failure mode of every web API: the typed error is reported with the API's own
/// message, requests are retried only when retrying can help, and the asset comes from the
/// next source.
#[tokio::test]
async fn every_source_fails_with_typed_errors_and_falls_back() {
    let devnet = devnet().await;
    let sources = web_sources();
    let per_asset = first_then_fallback(&sources);
    let oracle = Oracle::new(&section(&devnet), &all_eight(), &per_asset).unwrap();
    for source in &sources {
        for case in cases(source) {
            let what = format!("{} {}", source.source, case.mode);
            let (prices, requests) = poll_with(&devnet, &oracle, source.feed_name, case.mode).await;
            let prices = prices.unwrap();

            assert_eq!(requests, case.requests, "{what}: requests");
            let from = origin(&prices, source.asset);
            assert_eq!(from, Origin::Source(source.fallback), "{what}");
            let failure = prices
                .failures
                .iter()
                .find(|f| f.data_source == source.source)
                .unwrap_or_else(|| panic!("{what}: no failure reported"));
            assert_kind(&failure.kind, case.kind.as_ref(), &what);
        }
    }
}

/// Every web API slower than the timeout is cut off at the timeout (one request, not
/// retried), reported as such, and its asset comes from the next source meanwhile.
#[tokio::test]
async fn a_slow_source_times_out_and_the_next_one_answers() {
    let devnet = devnet().await;
    let quick = OracleSection {
        timeout_ms: 1000,
        ..section(&devnet)
    };
    let sources = web_sources();
    let per_asset = first_then_fallback(&sources);
    let oracle = Oracle::new(&quick, &all_eight(), &per_asset).unwrap();
    for source in &sources {
        let what = source.source;
        let (prices, requests) = poll_with(&devnet, &oracle, source.feed_name, SLOW).await;
        let prices = prices.unwrap();
        assert_eq!(requests, 1, "{what}: a timeout is not retried");
        let from = origin(&prices, source.asset);
        assert_eq!(from, Origin::Source(source.fallback), "{what}");
        assert!(
            prices.failures.contains(&SourceError {
                data_source: source.source,
                kind: ErrorKind::Timeout { after_ms: 1000 },
            }),
            "{what}: {:?}",
            prices.failures
        );
    }
}

/// With only the four original sources on, CoinGecko is the only source of PEG and most
/// cryptos: whichever way it fails, they are missing, each naming CoinGecko and the kind
/// (a timeout included), while bitcoin falls back to OpenExchangeRates.
#[tokio::test]
async fn a_sole_source_failing_leaves_its_assets_missing_with_the_kind() {
    let devnet = devnet().await;
    let per_asset = overrides(&[("XBT", "CoinGecko,OpenExchangeRates")]);
    let oracle = Oracle::new(&section(&devnet), &all_four(), &per_asset).unwrap();
    let quick = OracleSection {
        timeout_ms: 1000,
        ..section(&devnet)
    };
    let quick = Oracle::new(&quick, &all_four(), &per_asset).unwrap();
    let [coingecko, ..] = web_sources();
    assert_eq!(coingecko.source, Source::CoinGecko);
    let slow = Case {
        mode: SLOW,
        kind: Some(ErrorKind::Timeout { after_ms: 1000 }),
        requests: 1,
    };
    let all = cases(&coingecko).into_iter().map(|c| (&oracle, c));
    for (oracle, case) in all.chain([(&quick, slow)]) {
        let what = format!("CoinGecko {}", case.mode);
        let (missing, requests) = poll_with(&devnet, oracle, "coingecko", case.mode).await;
        let missing = missing.unwrap_err();

        assert_eq!(requests, case.requests, "{what}: requests");
        let names: Vec<&str> = missing.assets().iter().map(|m| m.asset).collect();
        assert!(
            ["PEG", "DGB", "ETH"].iter().all(|a| names.contains(a)),
            "{what}: {names:?}"
        );
        assert!(
            !names.contains(&"XBT") && !names.contains(&"XAU"),
            "{what}: {names:?}"
        );
        for m in missing.assets() {
            assert_eq!(m.tried.len(), 1, "{what}: {}", m.asset);
            assert_eq!(m.tried[0].data_source, Source::CoinGecko);
            assert_kind(&m.tried[0].kind, case.kind.as_ref(), &what);
        }
    }
}

/// Serves one fixed Coinbase answer, as a recorded body would be, on a free port.
async fn coinbase_answering(body: String) -> String {
    let app = axum::Router::new().route(
        "/v2/exchange-rates",
        axum::routing::get(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// A preferred source that quotes bitcoin half again too high is outvoted by the band: the
/// price comes from the next source inside it, and the outlier is reported as rejected.
#[tokio::test]
async fn the_band_outvotes_an_outlier_of_the_preferred_source() {
    let metrics = recorder();
    let devnet = devnet().await;
    let btc = devnet.feed().price("XBT").unwrap();
    let eur = devnet.feed().price("EUR").unwrap();
    let body = format!(
        r#"{{"data":{{"currency":"USD","rates":{{"BTC":"{}","EUR":"{}","USD":"1.0"}}}}}}"#,
        1.0 / (btc * 1.5),
        1.0 / eur
    );
    let coinbase = OracleSection {
        coinbase_url: coinbase_answering(body).await,
        ..section(&devnet)
    };
    let oracle = Oracle::new(&coinbase, &all_eight(), &BTreeMap::new()).unwrap();
    assert_eq!(
        oracle.sources_for("XBT"),
        [
            Source::Coinbase,
            Source::CoinMarketCap,
            Source::ApiLayer,
            Source::OpenExchangeRates,
            Source::CoinGecko,
            Source::CoinPaprika
        ]
    );
    let prices = prices(&oracle, 5).await.unwrap();
    let xbt = prices.get("XBT").unwrap();
    assert_eq!(xbt.origin, Origin::Source(Source::CoinMarketCap));
    let want = btc * 1e8;
    assert!((xbt.price as f64 - want).abs() <= want * 1e-6);
    let [
        Rejection {
            asset: "XBT",
            source: Source::Coinbase,
            price,
        },
    ] = prices.rejected[..]
    else {
        panic!("{:?}", prices.rejected);
    };
    assert!((price / (btc * 1.5) - 1.0).abs() < 1e-12, "{price}");
    // And counted for the source it came from.
    let text = metrics.render();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("pegnet_coordinator_price_band_rejections_total{")
                && l.contains(r#"source="Coinbase""#)
        })
        .unwrap_or_else(|| panic!("no band rejection counted for Coinbase:\n{text}"));
    let count: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 1.0, "{line}");
    // Within the band the preferred source keeps its place.
    assert_eq!(origin(&prices, "EUR"), Origin::Source(Source::Coinbase));
    // What the answer lacks comes from the next source, reported as missing there.
    assert_eq!(origin(&prices, "JPY"), Origin::Source(Source::Ecb));
    assert!(prices.failures.contains(&SourceError {
        data_source: Source::Coinbase,
        kind: ErrorKind::MissingAsset { asset: "JPY" },
    }));
}

#[tokio::test]
async fn a_missing_asset_names_itself_and_every_source_tried() {
    let devnet = devnet().await;
    let oracle = Oracle::new(&section(&devnet), &all_four(), &BTreeMap::new()).unwrap();
    assert_eq!(
        oracle.sources_for("RWF"),
        [Source::ExchangeRateApi, Source::OpenExchangeRates]
    );
    switch(&devnet, "exchangerate-api", r#"{"mode":"failing"}"#).await;
    switch(&devnet, "openexchangerates", r#""unauthorized""#).await;
    let e = prices(&oracle, 5).await.unwrap_err();
    let names: Vec<&str> = e.assets().iter().map(|m| m.asset).collect();
    // CoinGecko has no quote for these six; every other fiat comes from its cross rates.
    assert_eq!(names, ["RWF", "KES", "UGX", "TZS", "BIF", "ETB"]);
    let rwf = &e.assets()[0];
    let tried: Vec<Source> = rwf.tried.iter().map(|t| t.data_source).collect();
    assert_eq!(tried, [Source::ExchangeRateApi, Source::OpenExchangeRates]);
    let message = e.to_string();
    assert!(
        message.contains(
            "RWF (tried ExchangeRateApi: HTTP 503; \
             OpenExchangeRates: unauthorized (HTTP 401): invalid_app_id)"
        ),
        "{message}"
    );
}

/// Each web API, put first in turn, prices every asset it quotes: its request reaches the
/// feed's simulation of it and its answer is read right.
#[tokio::test]
async fn each_source_prices_what_it_quotes() {
    let devnet = devnet().await;
    for first in Source::ALL.into_iter().filter(|s| s.is_remote()) {
        let mut order = all_eight();
        let others = Source::ALL
            .into_iter()
            .filter(|s| s.is_remote() && *s != first);
        order.insert(first.name().to_owned(), 1);
        for (i, s) in others.enumerate() {
            order.insert(s.name().to_owned(), 2 + i as i32);
        }
        let oracle = Oracle::new(&section(&devnet), &order, &BTreeMap::new()).unwrap();
        let prices = prices(&oracle, 5).await.unwrap();
        assert!(prices.failures.is_empty(), "{first}: {:?}", prices.failures);
        let mut quoted = 0;
        for p in prices.assets.iter().filter(|p| first.quotes(p.asset)) {
            if p.asset == "USD" {
                continue;
            }
            assert_eq!(p.origin, Origin::Source(first), "{first} {}", p.asset);
            let want = devnet.feed().price(p.asset).unwrap() * 1e8;
            let got = p.price as f64;
            assert!(
                (got - want).abs() <= want * 1e-3,
                "{first} {}: {got} vs {want}",
                p.asset
            );
            quoted += 1;
        }
        assert!(quoted >= 3, "{first} quoted {quoted}");
    }
}

#[tokio::test]
async fn answers_are_cached_within_the_ttl() {
    let devnet = devnet().await;
    let cached = OracleSection {
        cache_ttl_seconds: 3600,
        ..section(&devnet)
    };
    let oracle = Oracle::new(&cached, &all_four(), &BTreeMap::new()).unwrap();
    let feeds = ["coingecko", "openexchangerates", "exchangerate-api"];
    let first = prices(&oracle, 5).await.unwrap();
    for name in feeds {
        assert_eq!(requests(&devnet, name).await, 1, "{name}");
    }
    // The market moves, but within the TTL the oracle does not ask again.
    devnet.feed().set_step(devnet.feed().step() + 7);
    let second = prices(&oracle, 5).await.unwrap();
    assert_eq!(second, first);
    for name in feeds {
        assert_eq!(requests(&devnet, name).await, 1, "{name}");
    }
    // Without a cache every poll asks, and sees the new prices.
    let uncached = Oracle::new(&section(&devnet), &all_four(), &BTreeMap::new()).unwrap();
    let fresh = prices(&uncached, 5).await.unwrap();
    assert_ne!(fresh.values(), first.values());
    for name in feeds {
        assert_eq!(requests(&devnet, name).await, 2, "{name}");
    }
}

/// The three tables as the coordinator's TOML file holds them.
#[derive(Debug, Deserialize)]
struct File {
    #[serde(rename = "Oracle", default)]
    oracle: OracleSection,
    #[serde(rename = "OracleDataSources", default = "default_data_sources")]
    sources: BTreeMap<String, i32>,
    #[serde(rename = "OracleAssetDataSourcesPriority", default)]
    asset_priority: BTreeMap<String, String>,
}

fn load(toml: &str) -> Result<File, String> {
    Figment::from(Toml::string(toml))
        .extract()
        .map_err(|e| e.to_string())
}

fn oracle_error(toml: &str) -> String {
    let file = load(toml).unwrap();
    Oracle::new(&file.oracle, &file.sources, &file.asset_priority)
        .unwrap_err()
        .to_string()
}

#[test]
fn configuration_errors_name_the_key() {
    let file = load(
        r#"
        [Oracle]
        CoinGeckoUrl = "http://127.0.0.1:8077"
        TimeoutMs = 2500
        [OracleAssetDataSourcesPriority]
        XBT = "CoinGecko"
        "#,
    )
    .unwrap();
    assert_eq!(file.oracle.timeout_ms, 2500);
    assert_eq!(file.oracle.cache_ttl_seconds, 480);
    let oracle = Oracle::new(&file.oracle, &file.sources, &file.asset_priority).unwrap();
    assert_eq!(
        oracle.sources(),
        [
            Source::FixedUsd,
            Source::ExchangeRateApi,
            Source::CoinGecko,
            Source::Coinbase,
            Source::Ecb,
            Source::CoinPaprika
        ]
    );

    let unknown_key = load("[Oracle]\nKitcoKey = \"x\"\n").unwrap_err();
    assert!(unknown_key.contains("KitcoKey"), "{unknown_key}");

    let cases = [
        (
            "[OracleDataSources]\nFixedUSD = 0\nCoinGecko = 1\nOpenExchangeRates = 1\n\
             [Oracle]\nOpenExchangeRatesKey = \"k\"\n",
            "OracleDataSources.CoinGecko: priority 1 is also used by OpenExchangeRates",
        ),
        (
            "[OracleDataSources]\nCoinGecko = 1\nKitco = 2\n",
            "OracleDataSources.Kitco: unknown source",
        ),
        (
            "[OracleDataSources]\nFixedUSD = 0\nExchangeRateApi = 1\nCoinGecko = 2\nOpenExchangeRates = 3\n",
            "Oracle.OpenExchangeRatesKey: required while OracleDataSources.OpenExchangeRates is enabled",
        ),
        (
            "[OracleDataSources]\nFixedUSD = 0\nExchangeRateApi = 1\nCoinGecko = 2\nCoinMarketCap = 5\n",
            "Oracle.CoinMarketCapKey: required while OracleDataSources.CoinMarketCap is enabled",
        ),
        (
            "[OracleDataSources]\nFixedUSD = 0\nExchangeRateApi = 1\nCoinGecko = 2\nAPILayer = 6\n\
             [Oracle]\nAPILayerKey = \"a b\"\n",
            "Oracle.APILayerKey: the key may only hold",
        ),
        (
            "[OracleAssetDataSourcesPriority]\nJPY = \"ECB,CoinMarketCap\"\n",
            "OracleAssetDataSourcesPriority.JPY: CoinMarketCap is disabled",
        ),
        (
            "[OracleAssetDataSourcesPriority]\nBTC = \"CoinGecko\"\n",
            "OracleAssetDataSourcesPriority.BTC: unknown asset",
        ),
        (
            "[OracleAssetDataSourcesPriority]\nXBT = \"CoinGecko,Kraken\"\n",
            "OracleAssetDataSourcesPriority.XBT: unknown source \"Kraken\"",
        ),
        (
            "[OracleAssetDataSourcesPriority]\nPEG = \"ExchangeRateApi\"\n",
            "OracleAssetDataSourcesPriority.PEG: ExchangeRateApi does not quote PEG",
        ),
        (
            "[Oracle]\nTimeoutMs = 0\n",
            "Oracle.TimeoutMs: 0 is out of range",
        ),
        (
            "[Oracle]\nExchangeRateApiUrl = \"not a url\"\n",
            "Oracle.ExchangeRateApiUrl: \"not a url\"",
        ),
    ];
    for (toml, want) in cases {
        let got = oracle_error(toml);
        assert!(got.starts_with(want), "{toml}\n  got: {got}\n want: {want}");
    }
}
