//! The sync's cache on disk, so a restarted coordinator does not fetch and grade again what
//! it already graded: `<state dir>/opr-sync.jsonl`, JSON lines.
//!
//! ```text
//! {"format":"pegnet-coordinator-opr-sync","version":1,"network":"MainNet","chain":"a642…d5ef"}
//! {"height":258796,"source":"graded","records":27,"valid":27,"has_winners":true,
//!  "winners":["0b5d…",…],"difficulties":["ffd3…",…]}          (one line per block)
//! ```
//!
//! The header names the network and its OPR chain; a file of another one is refused with an
//! error naming the file, never mixed in. Block lines have consecutive heights; winners are
//! 16 hex characters (`""` for the empty winners of a chain's start), difficulties 16 hex
//! characters (JSON numbers above 2^53 do not survive every reader). Lines are appended and
//! fsynced once per sync; a crash can leave the last line torn, and a last line that does
//! not parse is dropped (and cut off the file) on open. Any other bad line is an error: the
//! file is not what this code wrote. Only the newest blocks matter, so once the file holds
//! [`COMPACT_AT_LINES`] lines it is rewritten (temporary file, rename) with the newest ones.
//! A lock file keeps a second coordinator from writing the same cache.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use pegnet_common::factom::ChainId;
use pegnet_common::opr::{Network, ShortHash};

use super::summary::{BlockSource, BlockSummary};

/// The cache file's name in the state directory.
pub const FILE_NAME: &str = "opr-sync.jsonl";
/// The lock file's name in the state directory.
pub const LOCK_FILE_NAME: &str = "opr-sync.lock";
/// The file is rewritten with only the blocks the sync keeps beyond this many lines.
pub const COMPACT_AT_LINES: usize = 256;
/// A larger file is not one this code wrote (it compacts long before).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
const FORMAT: &str = "pegnet-coordinator-opr-sync";
const FORMAT_VERSION: u32 = 1;

/// Why the cache cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("sync cache {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("sync cache {} is in use by another process", path.display())]
    Locked { path: PathBuf },
    #[error("sync cache {} is {bytes} bytes, more than {limit}: not written by this program; delete it to resync", path.display())]
    TooLarge {
        path: PathBuf,
        bytes: u64,
        limit: u64,
    },
    #[error("sync cache {} belongs to {found_network} (OPR chain {found_chain}), not {network} (OPR chain {chain}): use another state directory or delete the file", path.display())]
    OtherChain {
        path: PathBuf,
        found_network: String,
        found_chain: String,
        network: Network,
        chain: ChainId,
    },
    #[error("sync cache {} is format {found:?} version {found_version}, this program reads {FORMAT:?} version {FORMAT_VERSION}; delete it to resync", path.display())]
    Format {
        path: PathBuf,
        found: String,
        found_version: u32,
    },
    #[error("sync cache {} line {line}: {problem}; delete the file to resync", path.display())]
    Corrupt {
        path: PathBuf,
        line: usize,
        problem: LineProblem,
    },
}

/// What is wrong with one line of the cache.
#[derive(Debug, thiserror::Error)]
pub enum LineProblem {
    #[error("not a cache line: {0}")]
    Json(#[from] serde_json::Error),
    #[error("winner {index} is not 16 hex characters or \"\"")]
    Winner { index: usize },
    #[error("difficulty {index} is not 16 hex characters")]
    Difficulty { index: usize },
    #[error("block {got} does not follow block {previous}")]
    Gap { previous: u32, got: u32 },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    version: u32,
    network: String,
    chain: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    height: u32,
    source: BlockSource,
    records: u32,
    valid: u32,
    has_winners: bool,
    winners: Vec<String>,
    difficulties: Vec<String>,
}

/// The open cache file.
#[derive(Debug)]
pub struct CacheFile {
    path: PathBuf,
    dir: PathBuf,
    file: File,
    /// Held (locked) while this value lives.
    _lock: File,
    network: Network,
    /// Block lines in the file.
    lines: usize,
    /// A write failed part-way: the file may end in a torn line, so rewrite it whole.
    dirty: bool,
}

impl CacheFile {
    /// Opens (or creates) the cache in `dir` for `network`: the blocks it holds, oldest first.
    pub fn open(
        dir: &Path,
        network: Network,
    ) -> Result<(CacheFile, Vec<BlockSummary>), CacheError> {
        let path = dir.join(FILE_NAME);
        fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        let lock = lock(&dir.join(LOCK_FILE_NAME))?;
        let bytes = read_bounded(&path)?;
        let loaded = parse(&path, &bytes, network)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| io_error(&path, e))?;
        let mut cache = CacheFile {
            path,
            dir: dir.to_owned(),
            file,
            _lock: lock,
            network,
            lines: loaded.blocks.len(),
            dirty: false,
        };
        if !loaded.header {
            cache.rewrite(&[])?;
        } else if loaded.good_len < bytes.len() {
            tracing::warn!(path = %cache.path.display(), "sync cache: dropped a torn last line");
            cache.truncate(loaded.good_len)?;
        }
        Ok((cache, loaded.blocks))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Makes the file end with `kept` (the blocks the sync keeps, oldest first), of which
    /// the last `new` are not in the file yet: appended when that is all it takes, else the
    /// file is rewritten with `kept` (compaction, or after a failed write).
    pub fn save(&mut self, kept: &[BlockSummary], new: usize) -> Result<(), CacheError> {
        if self.dirty || new > kept.len() || self.lines + new > COMPACT_AT_LINES {
            return self.rewrite(kept);
        }
        let text = lines_text(&kept[kept.len() - new..]).map_err(|e| io_error(&self.path, e))?;
        self.dirty = true;
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| io_error(&self.path, e))?;
        self.dirty = false;
        self.lines += new;
        Ok(())
    }

