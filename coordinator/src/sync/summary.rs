//! What the sync keeps of one block once it is graded: enough to build the next block's job
//! (its winners) and its minimum difficulty (its graded difficulties), and nothing else, so
//! it fits one short line of the cache file.

use serde::{Deserialize, Serialize};

use pegnet_common::opr::{GradedBlock, ShortHash};

/// How the sync knows a block's winners.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockSource {
    /// Graded from its records.
    Graded,
    /// Given by the configured checkpoint; its records were not looked at.
    Checkpoint,
    /// The block before the first one the sync graded: its winners are those most of the
    /// next block's best records list, or empty when the look-back found no records at all.
    Inferred,
    /// Before the OPR chain's first block (the activation height, or the first block the
    /// node has): no winners yet.
    ChainStart,
}

/// One block as the sync remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockSummary {
    /// The directory block height.
    pub height: u32,
    /// How its winners are known.
    pub source: BlockSource,
    /// Entries in the OPR chain's entry block (0 when it has none).
    pub records: u32,
    /// Entries that are valid OPRs of the block.
    pub valid: u32,
    /// Whether the block had winners of its own (else `winners` are carried forward).
    pub has_winners: bool,
    /// The winners the next block's records must list, before expanding for the next
    /// block's version (see `grading::expected_winners`); empty at a chain's start.
    pub winners: Vec<Option<ShortHash>>,
    /// Difficulties of the graded records (at most 50 honest ones), in final grading order:
    /// what the minimum difficulty of the next block is estimated from.
    pub graded_difficulties: Vec<u64>,
}

impl BlockSummary {
    /// The summary of a graded block with `records` entries.
    pub fn graded(block: &GradedBlock, records: usize) -> BlockSummary {
        BlockSummary {
            height: block.height,
            source: BlockSource::Graded,
            records: count(records),
            valid: count(block.valid_count),
            has_winners: block.has_winners,
            winners: block.winners.clone(),
            graded_difficulties: block
                .graded
                .iter()
                .map(|g| g.record.self_reported_difficulty)
                .collect(),
        }
    }

    /// A block known only by its winners (a checkpoint, or where the sync started).
    pub fn anchor(
        height: u32,
        source: BlockSource,
        winners: Vec<Option<ShortHash>>,
    ) -> BlockSummary {
        BlockSummary {
            height,
            source,
            records: 0,
            valid: 0,
            has_winners: winners.iter().any(Option::is_some),
            winners,
            graded_difficulties: Vec::new(),
        }
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
