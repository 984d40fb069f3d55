//! What the coordinator shows: the status page (`GET /`), a JSON status snapshot
//! (`GET /status`) and the Prometheus metrics (`GET /metrics`) on one HTTP listener.
//!
//! The snapshot is rebuilt by the service after every event worth showing and published on
//! a `watch` channel; the HTTP handler and tests read the latest value and never touch the
//! service's state.

use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::Json;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use serde::Serialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::fold::Folded;
use crate::health::HealthStatus;

/// Blocks kept in [`Status::blocks`].
pub const RECENT_BLOCKS: usize = 16;

/// The coordinator at a glance.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Status {
    pub network: String,
    /// The block being built and its minute, as last seen.
    pub height: u32,
    pub minute: u8,
    pub ec_address: String,
    /// At the last job (or skip); `None` before the first.
    pub ec_balance: Option<i64>,
    pub policy: String,
    /// How many blocks the balance still pays for at the current policy (the most entries
    /// it writes a block, at the EC an entry cost last); `None` before the first balance.
    pub ec_blocks_left: Option<u64>,
    pub job: Option<JobStatus>,
    pub miners: Vec<MinerStatus>,
    /// Sums over every session.
    pub fleet_hash_rate: f64,
    pub fleet_estimated_hash_rate: f64,
    /// Most recent last.
    pub blocks: Vec<BlockStatus>,
    /// The fleet's hash rate at the stop signal of each recent block, most recent last.
    pub hash_rate_history: Vec<HashRatePoint>,
    pub health: HealthStatus,
    /// The per-miner metric series after the cap (served on `/metrics`, not in the JSON).
    #[serde(skip)]
    pub miner_series: Folded,
}

/// The fleet's hash rate over one block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct HashRatePoint {
    pub height: u32,
    /// Sum of the rates the sessions reported.
    pub reported: f64,
    /// Sum of the rates the coordinator estimated from their shares.
    pub estimated: f64,
}

impl Status {
    /// The record of block `height`, if it is among the recent ones.
    pub fn block(&self, height: u32) -> Option<&BlockStatus> {
        self.blocks.iter().rev().find(|b| b.height == height)
    }
}

/// The current job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobStatus {
    pub job_id: String,
    pub height: u32,
    pub opr_version: u8,
    pub minimum_difficulty: u64,
    /// `open`, `closing` or `closed`.
    pub state: &'static str,
    pub shares_accepted: usize,
    pub best_difficulty: u64,
}

/// One authenticated miner session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MinerStatus {
    pub miner: String,
    pub identity: String,
    pub payout: String,
    pub slot: u32,
    pub threads: u16,
    pub hash_rate: f64,
    pub hashes_total: u64,
    pub best_difficulty: u64,
    /// Unix ms the coordinator last heard from the session.
    pub last_seen_ms: u64,
    /// From the difficulties of its shares in the current job; `None` with fewer than two.
    pub estimated_hash_rate: Option<f64>,
    pub shares_accepted: u64,
    pub shares_rejected: u64,
}

/// What happened in one block.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BlockStatus {
    pub height: u32,
    pub job_id: Option<String>,
    /// Why no job was published, if none was.
    pub skipped: Option<String>,
    /// The previous block's winners the job carried (8-byte short hashes, hex).
    pub previous_winners: Vec<String>,
    pub minimum_difficulty: u64,
    pub shares_accepted: usize,
    pub entries_chosen: usize,
    pub entries_written: usize,
    pub entries_failed: usize,
    pub ec_spent: u64,
    /// Entry hashes written, best first.
    pub written: Vec<String>,
    /// Distinct sessions with accepted shares in the block.
    pub sessions_with_shares: usize,
    /// Of the 25 winners of this block (known once the next block's job is built), how
    /// many were our entries.
    pub ours: Option<usize>,
    /// The block's entries have been chosen and written (or it ended first).
    pub done: bool,
}

/// The process-wide Prometheus recorder: installed once, shared by every coordinator (and
/// miner) in the process, as the `metrics` facade has a single global recorder.
pub fn prometheus() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| match builder().install_recorder() {
            Ok(h) => Some(h),
            Err(e) => {
                tracing::warn!(error = %e, "metrics recorder not installed; /metrics will be empty");
                None
            }
        })
        .as_ref()
}

/// The recorder's settings: price API latency and share verification as histograms with
/// explicit buckets (the exporter's default is a summary, whose quantiles cannot be
/// aggregated across sources or coordinators); latency from 10 ms to the longest
/// `Oracle.TimeoutMs`.
fn builder() -> PrometheusBuilder {
    const LATENCY_BUCKETS_SECONDS: [f64; 10] =
        [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0];
    let latency = Matcher::Full(crate::price::metrics::REQUEST_DURATION_SECONDS.to_owned());
    let verification = Matcher::Full(crate::metrics::VERIFICATION_DURATION.to_owned());
    // Fails only for an empty bucket list.
    PrometheusBuilder::new()
        .set_buckets_for_metric(latency, &LATENCY_BUCKETS_SECONDS)
        .and_then(|b| {
            b.set_buckets_for_metric(verification, &crate::metrics::VERIFICATION_BUCKETS_SECONDS)
        })
        .unwrap_or_else(|_| PrometheusBuilder::new())
}

/// Serves `/`, `/status` and `/metrics` on `addr` until shutdown; returns the bound address.
pub async fn serve(
    addr: SocketAddr,
    status: watch::Receiver<Status>,
    shutdown: CancellationToken,
) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = axum::Router::new()
        .route("/", get(status_page))
        .route("/status", get(status_json))
        .route("/metrics", get(metrics_text))
        .with_state(status);
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "status server stopped");
        }
    });
    Ok(bound)
}

async fn status_json(State(status): State<watch::Receiver<Status>>) -> Json<Status> {
    Json(status.borrow().clone())
}

async fn status_page(State(status): State<watch::Receiver<Status>>) -> Html<String> {
    let snapshot = status.borrow().clone();
    Html(crate::page::render(&snapshot, crate::writer::now_ms()))
}

/// The exporter's series, then this coordinator's per-miner families.
async fn metrics_text(State(status): State<watch::Receiver<Status>>) -> String {
    let mut text = prometheus()
        .map(PrometheusHandle::render)
        .unwrap_or_default();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&crate::metrics::render_miners(
        &status.borrow().miner_series,
    ));
    text
}