    /// Replaces the file with a header and `blocks`, atomically (temporary file, rename).
    pub fn rewrite(&mut self, blocks: &[BlockSummary]) -> Result<(), CacheError> {
        self.dirty = true;
        let tmp = self.dir.join(format!("{FILE_NAME}.tmp"));
        let mut text = header_line(self.network).map_err(|e| io_error(&tmp, e))?;
        text.push_str(&lines_text(blocks).map_err(|e| io_error(&tmp, e))?);
        let write = || -> io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()
        };
        write().map_err(|e| io_error(&tmp, e))?;
        fs::rename(&tmp, &self.path).map_err(|e| io_error(&self.path, e))?;
        // The rename is durable only once the directory is.
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error(&self.dir, e))?;
        self.file = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(|e| io_error(&self.path, e))?;
        self.lines = blocks.len();
        self.dirty = false;
        Ok(())
    }

    fn truncate(&mut self, len: usize) -> Result<(), CacheError> {
        self.file
            .set_len(len as u64)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| io_error(&self.path, e))
    }
}

fn io_error(path: &Path, source: io::Error) -> CacheError {
    CacheError::Io {
        path: path.to_owned(),
        source,
    }
}

fn lock(path: &Path) -> Result<File, CacheError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| io_error(path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(CacheError::Locked {
            path: path.to_owned(),
        }),
        Err(TryLockError::Error(e)) => Err(io_error(path, e)),
    }
}

/// The file's bytes (empty when there is none), refusing files too large to be a cache.
fn read_bounded(path: &Path) -> Result<Vec<u8>, CacheError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(path, e)),
    };
    let bytes = file.metadata().map_err(|e| io_error(path, e))?.len();
    if bytes > MAX_FILE_BYTES {
        return Err(CacheError::TooLarge {
            path: path.to_owned(),
            bytes,
            limit: MAX_FILE_BYTES,
        });
    }
    let mut out = Vec::new();
    file.take(MAX_FILE_BYTES)
        .read_to_end(&mut out)
        .map_err(|e| io_error(path, e))?;
    Ok(out)
}

/// What a cache file holds.
#[derive(Debug)]
struct Loaded {
    /// A valid header was found.
    header: bool,
    /// Bytes up to the end of the last good line.
    good_len: usize,
    blocks: Vec<BlockSummary>,
}

/// Parses a whole file. A last line without its newline, or that does not parse, is torn
/// by a crash and left out of `good_len`; any other bad line is an error.
fn parse(path: &Path, bytes: &[u8], network: Network) -> Result<Loaded, CacheError> {
    let mut loaded = Loaded {
        header: false,
        good_len: 0,
        blocks: Vec::new(),
    };
    let segments: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
    for (i, segment) in segments.iter().enumerate() {
        let Some(text) = segment.strip_suffix(b"\n") else {
            break;
        };
        let is_last = i + 1 == segments.len();
        let parsed = if loaded.header {
            parse_line(text, loaded.blocks.last()).map(Some)
        } else {
            match serde_json::from_slice::<Header>(text) {
                Ok(header) => check_header(path, header, network).map(|()| Ok(None))?,
                Err(e) => Err(LineProblem::Json(e)),
            }
        };
        let block = match parsed {
            Ok(block) => block,
            Err(_) if is_last => break,
            Err(problem) => {
                return Err(CacheError::Corrupt {
                    path: path.to_owned(),
                    line: i + 1,
                    problem,
                });
            }
        };
        loaded.header = true;
        loaded.blocks.extend(block);
        loaded.good_len += segment.len();
    }
    Ok(loaded)
}

