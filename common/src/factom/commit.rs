//! Entry and chain commits: the signed promise to pay EC for an entry, sent before its reveal.
//!
//! ```text
//! entry commit (136): 0x00 ‖ BE48 ms ‖ entry hash ‖ credits ‖ EC pubkey ‖ ed25519 sig over [0..40)
//! chain commit (200): 0x00 ‖ BE48 ms ‖ SHA256d(chain id) ‖ SHA256d(entry hash ‖ chain id)
//!                     ‖ entry hash ‖ credits ‖ EC pubkey ‖ ed25519 sig over [0..104)
//! ```
//! The transaction id is SHA-256 of the signed part, so it does not depend on the key.

use ed25519_dalek::{Signature, Verifier, VerifyingKey};

use super::{ChainId, EcSigningKey, Entry, EntryHash, TxId};
use crate::hash::{sha256, sha256d};

/// Length of a marshalled entry commit.
pub const ENTRY_COMMIT_LEN: usize = 136;
/// Length of a marshalled chain commit.
pub const CHAIN_COMMIT_LEN: usize = 200;
const ENTRY_SIGNED_LEN: usize = 40;
const CHAIN_SIGNED_LEN: usize = 104;
/// What creating a chain costs on top of its first entry.
const CHAIN_CREATION_EC: u8 = 10;

/// Why bytes are not an acceptable commit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitError {
    #[error("commit is {actual} bytes, expected {expected}")]
    Length { expected: usize, actual: usize },
    #[error("commit version is {0}, only 0 exists")]
    Version(u8),
    #[error("commit pays {credits} EC, outside {min}..={max}")]
    Credits { credits: u8, min: u8, max: u8 },
    #[error("commit EC public key is not a valid ed25519 point")]
    PublicKey,
    #[error("commit signature does not verify")]
    Signature,
}

/// An entry commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryCommit {
    pub timestamp_ms: u64,
    pub entry_hash: EntryHash,
    pub credits: u8,
    pub ec_public_key: [u8; 32],
    pub signature: [u8; 64],
}

impl EntryCommit {
    /// Commits to `entry`, paying its EC cost with `key`, stamped `timestamp_ms`.
    pub fn new(entry: &Entry, key: &EcSigningKey, timestamp_ms: u64) -> EntryCommit {
        let mut c = EntryCommit {
            timestamp_ms,
            entry_hash: entry.hash(),
            credits: entry.ec_cost(),
            ec_public_key: key.public_key(),
            signature: [0; 64],
        };
        c.signature = key.sign(&c.to_bytes()[..ENTRY_SIGNED_LEN]);
        c
    }

    pub fn to_bytes(&self) -> [u8; ENTRY_COMMIT_LEN] {
        let mut b = [0u8; ENTRY_COMMIT_LEN];
        b[1..7].copy_from_slice(&timestamp48(self.timestamp_ms));
        b[7..39].copy_from_slice(self.entry_hash.as_bytes());
        b[39] = self.credits;
        b[40..72].copy_from_slice(&self.ec_public_key);
        b[72..].copy_from_slice(&self.signature);
        b
    }

    /// Splits 136 bytes into fields; [`EntryCommit::validate`] checks credits and signature.
    pub fn parse(b: &[u8]) -> Result<EntryCommit, CommitError> {
        check_frame(b, ENTRY_COMMIT_LEN)?;
        Ok(EntryCommit {
            timestamp_ms: read_timestamp48(&b[1..7]),
            entry_hash: EntryHash(arr(&b[7..39])),
            credits: b[39],
            ec_public_key: arr(&b[40..72]),
            signature: arr(&b[72..]),
        })
    }

    /// factomd's acceptance rule: 1..=10 credits and a valid signature.
    pub fn validate(&self) -> Result<(), CommitError> {
        check_credits(self.credits, 1, 10)?;
        verify(
            &self.ec_public_key,
            &self.to_bytes()[..ENTRY_SIGNED_LEN],
            &self.signature,
        )
    }

    /// The transaction id `ack` takes with chain `"c"`.
    pub fn txid(&self) -> TxId {
        TxId(sha256(&self.to_bytes()[..ENTRY_SIGNED_LEN]))
    }
}

/// A chain commit: creates the chain of its first entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainCommit {
    pub timestamp_ms: u64,
    pub chain_id_hash: [u8; 32],
    pub weld: [u8; 32],
    pub entry_hash: EntryHash,
    pub credits: u8,
    pub ec_public_key: [u8; 32],
    pub signature: [u8; 64],
}

