//! The OPR as a Factom entry, and the validity rules PegNet's graders apply to one.
//!
//! Entry: chain = the network's OPR chain, ExtIDs = `[nonce, BE64 difficulty, [version]]`,
//! content = the encoded OPR. A record is valid for block `height` when (in the grader's
//! order, `modules/grader/v*_util.go`): three ExtIDs, an 8-byte difficulty, the version byte
//! of the height, content that decodes, `Height == height`, the version's asset count with no
//! zero price (PEG may be 0 in v1/v2), a valid `FA` address and an identity of
//! `[a-zA-Z0-9,]+` (v2+ only), and winners identical, in order, to the previous winners.

use super::content::{ContentError, OprContent};
use super::{ShortHash, assets_for};
use crate::factom::{Address, AddressKind, ChainId, Entry, EntryError, EntryHash};
use crate::hash::sha256;

/// Builds the entry for an OPR: `ExtIDs = [nonce, BE64 difficulty, [version]]`.
pub fn opr_entry(
    chain: ChainId,
    nonce: &[u8],
    difficulty: u64,
    version: u8,
    content: Vec<u8>,
) -> Result<Entry, EntryError> {
    Entry::new(
        chain,
        vec![
            nonce.to_vec(),
            difficulty.to_be_bytes().to_vec(),
            vec![version],
        ],
        content,
    )
}

/// Why an entry is not a valid OPR for its block.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Invalid {
    #[error("OPR version {0} does not exist")]
    UnknownVersion(u8),
    #[error("an OPR has 3 ExtIDs, this entry has {0}")]
    ExtIdCount(usize),
    #[error("the difficulty ExtID is {0} bytes, must be 8")]
    DifficultyLength(usize),
    #[error("the version ExtID is {got:02x?}, block expects [{expected:02x}]")]
    VersionByte { expected: u8, got: Vec<u8> },
    #[error("content does not decode: {0}")]
    Content(ContentError),
    #[error("OPR height {got} is not the block height {expected}")]
    Height { expected: u32, got: i32 },
    #[error("OPR has {got} assets, version expects {expected}")]
    AssetCount { expected: usize, got: usize },
    #[error("asset {0} has price 0")]
    ZeroPrice(&'static str),
    #[error("payout address {address:?} is not a valid FA address: {reason}")]
    Address { address: String, reason: String },
    #[error("identity {0:?} must match ^[a-zA-Z0-9,]+$")]
    Identity(String),
    #[error("winners do not match the previous block's winners")]
    Winners,
}

/// A valid OPR, as grading needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct OprRecord {
    pub entry_hash: EntryHash,
    pub nonce: Vec<u8>,
    pub self_reported_difficulty: u64,
    /// SHA-256 of the content: what LXRHash hashes with the nonce.
    pub opr_hash: [u8; 32],
    pub version: u8,
    pub content: OprContent,
    /// Prices as grading computes with them (see [`OprContent::decode_with_values`]).
    pub values: Vec<f64>,
}

/// Previous winners as a block's records must list them: `None` is the empty winner of a
/// chain with no graded history yet.
pub type PreviousWinners = [Option<ShortHash>];

impl OprRecord {
    /// Checks `entry` as an OPR of `version` for block `height` whose previous winners are
    /// `previous` (already expanded: 10 or 25 entries, see [`super::grading`]).
    pub fn from_entry(
        entry: &Entry,
        version: u8,
        height: u32,
        previous: &PreviousWinners,
    ) -> Result<OprRecord, Invalid> {
        let assets = assets_for(version).ok_or(Invalid::UnknownVersion(version))?;
        let ext = entry.ext_ids();
        if ext.len() != 3 {
            return Err(Invalid::ExtIdCount(ext.len()));
        }
        if ext[1].len() != 8 {
            return Err(Invalid::DifficultyLength(ext[1].len()));
        }
        if ext[2].as_slice() != [version] {
            return Err(Invalid::VersionByte {
                expected: version,
                got: ext[2].clone(),
            });
        }
        let (content, values) =
            OprContent::decode_with_values(version, entry.content()).map_err(Invalid::Content)?;
        if i64::from(content.height) != i64::from(height) {
            return Err(Invalid::Height {
                expected: height,
                got: content.height,
            });
        }
        check_assets(version, assets, &content, &values)?;
        if version >= 2 {
            if let Err(e) = Address::parse_kind(&content.address, AddressKind::FactoidPublic) {
                return Err(Invalid::Address {
                    address: content.address.clone(),
                    reason: e.to_string(),
                });
            }
            if !valid_identity(&content.id) {
                return Err(Invalid::Identity(content.id.clone()));
            }
        }
        if !winners_match(&content.winners, previous) {
            return Err(Invalid::Winners);
        }
        let mut difficulty = [0u8; 8];
        difficulty.copy_from_slice(&ext[1]);
        Ok(OprRecord {
            entry_hash: entry.hash(),
            nonce: ext[0].clone(),
            self_reported_difficulty: u64::from_be_bytes(difficulty),
            opr_hash: sha256(entry.content()),
            version,
            content,
            values,
        })
    }
}

/// PegNet's identity rule, `^[a-zA-Z0-9,]+$`.
pub fn valid_identity(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b',')
}

fn check_assets(
    version: u8,
    names: &[&'static str],
    content: &OprContent,
    values: &[f64],
) -> Result<(), Invalid> {
    // v1's decoder already required every v1 asset to be present.
    if version >= 2 && content.assets.len() != names.len() {
        return Err(Invalid::AssetCount {
            expected: names.len(),
            got: content.assets.len(),
        });
    }
    // PEG (PNT in v1) floated free from v3 on; before that it could be 0.
    let first_checked = if version <= 2 { 1 } else { 0 };
    for (i, name) in names.iter().enumerate().skip(first_checked) {
        if values[i] == 0.0 {
            return Err(Invalid::ZeroPrice(name));
        }
    }
    Ok(())
}

fn winners_match(have: &[Vec<u8>], previous: &PreviousWinners) -> bool {
    have.len() == previous.len()
        && have.iter().zip(previous).all(|(h, p)| match p {
            None => h.is_empty(),
            Some(p) => h.as_slice() == p.as_slice(),
        })
}
