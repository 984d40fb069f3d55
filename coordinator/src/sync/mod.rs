//! OPR chain sync: the graded state of the chain up to the block before the one being built,
//! which is what a job needs. At minute 1 of block H the coordinator asks
//! [`ChainSync::previous_block`] for H: the winners of block H−1 exactly as the records of H
//! list them (`OprContent::winners`), and H−1's graded difficulties for the minimum
//! difficulty.
//!
//! Grading block h needs h−1's winners, so the sync walks forward one block at a time: for
//! each height, the directory block, the OPR chain's entry block in it (none means no
//! records: the winners carry forward), its entries (fetched concurrently, see `fetch`),
//! and grading off the async runtime. Where the walk starts:
//!
//! - after the newest block in the cache (`<state dir>/opr-sync.jsonl`, see `cache`), so a
//!   restart fetches only what is new;
//! - at a configured [`Checkpoint`] ahead of the cache: its winners are taken as given;
//! - otherwise at the newest block with records among the last `lookback_blocks` (never
//!   before the network's activation), whose previous winners are read from its own records
//!   (`infer`). A real MainNet is tens of thousands of blocks past activation, and the
//!   newest block's records name its previous winners, so one block is usually all it takes.
//!   Looking back stops early at the node's first block (a devnet's genesis) or at the
//!   activation height: before either there are no winners. If the look-back finds no
//!   records at all, the chain is taken to start with empty winners.
//!
//! The sync keeps the newest [`KEEP_BLOCKS`] blocks in memory; older ones are
//! [`SyncError::Forgotten`]. One owner calls it (`&mut self`); it shares nothing.

mod cache;
mod checkpoint;
mod error;
mod fetch;
mod infer;
mod summary;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pegnet_common::factom::{ChainId, Entry};
use pegnet_common::opr::{Network, ShortHash, Verify, grade, grading};

use crate::factomd::FactomdPool;

use cache::CacheFile;
pub use cache::{CacheError, FILE_NAME as CACHE_FILE_NAME, LineProblem};
pub use checkpoint::{Checkpoint, CheckpointError};
pub use error::{Malformed, Request, SyncError};
pub use fetch::{ENTRY_FETCHES_IN_FLIGHT, MAX_ENTRIES_PER_BLOCK};
pub use summary::{BlockSource, BlockSummary};

/// How far back the sync looks for a starting block when it has neither cache nor
/// checkpoint: about a week of MainNet blocks. Only blocks without records cost a request
/// each; the search stops at the newest block that has records.
pub const DEFAULT_LOOKBACK_BLOCKS: u32 = 1_000;
/// Blocks kept in memory (and in the cache after compaction): the newest is all a job needs;
/// the rest answer late or repeated questions.
pub const KEEP_BLOCKS: usize = 64;

/// How to open a [`ChainSync`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOptions {
    /// The network whose OPR chain is synced.
    pub network: Network,
    /// Where the cache file lives; `None` keeps everything in memory only.
    pub state_dir: Option<PathBuf>,
    /// A block whose winners are taken as given when it is newer than the cache.
    pub checkpoint: Option<Checkpoint>,
    /// See [`DEFAULT_LOOKBACK_BLOCKS`]; at least 1.
    pub lookback_blocks: u32,
}

impl SyncOptions {
    /// Memory only, no checkpoint, the default look-back.
    pub fn new(network: Network) -> SyncOptions {
        SyncOptions {
            network,
            state_dir: None,
            checkpoint: None,
            lookback_blocks: DEFAULT_LOOKBACK_BLOCKS,
        }
    }
}

/// How the sync learns a record's real difficulty.
#[derive(Debug, Clone)]
pub enum VerifyWith {
    /// Recompute it with LXRHash, as the network does: the coordinator's table.
    Lxr(Arc<lxrhash::Table>),
    /// Trust the record's own claim: for tools without the table, not for jobs on a real
    /// network (a dishonest record could change the winners).
    SelfReported,
}

impl VerifyWith {
    fn as_verify(&self) -> Verify<'_> {
        match self {
            VerifyWith::Lxr(table) => Verify::Lxr(table),
            VerifyWith::SelfReported => Verify::SelfReported,
        }
    }
}

