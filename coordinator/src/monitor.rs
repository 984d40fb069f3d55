//! The chain's clock as the coordinator sees it: `current-minute` polled, every change of
//! (block being built, minute) emitted exactly once and in order.
//!
//! Polls can miss minutes (a slow node, a short devnet block, a network blip). The tracker
//! fills gaps inside a block with synthesized ticks so minute 1 (the job) and minute 9 (stop)
//! are never lost while their block is still open; minute 10 (the sealed block) is passed on
//! when seen. When the height moves on, the new block's minutes up to the current one are
//! synthesized; the old block's missed minutes are not, because that block is closed and
//! anything written for it now would land in the next one. The first observation emits only
//! itself: history before start-up is not replayed.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::factomd::FactomdPool;

/// One minute of one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    /// The block being built (`directoryblockheight + 1`).
    pub height: u32,
    /// 0..=9, or 10 between the end of minute 9 and the block's save.
    pub minute: u8,
    /// Made up for a minute the polls did not see.
    pub synthesized: bool,
}

/// Turns observations into ticks.
#[derive(Debug, Default, Clone)]
pub struct MinuteTracker {
    last: Option<(u32, u8)>,
}

impl MinuteTracker {
    pub fn new() -> MinuteTracker {
        MinuteTracker::default()
    }

    /// The ticks that observing (`height` being built, `minute`) adds, in order. Going
    /// backwards (a node that restarted or a fallback node behind the others) is ignored.
    pub fn observe(&mut self, height: u32, minute: u8) -> Vec<Tick> {
        let minute = minute.min(10);
        let tick = |minute, synthesized| Tick {
            height,
            minute,
            synthesized,
        };
        let Some((last_height, last_minute)) = self.last else {
            self.last = Some((height, minute));
            return vec![tick(minute, false)];
        };
        if (height, minute) <= (last_height, last_minute) {
            return Vec::new();
        }
        let first = if height == last_height {
            last_minute + 1
        } else {
            0
        };
        self.last = Some((height, minute));
        // Minute 10 is a transient state: never synthesize it, only pass it on when seen.
        (first..minute)
            .filter(|m| *m <= 9)
            .map(|m| tick(m, true))
            .chain(std::iter::once(tick(minute, false)))
            .collect()
    }
}

/// Polls `current-minute` every `interval` and sends each tick; stops on shutdown or when
/// the receiver is gone. A node that fails past the pool's deadline is logged and counted,
/// and polling goes on: the coordinator must outlive a factomd outage.
pub async fn run(
    pool: &FactomdPool,
    interval: Duration,
    ticks: mpsc::Sender<Tick>,
    shutdown: CancellationToken,
) {
    let mut tracker = MinuteTracker::new();
    let mut timer = tokio::time::interval(interval);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = timer.tick() => {}
        }
        let observed = tokio::select! {
            () = shutdown.cancelled() => return,
            r = pool.call(|c| async move { c.current_minute().await }) => r,
        };
        let now = match observed {
            Ok(now) => now,
            Err(e) => {
                metrics::counter!(crate::metrics::MINUTE_POLL_FAILURES).increment(1);
                tracing::error!(error = %e, "factomd did not answer current-minute");
                continue;
            }
        };
        let (Ok(height), Ok(minute)) = (
            u32::try_from(now.directory_block_height.saturating_add(1)),
            u8::try_from(now.minute),
        ) else {
            tracing::error!(
                height = now.directory_block_height,
                minute = now.minute,
                "factomd reported an impossible height or minute"
            );
            continue;
        };
        for tick in tracker.observe(height, minute) {
            if tick.synthesized {
                tracing::warn!(
                    height = tick.height,
                    minute = tick.minute,
                    "minute missed by the poll; emitted late"
                );
            }
            if ticks.send(tick).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(ticks: &[Tick]) -> Vec<(u32, u8, bool)> {
        ticks
            .iter()
            .map(|t| (t.height, t.minute, t.synthesized))
            .collect()
    }

    #[test]
    fn each_change_once_in_order() {
        let mut t = MinuteTracker::new();
        assert_eq!(seen(&t.observe(100, 3)), vec![(100, 3, false)]);
        assert!(t.observe(100, 3).is_empty());
        assert_eq!(seen(&t.observe(100, 4)), vec![(100, 4, false)]);
        assert_eq!(
            seen(&t.observe(100, 10)),
            vec![
                (100, 5, true),
                (100, 6, true),
                (100, 7, true),
                (100, 8, true),
                (100, 9, true),
                (100, 10, false)
            ]
        );
        assert_eq!(seen(&t.observe(101, 0)), vec![(101, 0, false)]);
    }

    #[test]
    fn a_missed_block_start_still_gets_its_job_minute() {
        let mut t = MinuteTracker::new();
        t.observe(100, 8);
        assert_eq!(
            seen(&t.observe(101, 2)),
            vec![(101, 0, true), (101, 1, true), (101, 2, false)]
        );
    }

    #[test]
    fn going_backwards_is_ignored() {
        let mut t = MinuteTracker::new();
        t.observe(100, 5);
        assert!(t.observe(100, 4).is_empty());
        assert!(t.observe(99, 9).is_empty());
        assert_eq!(seen(&t.observe(100, 6)), vec![(100, 6, false)]);
    }

    #[test]
    fn minute_ten_then_next_block() {
        let mut t = MinuteTracker::new();
        t.observe(100, 9);
        assert_eq!(seen(&t.observe(100, 10)), vec![(100, 10, false)]);
        assert_eq!(
            seen(&t.observe(101, 1)),
            vec![(101, 0, true), (101, 1, false)]
        );
    }
}