fn check_header(path: &Path, header: Header, network: Network) -> Result<(), CacheError> {
    if header.format != FORMAT || header.version != FORMAT_VERSION {
        return Err(CacheError::Format {
            path: path.to_owned(),
            found: header.format,
            found_version: header.version,
        });
    }
    let chain = network.opr_chain_id();
    if header.network != network.to_string() || header.chain != chain.to_string() {
        return Err(CacheError::OtherChain {
            path: path.to_owned(),
            found_network: header.network,
            found_chain: header.chain,
            network,
            chain,
        });
    }
    Ok(())
}

fn parse_line(text: &[u8], previous: Option<&BlockSummary>) -> Result<BlockSummary, LineProblem> {
    let line: Line = serde_json::from_slice(text)?;
    if let Some(p) = previous
        && p.height.checked_add(1) != Some(line.height)
    {
        return Err(LineProblem::Gap {
            previous: p.height,
            got: line.height,
        });
    }
    let winners = line
        .winners
        .iter()
        .enumerate()
        .map(|(index, w)| parse_winner(w).ok_or(LineProblem::Winner { index }))
        .collect::<Result<Vec<_>, _>>()?;
    let graded_difficulties = line
        .difficulties
        .iter()
        .enumerate()
        .map(|(index, d)| parse_difficulty(d).ok_or(LineProblem::Difficulty { index }))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(BlockSummary {
        height: line.height,
        source: line.source,
        records: line.records,
        valid: line.valid,
        has_winners: line.has_winners,
        winners,
        graded_difficulties,
    })
}

fn parse_winner(text: &str) -> Option<Option<ShortHash>> {
    if text.is_empty() {
        return Some(None);
    }
    let mut out = [0u8; 8];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(Some(out))
}

fn parse_difficulty(text: &str) -> Option<u64> {
    let mut out = [0u8; 8];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(u64::from_be_bytes(out))
}

fn header_line(network: Network) -> io::Result<String> {
    let header = Header {
        format: FORMAT.to_owned(),
        version: FORMAT_VERSION,
        network: network.to_string(),
        chain: network.opr_chain_id().to_string(),
    };
    let mut text = serde_json::to_string(&header)?;
    text.push('\n');
    Ok(text)
}