/// What a job for block `height + 1` needs from block `height`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousBlock {
    /// The block these facts are about (the job's height − 1).
    pub height: u32,
    /// The OPR version of the job's block.
    pub opr_version: u8,
    /// The previous winners exactly as the job's records list them (`OprContent::winners`,
    /// `Job::winners`): 25 (v1: 10) short hashes of 8 bytes, or as many empty ones before
    /// the chain's first winners.
    pub winners: Vec<Vec<u8>>,
    /// The difficulties of the block's graded records (at most 50), for
    /// `pegnet_common::opr::minimum_difficulty`; empty when it had none, or when the block
    /// is a checkpoint or the sync's starting point (its records were not graded).
    pub graded_difficulties: Vec<u64>,
    /// Entries in the block's OPR entry block.
    pub records: u32,
    /// Those that are valid records.
    pub valid_records: u32,
    /// Whether the block had winners of its own (else they were carried forward).
    pub has_winners: bool,
    /// How the sync knows the block's winners.
    pub source: BlockSource,
}

/// The graded state of one network's OPR chain.
#[derive(Debug)]
pub struct ChainSync {
    network: Network,
    chain: ChainId,
    /// The first height with an OPR version.
    activation: u32,
    lookback_blocks: u32,
    /// Consecutive heights, oldest first, at most [`KEEP_BLOCKS`].
    blocks: VecDeque<BlockSummary>,
    /// How many of the newest `blocks` are not in the cache yet.
    unsaved: usize,
    /// Shared only to move into a blocking task for the write.
    cache: Option<Arc<Mutex<CacheFile>>>,
    cache_path: Option<PathBuf>,
}

/// Where [`ChainSync::find_start`] decided to begin.
struct Start {
    /// The block before the first one to grade, known by its winners; `None` when grading
    /// starts at height 0.
    anchor: Option<BlockSummary>,
    /// Blocks already fetched while looking, oldest first, to grade without fetching again.
    fetched: Vec<(u32, Vec<Entry>)>,
}

impl ChainSync {
    /// Opens the sync: checks the checkpoint, and reads (or creates) the cache when there is a
    /// state directory. Blocking file IO: call it at start-up.
    pub fn open(options: SyncOptions) -> Result<ChainSync, SyncError> {
        let network = options.network;
        let checkpoint = match &options.checkpoint {
            Some(c) => Some(BlockSummary::anchor(
                c.height,
                BlockSource::Checkpoint,
                c.parse(network)?,
            )),
            None => None,
        };
        let (cache, cached) = match &options.state_dir {
            Some(dir) => {
                let (cache, blocks) = CacheFile::open(dir, network)?;
                (Some(cache), blocks)
            }
            None => (None, Vec::new()),
        };
        let skip = cached.len().saturating_sub(KEEP_BLOCKS);
        let mut sync = ChainSync {
            network,
            chain: network.opr_chain_id(),
            activation: (1..=5)
                .filter_map(|v| network.first_height(v))
                .min()
                .unwrap_or(0),
            lookback_blocks: options.lookback_blocks.max(1),
            blocks: cached.into_iter().skip(skip).collect(),
            unsaved: 0,
            cache_path: cache.as_ref().map(|c| c.path().to_owned()),
            cache: None,
        };
        let mut cache = cache;
        if let Some(checkpoint) = checkpoint {
            sync.apply_checkpoint(checkpoint, cache.as_mut())?;
        }
        sync.cache = cache.map(|c| Arc::new(Mutex::new(c)));
        if let Some(tip) = sync.synced_height() {
            metrics::gauge!(crate::metrics::SYNC_HEIGHT).set(f64::from(tip));
        }
        Ok(sync)
    }

    /// The newest block synced, if any.
    pub fn synced_height(&self) -> Option<u32> {
        self.blocks.back().map(|b| b.height)
    }

    /// What the sync remembers of block `height`.
    pub fn block(&self, height: u32) -> Option<&BlockSummary> {
        let oldest = self.blocks.front()?.height;
        let index = usize::try_from(height.checked_sub(oldest)?).ok()?;
        self.blocks.get(index)
    }

    /// The cache file, when there is a state directory.
    pub fn cache_path(&self) -> Option<&Path> {
        self.cache_path.as_deref()
    }

