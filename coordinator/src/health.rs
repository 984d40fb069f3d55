//! The health of what the coordinator depends on (DESIGN §8): factomd, NATS, JetStream and
//! each price source, as `/status` and the status page show it.
//!
//! The parts that talk to a dependency report each outcome here (`ok` or `failed`), and
//! the status snapshot reads the latest state. A [`Liveness`] remembers since when the
//! dependency has been in its current state and the last error, so "factomd down since
//! 12:03:10: connection refused" is one read away. Everything is behind short-held locks or
//! atomics: reporting never waits on anything else.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::Serialize;

/// Up or down, since when, and why it last failed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DependencyState {
    /// `None` until the first outcome.
    pub up: Option<bool>,
    /// Unix ms of the change into the current state (0 before any outcome).
    pub since_ms: u64,
    /// The last failure, kept after recovery so an operator sees what happened.
    pub last_error: Option<String>,
    /// Unix ms of that failure.
    pub last_error_ms: Option<u64>,
}

impl DependencyState {
    fn mark_ok(&mut self, now_ms: u64) {
        if self.up != Some(true) {
            self.up = Some(true);
            self.since_ms = now_ms;
        }
    }

    fn mark_failed(&mut self, now_ms: u64, error: &str) {
        if self.up != Some(false) {
            self.up = Some(false);
            self.since_ms = now_ms;
        }
        self.last_error = Some(error.to_owned());
        self.last_error_ms = Some(now_ms);
    }
}

/// One dependency's state, updated by whoever talks to it.
#[derive(Debug, Default)]
pub struct Liveness(Mutex<DependencyState>);

impl Liveness {
    fn lock(&self) -> MutexGuard<'_, DependencyState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The dependency answered.
    pub fn ok(&self, now_ms: u64) {
        self.lock().mark_ok(now_ms);
    }

    /// The dependency failed to answer; `error` says how.
    pub fn failed(&self, now_ms: u64, error: &str) {
        self.lock().mark_failed(now_ms, error);
    }

    pub fn state(&self) -> DependencyState {
        self.lock().clone()
    }
}

/// What the last JetStream account check said.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JetStream {
    /// Not checked yet, or the check got no answer (NATS down, timeout).
    #[default]
    Unknown,
    /// The account query answered.
    Up,
    /// The server answered that JetStream is not enabled (for this account).
    Off,
}

impl JetStream {
    pub fn as_str(self) -> &'static str {
        match self {
            JetStream::Unknown => "unknown",
            JetStream::Up => "up",
            JetStream::Off => "off",
        }
    }
}

/// The NATS connection as the client's events tell it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NatsState {
    pub connected: bool,
    /// Connections after the first.
    pub reconnects: u64,
}

/// Every price source's state, by source name (the price layer reports here).
#[derive(Debug, Default)]
pub struct PriceHealth(Mutex<BTreeMap<&'static str, DependencyState>>);

impl PriceHealth {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<&'static str, DependencyState>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn ok(&self, source: &'static str, now_ms: u64) {
        self.lock().entry(source).or_default().mark_ok(now_ms);
    }

    pub fn failed(&self, source: &'static str, now_ms: u64, error: &str) {
        self.lock()
            .entry(source)
            .or_default()
            .mark_failed(now_ms, error);
    }

    /// Every source polled so far, by name.
    pub fn states(&self) -> Vec<SourceState> {
        self.lock()
            .iter()
            .map(|(source, state)| SourceState {
                source: (*source).to_owned(),
                state: state.clone(),
            })
            .collect()
    }
}

/// One price source's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceState {
    pub source: String,
    #[serde(flatten)]
    pub state: DependencyState,
}

/// The NATS side: connection events and the JetStream check.
#[derive(Debug, Default)]
pub struct NatsHealth {
    connected: AtomicBool,
    connections: AtomicU64,
    jetstream: Mutex<JetStream>,
}

impl NatsHealth {
    /// A connection (the first or a reconnection) is up; returns whether it is a reconnection.
    pub fn connected(&self) -> bool {
        self.connected.store(true, Ordering::Relaxed);
        self.connections.fetch_add(1, Ordering::Relaxed) > 0
    }

    pub fn disconnected(&self) {
        self.connected.store(false, Ordering::Relaxed);
    }

    pub fn set_jetstream(&self, state: JetStream) {
        *self
            .jetstream
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = state;
    }

    pub fn jetstream(&self) -> JetStream {
        *self
            .jetstream
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub fn state(&self) -> NatsState {
        NatsState {
            connected: self.connected.load(Ordering::Relaxed),
            reconnects: self.connections.load(Ordering::Relaxed).saturating_sub(1),
        }
    }
}

/// The health block of `/status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HealthStatus {
    pub factomd: DependencyState,
    pub nats: NatsState,
    pub jetstream: JetStream,
    pub prices: Vec<SourceState>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_moves_only_on_a_change_and_the_last_error_stays() {
        let l = Liveness::default();
        assert_eq!(l.state().up, None);
        l.ok(10);
        l.ok(20);
        assert_eq!((l.state().up, l.state().since_ms), (Some(true), 10));
        l.failed(30, "refused");
        l.failed(40, "timeout");
        let s = l.state();
        assert_eq!((s.up, s.since_ms), (Some(false), 30));
        assert_eq!(s.last_error.as_deref(), Some("timeout"));
        l.ok(50);
        let s = l.state();
        assert_eq!((s.up, s.since_ms), (Some(true), 50));
        assert_eq!(s.last_error_ms, Some(40));
    }

    #[test]
    fn reconnects_count_connections_after_the_first() {
        let n = NatsHealth::default();
        assert!(!n.connected());
        n.disconnected();
        assert!(!n.state().connected);
        assert!(n.connected());
        assert_eq!(
            n.state(),
            NatsState {
                connected: true,
                reconnects: 1
            }
        );
    }

    #[test]
    fn price_sources_are_listed_by_name() {
        let p = PriceHealth::default();
        p.failed("ECB", 5, "HTTP 500");
        p.ok("CoinGecko", 6);
        let names: Vec<_> = p.states().into_iter().map(|s| s.source).collect();
        assert_eq!(names, ["CoinGecko", "ECB"]);
    }
}