impl ChainCommit {
    /// Commits to creating the chain whose first entry is `first`.
    pub fn new(first: &Entry, key: &EcSigningKey, timestamp_ms: u64) -> ChainCommit {
        let entry_hash = first.hash();
        let chain = first.chain_id();
        let mut c = ChainCommit {
            timestamp_ms,
            chain_id_hash: chain_id_hash(&chain),
            weld: weld(&entry_hash, &chain),
            entry_hash,
            credits: CHAIN_CREATION_EC + first.ec_cost(),
            ec_public_key: key.public_key(),
            signature: [0; 64],
        };
        c.signature = key.sign(&c.to_bytes()[..CHAIN_SIGNED_LEN]);
        c
    }

    pub fn to_bytes(&self) -> [u8; CHAIN_COMMIT_LEN] {
        let mut b = [0u8; CHAIN_COMMIT_LEN];
        b[1..7].copy_from_slice(&timestamp48(self.timestamp_ms));
        b[7..39].copy_from_slice(&self.chain_id_hash);
        b[39..71].copy_from_slice(&self.weld);
        b[71..103].copy_from_slice(self.entry_hash.as_bytes());
        b[103] = self.credits;
        b[104..136].copy_from_slice(&self.ec_public_key);
        b[136..].copy_from_slice(&self.signature);
        b
    }

    /// Splits 200 bytes into fields; [`ChainCommit::validate`] checks credits and signature.
    pub fn parse(b: &[u8]) -> Result<ChainCommit, CommitError> {
        check_frame(b, CHAIN_COMMIT_LEN)?;
        Ok(ChainCommit {
            timestamp_ms: read_timestamp48(&b[1..7]),
            chain_id_hash: arr(&b[7..39]),
            weld: arr(&b[39..71]),
            entry_hash: EntryHash(arr(&b[71..103])),
            credits: b[103],
            ec_public_key: arr(&b[104..136]),
            signature: arr(&b[136..]),
        })
    }

    /// factomd's acceptance rule: 11..=20 credits and a valid signature.
    pub fn validate(&self) -> Result<(), CommitError> {
        check_credits(self.credits, CHAIN_CREATION_EC + 1, CHAIN_CREATION_EC + 10)?;
        verify(
            &self.ec_public_key,
            &self.to_bytes()[..CHAIN_SIGNED_LEN],
            &self.signature,
        )
    }

    /// Whether this commit is for creating `chain` with first entry `entry_hash`.
    pub fn matches(&self, chain: &ChainId, entry_hash: &EntryHash) -> bool {
        self.chain_id_hash == chain_id_hash(chain) && self.weld == weld(entry_hash, chain)
    }

    pub fn txid(&self) -> TxId {
        TxId(sha256(&self.to_bytes()[..CHAIN_SIGNED_LEN]))
    }
}

/// `SHA256d(chain id)`, how a chain commit names its chain without revealing it.
pub fn chain_id_hash(chain: &ChainId) -> [u8; 32] {
    sha256d(chain.as_bytes())
}

/// `SHA256d(entry hash ‖ chain id)`, binding a chain commit to its first entry.
fn weld(entry_hash: &EntryHash, chain: &ChainId) -> [u8; 32] {
    let mut b = [0u8; 64];
    b[..32].copy_from_slice(entry_hash.as_bytes());
    b[32..].copy_from_slice(chain.as_bytes());
    sha256d(&b)
}

/// The low 48 bits of a millisecond timestamp, big-endian.
fn timestamp48(ms: u64) -> [u8; 6] {
    arr(&ms.to_be_bytes()[2..])
}

fn read_timestamp48(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |acc, &x| acc << 8 | u64::from(x))
}

fn check_frame(b: &[u8], expected: usize) -> Result<(), CommitError> {
    if b.len() != expected {
        return Err(CommitError::Length {
            expected,
            actual: b.len(),
        });
    }
    if b[0] != 0 {
        return Err(CommitError::Version(b[0]));
    }
    Ok(())
}

fn check_credits(credits: u8, min: u8, max: u8) -> Result<(), CommitError> {
    if (min..=max).contains(&credits) {
        Ok(())
    } else {
        Err(CommitError::Credits { credits, min, max })
    }
}

fn verify(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> Result<(), CommitError> {
    let key = VerifyingKey::from_bytes(public_key).map_err(|_| CommitError::PublicKey)?;
    key.verify(message, &Signature::from_bytes(signature))
        .map_err(|_| CommitError::Signature)
}

/// Copies a slice of known length into an array; callers slice exact ranges.
fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(b);
    out
}
