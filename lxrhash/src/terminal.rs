//! Getting an LXR table into memory for a command-line user: from the cache file, or
//! generated with a progress bar (minutes at 30 bits), with a loud warning for test sizes.

use std::io::IsTerminal;
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};

use crate::{CacheError, CacheOutcome, PRODUCTION_BITS, Table};

/// Where and what size of table to use.
#[derive(Debug, Clone)]
pub struct TableOptions {
    pub bits: u32,
    /// Cache directory; `None` is the reference's `~/.lxrhash`.
    pub dir: Option<PathBuf>,
}

/// Loads or generates the table, reporting on stderr.
pub fn load(opts: &TableOptions) -> Result<Table, CacheError> {
    if opts.bits != PRODUCTION_BITS {
        eprintln!(
            "WARNING: LXR table of {} bits: hashes and difficulties are NOT valid on a real PegNet network (it uses {PRODUCTION_BITS} bits); use this for tests and devnet only",
            opts.bits
        );
    }
    let dir = match &opts.dir {
        Some(d) => d.clone(),
        None => crate::default_dir()?,
    };
    let bar = progress_bar();
    let loaded = crate::load_or_generate(&dir, opts.bits, &mut |p| {
        bar.set_length(p.total);
        bar.set_position(p.done);
    })?;
    bar.finish_and_clear();
    match &loaded.outcome {
        CacheOutcome::Loaded => {}
        CacheOutcome::Generated {
            replaced_len,
            write_error,
        } => {
            if let Some(len) = replaced_len {
                eprintln!(
                    "replaced {} ({len} bytes, wrong length)",
                    loaded.path.display()
                );
            }
            match write_error {
                None => eprintln!("generated and saved {}", loaded.path.display()),
                Some(e) => eprintln!(
                    "WARNING: generated the table but could not save {}: {e}",
                    loaded.path.display()
                ),
            }
        }
    }
    Ok(loaded.table)
}

fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("generating LXR table {bar:40} {percent:>3}% eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}
