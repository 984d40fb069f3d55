//! LXRHash: PegNet's proof of work, bit-exact with `pegnet/LXRHash` as pinned by PegNet.
//!
//! A hash is one long chain of dependent byte lookups into a pseudo-random table of
//! `2^bits` bytes (1 GiB at the production 30 bits), so its speed is set by memory latency,
//! not by arithmetic. This crate owns the table ([`Table`]: generation, the reference's cache
//! file, validation) and the hash itself ([`Table::hash`], [`Table::difficulty`]).
//!
//! Parameters are PegNet's and fixed: seed `0xFAFAECECFAFAECEC`, 5 shuffle passes, 256-bit
//! output. Only the table size varies, and only sizes below 30 bits are for tests and
//! development: their hashes are worthless on the real network.

mod batch;
mod cache;
mod hash;
mod memory;
mod table;
#[cfg(feature = "terminal")]
pub mod terminal;

pub use batch::{LANES, Prefix};
pub use cache::{
    CacheError, CacheOutcome, LoadedTable, default_dir, file_name, load_or_generate, load_placed,
};
pub use memory::Placement;
pub use table::{Progress, Table, TableError};

/// The table seed PegNet uses.
pub const SEED: u64 = 0xFAFA_ECEC_FAFA_ECEC;
/// Shuffle passes over the table during generation.
pub const PASSES: u32 = 5;
/// Output length of the hash in bytes (256 bits).
pub const HASH_SIZE: usize = 32;
/// The table size PegNet's consensus uses; anything else is for tests only.
pub const PRODUCTION_BITS: u32 = 30;
/// Smallest table size supported.
pub const MIN_BITS: u32 = 8;
/// Largest table size supported.
pub const MAX_BITS: u32 = 30;
