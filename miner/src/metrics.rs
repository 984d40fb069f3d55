//! Prometheus metrics (DESIGN §8): every metric the miner records is named here, and
//! [`serve`] exposes them on `GET /metrics` when `Miner.MetricsAddr` is set.
//!
//! Names are `pegnet_miner_<what>_<unit>`, counters end in `_total`. Labels are bounded: the
//! miner's stable name (a global label) and fixed reason strings from the wire protocol,
//! never a session or connection id. Without an exporter the `metrics` facade drops
//! everything, so recording is always safe.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use metrics::{Unit, counter, describe_counter, describe_gauge, gauge};
use metrics_exporter_prometheus::PrometheusBuilder;
use pegnet_common::wire::ShareReject;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

const HASHES: &str = "pegnet_miner_hashes_total";
const HASH_RATE: &str = "pegnet_miner_hash_rate_hashes_per_second";
const THREAD_HASH_RATE: &str = "pegnet_miner_thread_hash_rate_hashes_per_second";
const THREADS: &str = "pegnet_miner_threads";
const TABLE_LOAD: &str = "pegnet_miner_table_load_seconds";
const TABLE_HUGE_PAGES: &str = "pegnet_miner_table_huge_pages_bytes";
const JOBS: &str = "pegnet_miner_jobs_received_total";
const IGNORED: &str = "pegnet_miner_messages_ignored_total";
const SHARES_SENT: &str = "pegnet_miner_shares_sent_total";
const SHARES_ACCEPTED: &str = "pegnet_miner_shares_accepted_total";
const SHARES_REJECTED: &str = "pegnet_miner_shares_rejected_total";
const BATCH_FAILURES: &str = "pegnet_miner_batch_failures_total";
const AUTHENTICATIONS: &str = "pegnet_miner_authentications_total";
const AUTH_FAILURES: &str = "pegnet_miner_auth_failures_total";
const RECONNECTS: &str = "pegnet_miner_reconnects_total";
const BEST: &str = "pegnet_miner_best_difficulty";
const HEIGHT: &str = "pegnet_miner_height";

/// How often the exporter's histograms are maintained; the miner has none, so rarely.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(10);

/// Why the exporter could not start.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// Another exporter already owns this process's metrics (two miners in one process).
    #[error("a metrics recorder is already installed in this process: {0}")]
    AlreadyInstalled(String),
    /// The listen address is taken or not allowed.
    #[error("cannot listen for metrics on {addr}: {source}")]
    Bind {
        /// `Miner.MetricsAddr`.
        addr: SocketAddr,
        /// The socket error.
        source: std::io::Error,
    },
}

/// Installs the Prometheus recorder with `miner` as a global label and serves `/metrics`
/// on `addr` until `shutdown`; returns the address actually bound (port 0 picks one).
pub async fn serve(
    addr: SocketAddr,
    miner: &str,
    shutdown: &CancellationToken,
    tracker: &TaskTracker,
) -> Result<SocketAddr, MetricsError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| MetricsError::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| MetricsError::Bind { addr, source })?;
    let recorder = PrometheusBuilder::new()
        .add_global_label("miner", miner)
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder)
        .map_err(|e| MetricsError::AlreadyInstalled(e.to_string()))?;
    describe();
    zero();
    let render = handle.clone();
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let render = render.clone();
            async move { render.render() }
        }),
    );
    let stop = shutdown.clone();
    tracker.spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned());
        if let Err(e) = server.await {
            tracing::error!(error = %e, "the metrics endpoint stopped");
        }
    });
    let stop = shutdown.clone();
    tracker.spawn(async move {
        let mut tick = tokio::time::interval(UPKEEP_INTERVAL);
        while stop.run_until_cancelled(tick.tick()).await.is_some() {
            handle.run_upkeep();
        }
    });
    Ok(bound)
}

/// Exports the counters that may stay at zero for a long time from the start, so the first
/// increment shows in `rate()` and dashboards have a series before anything went wrong.
fn zero() {
    counter!(RECONNECTS).absolute(0);
    // Exported before the first ack: a scrape racing the first batch's ack still has it.
    counter!(SHARES_ACCEPTED).absolute(0);
    for kind in ["stream", "final"] {
        counter!(SHARES_SENT, "kind" => kind).absolute(0);
    }
    for reason in ShareReject::ALL {
        counter!(SHARES_REJECTED, "reason" => reason.as_str()).absolute(0);
        counter!(BATCH_FAILURES, "reason" => reason.as_str()).absolute(0);
    }
    // The failures an operator watches for; a coordinator's refusals come as they happen.
    for reason in [
        "timeout",
        "no_responders",
        "bad_proof",
        "bad_coordinator_proof",
        "auth_mismatch",
    ] {
        counter!(AUTH_FAILURES, "reason" => reason).absolute(0);
    }
    for message in ["job", "minute"] {
        counter!(IGNORED, "message" => message, "reason" => "bad_mac").absolute(0);
    }
}

