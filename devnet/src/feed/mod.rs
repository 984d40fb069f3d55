//! The price feed: eight public price APIs, simulated.
//!
//! The coordinator polls price APIs once a block (`reference/pegnet.md` §4). To run and test
//! it offline, the devnet answers the same HTTP requests with the same paths, query
//! parameters, JSON shapes, status codes and error bodies as the real services, so the
//! coordinator's real adapters talk to it unchanged (only the base URL differs):
//!
//! - CoinGecko `GET /api/v3/simple/price` ([`coingecko`]): PEG and cryptos;
//! - OpenExchangeRates `GET /api/latest.json` ([`openexchangerates`]): fiat, metals, BTC;
//! - ExchangeRate-API open access `GET /v6/latest/{base}` ([`exchangerate_api`]): fiat;
//! - Coinbase `GET /v2/exchange-rates` ([`coinbase`]): fiat, metals, listed cryptos;
//! - the ECB's `GET /stats/eurofxref/eurofxref-daily.xml` ([`ecb`]): euro reference rates;
//! - CoinMarketCap `GET /v1/cryptocurrency/quotes/latest` ([`coinmarketcap`]): PEG, cryptos;
//! - APILayer `GET /exchangerates_data/latest` ([`apilayer`]): fiat, gold, silver, BTC;
//! - CoinPaprika `GET /v1/tickers` ([`coinpaprika`]): the cryptos with a CoinPaprika id.
//!
//! Prices come from a [`PriceWalk`] at the feed's current step, which the devnet advances
//! once per block, so they move between blocks, are identical within one, and are the same
//! in every run with the same seed. Each source can be switched to misbehave ([`Mode`]) to
//! test fallbacks, and counts its requests; `GET /devnet/feed` and
//! `POST /devnet/feed/{source}` ([`control`]) do the same over HTTP.

pub mod apilayer;
pub mod coinbase;
pub mod coingecko;
pub mod coinmarketcap;
pub mod coinpaprika;
pub mod control;
mod date;
pub mod ecb;
pub mod exchangerate_api;
mod json;
pub mod openexchangerates;
mod switch;
mod walk;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;

pub use switch::{MAX_DELAY_MS, Mode, ModeError, Source, UnknownSource};
pub use walk::{MAX_STEP, PriceWalk, WalkError, base_price, volatility};

/// The feed's clock: Unix seconds for the `timestamp`-like fields of answers.
pub type Clock = Box<dyn Fn() -> u64 + Send + Sync>;

/// The system clock as Unix seconds (0 if the system clock is before 1970).
pub fn system_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The shared state of the simulated APIs: the current step, the walk, and per source its
/// mode and request count. Share it as `Arc<Feed>` between the router and the block clock.
pub struct Feed {
    walk: PriceWalk,
    step: AtomicU64,
    clock: Clock,
    sources: [SourceState; 8],
}

#[derive(Debug, Default)]
struct SourceState {
    mode: Mutex<Mode>,
    requests: AtomicU64,
}

impl fmt::Debug for Feed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Feed")
            .field("walk", &self.walk)
            .field("step", &self.step)
            .field("sources", &self.sources)
            .finish_non_exhaustive()
    }
}

impl Feed {
    /// A feed at step 0 with every source normal, prices from `seed`, and the system clock.
    pub fn new(seed: u64) -> Self {
        Self::with_clock(seed, system_clock)
    }

    /// Like [`Feed::new`] with another clock (Unix seconds), so tests get fixed timestamps.
    pub fn with_clock(seed: u64, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        Self {
            walk: PriceWalk::new(seed),
            step: AtomicU64::new(0),
            clock: Box::new(clock),
            sources: Default::default(),
        }
    }

    /// The price walk behind every answer.
    pub fn walk(&self) -> &PriceWalk {
        &self.walk
    }

    /// The current step.
    pub fn step(&self) -> u64 {
        self.step.load(Ordering::Acquire)
    }

    /// Moves to `step`; answers from now on quote prices at it. A step beyond [`MAX_STEP`]
    /// makes price requests fail with HTTP 500 until it is set back.
    pub fn set_step(&self, step: u64) {
        self.step.store(step, Ordering::Release);
    }

