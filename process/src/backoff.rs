//! Exponential backoff with jitter, for every retry of the programs: a miner's
//! authentication and final batch, the coordinator's factomd calls.
//!
//! The delay doubles from `initial` up to `max`, and each wait adds up to a quarter of it at
//! random so that a fleet of miners refused at the same moment (a coordinator restart, a
//! wrong secret rolled out everywhere) does not come back in lockstep. The jitter only ever
//! lengthens a wait: `initial` is a floor, so a retry never comes sooner than promised.

use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

/// The delays of one run of failures; a success starts a new `Backoff`.
#[derive(Debug)]
pub struct Backoff {
    max: Duration,
    current: Duration,
    rng: SmallRng,
}

impl Backoff {
    /// Delays from `initial` doubling to `max` (`max` below `initial` is raised to it).
    pub fn new(initial: Duration, max: Duration) -> Backoff {
        // Jitter needs no secrecy; the seed only has to differ between processes.
        let seed = getrandom::u64().unwrap_or_else(|_| u64::from(std::process::id()));
        Backoff {
            max: max.max(initial),
            current: initial,
            rng: SmallRng::seed_from_u64(seed),
        }
    }

    /// The wait before the next attempt: the current delay plus up to a quarter of it.
    pub fn next_delay(&mut self) -> Duration {
        let base = self.current;
        self.current = (self.current * 2).min(self.max);
        let jitter_ms = u64::try_from(base.as_millis() / 4).unwrap_or(u64::MAX);
        base + Duration::from_millis(self.rng.random_range(0..=jitter_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_cap_and_never_waits_less() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        for floor in [1, 2, 4, 8, 16, 32, 60, 60] {
            let d = b.next_delay();
            let floor = Duration::from_secs(floor);
            assert!(d >= floor && d <= floor + floor / 4, "{d:?} for {floor:?}");
        }
    }
}
