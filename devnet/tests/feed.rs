//! The price feed over real HTTP: every endpoint, every mode, the exact error bodies, and
//! prices that agree with an independent walk of the same seed.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any IO error"
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use pegnet_devnet::feed::{Feed, Mode, PriceWalk, Source, router};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SEED: u64 = 20_240_601;
const NOW: u64 = 1_700_000_000;

/// A feed on a fixed clock, served on a free port.
async fn serve() -> (Arc<Feed>, SocketAddr) {
    let feed = Arc::new(Feed::with_clock(SEED, || NOW));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(feed.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (feed, addr)
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 exchange on a fresh connection (`Connection: close`, read to the end).
async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        String::from_utf8(raw).unwrap()
    };
    let raw = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .unwrap();
    parse(&raw)
}

fn parse(raw: &str) -> Reply {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (k, v) = line.split_once(':').unwrap();
            (k.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n").unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            return body;
        }
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
}

async fn get(addr: SocketAddr, path: &str) -> Reply {
    send(addr, "GET", path, &[], "").await
}

async fn post(addr: SocketAddr, path: &str, body: &str) -> Reply {
    send(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        body,
    )
    .await
}

fn close(got: f64, want: f64, rel: f64) -> bool {
    ((got - want) / want).abs() <= rel
}

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

const CG: &str = "/api/v3/simple/price";
const OER: &str = "/api/latest.json";
const ERA: &str = "/v6/latest/USD";

