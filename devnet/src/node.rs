//! The simulated factomd node: the ledger behind a lock, the facts `properties` and
//! `current-minute` report, and a watch channel that tells waiters where the clock stands.
//!
//! The ledger is a pure state machine whose operations are short and never await, so a plain
//! mutex (not an actor) is the simple, fast owner here; no lock is held across an `.await`.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

use crate::ledger::{Ledger, Position, Step};

/// Facts about the node that do not change while it runs.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    /// Length of a directory block (ten minutes of a tenth each).
    pub block_time: Duration,
    /// Factoshis per EC (`entry-credit-rate`).
    pub ec_rate: i64,
    /// What `properties` reports as `factomdversion`.
    pub version: String,
}

/// The node: ledger, facts, clock notifications, API counters.
#[derive(Debug)]
pub struct Node {
    ledger: Mutex<Ledger>,
    info: NodeInfo,
    position: watch::Sender<Position>,
    rpc: Mutex<RpcCounters>,
}

/// JSON-RPC requests answered, and errors by code (`/devnet/status`).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RpcCounters {
    pub requests: u64,
    pub errors_by_code: BTreeMap<i64, u64>,
}

impl Node {
    pub fn new(ledger: Ledger, info: NodeInfo) -> Node {
        let (position, _) = watch::channel(ledger.position());
        Node {
            ledger: Mutex::new(ledger),
            info,
            position,
            rpc: Mutex::new(RpcCounters::default()),
        }
    }

    /// Counts one answered request, and its error code if it failed.
    pub fn count_request(&self, error_code: Option<i64>) {
        let mut c = self
            .rpc
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        c.requests += 1;
        if let Some(code) = error_code {
            *c.errors_by_code.entry(code).or_insert(0) += 1;
        }
    }

    pub fn rpc_counters(&self) -> RpcCounters {
        self.rpc
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The ledger. A panic while it was held cannot leave it half-updated in a way that
    /// matters more than stopping the devnet would, so a poisoned lock is taken over.
    pub fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn info(&self) -> &NodeInfo {
        &self.info
    }

    /// Ends the current minute now.
    pub fn step(&self) -> Step {
        let (step, position) = {
            let mut ledger = self.ledger();
            let step = ledger.step(now_ms());
            (step, ledger.position())
        };
        self.position.send_replace(position);
        step
    }

    /// Where the clock stands, and every later change.
    pub fn subscribe(&self) -> watch::Receiver<Position> {
        self.position.subscribe()
    }
}

/// Wall-clock milliseconds since the Unix epoch: the node's clock for timestamps and the
/// replay window, in both the timed and the stepped mode.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
