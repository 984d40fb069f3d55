//! The table cache file, in the reference's name, place and raw format.
//!
//! `~/.lxrhash/lxrhash-seed-fafaececfafaecec-passes-5-size-30.dat` holds exactly `2^bits`
//! raw bytes with no header, so a machine that already mined PegNet reuses its table. Like
//! the reference, a file of the wrong length is regenerated and rewritten. Unlike the
//! reference, a file of the right length is checked for balance before use: a damaged table
//! is a clear error, never a silent wrong hash. `<home>` is the passwd entry's home, as the
//! reference's `os/user.Current()`, not `$HOME`.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::{PASSES, Placement, Progress, SEED, Table, TableError};

/// Why a table could not be loaded or generated.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot find the home directory of the current user for the LXR table cache: {0}")]
    NoHome(String),
    #[error("cannot read the LXR table {path}: {error}")]
    Read { path: PathBuf, error: io::Error },
    #[error("LXR table {path} is unusable (delete it to regenerate): {error}")]
    Invalid { path: PathBuf, error: TableError },
    #[error(transparent)]
    Table(#[from] TableError),
}

/// Where the table came from.
#[derive(Debug)]
pub enum CacheOutcome {
    /// Read from an existing cache file.
    Loaded,
    /// No usable file: generated, and written unless `write_error` says otherwise.
    Generated {
        /// Length of the file that was replaced, if one was there with the wrong length.
        replaced_len: Option<u64>,
        /// The table is good but could not be saved; the next start generates it again.
        write_error: Option<io::Error>,
    },
}

/// A table with the path of its cache file and how it was obtained.
#[derive(Debug)]
pub struct LoadedTable {
    pub table: Table,
    pub path: PathBuf,
    pub outcome: CacheOutcome,
}

/// The reference's cache file name for a table of `bits`.
pub fn file_name(bits: u32) -> String {
    format!("lxrhash-seed-{SEED:x}-passes-{PASSES}-size-{bits}.dat")
}

/// `<home>/.lxrhash`, with `<home>` from the passwd entry of the current user.
pub fn default_dir() -> Result<PathBuf, CacheError> {
    let uid = nix::unistd::getuid();
    match nix::unistd::User::from_uid(uid) {
        Ok(Some(user)) => Ok(user.dir.join(".lxrhash")),
        Ok(None) => Err(CacheError::NoHome(format!("no passwd entry for uid {uid}"))),
        Err(e) => Err(CacheError::NoHome(e.to_string())),
    }
}

/// Loads the `bits` table from `dir` into a private huge-page copy, or generates it
/// (reporting `progress`) and saves it: [`load_placed`] with [`Placement::Private`].
pub fn load_or_generate(
    dir: &Path,
    bits: u32,
    progress: &mut dyn FnMut(Progress),
) -> Result<LoadedTable, CacheError> {
    load_placed(dir, bits, Placement::Private, progress)
}

/// Loads the `bits` table from `dir` placed as `placement` says, or generates it (reporting
/// `progress`), saves it, and places it. A shared table is the saved file mapped, so a
/// fresh one is saved first.
pub fn load_placed(
    dir: &Path,
    bits: u32,
    placement: Placement,
    progress: &mut dyn FnMut(Progress),
) -> Result<LoadedTable, CacheError> {
    let path = dir.join(file_name(bits));
    let expected = 1u64.checked_shl(bits).unwrap_or(u64::MAX);
    let replaced_len = match fs::metadata(&path) {
        Ok(meta) if meta.len() == expected => {
            let table = read(&path, bits, placement)?;
            return Ok(LoadedTable {
                table,
                path,
                outcome: CacheOutcome::Loaded,
            });
        }
        Ok(meta) => Some(meta.len()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(CacheError::Read { path, error }),
    };
    let mut table = Table::generate(bits, progress)?;
    let write_error = write(dir, &path, table.as_bytes()).err();
    if placement == Placement::Shared && write_error.is_none() {
        table = read(&path, bits, placement)?;
    }
    Ok(LoadedTable {
        table,
        path,
        outcome: CacheOutcome::Generated {
            replaced_len,
            write_error,
        },
    })
}

fn read(path: &Path, bits: u32, placement: Placement) -> Result<Table, CacheError> {
    let file = fs::File::open(path).map_err(|error| CacheError::Read {
        path: path.to_owned(),
        error,
    })?;
    Table::from_file(bits, &file, placement).map_err(|error| CacheError::Invalid {
        path: path.to_owned(),
        error,
    })
}

/// Writes through a temporary file and a rename, so a crash never leaves a partial table
/// under the real name.
fn write(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let tmp = path.with_extension(format!("dat.tmp{}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        // Best effort: the write already failed and that error is the one worth reporting.
        fs::remove_file(&tmp).ok();
    }
    result
}
