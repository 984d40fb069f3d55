//! OPR entry blocks in the JSON form PegNet's grader tests and `testdata/grading` use:
//! `{Height, PreviousWinners, Winners, Entries: [{Hash, ExtIDs (base64), Content (base64)}]}`.

use base64::Engine;
use pegnet_common::factom::{ChainId, Entry, EntryError};
use pegnet_common::opr::ShortHash;
use serde::Deserialize;

/// Why a block file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BlockFileError {
    #[error("block file is not valid JSON of the expected shape: {0}")]
    Json(String),
    #[error("entry {index}: {field} is not valid base64")]
    Base64 { index: usize, field: &'static str },
    #[error("entry {index} does not fit a Factom entry: {error}")]
    Entry { index: usize, error: EntryError },
    #[error("entry {index}: its hash is {computed}, the file says {recorded}")]
    HashMismatch {
        index: usize,
        computed: String,
        recorded: String,
    },
    #[error("previous winner {0:?} is not 16 hex characters")]
    Winner(String),
}

/// A parsed block file.
#[derive(Debug)]
pub struct BlockFile {
    pub height: u32,
    pub previous_winners: Vec<Option<ShortHash>>,
    /// The winners the file records, if any, as hex.
    pub winners: Vec<String>,
    pub entries: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Raw {
    height: u32,
    #[serde(default)]
    previous_winners: Vec<String>,
    #[serde(default)]
    winners: Vec<String>,
    entries: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawEntry {
    hash: Option<String>,
    #[serde(rename = "ExtIDs")]
    ext_ids: Vec<String>,
    content: String,
}

impl BlockFile {
    /// Parses `json`, building each entry on `chain` and checking any recorded hash.
    pub fn parse(json: &str, chain: ChainId) -> Result<BlockFile, BlockFileError> {
        let raw: Raw =
            serde_json::from_str(json).map_err(|e| BlockFileError::Json(e.to_string()))?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut entries = Vec::with_capacity(raw.entries.len());
        for (index, e) in raw.entries.into_iter().enumerate() {
            let ext_ids = e
                .ext_ids
                .iter()
                .map(|x| {
                    b64.decode(x).map_err(|_| BlockFileError::Base64 {
                        index,
                        field: "ExtIDs",
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let content = b64.decode(&e.content).map_err(|_| BlockFileError::Base64 {
                index,
                field: "Content",
            })?;
            let entry = Entry::new(chain, ext_ids, content)
                .map_err(|error| BlockFileError::Entry { index, error })?;
            if let Some(recorded) = e.hash {
                let computed = entry.hash().to_string();
                if !computed.eq_ignore_ascii_case(&recorded) {
                    return Err(BlockFileError::HashMismatch {
                        index,
                        computed,
                        recorded,
                    });
                }
            }
            entries.push(entry);
        }
        let previous_winners = raw
            .previous_winners
            .iter()
            .map(|w| parse_winner(w))
            .collect::<Result<_, _>>()?;
        Ok(BlockFile {
            height: raw.height,
            previous_winners,
            winners: raw.winners,
            entries,
        })
    }
}

fn parse_winner(w: &str) -> Result<Option<ShortHash>, BlockFileError> {
    if w.is_empty() {
        return Ok(None);
    }
    let mut out = [0u8; 8];
    hex::decode_to_slice(w, &mut out).map_err(|_| BlockFileError::Winner(w.to_owned()))?;
    Ok(Some(out))
}
