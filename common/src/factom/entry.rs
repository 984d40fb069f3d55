//! Entries: the marshalled form factomd reveals and hashes, the entry hash, and the EC cost.
//!
//! ```text
//! 0x00 ‖ chain id (32) ‖ BE16 length of the ExtID section ‖ (BE16 len ‖ bytes)* ‖ content
//! ```
//! An [`Entry`] always satisfies factomd's validity rule (payload ≤ 10 KiB), so marshalling
//! and hashing cannot fail.

use super::{ChainId, EntryHash};
use crate::hash::{sha256, sha512};

/// Bytes before the ExtIDs: version, chain id, ExtID section length.
pub const ENTRY_HEADER_LEN: usize = 35;
/// The largest payload (ExtIDs with their length prefixes, plus content) factomd accepts.
pub const MAX_PAYLOAD_LEN: usize = 10_240;

/// Why bytes or parts are not a valid Factom entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("entry payload is {len} bytes, more than the {MAX_PAYLOAD_LEN}-byte maximum")]
    TooLarge { len: usize },
    #[error("marshalled entry is {len} bytes, shorter than the {ENTRY_HEADER_LEN}-byte header")]
    TooShort { len: usize },
    #[error("entry version is {0}, only 0 exists")]
    Version(u8),
    #[error("the ExtID section claims {claimed} bytes but only {available} follow the header")]
    ExtIdSectionOverrun { claimed: usize, available: usize },
    #[error(
        "ExtID {index} claims {claimed} bytes but only {available} remain in the ExtID section"
    )]
    ExtIdOverrun {
        index: usize,
        claimed: usize,
        available: usize,
    },
}

/// A Factom entry: chain, external ids and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    chain_id: ChainId,
    ext_ids: Vec<Vec<u8>>,
    content: Vec<u8>,
}

impl Entry {
    /// An entry, if its payload fits factomd's 10 KiB limit.
    pub fn new(
        chain_id: ChainId,
        ext_ids: Vec<Vec<u8>>,
        content: Vec<u8>,
    ) -> Result<Entry, EntryError> {
        let len = payload_len(&ext_ids, &content);
        if len > MAX_PAYLOAD_LEN {
            return Err(EntryError::TooLarge { len });
        }
        Ok(Entry {
            chain_id,
            ext_ids,
            content,
        })
    }

    pub fn chain_id(&self) -> ChainId {
        self.chain_id
    }

    pub fn ext_ids(&self) -> &[Vec<u8>] {
        &self.ext_ids
    }

    pub fn content(&self) -> &[u8] {
        &self.content
    }

    /// Payload length: ExtIDs with their 2-byte length prefixes, plus the content.
    pub fn payload_len(&self) -> usize {
        payload_len(&self.ext_ids, &self.content)
    }

    /// Cost in Entry Credits: one per started KiB of payload, at least 1, at most 10.
    pub fn ec_cost(&self) -> u8 {
        // Bounded by MAX_PAYLOAD_LEN, so the quotient is at most 10.
        self.payload_len().div_ceil(1024).max(1) as u8
    }

    /// The marshalled entry, as `reveal-entry` carries it and as it is hashed.
    pub fn marshal(&self) -> Vec<u8> {
        let section: usize = self.ext_ids.iter().map(|e| 2 + e.len()).sum();
        let mut m = Vec::with_capacity(ENTRY_HEADER_LEN + section + self.content.len());
        m.push(0);
        m.extend_from_slice(self.chain_id.as_bytes());
        // Both lengths fit: the whole payload is at most MAX_PAYLOAD_LEN.
        m.extend_from_slice(&(section as u16).to_be_bytes());
        for e in &self.ext_ids {
            m.extend_from_slice(&(e.len() as u16).to_be_bytes());
            m.extend_from_slice(e);
        }
        m.extend_from_slice(&self.content);
        m
    }

    /// Parses a marshalled entry the way factomd does: the ExtID section must be consumed
    /// exactly, and everything after it is content.
    pub fn unmarshal(m: &[u8]) -> Result<Entry, EntryError> {
        if m.len() < ENTRY_HEADER_LEN {
            return Err(EntryError::TooShort { len: m.len() });
        }
        if m.len() - ENTRY_HEADER_LEN > MAX_PAYLOAD_LEN {
            return Err(EntryError::TooLarge {
                len: m.len() - ENTRY_HEADER_LEN,
            });
        }
        if m[0] != 0 {
            return Err(EntryError::Version(m[0]));
        }
        let mut chain = [0u8; 32];
        chain.copy_from_slice(&m[1..33]);
        let claimed = usize::from(u16::from_be_bytes([m[33], m[34]]));
        let rest = &m[ENTRY_HEADER_LEN..];
        if claimed > rest.len() {
            return Err(EntryError::ExtIdSectionOverrun {
                claimed,
                available: rest.len(),
            });
        }
        let (mut section, content) = rest.split_at(claimed);
        let mut ext_ids = Vec::new();
        while !section.is_empty() {
            let index = ext_ids.len();
            if section.len() < 2 {
                return Err(EntryError::ExtIdOverrun {
                    index,
                    claimed: 2,
                    available: section.len(),
                });
            }
            let len = usize::from(u16::from_be_bytes([section[0], section[1]]));
            let body = &section[2..];
            if len > body.len() {
                return Err(EntryError::ExtIdOverrun {
                    index,
                    claimed: len,
                    available: body.len(),
                });
            }
            ext_ids.push(body[..len].to_vec());
            section = &body[len..];
        }
        Ok(Entry {
            chain_id: ChainId(chain),
            ext_ids,
            content: content.to_vec(),
        })
    }

    /// The entry hash: `SHA-256(SHA-512(m) ‖ m)` over the marshalled entry `m`.
    pub fn hash(&self) -> EntryHash {
        hash_marshalled(&self.marshal())
    }
}

/// The entry hash of an already marshalled entry.
pub fn hash_marshalled(m: &[u8]) -> EntryHash {
    let mut buf = Vec::with_capacity(64 + m.len());
    buf.extend_from_slice(&sha512(m));
    buf.extend_from_slice(m);
    EntryHash(sha256(&buf))
}

fn payload_len(ext_ids: &[Vec<u8>], content: &[u8]) -> usize {
    ext_ids.iter().map(|e| 2 + e.len()).sum::<usize>() + content.len()
}
