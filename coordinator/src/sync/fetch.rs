//! Reading one block's OPRs from factomd: the directory block at the height, the OPR chain's
//! entry block in it (if any), and its entries, fetched concurrently but returned in
//! entry-block order (grading depends on that order: the first of two duplicates wins).
//!
//! Every answer is checked to be what was asked for (the height, the chain; the client
//! already checks each entry's hash), so a confused node cannot feed the grader another
//! chain's entries.

use futures_util::{StreamExt, TryStreamExt, stream};

use pegnet_common::factom::{Bytes32, ChainId, Entry, EntryHash};

use super::error::{Malformed, Request, SyncError};
use crate::factomd::FactomdPool;

/// Entry requests in flight at once per block: enough to hide a node's latency, few enough
/// not to flood it.
pub const ENTRY_FETCHES_IN_FLIGHT: usize = 8;
/// More entries than any real OPR block had (the largest MainNet block held 4643).
pub const MAX_ENTRIES_PER_BLOCK: usize = 100_000;

/// The OPR chain's entries in directory block `height`, in entry-block order; empty when the
/// chain has no entry block there. [`SyncError::NotSaved`] when factomd does not have the
/// block.
pub async fn opr_entries(
    pool: &FactomdPool,
    chain: ChainId,
    height: u32,
) -> Result<Vec<Entry>, SyncError> {
    let Some(keymr) = opr_entry_block(pool, chain, height).await? else {
        return Ok(Vec::new());
    };
    let hashes = entry_hashes(pool, chain, height, keymr).await?;
    let entries: Vec<Entry> = stream::iter(hashes)
        .map(|hash| entry(pool, chain, height, hash))
        .buffered(ENTRY_FETCHES_IN_FLIGHT)
        .try_collect()
        .await?;
    metrics::counter!(crate::metrics::SYNC_ENTRIES_FETCHED).increment(entries.len() as u64);
    Ok(entries)
}

/// The KeyMR of the chain's entry block in directory block `height`.
async fn opr_entry_block(
    pool: &FactomdPool,
    chain: ChainId,
    height: u32,
) -> Result<Option<Bytes32>, SyncError> {
    let at = match pool
        .call(|c| async move { c.dblock_by_height(height).await })
        .await
    {
        Ok(at) => at,
        Err(e) if e.is_not_found() => return Err(SyncError::NotSaved { height }),
        Err(e) => return Err(SyncError::factomd(height, Request::DirectoryBlock, e)),
    };
    let malformed = |problem| SyncError::Malformed { height, problem };
    if at.dblock.header.db_height != i64::from(height) {
        return Err(malformed(Malformed::DirectoryBlockHeight {
            got: at.dblock.header.db_height,
        }));
    }
    let mut ours = at.dblock.entries.iter().filter(|e| e.chain_id == chain);
    let first = ours.next().map(|e| e.keymr);
    let more = ours.count();
    if more > 0 {
        return Err(malformed(Malformed::RepeatedChain { count: more + 1 }));
    }
    Ok(first)
}

/// The entry hashes of entry block `keymr`, checked to be the chain's at `height`.
async fn entry_hashes(
    pool: &FactomdPool,
    chain: ChainId,
    height: u32,
    keymr: Bytes32,
) -> Result<Vec<EntryHash>, SyncError> {
    let eblock = pool
        .call(|c| async move { c.entry_block(&keymr).await })
        .await
        .map_err(|e| SyncError::factomd(height, Request::EntryBlock(keymr), e))?;
    let malformed = |problem| SyncError::Malformed { height, problem };
    if eblock.header.chain_id != chain {
        return Err(malformed(Malformed::EntryBlockChain {
            keymr,
            got: eblock.header.chain_id,
        }));
    }
    if eblock.header.db_height != i64::from(height) {
        return Err(malformed(Malformed::EntryBlockHeight {
            keymr,
            got: eblock.header.db_height,
        }));
    }
    if eblock.entries.len() > MAX_ENTRIES_PER_BLOCK {
        return Err(malformed(Malformed::TooManyEntries {
            keymr,
            count: eblock.entries.len(),
            limit: MAX_ENTRIES_PER_BLOCK,
        }));
    }
    Ok(eblock.entries.iter().map(|e| e.entry_hash).collect())
}

async fn entry(
    pool: &FactomdPool,
    chain: ChainId,
    height: u32,
    hash: EntryHash,
) -> Result<Entry, SyncError> {
    let entry = pool
        .call(|c| async move { c.entry(&hash).await })
        .await
        .map_err(|e| SyncError::factomd(height, Request::Entry(hash), e))?;
    if entry.chain_id() != chain {
        return Err(SyncError::Malformed {
            height,
            problem: Malformed::EntryChain {
                hash,
                got: entry.chain_id(),
            },
        });
    }
    Ok(entry)
}
