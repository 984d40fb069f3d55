//! The PegNet network miner: hashes jobs from the coordinator with its own identity and payout
//! address and returns its best nonces. This crate also carries the operator's LXRHash tools
//! (`pegnet-miner lxr …`, `pegnet-miner bench`).
//!
//! [`run`] is the whole miner: it validates the [`MinerConfig`], loads the LXR table,
//! connects to NATS (retrying the first connect, reconnecting without limit), authenticates
//! to the coordinator, hashes each job on N OS threads in its nonce slot, streams its best
//! shares, sends the final set at the stop signal, and publishes statistics and Prometheus
//! metrics, until the cancellation token says stop.
//!
//! Map: [`config`] (keys, layering, validation), `table` (loading the LXR table),
//! `connection` (NATS and its reconnects), `session` (the handshake and the session),
//! `block` (which job to hash: a pure state machine), `hasher` (the threads), `submit`
//! (share batches and the final retry), `stats`, `metrics`, `backoff`, and `miner` (the
//! owner task that ties them together).

use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub mod bench;
mod block;
pub mod config;
mod connection;
mod hasher;
mod metrics;
mod miner;
mod outbox;
mod session;
mod stats;
mod submit;
mod table;

pub use config::{ConfigError, ConfigSecret, Flags, MinerConfig, Settings, Sources, load};
pub use metrics::MetricsError;
pub use miner::MinerStatus;
pub use table::TableError;

/// How long shutdown waits for tasks to end and for the NATS client to drain.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the miner could not run.
#[derive(Debug, thiserror::Error)]
pub enum MinerError {
    /// A configuration value is unusable.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// No LXR table.
    #[error("LXR table: {0}")]
    Table(#[from] TableError),
    /// The metrics endpoint could not start.
    #[error("metrics: {0}")]
    Metrics(#[from] MetricsError),
    /// The NATS client could not be set up (a bad option, not an unreachable server:
    /// that is retried).
    #[error("cannot set up the NATS connection to {servers}: {source}")]
    Connect {
        /// The servers, without credentials.
        servers: String,
        /// The client's error.
        source: async_nats::ConnectError,
    },
    /// A subscription could not be made.
    #[error("cannot subscribe to {subject}: {source}")]
    Subscribe {
        /// The subject.
        subject: String,
        /// The client's error.
        source: async_nats::SubscribeError,
    },
    /// The OS refused a hashing thread.
    #[error("cannot start the hashing threads: {0}")]
    Threads(std::io::Error),
    /// The connection closed for good under the miner.
    #[error(transparent)]
    Closed(#[from] miner::SubscriptionClosed),
}

/// Runs the miner until `shutdown` is cancelled; then it stops hashing, sends nothing more,
/// drains the NATS connection and returns `Ok`.
pub async fn run(config: MinerConfig, shutdown: CancellationToken) -> Result<(), MinerError> {
    run_with_status(config, shutdown, watch::Sender::new(MinerStatus::default())).await
}

/// [`run`], reporting what the miner does on `status` (its slot, job, hash count, metrics
/// address) for tests and embedding programs.
pub async fn run_with_status(
    config: MinerConfig,
    shutdown: CancellationToken,
    status: watch::Sender<MinerStatus>,
) -> Result<(), MinerError> {
    let settings = std::sync::Arc::new(config.validate()?);
    if settings.lxr_bits != lxrhash::PRODUCTION_BITS {
        tracing::warn!(
            lxr_bits = settings.lxr_bits,
            "WARNING: LXR table of {} bits: hashes and difficulties are NOT valid on a real PegNet network (it uses {}); use this for tests and devnet only",
            settings.lxr_bits,
            lxrhash::PRODUCTION_BITS
        );
    }
    // Everything started here ends with `local`, on shutdown or on an error return.
    let local = shutdown.child_token();
    let tracker = TaskTracker::new();
    let result = run_inner(settings, &local, &tracker, &status).await;
    local.cancel();
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_TIMEOUT, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("some miner tasks did not end in time");
    }
    result
}

async fn run_inner(
    settings: std::sync::Arc<Settings>,
    local: &CancellationToken,
    tracker: &TaskTracker,
    status: &watch::Sender<MinerStatus>,
) -> Result<(), MinerError> {
    if let Some(addr) = settings.metrics_addr {
        let bound = metrics::serve(addr, &settings.name, local, tracker).await?;
        tracing::info!(addr = %bound, "serving Prometheus metrics on /metrics");
        status.send_modify(|s| s.metrics_addr = Some(bound));
    }
    let Some(table) = table::obtain(
        settings.table.clone(),
        settings.lxr_bits,
        settings.lxr_dir.clone(),
        settings.lxr_placement,
        local,
    )
    .await?
    else {
        return Ok(());
    };
    let connection =
        connection::connect(&settings)
            .await
            .map_err(|source| MinerError::Connect {
                servers: settings.servers_for_log(),
                source,
            })?;
    let client = connection.client;
    let subscribe = |subject: String| {
        let client = client.clone();
        async move {
            client
                .subscribe(subject.clone())
                .await
                .map_err(|source| MinerError::Subscribe { subject, source })
        }
    };
    // Subscribed before authenticating, so no job published after our Welcome is missed.
    let inputs = miner::Inputs {
        jobs: subscribe(settings.subjects.jobs()).await?,
        minutes: subscribe(settings.subjects.minute_events()).await?,
        reconnects: connection.reconnects,
    };
    let hasher = hasher::Hasher::start(table, settings.threads, local.child_token())
        .map_err(MinerError::Threads)?;
    tracing::info!(
        name = %settings.name, servers = %settings.servers_for_log(),
        subjects = settings.subjects.prefix(), threads = settings.threads,
        identity = %settings.identity, payout = %settings.payout,
        auth = settings.secret.is_some(), "miner started"
    );
    let miner = miner::Miner::new(
        std::sync::Arc::clone(&settings),
        client.clone(),
        hasher,
        tracker.clone(),
        // Not a child of `local`: the miner ends its own tasks once it has handed in its
        // final batch after the stop (`Miner::run`).
        tokio_util::sync::CancellationToken::new(),
        status.clone(),
    );
    let result = miner.run(inputs, local).await;
    match tokio::time::timeout(SHUTDOWN_TIMEOUT, client.drain()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "could not drain the NATS connection"),
        Err(_) => tracing::warn!("draining the NATS connection timed out"),
    }
    result.map_err(MinerError::from)
}