    /// What the job for block `height` needs from block `height − 1`, syncing up to it
    /// first. A failure to write the cache is logged and counted, not returned: the answer is
    /// right either way, and the job must go out.
    pub async fn previous_block(
        &mut self,
        pool: &FactomdPool,
        verify: &VerifyWith,
        height: u32,
    ) -> Result<PreviousBlock, SyncError> {
        let not_active = SyncError::NotActive {
            height,
            network: self.network,
        };
        let Some(version) = self.network.opr_version(height) else {
            return Err(not_active);
        };
        let Some(target) = height.checked_sub(1) else {
            return Err(not_active);
        };
        let synced = self.sync_to(pool, verify, target).await;
        self.save().await;
        synced?;
        let block = self.block(target).ok_or(SyncError::Forgotten {
            height: target,
            oldest: self.blocks.front().map_or(target, |b| b.height),
        })?;
        let winners = grading::expected_winners(version, &block.winners)
            .map_err(|source| SyncError::Grade { height, source })?;
        Ok(PreviousBlock {
            height: target,
            opr_version: version,
            winners: winners
                .iter()
                .map(|w| w.map_or_else(Vec::new, |h| h.to_vec()))
                .collect(),
            graded_difficulties: block.graded_difficulties.clone(),
            records: block.records,
            valid_records: block.valid,
            has_winners: block.has_winners,
            source: block.source,
        })
    }

    /// Starts from `checkpoint` unless the cache already reaches it; a cache that still
    /// holds the checkpoint's block must agree with it.
    fn apply_checkpoint(
        &mut self,
        checkpoint: BlockSummary,
        cache: Option<&mut CacheFile>,
    ) -> Result<(), SyncError> {
        if self.synced_height() >= Some(checkpoint.height) {
            return match (self.block(checkpoint.height), cache) {
                (Some(b), Some(cache)) if !same_winners(&b.winners, &checkpoint.winners) => {
                    Err(CheckpointError::CacheDisagrees {
                        height: checkpoint.height,
                        cache: cache.path().to_owned(),
                    }
                    .into())
                }
                _ => Ok(()),
            };
        }
        if let Some(cache) = cache {
            cache.rewrite(std::slice::from_ref(&checkpoint))?;
        }
        tracing::info!(
            height = checkpoint.height,
            "OPR sync starts at the checkpoint"
        );
        self.blocks.clear();
        self.blocks.push_back(checkpoint);
        Ok(())
    }

    /// Brings the state up to block `target`.
    async fn sync_to(
        &mut self,
        pool: &FactomdPool,
        verify: &VerifyWith,
        target: u32,
    ) -> Result<(), SyncError> {
        if self.blocks.is_empty() {
            let start = self.find_start(pool, verify, target).await?;
            if let Some(anchor) = start.anchor {
                tracing::info!(height = anchor.height, source = ?anchor.source, "OPR sync starts");
                self.push(anchor);
            }
            for (height, entries) in start.fetched {
                self.grade_next(verify, height, entries).await?;
            }
        }
        let Some(tip) = self.synced_height() else {
            return Ok(());
        };
        for height in tip.saturating_add(1)..=target {
            let entries = fetch::opr_entries(pool, self.chain, height).await?;
            self.grade_next(verify, height, entries).await?;
        }
        Ok(())
    }

    /// Looks back from `target` for the newest block whose records tell its previous
    /// winners (see the module docs).
    async fn find_start(
        &self,
        pool: &FactomdPool,
        verify: &VerifyWith,
        target: u32,
    ) -> Result<Start, SyncError> {
        let lookback_floor = target.saturating_sub(self.lookback_blocks - 1);
        let floor = self.activation.max(lookback_floor);
        let mut fetched = Vec::new();
        let mut height = target;
        let anchor = loop {
            if height < floor {
                break self.assumed_start(floor);
            }
            let entries = match fetch::opr_entries(pool, self.chain, height).await {
                // Below the node's first block (a devnet's genesis) there is no chain.
                Err(SyncError::NotSaved { .. }) if height < target => {
                    break Some(BlockSummary::anchor(
                        height,
                        BlockSource::ChainStart,
                        Vec::new(),
                    ));
                }
                result => result?,
            };
            let (entries, inferred) = self.infer(verify, height, entries).await?;
            fetched.push((height, entries));
            if let Some(winners) = inferred {
                break height
                    .checked_sub(1)
                    .map(|h| BlockSummary::anchor(h, BlockSource::Inferred, winners));
            }
            let Some(below) = height.checked_sub(1) else {
                break None;
            };
            height = below;
        };
        fetched.reverse();
        Ok(Start { anchor, fetched })
    }

