//! The coordinator's client for factomd's v2 JSON-RPC API.
//!
//! The coordinator is the only process that talks to factomd: it follows the chain's clock
//! (`current-minute`), checks its Entry Credit balance, writes OPR entries (commit + reveal,
//! confirmed with `ack`) and reads blocks to grade them. This module is that boundary: typed
//! requests built from the common crate's Factom types, typed results, and errors classified
//! so the caller can tell "the node said no" from "no node answered". The shapes follow
//! `devnet/API-NOTES.md`, which the devnet's simulated factomd follows too.
//!
//! - `rpc`: the JSON-RPC envelope and the pure decision of what one HTTP answer means.
//! - `types`: the result types. `hex_field`: how hex strings deserialize into them.
//! - `error`: [`FactomdError`] and its retry / outcome helpers.
//! - `client`: [`FactomdClient`], one HTTP request per call, no retries.

mod client;
mod error;
mod hex_field;
mod pool;
mod rpc;
mod types;

pub use client::{BasicAuth, ClientOptions, DEFAULT_MAX_BODY_BYTES, FactomdClient};
pub use error::{
    CODE_INVALID_PARAMS, CODE_MISSING_CHAIN_HEAD, CODE_NOT_FOUND, CODE_REPEATED_COMMIT,
    FactomdError, TransportKind,
};
pub use pool::{FactomdPool, PoolError, RetryPolicy};
pub use types::{
    AckData, AckStatus, ChainHead, CommitChainResult, CommitEntryResult, CurrentMinute, DBlock,
    DBlockHeader, DirectoryBlock, DirectoryBlockAtHeight, DirectoryBlockEntry,
    DirectoryBlockHeader, EntryAck, EntryBlock, EntryBlockEntry, EntryBlockHeader, Heights,
    PendingEntry, Properties, RevealResult,
};
