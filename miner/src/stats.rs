//! Hashing statistics: the hash rate measured between two samples, and the `MinerStats`
//! message published for the coordinator's dashboards.

use std::time::Instant;

use pegnet_common::wire::{EncodeError, MinerStats, PROTOCOL_VERSION};

use crate::session::Session;

/// The hash rate between successive samples of the hash counter.
#[derive(Debug)]
pub struct RateMeter {
    last_total: u64,
    last_at: Instant,
}

impl RateMeter {
    pub fn new(now: Instant) -> RateMeter {
        RateMeter {
            last_total: 0,
            last_at: now,
        }
    }

    /// Hashes per second since the previous sample (0 if no time passed).
    pub fn sample(&mut self, total: u64, now: Instant) -> f64 {
        let seconds = now.saturating_duration_since(self.last_at).as_secs_f64();
        let hashes = total.saturating_sub(self.last_total);
        self.last_total = total;
        self.last_at = now;
        if seconds > 0.0 {
            hashes as f64 / seconds
        } else {
            0.0
        }
    }
}

/// The hash rate of each thread, between successive samples of their counters.
#[derive(Debug)]
pub struct ThreadRates {
    meters: Vec<RateMeter>,
    start: Instant,
}

impl ThreadRates {
    pub fn new(now: Instant) -> ThreadRates {
        ThreadRates {
            meters: Vec::new(),
            start: now,
        }
    }

    /// Hashes per second of each thread since the previous sample, by thread index.
    pub fn sample(&mut self, totals: &[u64], now: Instant) -> Vec<f64> {
        let start = self.start;
        if self.meters.len() < totals.len() {
            self.meters
                .resize_with(totals.len(), || RateMeter::new(start));
        }
        totals
            .iter()
            .zip(&mut self.meters)
            .map(|(&total, meter)| meter.sample(total, now))
            .collect()
    }
}

/// What one stats message reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot {
    /// The block being mined (0 before the first job).
    pub height: u32,
    pub hashes_total: u64,
    pub hash_rate: f64,
    pub best_difficulty: u64,
    pub threads: u16,
}

/// The `MinerStats` for `session`, with its seq and MAC.
pub fn message(
    session: &Session,
    miner: &str,
    snapshot: Snapshot,
) -> Result<MinerStats, EncodeError> {
    let mut stats = MinerStats {
        v: PROTOCOL_VERSION,
        session: session.id,
        miner: miner.to_owned(),
        seq: session.next_seq(),
        height: snapshot.height,
        hashes_total: snapshot.hashes_total,
        hash_rate: snapshot.hash_rate,
        best_difficulty: snapshot.best_difficulty,
        threads: snapshot.threads,
        mac: [0; 32],
    };
    stats.mac = session.key.mac_stats(&stats)?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use pegnet_common::wire::{Secret, SessionId, session_key};

    use super::*;

    #[test]
    fn rate_is_hashes_over_elapsed_time() {
        let t0 = Instant::now();
        let mut meter = RateMeter::new(t0);
        assert_eq!(meter.sample(1000, t0 + Duration::from_secs(2)), 500.0);
        assert_eq!(meter.sample(1000, t0 + Duration::from_secs(3)), 0.0);
        assert_eq!(meter.sample(1000, t0 + Duration::from_secs(3)), 0.0);
    }

    #[test]
    fn stats_carry_a_verifiable_mac() {
        let secret = Secret::new("s").unwrap();
        let key = session_key(&secret, &[1; 32], &[2; 32]);
        let session = Session::new(SessionId([3; 16]), key.clone(), 1);
        let snapshot = Snapshot {
            height: 9,
            hashes_total: 100,
            hash_rate: 10.0,
            best_difficulty: 5,
            threads: 2,
        };
        let stats = message(&session, "rig", snapshot).unwrap();
        assert_eq!(stats.seq, 1);
        assert!(key.verify_stats(&stats));
    }
}