fn describe() {
    describe_counter!(HASHES, Unit::Count, "LXRHashes computed since start");
    describe_gauge!(HASH_RATE, "Recent hashes per second, all threads");
    describe_gauge!(
        THREAD_HASH_RATE,
        "Recent hashes per second of one hashing thread"
    );
    describe_gauge!(
        TABLE_LOAD,
        Unit::Seconds,
        "Time the LXR table took to load or generate"
    );
    describe_gauge!(
        TABLE_HUGE_PAGES,
        Unit::Bytes,
        "Bytes of the table on huge pages"
    );
    describe_gauge!(
        THREADS,
        Unit::Count,
        "Hashing threads the coordinator allows"
    );
    describe_counter!(JOBS, Unit::Count, "Authentic jobs received");
    describe_counter!(
        IGNORED,
        Unit::Count,
        "Jobs and minute events ignored, by message and reason"
    );
    describe_counter!(SHARES_SENT, Unit::Count, "Shares sent, by batch kind");
    describe_counter!(
        SHARES_ACCEPTED,
        Unit::Count,
        "Shares the coordinator accepted"
    );
    describe_counter!(
        SHARES_REJECTED,
        Unit::Count,
        "Shares the coordinator refused, by reason"
    );
    describe_counter!(
        BATCH_FAILURES,
        Unit::Count,
        "Share batches refused whole or unanswered, by reason"
    );
    describe_counter!(AUTHENTICATIONS, Unit::Count, "Sessions opened");
    describe_counter!(
        AUTH_FAILURES,
        Unit::Count,
        "Failed authentications, by reason"
    );
    describe_counter!(RECONNECTS, Unit::Count, "NATS reconnections");
    describe_gauge!(BEST, "Best difficulty found for the current job");
    describe_gauge!(HEIGHT, "Height of the block being mined");
}

/// The hash counter, from the hashers' own total.
pub fn hashes(total: u64) {
    counter!(HASHES).absolute(total);
}

pub fn hash_rate(per_second: f64) {
    gauge!(HASH_RATE).set(per_second);
}

pub fn threads(n: u16) {
    gauge!(THREADS).set(f64::from(n));
}

/// One hashing thread's rate; `thread` is its index (bounded by `Miner.NumberOfMiners`).
pub fn thread_hash_rate(thread: usize, per_second: f64) {
    gauge!(THREAD_HASH_RATE, "thread" => thread.to_string()).set(per_second);
}

/// The table is ready: how long it took and how much of it is on huge pages.
pub fn table_loaded(took: Duration, huge_page_bytes: u64) {
    gauge!(TABLE_LOAD).set(took.as_secs_f64());
    gauge!(TABLE_HUGE_PAGES).set(huge_page_bytes as f64);
}

pub fn job_received(height: u32) {
    counter!(JOBS).increment(1);
    gauge!(HEIGHT).set(f64::from(height));
}

/// A job or minute event not acted on; `message` is `job` or `minute`.
pub fn ignored(message: &'static str, reason: &'static str) {
    counter!(IGNORED, "message" => message, "reason" => reason).increment(1);
}

/// `kind` is `stream` or `final`.
pub fn shares_sent(kind: &'static str, n: usize) {
    counter!(SHARES_SENT, "kind" => kind).increment(u64::try_from(n).unwrap_or(u64::MAX));
}

pub fn shares_accepted(n: u32) {
    counter!(SHARES_ACCEPTED).increment(u64::from(n));
}

pub fn share_rejected(reason: &'static str) {
    counter!(SHARES_REJECTED, "reason" => reason).increment(1);
}

pub fn batch_failed(reason: &'static str) {
    counter!(BATCH_FAILURES, "reason" => reason).increment(1);
}

pub fn authenticated() {
    counter!(AUTHENTICATIONS).increment(1);
}

pub fn auth_failed(reason: &'static str) {
    counter!(AUTH_FAILURES, "reason" => reason).increment(1);
}

pub fn reconnected() {
    counter!(RECONNECTS).increment(1);
}

pub fn best_difficulty(difficulty: u64) {
    // A gauge is an f64: the top bits are what a dashboard shows anyway.
    gauge!(BEST).set(difficulty as f64);
}
