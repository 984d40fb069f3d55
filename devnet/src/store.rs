//! Optional on-disk state, so a restarted devnet keeps its chain: a header naming the network
//! it belongs to, one JSON line per saved block (its entries and the commits that paid for
//! them, enough for the ledger to rebuild every hash), and the EC balances, rewritten
//! atomically after each block. What was not yet in a saved block is lost on restart, as it
//! is when a factomd node restarts.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use pegnet_common::factom::Entry;

use crate::ledger::BlockRecord;

const HEADER: &str = "devnet.json";
const BLOCKS: &str = "blocks.jsonl";
const BALANCES: &str = "balances.json";

/// Why the state directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: not devnet state: {error}")]
    Corrupt { path: PathBuf, error: String },
    #[error(
        "{path} belongs to a devnet of network {found_network} with genesis at {found_genesis}, not {network} at {genesis}; use another state_dir or remove it"
    )]
    Mismatch {
        path: PathBuf,
        found_network: String,
        found_genesis: u32,
        network: String,
        genesis: u32,
    },
}

/// Which devnet a state directory belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub network: String,
    pub genesis_height: u32,
}

#[derive(Serialize, Deserialize)]
struct BlockLine {
    height: u32,
    timestamp_minutes: u32,
    entries: Vec<EntryLine>,
}

#[derive(Serialize, Deserialize)]
struct EntryLine {
    minute: u8,
    entry: String,
    commit: Option<String>,
}

/// What a state directory held.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub blocks: Vec<BlockRecord>,
    pub balances: Vec<([u8; 32], i64)>,
}

/// An open state directory.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |error| StoreError::Io {
        path: path.to_owned(),
        error,
    }
}

impl Store {
    /// Opens `dir` (creating it) for the devnet `header`; returns what it already holds.
    pub fn open(dir: &Path, header: &Header) -> Result<(Store, Loaded), StoreError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        let header_path = dir.join(HEADER);
        match fs::read(&header_path) {
            Ok(bytes) => {
                let found: Header =
                    serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
                        path: header_path.clone(),
                        error: e.to_string(),
                    })?;
                if &found != header {
                    return Err(StoreError::Mismatch {
                        path: dir.to_owned(),
                        found_network: found.network,
                        found_genesis: found.genesis_height,
                        network: header.network.clone(),
                        genesis: header.genesis_height,
                    });
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let text = serde_json::to_vec_pretty(header).map_err(|e| StoreError::Corrupt {
                    path: header_path.clone(),
                    error: e.to_string(),
                })?;
                write_atomic(&header_path, &text)?;
            }
            Err(e) => return Err(io(&header_path)(e)),
        }
        let store = Store {
            dir: dir.to_owned(),
        };
        let loaded = Loaded {
            blocks: store.read_blocks()?,
            balances: store.read_balances()?,
        };
        Ok((store, loaded))
    }

    fn read_blocks(&self) -> Result<Vec<BlockRecord>, StoreError> {
        let path = self.dir.join(BLOCKS);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&path)(e)),
        };
        let mut blocks: Vec<BlockRecord> = Vec::new();
        let lines: Vec<String> = BufReader::new(file)
            .lines()
            .collect::<Result<_, _>>()
            .map_err(io(&path))?;
        let last = lines.len().saturating_sub(1);
        for (n, line) in lines.iter().enumerate() {
            match parse_block(line) {
                Ok(block) => {
                    let expected = blocks.last().map(|b| b.height + 1);
                    if expected.is_some_and(|h| h != block.height) {
                        return Err(StoreError::Corrupt {
                            path,
                            error: format!("line {}: block {} out of order", n + 1, block.height),
                        });
                    }
                    blocks.push(block);
                }
                // A crash can tear the last line; everything before it is intact.
                Err(e) if n == last => {
                    tracing::warn!(path = %path.display(), error = %e, "ignoring a torn last block line");
                }
                Err(e) => {
                    return Err(StoreError::Corrupt {
                        path,
                        error: format!("line {}: {e}", n + 1),
                    });
                }
            }
        }
        Ok(blocks)
    }

    fn read_balances(&self) -> Result<Vec<([u8; 32], i64)>, StoreError> {
        let path = self.dir.join(BALANCES);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&path)(e)),
        };
        let list: Vec<(String, i64)> =
            serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
                path: path.clone(),
                error: e.to_string(),
            })?;
        list.into_iter()
            .map(|(key, balance)| {
                let mut k = [0u8; 32];
                hex::decode_to_slice(&key, &mut k).map_err(|e| StoreError::Corrupt {
                    path: path.clone(),
                    error: format!("key {key:?}: {e}"),
                })?;
                Ok((k, balance))
            })
            .collect()
    }

    /// Appends a saved block.
    pub fn append_block(&self, block: &BlockRecord) -> Result<(), StoreError> {
        let path = self.dir.join(BLOCKS);
        let line = BlockLine {
            height: block.height,
            timestamp_minutes: block.timestamp_minutes,
            entries: block
                .entries
                .iter()
                .map(|(minute, entry, commit)| EntryLine {
                    minute: *minute,
                    entry: hex::encode(entry.marshal()),
                    commit: commit.as_ref().map(hex::encode),
                })
                .collect(),
        };
        let mut text = serde_json::to_string(&line).map_err(|e| StoreError::Corrupt {
            path: path.clone(),
            error: e.to_string(),
        })?;
        text.push('\n');
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        file.write_all(text.as_bytes()).map_err(io(&path))?;
        file.sync_data().map_err(io(&path))
    }

    /// Replaces the saved balances.
    pub fn save_balances(&self, balances: &[([u8; 32], i64)]) -> Result<(), StoreError> {
        let path = self.dir.join(BALANCES);
        let list: Vec<(String, i64)> = balances.iter().map(|(k, b)| (hex::encode(k), *b)).collect();
        let text = serde_json::to_vec(&list).map_err(|e| StoreError::Corrupt {
            path: path.clone(),
            error: e.to_string(),
        })?;
        write_atomic(&path, &text)
    }
}

fn parse_block(line: &str) -> Result<BlockRecord, String> {
    let b: BlockLine = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let mut entries = Vec::with_capacity(b.entries.len());
    for e in b.entries {
        let bytes = hex::decode(&e.entry).map_err(|x| format!("entry hex: {x}"))?;
        let entry = Entry::unmarshal(&bytes).map_err(|x| format!("entry: {x}"))?;
        let commit = e
            .commit
            .map(|c| hex::decode(&c).map_err(|x| format!("commit hex: {x}")))
            .transpose()?;
        entries.push((e.minute, entry, commit));
    }
    Ok(BlockRecord {
        height: b.height,
        timestamp_minutes: b.timestamp_minutes,
        entries,
    })
}

/// Write to a temporary file, then rename: a reader never sees half a file.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_data().map_err(io(&tmp))?;
    fs::rename(&tmp, path).map_err(io(path))
}
