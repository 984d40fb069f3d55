//! What can stop the sync, named by the block it was working on and by what failed, so the
//! caller can tell "factomd did not answer" (retry later, try another node) from "factomd
//! answered something that is not a block" (a bad node) from "the cache file is wrong" (an
//! operator must look) from "the block is not saved yet" (wait).

use std::fmt;

use pegnet_common::factom::{Bytes32, ChainId, EntryHash};
use pegnet_common::opr::{GradeError, Network};

use super::cache::CacheError;
use super::checkpoint::CheckpointError;
use crate::factomd::FactomdError;

/// The factomd request that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// `dblock-by-height` of the block.
    DirectoryBlock,
    /// `entry-block` of the OPR chain's entry block, by KeyMR.
    EntryBlock(Bytes32),
    /// `entry` of one record, by entry hash.
    Entry(EntryHash),
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::DirectoryBlock => f.write_str("dblock-by-height"),
            Request::EntryBlock(keymr) => write!(f, "entry-block {keymr}"),
            Request::Entry(hash) => write!(f, "entry {hash}"),
        }
    }
}

/// An answer that cannot be the block asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("dblock-by-height answered directory block {got}")]
    DirectoryBlockHeight { got: i64 },
    #[error("the directory block lists the OPR chain {count} times")]
    RepeatedChain { count: usize },
    #[error("entry-block {keymr} belongs to chain {got}, not the OPR chain")]
    EntryBlockChain { keymr: Bytes32, got: ChainId },
    #[error("entry-block {keymr} says it is in directory block {got}")]
    EntryBlockHeight { keymr: Bytes32, got: i64 },
    #[error("entry-block {keymr} lists {count} entries, more than the limit of {limit}")]
    TooManyEntries {
        keymr: Bytes32,
        count: usize,
        limit: usize,
    },
    #[error("entry {hash} belongs to chain {got}, not the OPR chain")]
    EntryChain { hash: EntryHash, got: ChainId },
}

/// Why the sync could not answer.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// No factomd endpoint answered within the pool's deadline.
    #[error("block {height}: factomd unreachable ({request}): {source}")]
    Unreachable {
        height: u32,
        request: Request,
        #[source]
        source: FactomdError,
    },
    /// factomd answered with an error, or with something that does not decode.
    #[error("block {height}: factomd {request} failed: {source}")]
    Factomd {
        height: u32,
        request: Request,
        #[source]
        source: FactomdError,
    },
    /// factomd has not saved the block yet (or the node is behind): try again later.
    #[error("block {height}: factomd has not saved this directory block yet")]
    NotSaved { height: u32 },
    /// factomd's answer contradicts itself.
    #[error("block {height}: malformed answer: {problem}")]
    Malformed { height: u32, problem: Malformed },
    /// The chain's history cannot be graded (previous winners of a shape the version refuses).
    #[error("block {height}: cannot grade: {source}")]
    Grade {
        height: u32,
        #[source]
        source: GradeError,
    },
    /// A grading task died (a bug: grading does not panic on any input).
    #[error("block {height}: the grading task failed: {source}")]
    Task {
        height: u32,
        #[source]
        source: tokio::task::JoinError,
    },
    /// No OPR version is in force at the height a job was asked for.
    #[error("height {height}: PegNet is not active on {network} there")]
    NotActive { height: u32, network: Network },
    /// The block was synced once but is older than what the sync keeps (or than its
    /// checkpoint).
    #[error("block {height} is older than the oldest block the sync keeps ({oldest})")]
    Forgotten { height: u32, oldest: u32 },
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Cache(#[from] CacheError),
}

impl SyncError {
    /// Classifies a failed factomd call: a retryable error means the pool gave up on every
    /// endpoint; anything else is an answer.
    pub(super) fn factomd(height: u32, request: Request, source: FactomdError) -> SyncError {
        if source.is_retryable() {
            SyncError::Unreachable {
                height,
                request,
                source,
            }
        } else {
            SyncError::Factomd {
                height,
                request,
                source,
            }
        }
    }
}
