//! What the coordinator has seen each miner do, for `/status`, the status page and the
//! per-miner metrics: shares accepted and refused, when each session started, and the
//! largest batch it had accepted (which bounds the hash-rate estimate, see
//! [`crate::estimate`]). Pure: the service reports events with the time, and asks.
//!
//! Counts are kept per session (the status table lists sessions) and per miner name (the
//! metrics label), the latter summed over the name's sessions and kept for as long as the
//! name has a session, so a miner that reconnects keeps counting from where it was.
//! Bounded by the sessions: both maps lose an entry when the last session behind it goes.

use std::collections::{HashMap, HashSet};

use pegnet_common::wire::SessionId;

use crate::estimate;

/// One session, as seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionActivity {
    /// Unix ms of the `Welcome`.
    pub started_ms: u64,
    pub shares_accepted: u64,
    pub shares_rejected: u64,
    /// The most shares one of its batches had accepted.
    pub largest_batch: usize,
}

/// A miner name's shares over all its sessions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MinerTotals {
    pub shares_accepted: u64,
    pub shares_rejected: u64,
}

/// Every live session's and miner name's activity.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    sessions: HashMap<SessionId, SessionActivity>,
    miners: HashMap<String, MinerTotals>,
}

impl Activity {
    /// A session was welcomed.
    pub fn joined(&mut self, session: SessionId, miner: &str, now_ms: u64) {
        self.sessions.entry(session).or_insert(SessionActivity {
            started_ms: now_ms,
            ..SessionActivity::default()
        });
        self.miners.entry(miner.to_owned()).or_default();
    }

    /// A batch of `session` (of `miner`) was answered.
    pub fn batch(&mut self, session: SessionId, miner: &str, accepted: u32, rejected: usize) {
        let s = self.sessions.entry(session).or_default();
        s.shares_accepted += u64::from(accepted);
        s.shares_rejected += rejected as u64;
        s.largest_batch = s.largest_batch.max(accepted as usize);
        let m = self.miners.entry(miner.to_owned()).or_default();
        m.shares_accepted += u64::from(accepted);
        m.shares_rejected += rejected as u64;
    }

    /// Forgets what no live session stands behind; `live` is every session and its name.
    pub fn retain<'a>(&mut self, live: impl IntoIterator<Item = (SessionId, &'a str)>) {
        let mut ids = HashSet::new();
        let mut names = HashSet::new();
        for (id, name) in live {
            ids.insert(id);
            names.insert(name);
        }
        self.sessions.retain(|id, _| ids.contains(id));
        self.miners.retain(|name, _| names.contains(name.as_str()));
    }

    pub fn session(&self, session: &SessionId) -> SessionActivity {
        self.sessions.get(session).copied().unwrap_or_default()
    }

    pub fn miner(&self, miner: &str) -> MinerTotals {
        self.miners.get(miner).copied().unwrap_or_default()
    }

    /// The session's estimated hash rate on a job, from the difficulties it had accepted
    /// in it. The job ran from `job_start_ms` to `until_ms` (now, or the stop signal); the
    /// session hashed it from the later of that start and its own.
    pub fn estimated_rate(
        &self,
        session: &SessionId,
        difficulties: &[u64],
        job_start_ms: u64,
        until_ms: u64,
    ) -> Option<f64> {
        let s = self.sessions.get(session)?;
        let hashes = estimate::hashes_from_shares(difficulties, s.largest_batch)?;
        let from = job_start_ms.max(s.started_ms);
        Some(estimate::rate(hashes, until_ms.saturating_sub(from)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: SessionId = SessionId([1; 16]);
    const B: SessionId = SessionId([2; 16]);

    #[test]
    fn counts_per_session_and_per_name() {
        let mut a = Activity::default();
        a.joined(A, "rig", 100);
        a.joined(B, "rig", 200);
        a.batch(A, "rig", 3, 1);
        a.batch(B, "rig", 2, 0);
        assert_eq!(a.session(&A).shares_accepted, 3);
        assert_eq!(a.session(&A).largest_batch, 3);
        assert_eq!(a.miner("rig").shares_accepted, 5);
        assert_eq!(a.miner("rig").shares_rejected, 1);
    }

    #[test]
    fn a_name_outlives_one_session_but_not_all() {
        let mut a = Activity::default();
        a.joined(A, "rig", 100);
        a.batch(A, "rig", 3, 0);
        a.joined(B, "rig", 200);
        a.retain([(B, "rig")]);
        assert_eq!(a.session(&A), SessionActivity::default());
        assert_eq!(a.miner("rig").shares_accepted, 3);
        a.retain([]);
        assert_eq!(a.miner("rig"), MinerTotals::default());
    }

    #[test]
    fn the_rate_runs_from_the_later_start() {
        let mut a = Activity::default();
        a.joined(A, "rig", 5_000);
        a.batch(A, "rig", 2, 0);
        // Two shares, the 2nd best beaten by one hash in 1000: about 1000 hashes.
        let d = u64::MAX - u64::MAX / 1000;
        let rate = a.estimated_rate(&A, &[u64::MAX, d], 1_000, 7_000).unwrap();
        assert!((rate - 500.0).abs() < 1.0, "{rate}");
        assert_eq!(a.estimated_rate(&B, &[1, 2], 0, 1), None);
    }
}
