//! Getting the LXR table into memory: the one given in code, the cache file, or a fresh one
//! generated with progress in the log (about ten minutes at 30 bits).
//!
//! Loading runs on its own OS thread, never the async runtime, and can be abandoned at
//! shutdown: the thread finishes on its own and its result is dropped.

use std::path::PathBuf;
use std::sync::Arc;

use lxrhash::{CacheError, CacheOutcome, Table};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

/// Why there is no table.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The cache file is unusable, or generation failed.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// The loader thread could not be started or died.
    #[error("the LXR table loader thread failed: {0}")]
    Thread(String),
}

/// The table for `bits`, from `given` or the cache in `dir` (default `~/.lxrhash`);
/// `Ok(None)` when `shutdown` came first.
pub async fn obtain(
    given: Option<Arc<Table>>,
    bits: u32,
    dir: Option<PathBuf>,
    placement: lxrhash::Placement,
    shutdown: &CancellationToken,
) -> Result<Option<Arc<Table>>, TableError> {
    let started = std::time::Instant::now();
    if let Some(table) = given {
        crate::metrics::table_loaded(started.elapsed(), table.huge_page_bytes().unwrap_or(0));
        return Ok(Some(table));
    }
    let (tx, rx) = oneshot::channel();
    std::thread::Builder::new()
        .name("lxr-table".into())
        .spawn(move || {
            // The receiver is gone only if the miner stopped meanwhile.
            tx.send(load(bits, dir, placement)).ok();
        })
        .map_err(|e| TableError::Thread(e.to_string()))?;
    tokio::select! {
        () = shutdown.cancelled() => Ok(None),
        result = rx => match result {
            Ok(table) => table.map(|t| {
                crate::metrics::table_loaded(started.elapsed(), t.huge_page_bytes().unwrap_or(0));
                Some(Arc::new(t))
            }),
            Err(_) => Err(TableError::Thread("it ended without a result".into())),
        },
    }
}

fn load(
    bits: u32,
    dir: Option<PathBuf>,
    placement: lxrhash::Placement,
) -> Result<Table, TableError> {
    let dir = match dir {
        Some(d) => d,
        None => lxrhash::default_dir()?,
    };
    let mut last_tenth = 0;
    let start = std::time::Instant::now();
    let loaded = lxrhash::load_placed(&dir, bits, placement, &mut |p| {
        let tenth = p.done.saturating_mul(10) / p.total.max(1);
        if tenth > last_tenth {
            last_tenth = tenth;
            tracing::info!(bits, percent = tenth * 10, "generating the LXR table");
        }
    })?;
    match &loaded.outcome {
        CacheOutcome::Loaded => {
            tracing::info!(bits, path = %loaded.path.display(), "LXR table loaded");
        }
        CacheOutcome::Generated {
            write_error: None, ..
        } => {
            tracing::info!(bits, path = %loaded.path.display(), "LXR table generated and saved");
        }
        CacheOutcome::Generated {
            write_error: Some(e),
            ..
        } => {
            tracing::warn!(bits, path = %loaded.path.display(), error = %e,
                "LXR table generated but not saved; the next start generates it again");
        }
    }
    let huge_mib = loaded.table.huge_page_bytes().unwrap_or(0) >> 20;
    let table_mib = (1u64 << bits) >> 20;
    tracing::info!(
        bits,
        seconds = start.elapsed().as_secs_f64(),
        huge_pages_mib = huge_mib,
        placement = ?placement,
        "LXR table ready"
    );
    // Small pages cost about a third of the hash rate on a large table; say why and how to fix it.
    if placement == lxrhash::Placement::Private && table_mib >= 64 && huge_mib < table_mib / 2 {
        tracing::warn!(
            bits,
            huge_pages_mib = huge_mib,
            table_mib,
            "the LXR table is mostly on small pages, which hashes markedly slower: reserve huge \
             pages (sysctl vm.nr_hugepages=520 per miner process) or enable transparent huge \
             pages (madvise or always); see the README's miner memory section"
        );
    }
    Ok(loaded.table)
}
