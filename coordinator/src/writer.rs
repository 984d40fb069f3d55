//! Paying for the chosen entries: commit, reveal, confirm (DESIGN §6, "never pay twice").
//!
//! Each entry's commit is signed exactly once, with one timestamp, and that same commit is
//! resent on every retry: factomd answers a resend with "repeated commit" (-32011), which
//! counts as committed, so a lost answer never leads to a second payment. Re-signing with a
//! new timestamp would be a second commit and a second charge. The reveal then goes out,
//! and the entry is confirmed with `ack` (TransactionACK or later). Everything retries until
//! the block closes (the `block_end` token), after which an entry would land in the next
//! block and be worthless.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use pegnet_common::factom::{EcSigningKey, Entry, EntryCommit, EntryHash};
use tokio_util::sync::CancellationToken;

use crate::factomd::{FactomdError, FactomdPool};

/// Entries written at once.
const CONCURRENT_WRITES: usize = 8;
/// First and longest wait between attempts of one step.
const FIRST_RETRY: Duration = Duration::from_millis(100);
const LAST_RETRY: Duration = Duration::from_secs(2);

/// What happened to one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Committed, revealed and acknowledged by factomd.
    Confirmed,
    /// factomd refused it (the reason), or the block closed first.
    Failed(String),
}

/// The outcome of writing one block's entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// In the order given (best first).
    pub entries: Vec<(EntryHash, Written)>,
    /// Commits factomd already had (a resend after a lost answer).
    pub repeated_commits: usize,
    /// EC the confirmed entries cost.
    pub ec_spent: u64,
}

impl WriteReport {
    pub fn confirmed(&self) -> usize {
        self.entries
            .iter()
            .filter(|(_, w)| *w == Written::Confirmed)
            .count()
    }
}

/// Commits, reveals and confirms `entries` (best first) before `block_end` is cancelled.
pub async fn write_entries(
    pool: &FactomdPool,
    key: &EcSigningKey,
    entries: Vec<Entry>,
    block_end: &CancellationToken,
) -> WriteReport {
    let outcomes: Vec<(EntryHash, u8, Result<bool, String>)> =
        futures_util::stream::iter(entries.into_iter().map(|entry| async move {
            let hash = entry.hash();
            let cost = entry.ec_cost();
            (hash, cost, write_one(pool, key, &entry, block_end).await)
        }))
        .buffered(CONCURRENT_WRITES)
        .collect()
        .await;
    let mut report = WriteReport::default();
    for (hash, cost, outcome) in outcomes {
        let written = match outcome {
            Ok(repeated) => {
                report.repeated_commits += usize::from(repeated);
                report.ec_spent += u64::from(cost);
                Written::Confirmed
            }
            Err(reason) => Written::Failed(reason),
        };
        report.entries.push((hash, written));
    }
    report
}

/// One entry; `Ok(repeated_commit)` once acknowledged.
async fn write_one(
    pool: &FactomdPool,
    key: &EcSigningKey,
    entry: &Entry,
    block_end: &CancellationToken,
) -> Result<bool, String> {
    let hash = entry.hash();
    let commit = &EntryCommit::new(entry, key, now_ms());
    let committed = retry(block_end, "commit", || async {
        match pool
            .call(|c| async move { c.commit_entry(commit).await })
            .await
        {
            Ok(_) => Ok(Some(false)),
            Err(e) if e.is_repeated_commit() => Ok(Some(true)),
            Err(e) => Err(e),
        }
    })
    .await;
    let repeated = committed.inspect_err(|e| log_failure(&hash, "commit", e))?;
    let revealed = retry(block_end, "reveal", || async {
        pool.call(|c| async move { c.reveal_entry(entry).await })
            .await
            .map(|_| Some(()))
    })
    .await;
    if let Err(e) = revealed {
        // A reveal factomd refuses may still be in (a resend of one that got through):
        // the ack below decides.
        tracing::warn!(entry = %hash, error = %e, "reveal refused; checking ack");
    }
    let chain = &entry.chain_id();
    let hash_ref = &hash;
    retry(block_end, "ack", || async {
        let ack = pool
            .call(|c| async move { c.ack_entry(hash_ref, chain).await })
            .await?;
        Ok(ack.entry_data.status.is_acknowledged().then_some(()))
    })
    .await
    .inspect_err(|e| log_failure(&hash, "ack", e))?;
    Ok(repeated)
}

fn log_failure(hash: &EntryHash, step: &str, reason: &str) {
    metrics::counter!(crate::metrics::WRITE_FAILURES, "step" => step.to_owned()).increment(1);
    tracing::error!(entry = %hash, step, reason, "entry not written");
}

/// Runs `attempt` until it gives `Some`, fails with an answer from factomd, or the block
/// ends. `Ok(None)` means "not yet" (an ack still pending); transport failures are retried.
async fn retry<T, Fut>(
    block_end: &CancellationToken,
    step: &str,
    attempt: impl Fn() -> Fut,
) -> Result<T, String>
where
    Fut: std::future::Future<Output = Result<Option<T>, FactomdError>>,
{
    let mut wait = FIRST_RETRY;
    loop {
        let outcome = tokio::select! {
            () = block_end.cancelled() => return Err(format!("block closed before the {step} went through")),
            r = attempt() => r,
        };
        match outcome {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) if e.is_retryable() => {
                tracing::warn!(step, error = %e, "factomd unreachable; retrying");
            }
            Err(e) => return Err(format!("factomd refused the {step}: {e}")),
        }
        tokio::select! {
            () = block_end.cancelled() => return Err(format!("block closed before the {step} went through")),
            () = tokio::time::sleep(wait) => {}
        }
        wait = (wait * 2).min(LAST_RETRY);
    }
}

/// Unix milliseconds now (commit timestamps).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
