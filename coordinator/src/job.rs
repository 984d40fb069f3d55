//! Building the job for a block at minute 1 (DESIGN §1): the previous block's winners from
//! the graded OPR chain, the minimum difficulty, an EC balance that can pay, and prices.
//!
//! Any missing piece skips the block with a [`Skip`] that says which and why; the service
//! logs it as an error, counts it by kind and shows it in the status. Skipping is the honest
//! outcome: a job with stale winners or missing prices would only produce invalid records,
//! and one the coordinator cannot pay for would waste the miners' block.

use std::sync::Arc;

use pegnet_common::factom::Address;
use pegnet_common::opr::{Network, minimum_difficulty};
use pegnet_common::wire::{BroadcastKey, Job, JobId, PROTOCOL_VERSION};

use crate::config::Settings;
use crate::factomd::FactomdPool;
use crate::price::Oracle;
use crate::sync::{ChainSync, SyncOptions, VerifyWith};
use crate::writer::now_ms;

/// Why the job builder cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum BuilderError {
    #[error("OPR chain cache: {error}")]
    Sync { error: crate::sync::SyncError },
    #[error("price sources: {error}")]
    Oracle {
        error: crate::price::OracleConfigError,
    },
}

/// Why a block gets no job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Skip {
    #[error("no OPR version is active at height {height} on this network")]
    NoVersion { height: u32 },
    #[error("cannot grade the previous block: {reason}")]
    Sync { reason: String },
    #[error("cannot read the EC balance of {address}: {reason}")]
    Balance { address: String, reason: String },
    #[error("no entry credits: {address} holds {balance} EC; fund it to resume mining")]
    NoEc { address: String, balance: i64 },
    #[error("prices: {reason}")]
    Prices { reason: String },
    #[error("the job does not encode: {reason}")]
    Encode { reason: String },
}

impl Skip {
    /// The metric label.
    pub fn kind(&self) -> &'static str {
        match self {
            Skip::NoVersion { .. } => "no_version",
            Skip::Sync { .. } => "sync",
            Skip::Balance { .. } => "balance",
            Skip::NoEc { .. } => "no_ec",
            Skip::Prices { .. } => "prices",
            Skip::Encode { .. } => "encode",
        }
    }
}

/// A finished attempt at a job.
#[derive(Debug)]
pub struct Built {
    pub height: u32,
    pub outcome: Result<Job, Skip>,
    /// The balance read on the way, if it was.
    pub ec_balance: Option<i64>,
}

/// What a job is built with, owned by the service.
#[derive(Debug, Clone, Copy)]
pub struct JobContext<'a> {
    pub pool: &'a FactomdPool,
    pub table: &'a Arc<lxrhash::Table>,
    /// The address whose balance must pay for the block's entries.
    pub ec_public: &'a Address,
    pub broadcast: &'a BroadcastKey,
}

/// Holds the chain sync and the price oracle between blocks.
#[derive(Debug)]
pub struct JobBuilder {
    network: Network,
    cut_off: i64,
    sync: ChainSync,
    oracle: Oracle,
}

impl JobBuilder {
    pub fn new(settings: &Settings) -> Result<JobBuilder, BuilderError> {
        let sync = ChainSync::open(SyncOptions {
            state_dir: settings.state_dir.clone(),
            checkpoint: settings.checkpoint.clone(),
            ..SyncOptions::new(settings.network)
        })
        .map_err(|error| BuilderError::Sync { error })?;
        let oracle = Oracle::new(
            &settings.oracle,
            &settings.data_sources,
            &settings.asset_priority,
        )
        .map_err(|error| BuilderError::Oracle { error })?;
        Ok(JobBuilder {
            network: settings.network,
            cut_off: settings.submission_cut_off,
            sync,
            oracle,
        })
    }

    /// The enabled price sources.
    pub fn price_sources(&self) -> &[crate::price::Source] {
        self.oracle.sources()
    }

    /// The price sources' health, shared with the status snapshot.
    pub fn price_health(&self) -> std::sync::Arc<crate::health::PriceHealth> {
        self.oracle.health()
    }

    /// The job for `height`, or why there is none.
    pub async fn build(&mut self, ctx: &JobContext<'_>, height: u32, job_id: JobId) -> Built {
        let mut ec_balance = None;
        let outcome = self.try_build(ctx, height, job_id, &mut ec_balance).await;
        Built {
            height,
            outcome,
            ec_balance,
        }
    }

    async fn try_build(
        &mut self,
        ctx: &JobContext<'_>,
        height: u32,
        job_id: JobId,
        ec_balance: &mut Option<i64>,
    ) -> Result<Job, Skip> {
        let JobContext {
            pool,
            table,
            ec_public,
            broadcast,
        } = *ctx;
        let version = self
            .network
            .opr_version(height)
            .ok_or(Skip::NoVersion { height })?;
        let previous = self
            .sync
            .previous_block(pool, &VerifyWith::Lxr(Arc::clone(table)), height)
            .await
            .map_err(|e| Skip::Sync {
                reason: e.to_string(),
            })?;
        let address = ec_public.to_string();
        let balance = pool
            .call(|c| async move { c.entry_credit_balance(ec_public).await })
            .await
            .map_err(|e| Skip::Balance {
                address: address.clone(),
                reason: e.to_string(),
            })?;
        *ec_balance = Some(balance);
        // An OPR entry costs 1 EC (under 1 KiB); without one there is nothing to mine for.
        if balance < 1 {
            return Err(Skip::NoEc { address, balance });
        }
        let prices = self
            .oracle
            .prices(version)
            .await
            .map_err(|e| Skip::Prices {
                reason: e.to_string(),
            })?;
        let minimum = minimum_difficulty(&previous.graded_difficulties, self.cut_off);
        let mut job = Job {
            v: PROTOCOL_VERSION,
            job_id,
            height,
            opr_version: version,
            chain_id: self.network.opr_chain_id().0,
            winners: previous.winners,
            assets: prices.values(),
            minimum_difficulty: minimum,
            lxr_bits: u8::try_from(table.bits()).unwrap_or(u8::MAX),
            issued_at_ms: now_ms(),
            expires_at_ms: None,
            mac: [0; 32],
        };
        job.mac = broadcast.mac_job(&job).map_err(|e| Skip::Encode {
            reason: e.to_string(),
        })?;
        Ok(job)
    }
}