    /// The block before `floor` when looking back found no records down to it.
    fn assumed_start(&self, floor: u32) -> Option<BlockSummary> {
        let source = if floor == self.activation {
            BlockSource::ChainStart
        } else {
            tracing::warn!(
                blocks = self.lookback_blocks,
                "no OPR records in the look-back window: starting with empty previous winners"
            );
            BlockSource::Inferred
        };
        floor
            .checked_sub(1)
            .map(|h| BlockSummary::anchor(h, source, Vec::new()))
    }

    /// The previous winners block `height`'s records list, graded off the runtime; the
    /// entries are handed back.
    async fn infer(
        &self,
        verify: &VerifyWith,
        height: u32,
        entries: Vec<Entry>,
    ) -> Result<(Vec<Entry>, Option<Vec<Option<ShortHash>>>), SyncError> {
        let Some(version) = self.network.opr_version(height) else {
            return Ok((entries, None));
        };
        if entries.is_empty() {
            return Ok((entries, None));
        }
        let verify = verify.clone();
        tokio::task::spawn_blocking(move || {
            let winners = infer::previous_winners(version, height, &entries, verify.as_verify());
            (entries, winners)
        })
        .await
        .map_err(|source| SyncError::Task { height, source })
    }

    /// Grades block `height` (the one after the newest) with the newest block's winners.
    async fn grade_next(
        &mut self,
        verify: &VerifyWith,
        height: u32,
        entries: Vec<Entry>,
    ) -> Result<(), SyncError> {
        let previous = self
            .blocks
            .back()
            .map(|b| b.winners.clone())
            .unwrap_or_default();
        let network = self.network;
        let summary = if entries.is_empty() {
            // Nothing to hash: carrying the winners forward is not worth a thread hop.
            grade_block(network, height, &entries, &previous, Verify::SelfReported)?
        } else {
            let verify = verify.clone();
            tokio::task::spawn_blocking(move || {
                grade_block(network, height, &entries, &previous, verify.as_verify())
            })
            .await
            .map_err(|source| SyncError::Task { height, source })??
        };
        metrics::counter!(crate::metrics::SYNC_BLOCKS_GRADED).increment(1);
        self.push(summary);
        Ok(())
    }

    fn push(&mut self, block: BlockSummary) {
        metrics::gauge!(crate::metrics::SYNC_HEIGHT).set(f64::from(block.height));
        self.blocks.push_back(block);
        while self.blocks.len() > KEEP_BLOCKS {
            self.blocks.pop_front();
        }
        self.unsaved += 1;
    }

    /// Writes the blocks not yet in the cache, off the runtime.
    async fn save(&mut self) {
        let new = std::mem::take(&mut self.unsaved);
        let Some(cache) = self.cache.clone() else {
            return;
        };
        if new == 0 {
            return;
        }
        let kept: Vec<BlockSummary> = self.blocks.iter().cloned().collect();
        let saved = tokio::task::spawn_blocking(move || lock(&cache).save(&kept, new)).await;
        let error = match saved {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        metrics::counter!(crate::metrics::SYNC_CACHE_WRITE_FAILURES).increment(1);
        tracing::warn!(%error, "could not write the OPR sync cache; it is rewritten at the next sync");
    }
}

/// Grades one block into its summary; a block before activation carries the winners.
fn grade_block(
    network: Network,
    height: u32,
    entries: &[Entry],
    previous: &[Option<ShortHash>],
    verify: Verify<'_>,
) -> Result<BlockSummary, SyncError> {
    let Some(version) = network.opr_version(height) else {
        let mut carried = BlockSummary::anchor(height, BlockSource::Graded, previous.to_vec());
        carried.records = u32::try_from(entries.len()).unwrap_or(u32::MAX);
        carried.has_winners = false;
        return Ok(carried);
    };
    let graded = grade(version, height, entries, previous, verify)
        .map_err(|source| SyncError::Grade { height, source })?;
    Ok(BlockSummary::graded(&graded, entries.len()))
}

/// Winner lists that records would list alike: no winners is the same as all empty.
fn same_winners(a: &[Option<ShortHash>], b: &[Option<ShortHash>]) -> bool {
    let empty = |w: &[Option<ShortHash>]| w.iter().all(Option::is_none);
    a == b || (empty(a) && empty(b))
}

fn lock(cache: &Mutex<CacheFile>) -> MutexGuard<'_, CacheFile> {
    // A panic mid-write leaves the file marked dirty, to be rewritten whole.
    cache.lock().unwrap_or_else(PoisonError::into_inner)
}
