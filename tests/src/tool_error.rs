//! What can go wrong when the observability tests run Prometheus, promtool or the workspace's
//! own programs as processes, or read the dashboards and the metric catalogue.

use std::path::PathBuf;
use std::time::Duration;

/// How to get Prometheus and promtool on Debian, quoted by [`ToolError::NotFound`].
pub const PROMETHEUS_INSTALL_HINT: &str = "install Debian's `prometheus` package \
    (`apt-get install prometheus`, which ships `prometheus` and `promtool`; .ci/run does it)";

/// A failure of a process the observability tests start, or of a file they read.
///
/// `Debug` prints the same message as `Display`, so an `expect()` in a test shows the process's
/// log and the install hint readably.
#[derive(thiserror::Error)]
pub enum ToolError {
    /// A required executable is not installed.
    #[error("`{tool}` not found (looked at: {}); {hint}", display_paths(searched))]
    NotFound {
        /// The executable's name.
        tool: String,
        /// Every place that was tried.
        searched: Vec<PathBuf>,
        /// How to install it.
        hint: String,
    },

    /// A workspace binary was not built next to the test executable.
    #[error(
        "{path:?} does not exist: build the workspace's binaries first \
         (`cargo nextest run --workspace` does, or `cargo build --bins`)"
    )]
    BinaryMissing {
        /// Where it was expected.
        path: PathBuf,
    },

    /// A local file or directory operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },

    /// A process could not be spawned.
    #[error("cannot run {bin:?}: {source}")]
    Spawn {
        /// The executable.
        bin: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// A process exited before it was ready.
    #[error("{name} exited during start-up; its log:\n{log}")]
    Exited {
        /// Which process.
        name: String,
        /// Its output so far.
        log: String,
    },

    /// A process was not ready before the deadline.
    #[error("{name} was not ready within {timeout:?}; its log:\n{log}")]
    NotReady {
        /// Which process.
        name: String,
        /// The deadline that passed.
        timeout: Duration,
        /// Its output so far.
        log: String,
    },

    /// An HTTP exchange with a local server failed or did not answer 200 with JSON.
    #[error("GET {url}: {what}")]
    Http {
        /// The URL asked.
        url: String,
        /// What went wrong, with the response when there was one.
        what: String,
    },

    /// Prometheus refused a query (a parse or evaluation error).
    #[error("query {expr:?} failed: {error}")]
    Query {
        /// The PromQL expression.
        expr: String,
        /// Prometheus' `errorType: error`.
        error: String,
    },

    /// No free TCP port was found to hand to a program.
    #[error("no free TCP port below the ephemeral range {ephemeral_start}")]
    NoFreePort {
        /// The first port of the kernel's ephemeral range.
        ephemeral_start: u16,
    },

    /// A dashboard or the metric catalogue is not what its reader expects.
    #[error("{file:?}: {what}")]
    Malformed {
        /// The file.
        file: PathBuf,
        /// What is wrong, naming the field.
        what: String,
    },
}

impl std::fmt::Debug for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

fn display_paths(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}