fn lines_text(blocks: &[BlockSummary]) -> io::Result<String> {
    let mut text = String::new();
    for b in blocks {
        let line = Line {
            height: b.height,
            source: b.source,
            records: b.records,
            valid: b.valid,
            has_winners: b.has_winners,
            winners: b
                .winners
                .iter()
                .map(|w| w.map(hex::encode).unwrap_or_default())
                .collect(),
            difficulties: b
                .graded_difficulties
                .iter()
                .map(|d| hex::encode(d.to_be_bytes()))
                .collect(),
        };
        text.push_str(&serde_json::to_string(&line)?);
        text.push('\n');
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(height: u32) -> BlockSummary {
        BlockSummary {
            height,
            source: BlockSource::Graded,
            records: 30,
            valid: 28,
            has_winners: true,
            winners: vec![Some([height as u8; 8]); 25],
            graded_difficulties: vec![u64::MAX - u64::from(height), 1],
        }
    }

    fn blocks(heights: std::ops::RangeInclusive<u32>) -> Vec<BlockSummary> {
        heights.map(block).collect()
    }

    fn open(dir: &Path) -> Result<Vec<BlockSummary>, CacheError> {
        CacheFile::open(dir, Network::MainNet).map(|(_, b)| b)
    }

    #[test]
    fn blocks_round_trip_through_append_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let (mut cache, loaded) = CacheFile::open(dir.path(), Network::MainNet).unwrap();
        assert!(loaded.is_empty());
        let mut kept = blocks(10..=12);
        cache.save(&kept, 3).unwrap();
        kept.push(BlockSummary::anchor(
            13,
            BlockSource::Inferred,
            vec![None; 25],
        ));
        cache.save(&kept, 1).unwrap();
        drop(cache);
        assert_eq!(open(dir.path()).unwrap(), kept);
        let text = fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert_eq!(text.lines().count(), 5, "a header and four blocks:\n{text}");
        assert!(text.lines().nth(4).unwrap().contains(r#""winners":["","#));
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let (mut cache, _) = CacheFile::open(dir.path(), Network::MainNet).unwrap();
        cache.save(&blocks(10..=11), 2).unwrap();
        drop(cache);
        let path = dir.path().join(FILE_NAME);
        let good = fs::read(&path).unwrap();
        for torn in [
            &b"{\"height\":12,\"sou"[..],
            b"{\"height\":12}\n",
            b"\0\0\0\0\n",
        ] {
            let mut bytes = good.clone();
            bytes.extend_from_slice(torn);
            fs::write(&path, &bytes).unwrap();
            assert_eq!(open(dir.path()).unwrap(), blocks(10..=11));
            assert_eq!(fs::read(&path).unwrap(), good, "the torn line is cut off");
        }
    }

    #[test]
    fn a_bad_line_before_the_last_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (mut cache, _) = CacheFile::open(dir.path(), Network::MainNet).unwrap();
        cache.save(&blocks(10..=12), 3).unwrap();
        drop(cache);
        let path = dir.path().join(FILE_NAME);
        let text = fs::read_to_string(&path).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines[2] = "not json";
        fs::write(&path, lines.join("\n") + "\n").unwrap();
        let e = open(dir.path()).unwrap_err();
        assert!(matches!(e, CacheError::Corrupt { line: 3, .. }), "{e:?}");
        assert!(e.to_string().contains(&path.display().to_string()), "{e}");

        // Heights must follow each other.
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines[2] = lines[2].replace("\"height\":11", "\"height\":15");
        fs::write(&path, lines.join("\n") + "\n").unwrap();
        let e = open(dir.path()).unwrap_err();
        assert!(
            matches!(
                &e,
                CacheError::Corrupt {
                    line: 3,
                    problem: LineProblem::Gap {
                        previous: 10,
                        got: 15
                    },
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn a_file_of_another_network_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (mut cache, _) = CacheFile::open(dir.path(), Network::MainNet).unwrap();
        cache.save(&blocks(10..=10), 1).unwrap();
        drop(cache);
        let e = CacheFile::open(dir.path(), Network::TestNet).unwrap_err();
        assert!(matches!(e, CacheError::OtherChain { .. }), "{e:?}");
        let message = e.to_string();
        assert!(message.contains(&dir.path().join(FILE_NAME).display().to_string()));
        assert!(
            message.contains("MainNet") && message.contains("TestNet"),
            "{message}"
        );
        // The file is left alone for the operator.
        assert_eq!(open(dir.path()).unwrap(), blocks(10..=10));
    }

    #[test]
    fn a_torn_or_missing_header_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        for bytes in [&b""[..], b"{\"format\":\"pegnet-coord"] {
            fs::write(&path, bytes).unwrap();
            assert!(open(dir.path()).unwrap().is_empty());
            let text = fs::read_to_string(&path).unwrap();
            assert!(
                text.starts_with("{\"format\":\"pegnet-coordinator-opr-sync\""),
                "{text}"
            );
            assert_eq!(text.lines().count(), 1);
        }
        fs::write(&path, "{\"format\":\"something-else\",\"version\":1,\"network\":\"MainNet\",\"chain\":\"\"}\n").unwrap();
        assert!(matches!(open(dir.path()), Err(CacheError::Format { .. })));
    }

    #[test]
    fn the_file_is_compacted_to_the_kept_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let (mut cache, _) = CacheFile::open(dir.path(), Network::MainNet).unwrap();
        let all = blocks(1..=COMPACT_AT_LINES as u32 + 10);
        for n in 1..=all.len() {
            let kept = &all[n.saturating_sub(64)..n];
            cache.save(kept, 1).unwrap();
        }
        assert!(cache.lines <= COMPACT_AT_LINES);
        drop(cache);
        let loaded = open(dir.path()).unwrap();
        assert_eq!(loaded.last(), all.last());
        assert!(loaded.len() <= COMPACT_AT_LINES && loaded.len() >= 64);
        assert!(!dir.path().join(format!("{FILE_NAME}.tmp")).exists());
    }

    #[test]
    fn a_second_user_of_the_same_cache_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let first = CacheFile::open(dir.path(), Network::MainNet).unwrap();
        let e = CacheFile::open(dir.path(), Network::MainNet).unwrap_err();
        assert!(matches!(e, CacheError::Locked { .. }), "{e:?}");
        drop(first);
        assert!(CacheFile::open(dir.path(), Network::MainNet).is_ok());
    }
}