    /// The USD price of `asset` at the current step.
    pub fn price(&self, asset: &str) -> Result<f64, WalkError> {
        self.walk.price(asset, self.step())
    }

    /// The clock's time, Unix seconds.
    pub fn now_unix(&self) -> u64 {
        (self.clock)()
    }

    /// How `source` answers now.
    pub fn mode(&self, source: Source) -> Mode {
        *self
            .state(source)
            .mode
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Switches how `source` answers from the next request on.
    pub fn set_mode(&self, source: Source, mode: Mode) {
        *self
            .state(source)
            .mode
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = mode;
        tracing::info!(
            source = source.name(),
            mode = mode.name(),
            "price feed mode"
        );
    }

    /// How many price requests `source` has received, errors and all.
    pub fn requests(&self, source: Source) -> u64 {
        self.state(source).requests.load(Ordering::Relaxed)
    }

    /// The step and every source's mode and request count, as `GET /devnet/feed` shows it.
    pub fn status(&self) -> FeedStatus {
        let sources = Source::ALL
            .into_iter()
            .map(|source| (source.name(), self.source_status(source)))
            .collect();
        FeedStatus {
            step: self.step(),
            sources,
        }
    }

    /// One source's mode and request count.
    pub fn source_status(&self, source: Source) -> SourceStatus {
        SourceStatus {
            mode: self.mode(source),
            requests: self.requests(source),
        }
    }

    fn state(&self, source: Source) -> &SourceState {
        &self.sources[source.index()]
    }

    /// Counts a request to `source`, waits out slow mode, and says how to answer it.
    async fn admit(&self, source: Source) -> Mode {
        self.state(source).requests.fetch_add(1, Ordering::Relaxed);
        let mode = self.mode(source);
        if let Mode::Slow { delay } = mode {
            tokio::time::sleep(delay).await;
        }
        mode
    }
}

/// What `GET /devnet/feed` answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedStatus {
    /// The current step.
    pub step: u64,
    /// Each source by name.
    pub sources: BTreeMap<&'static str, SourceStatus>,
}

/// One source's switch and counter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SourceStatus {
    /// How it answers (`"mode"` and, when slow, `"delay_ms"`).
    #[serde(flatten)]
    pub mode: Mode,
    /// Price requests received.
    pub requests: u64,
}

/// The HTTP server of the feed: the eight APIs and the control endpoints.
pub fn router(feed: Arc<Feed>) -> Router {
    Router::new()
        .route("/api/v3/simple/price", get(coingecko::simple_price))
        .route("/api/latest.json", get(openexchangerates::latest))
        .route("/v6/latest/{base}", get(exchangerate_api::latest))
        .route("/v2/exchange-rates", get(coinbase::exchange_rates))
        .route("/stats/eurofxref/eurofxref-daily.xml", get(ecb::daily))
        .route(
            "/v1/cryptocurrency/quotes/latest",
            get(coinmarketcap::quotes_latest),
        )
        .route("/exchangerates_data/latest", get(apilayer::latest))
        .route("/v1/tickers", get(coinpaprika::tickers))
        .route("/devnet/feed", get(control::status))
        .route("/devnet/feed/{source}", post(control::set_mode))
        .with_state(feed)
}

/// A JSON answer with a `Retry-After` header, as the APIs send with a 429.
fn json_retry_after(status: StatusCode, body: String, retry_after_secs: u64) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_owned(),
            ),
            (header::RETRY_AFTER, retry_after_secs.to_string()),
        ],
        body,
    )
        .into_response()
}

/// The value of query parameter `name` (the last if repeated), if present and not blank.
fn query_param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
        .filter(|value| !value.trim().is_empty())
}

/// A JSON answer.
fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The answer a source would give in normal mode, or in malformed mode the same body cut
/// in half (no longer valid JSON) with status 200, as a proxy dropping a connection would.
fn normal_or_malformed(mode: Mode, status: StatusCode, body: String) -> Response {
    if mode != Mode::Malformed {
        return json_response(status, body);
    }
    let mut cut = body.len() / 2;
    while !body.is_char_boundary(cut) {
        cut -= 1;
    }
    json_response(StatusCode::OK, body[..cut].to_owned())
}