#[tokio::test]
async fn coingecko_quotes_the_walk() {
    let (feed, addr) = serve().await;
    feed.set_step(5);
    let walk = PriceWalk::new(SEED);
    let path = format!(
        "{CG}?ids=bitcoin,PegNet,no-such-coin,bitcoin-cash&vs_currencies=usd,EUR,kes&include_last_updated_at=true&x_cg_demo_api_key=k"
    );
    let reply = send(addr, "GET", &path, &[("x-cg-pro-api-key", "k")], "").await;
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let json = reply.json();
    let coins = json.as_object().unwrap();
    assert_eq!(coins.len(), 3, "{json}");
    let eur = walk.price("EUR", 5).unwrap();
    for (id, asset) in [
        ("bitcoin", "XBT"),
        ("pegnet", "PEG"),
        ("bitcoin-cash", "XBC"),
    ] {
        let usd = walk.price(asset, 5).unwrap();
        let quote = coins[id].as_object().unwrap();
        assert_eq!(quote.len(), 3, "unsupported `kes` is left out: {json}");
        assert!(close(number(&quote["usd"]), usd, 1e-7), "{id}: {json}");
        assert!(
            close(number(&quote["eur"]), usd / eur, 1e-7),
            "{id}: {json}"
        );
        assert_eq!(quote["last_updated_at"], NOW);
    }
    // Keys in the API's order: request order, `last_updated_at` last.
    assert!(
        reply.body.starts_with(r#"{"bitcoin":{"usd":"#),
        "{}",
        reply.body
    );

    let plain = get(
        addr,
        &format!("{CG}?ids=ethereum&vs_currencies=usd&precision=2"),
    )
    .await
    .json();
    let eth = number(&plain["ethereum"]["usd"]);
    assert_eq!(plain["ethereum"].as_object().unwrap().len(), 1);
    assert_eq!(eth, (walk.price("ETH", 5).unwrap() * 100.0).round() / 100.0);
    let none = get(addr, &format!("{CG}?ids=nothing&vs_currencies=usd")).await;
    assert_eq!((none.status, none.body.as_str()), (200, "{}"));
}

#[tokio::test]
async fn coingecko_needs_ids_and_vs_currencies() {
    let (_, addr) = serve().await;
    for (path, missing) in [
        (format!("{CG}?vs_currencies=usd"), "ids"),
        (format!("{CG}?ids=&vs_currencies=usd"), "ids"),
        (format!("{CG}?ids=bitcoin"), "vs_currencies"),
        (CG.to_owned(), "ids"),
    ] {
        let reply = get(addr, &path).await;
        assert_eq!(reply.status, 422, "{path}");
        assert_eq!(
            reply.body,
            format!(r#"{{"error":"Missing parameter {missing}"}}"#)
        );
    }
}

#[tokio::test]
async fn prices_move_between_steps_and_repeat_within_one() {
    let (feed, addr) = serve().await;
    let path = format!("{CG}?ids=bitcoin,pegnet&vs_currencies=usd");
    feed.set_step(100);
    let first = get(addr, &path).await.body;
    let again = get(addr, &path).await.body;
    assert_eq!(first, again);
    feed.set_step(101);
    let next = get(addr, &path).await.body;
    assert_ne!(first, next);
    feed.set_step(100);
    assert_eq!(get(addr, &path).await.body, first);
    let (oer1, oer2) = (
        get(addr, &format!("{OER}?app_id=k")).await,
        get(addr, &format!("{OER}?app_id=k")).await,
    );
    assert_eq!(oer1.body, oer2.body);
    feed.set_step(102);
    assert_ne!(get(addr, &format!("{OER}?app_id=k")).await.body, oer1.body);
}

#[tokio::test]
async fn openexchangerates_rates_are_inverse_walk_prices() {
    let (feed, addr) = serve().await;
    feed.set_step(42);
    let walk = PriceWalk::new(SEED);
    let reply = get(
        addr,
        &format!("{OER}?app_id=0123456789abcdef&base=USD&show_alternative=1"),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(
        reply.body.starts_with(
            r#"{"disclaimer":"Usage subject to terms: https://openexchangerates.org/terms","license":"https://openexchangerates.org/license","timestamp":1700000000,"base":"USD","rates":{"AED":"#
        ),
        "{}",
        reply.body
    );
    let json = reply.json();
    let rates = json["rates"].as_object().unwrap();
    assert_eq!(rates.len(), 36, "31 fiat, 4 metals, BTC");
    assert!(reply.body.contains(r#""USD":1,"#), "USD is exactly 1");
    for (code, rate) in rates {
        let asset = if code == "BTC" { "XBT" } else { code.as_str() };
        let price = walk.price(asset, 42).unwrap();
        assert!(
            close(1.0 / number(rate), price, 1e-5),
            "{code}: {rate} vs 1/{price}"
        );
    }
    assert!(!rates.contains_key("ETH") && !rates.contains_key("XBT"));

    // The same moment seen through CoinGecko: BTC rate × bitcoin price = 1.
    let cg = get(addr, &format!("{CG}?ids=bitcoin&vs_currencies=usd"))
        .await
        .json();
    let product = number(&rates["BTC"]) * number(&cg["bitcoin"]["usd"]);
    assert!(close(product, 1.0, 1e-5), "{product}");

    let some = get(addr, &format!("{OER}?app_id=k&symbols=EUR,btc,XYZ"))
        .await
        .json();
    let keys: Vec<&String> = some["rates"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["BTC", "EUR"]);
    let by_header = send(addr, "GET", OER, &[("Authorization", "Token 0123abc")], "").await;
    assert_eq!((by_header.status, by_header.body), (200, reply.body));
}

#[tokio::test]
async fn openexchangerates_errors_are_the_real_ones() {
    let (_, addr) = serve().await;
    let missing = get(addr, OER).await;
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.body,
        r#"{"error":true,"status":401,"message":"missing_app_id","description":"No App ID provided. Please sign up at https://openexchangerates.org/signup, or contact support@openexchangerates.org."}"#
    );
    assert_eq!(get(addr, &format!("{OER}?app_id=")).await.status, 401);
    let base = get(addr, &format!("{OER}?app_id=k&base=EUR")).await;
    assert_eq!(base.status, 403);
    assert_eq!(
        base.body,
        r#"{"error":true,"status":403,"message":"not_allowed","description":"Changing the API `base` currency is available for Developer, Enterprise and Unlimited plan clients. Please upgrade, or contact support@openexchangerates.org with any questions."}"#
    );
}

#[tokio::test]
async fn exchangerate_api_serves_fiat_against_usd() {
    let (feed, addr) = serve().await;
    feed.set_step(7);
    let walk = PriceWalk::new(SEED);
    let reply = get(addr, ERA).await;
    assert_eq!(reply.status, 200);
    // NOW is Tue, 14 Nov 2023 22:13:20 UTC; the data refreshed at 00:00:01 that day.
    assert!(
        reply.body.starts_with(
            r#"{"result":"success","provider":"https://www.exchangerate-api.com","documentation":"https://www.exchangerate-api.com/docs/free","terms_of_use":"https://www.exchangerate-api.com/terms","time_last_update_unix":1699920001,"time_last_update_utc":"Tue, 14 Nov 2023 00:00:01 +0000","time_next_update_unix":1700006401,"time_next_update_utc":"Wed, 15 Nov 2023 00:00:01 +0000","time_eol_unix":0,"base_code":"USD","rates":{"USD":1,"AED":"#
        ),
        "{}",
        reply.body
    );
    let json = reply.json();
    let rates = json["rates"].as_object().unwrap();
    assert_eq!(rates.len(), 31, "fiat only");
    for (code, rate) in rates {
        let price = walk.price(code, 7).unwrap();
        assert!(close(1.0 / number(rate), price, 1e-5), "{code}");
    }
    assert_eq!(get(addr, "/v6/latest/usd").await.body, reply.body);
    let other = get(addr, "/v6/latest/EUR").await;
    assert_eq!(other.status, 404);
    assert_eq!(
        other.body,
        r#"{"result":"error","error-type":"unsupported-code"}"#
    );
}

/// What each source answers in each failure mode: status, exact body (if JSON) and
/// `Retry-After`.
struct Expect {
    source: Source,
    path: String,
    headers: &'static [(&'static str, &'static str)],
    failing: u16,
    rate_limited: &'static str,
    retry_after: &'static str,
    unauthorized: (u16, &'static str),
}

fn expectations() -> [Expect; 8] {
    [
        Expect {
            source: Source::CoinGecko,
            path: format!("{CG}?ids=bitcoin&vs_currencies=usd"),
            headers: &[],
            failing: 503,
            rate_limited: r#"{"status":{"error_code":429,"error_message":"You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing to subscribe to our API plans for higher rate limits."}}"#,
            retry_after: "60",
            unauthorized: (
                401,
                r#"{"status":{"error_code":10002,"error_message":"API Key Missing"}}"#,
            ),
        },
        Expect {
            source: Source::OpenExchangeRates,
            path: format!("{OER}?app_id=k"),
            headers: &[],
            failing: 503,
            rate_limited: r#"{"error":true,"status":429,"message":"access_restricted","description":"Access restricted for repeated over-use (status: 429). If you feel this is in error, please contact support@openexchangerates.org."}"#,
            retry_after: "3600",
            unauthorized: (
                401,
                r#"{"error":true,"status":401,"message":"invalid_app_id","description":"Invalid App ID provided - please sign up at https://openexchangerates.org/signup, or contact support@openexchangerates.org."}"#,
            ),
        },
        Expect {
            source: Source::ExchangeRateApi,
            path: ERA.to_owned(),
            headers: &[],
            failing: 503,
            rate_limited: r#"{"result":"error","error-type":"rate-limited"}"#,
            retry_after: "1200",
            unauthorized: (403, r#"{"result":"error","error-type":"invalid-key"}"#),
        },
        Expect {
            source: Source::Coinbase,
            path: "/v2/exchange-rates?currency=USD".to_owned(),
            headers: &[],
            failing: 503,
            rate_limited: r#"{"errors":[{"id":"rate_limit_exceeded","message":"Too many requests"}]}"#,
            retry_after: "60",
            unauthorized: (
                401,
                r#"{"errors":[{"id":"authentication_error","message":"invalid api key"}]}"#,
            ),
        },
        Expect {
            source: Source::Ecb,
            path: ECB.to_owned(),
            headers: &[],
            failing: 503,
            rate_limited: "<html><head><title>429 Too Many Requests</title></head><body><h1>Too Many Requests</h1></body></html>\n",
            retry_after: "300",
            unauthorized: (
                403,
                "<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1></body></html>\n",
            ),
        },
        Expect {
            source: Source::CoinMarketCap,
            path: format!("{CMC}?id=1,4979&convert=USD"),
            headers: &[("X-CMC_PRO_API_KEY", "k")],
            failing: 500,
            rate_limited: r#"{"status":{"timestamp":"2023-11-14T22:13:20.000Z","error_code":1008,"error_message":"You've exceeded your API Key's HTTP request rate limit. Rate limits reset every minute.","elapsed":1,"credit_count":0,"notice":null}}"#,
            retry_after: "60",
            unauthorized: (
                401,
                r#"{"status":{"timestamp":"2023-11-14T22:13:20.000Z","error_code":1001,"error_message":"This API Key is invalid.","elapsed":1,"credit_count":0,"notice":null}}"#,
            ),
        },
        Expect {
            source: Source::ApiLayer,
            path: format!("{APILAYER}?base=USD"),
            headers: &[("apikey", "k")],
            failing: 503,
            rate_limited: r#"{"message":"API rate limit exceeded"}"#,
            retry_after: "86400",
            unauthorized: (401, r#"{"message":"Invalid authentication credentials"}"#),
        },
        Expect {
            source: Source::CoinPaprika,
            path: "/v1/tickers?quotes=USD".to_owned(),
            headers: &[],
            failing: 500,
            rate_limited: r#"{"error":"Too many requests"}"#,
            retry_after: "60",
            unauthorized: (
                402,
                r#"{"error":"Free plan limit reached or this endpoint needs a paid plan"}"#,
            ),
        },
    ]
}

const ECB: &str = "/stats/eurofxref/eurofxref-daily.xml";
const CMC: &str = "/v1/cryptocurrency/quotes/latest";
const APILAYER: &str = "/exchangerates_data/latest";

/// Coinbase, the ECB, CoinMarketCap and APILayer quote the walk: Coinbase and APILayer as
/// units per USD, the ECB per euro, CoinMarketCap as USD prices by coin id; the keyed ones
/// refuse a request without a key with the API's own error.
#[tokio::test]
async fn coinbase_ecb_coinmarketcap_and_apilayer_quote_the_walk_and_want_their_keys() {
    let (feed, addr) = serve().await;
    feed.set_step(9);
    let walk = PriceWalk::new(SEED);
    let usd = |asset: &str| walk.price(asset, 9).unwrap();

    let coinbase = get(addr, "/v2/exchange-rates?currency=USD").await.json();
    let rates = &coinbase["data"]["rates"];
    let btc: f64 = rates["BTC"].as_str().unwrap().parse().unwrap();
    assert!(close(btc, 1.0 / usd("XBT"), 1e-12), "{btc}");
    let rwf: f64 = rates["RWF"].as_str().unwrap().parse().unwrap();
    assert!(close(rwf, 1.0 / usd("RWF"), 1e-6), "{rwf}");

    let ecb = get(addr, ECB).await;
    assert_eq!(ecb.header("content-type"), Some("text/xml"));
    assert!(
        ecb.body.contains("<Cube time='2023-11-14'>"),
        "{}",
        ecb.body
    );
    let jpy_per_euro = usd("EUR") / usd("JPY");
    let jpy = ecb.body.split("currency='JPY' rate='").nth(1).unwrap();
    let jpy: f64 = jpy.split('\'').next().unwrap().parse().unwrap();
    assert!(close(jpy, jpy_per_euro, 1e-4), "{jpy} vs {jpy_per_euro}");

    let key = [("X-CMC_PRO_API_KEY", "k")];
    let cmc = send(addr, "GET", &format!("{CMC}?id=1027,4979"), &key, "")
        .await
        .json();
    assert_eq!(cmc["status"]["error_code"], 0);
    assert_eq!(
        cmc["data"]["1027"]["quote"]["USD"]["price"].as_f64(),
        Some(usd("ETH"))
    );
    assert_eq!(cmc["data"]["4979"]["symbol"], "PEG");
    let missing = get(addr, &format!("{CMC}?id=1")).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.json()["status"]["error_code"], 1002);

    let key = [("apikey", "k")];
    let apilayer = send(addr, "GET", APILAYER, &key, "").await.json();
    assert_eq!(apilayer["base"], "USD");
    let eur = number(&apilayer["rates"]["EUR"]);
    assert!(close(eur, 1.0 / usd("EUR"), 1e-5), "{eur}");
    let missing = get(addr, APILAYER).await;
    assert_eq!(
        (missing.status, missing.body.as_str()),
        (401, r#"{"message":"No API key found in request"}"#)
    );
}

#[tokio::test]
async fn every_source_in_every_mode() {
    let (feed, addr) = serve().await;
    for e in expectations() {
        let good = send(addr, "GET", &e.path, e.headers, "").await;
        assert_eq!(good.status, 200, "{}", e.source);

        feed.set_mode(e.source, Mode::Failing);
        assert_eq!(
            send(addr, "GET", &e.path, e.headers, "").await.status,
            e.failing,
            "{}",
            e.source
        );

        feed.set_mode(e.source, Mode::RateLimited);
        let limited = send(addr, "GET", &e.path, e.headers, "").await;
        assert_eq!(limited.status, 429, "{}", e.source);
        assert_eq!(limited.body, e.rate_limited);
        assert_eq!(limited.header("retry-after"), Some(e.retry_after));

        feed.set_mode(e.source, Mode::Unauthorized);
        let refused = send(addr, "GET", &e.path, e.headers, "").await;
        assert_eq!(
            (refused.status, refused.body.as_str()),
            e.unauthorized,
            "{}",
            e.source
        );

        feed.set_mode(e.source, Mode::Malformed);
        let broken = send(addr, "GET", &e.path, e.headers, "").await;
        assert_eq!(broken.status, 200, "{}", e.source);
        assert!(
            serde_json::from_str::<Value>(&broken.body).is_err()
                && broken.body.len() < good.body.len(),
            "{}",
            broken.body
        );
        assert!(good.body.starts_with(&broken.body) && !broken.body.is_empty());

        feed.set_mode(
            e.source,
            Mode::Slow {
                delay: Duration::from_millis(20),
            },
        );
        let slow = send(addr, "GET", &e.path, e.headers, "").await;
        assert_eq!((slow.status, &slow.body), (200, &good.body), "{}", e.source);
        let status = get(addr, "/devnet/feed").await.json();
        assert_eq!(status["sources"][e.source.name()]["mode"], "slow");
        assert_eq!(status["sources"][e.source.name()]["delay_ms"], 20);

        feed.set_mode(e.source, Mode::Normal);
        assert_eq!(
            send(addr, "GET", &e.path, e.headers, "").await.body,
            good.body
        );
        assert_eq!(feed.requests(e.source), 7, "{}", e.source);
    }
}

#[tokio::test]
async fn modes_switch_over_http() {
    let (feed, addr) = serve().await;
    feed.set_step(3);
    let status = get(addr, "/devnet/feed").await;
    assert_eq!(status.status, 200);
    assert_eq!(
        status.json(),
        serde_json::json!({"step":3,"sources":{
            "apilayer":{"mode":"normal","requests":0},
            "coinbase":{"mode":"normal","requests":0},
            "coingecko":{"mode":"normal","requests":0},
            "coinmarketcap":{"mode":"normal","requests":0},
            "coinpaprika":{"mode":"normal","requests":0},
            "ecb":{"mode":"normal","requests":0},
            "exchangerate-api":{"mode":"normal","requests":0},
            "openexchangerates":{"mode":"normal","requests":0}}})
    );

    let slow = post(
        addr,
        "/devnet/feed/coingecko",
        r#"{"mode":"slow","delay_ms":2000}"#,
    )
    .await;
    assert_eq!(slow.status, 200);
    assert_eq!(
        slow.json(),
        serde_json::json!({"mode":"slow","delay_ms":2000,"requests":0})
    );
    assert_eq!(
        feed.mode(Source::CoinGecko),
        Mode::Slow {
            delay: Duration::from_millis(2000)
        }
    );

    for (source, body, mode) in [
        ("openexchangerates", r#"{"mode":"failing"}"#, Mode::Failing),
        ("exchangerate-api", r#""rate-limited""#, Mode::RateLimited),
        ("coingecko", r#"{"mode":"malformed"}"#, Mode::Malformed),
        (
            "openexchangerates",
            r#"{"mode":"unauthorized"}"#,
            Mode::Unauthorized,
        ),
        ("coingecko", r#"{"mode":"normal"}"#, Mode::Normal),
    ] {
        let reply = post(addr, &format!("/devnet/feed/{source}"), body).await;
        assert_eq!(reply.status, 200, "{body}");
        assert_eq!(reply.json()["mode"], mode.name());
        assert_eq!(feed.mode(source.parse().unwrap()), mode);
    }
    get(addr, &format!("{OER}?app_id=k")).await;
    let status = get(addr, "/devnet/feed").await.json();
    assert_eq!(
        status["sources"]["openexchangerates"]["mode"],
        "unauthorized"
    );
    assert_eq!(status["sources"]["openexchangerates"]["requests"], 1);
}

#[tokio::test]
async fn bad_control_requests_name_the_problem() {
    let (feed, addr) = serve().await;
    for (body, problem) in [
        ("", "not JSON"),
        ("{", "not JSON"),
        ("[1]", "must be an object"),
        ("{}", "missing field `mode`"),
        (r#"{"mode":"fast"}"#, "unknown mode `fast`"),
        (r#"{"mode":"slow"}"#, "needs `delay_ms`"),
        (
            r#"{"mode":"slow","delay_ms":"2s"}"#,
            "whole number of milliseconds",
        ),
        (r#"{"mode":"slow","delay_ms":99999999}"#, "above the limit"),
        (r#"{"mode":"normal","delay":5}"#, "unknown field `delay`"),
    ] {
        let reply = post(addr, "/devnet/feed/coingecko", body).await;
        assert_eq!(reply.status, 400, "{body}");
        let message = reply.json()["error"].as_str().unwrap().to_owned();
        assert!(message.contains(problem), "{body}: {message}");
    }
    let unknown = post(addr, "/devnet/feed/kitco", r#"{"mode":"failing"}"#).await;
    assert_eq!(unknown.status, 404);
    assert!(
        unknown.json()["error"]
            .as_str()
            .unwrap()
            .contains("unknown source `kitco`")
    );
    assert_eq!(feed.mode(Source::CoinGecko), Mode::Normal);
}

#[tokio::test]
async fn odd_requests_do_not_break_the_feed() {
    let (feed, addr) = serve().await;
    for path in [
        format!("{CG}?ids=%ff%fe&vs_currencies=%zz"),
        format!("{CG}?ids=bitcoin&vs_currencies=usd&precision=-3"),
        format!("{CG}?&&=&ids=bitcoin&vs_currencies=usd&ids=ethereum"),
        format!("{OER}?app_id=k&symbols=,,,"),
        "/v6/latest/%F0%9F%92%B8".to_owned(),
    ] {
        let reply = get(addr, &path).await;
        assert!(reply.status < 500, "{path}: {reply:?}");
    }
    feed.set_step(u64::MAX);
    let beyond = get(addr, &format!("{CG}?ids=bitcoin&vs_currencies=usd")).await;
    assert_eq!(beyond.status, 503);
    feed.set_step(1);
    assert_eq!(
        get(addr, &format!("{CG}?ids=bitcoin&vs_currencies=usd"))
            .await
            .status,
        200
    );
}
