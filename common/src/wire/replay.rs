//! The replay guard for a session's authenticated messages.
//!
//! A MAC proves who sent a `ShareBatch` or `MinerStats`, not that it is new: a recorded batch
//! could be sent again. Each session numbers its messages with `seq`, and the coordinator
//! keeps a [`SeqWindow`] per session that accepts each number once. NATS may deliver a
//! miner's concurrent requests out of order, so numbers up to [`SEQ_WINDOW`] below the
//! highest seen are still accepted once; anything older is refused, since it can no longer be
//! told apart from a replay.

/// How far below the highest `seq` seen a late message is still accepted.
pub const SEQ_WINDOW: u64 = 64;

/// Why a `seq` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SeqError {
    /// This `seq` was already accepted.
    #[error("seq {0} was already seen")]
    Repeated(u64),
    #[error("seq {seq} is more than {SEQ_WINDOW} below the highest seen, {highest}")]
    /// Below the window, so it cannot be told apart from a replay.
    TooOld {
        /// The refused `seq`.
        seq: u64,
        /// The highest `seq` accepted so far.
        highest: u64,
    },
}

/// The sequence numbers one session has used, within a sliding window.
#[derive(Debug, Clone, Default)]
pub struct SeqWindow {
    /// The highest accepted `seq`, `None` before the first.
    highest: Option<u64>,
    /// Bit `i` set: `highest - i` was accepted.
    seen: u64,
}

impl SeqWindow {
    /// A window that has seen nothing; any first `seq` is accepted.
    pub fn new() -> SeqWindow {
        SeqWindow::default()
    }

    /// Records `seq` if it is new. Call it only after the message's MAC verified, so a forger
    /// cannot burn a miner's sequence numbers.
    pub fn accept(&mut self, seq: u64) -> Result<(), SeqError> {
        let Some(highest) = self.highest else {
            self.highest = Some(seq);
            self.seen = 1;
            return Ok(());
        };
        if seq > highest {
            let shift = seq - highest;
            self.seen = if shift >= SEQ_WINDOW {
                0
            } else {
                self.seen << shift
            } | 1;
            self.highest = Some(seq);
            return Ok(());
        }
        let age = highest - seq;
        if age >= SEQ_WINDOW {
            return Err(SeqError::TooOld { seq, highest });
        }
        let bit = 1u64 << age;
        if self.seen & bit != 0 {
            return Err(SeqError::Repeated(seq));
        }
        self.seen |= bit;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn increasing_sequence_is_accepted_once() {
        let mut w = SeqWindow::new();
        for seq in 0..200 {
            assert_eq!(w.accept(seq), Ok(()));
            assert_eq!(w.accept(seq), Err(SeqError::Repeated(seq)));
        }
    }

    #[test]
    fn late_messages_inside_the_window_are_accepted_once() {
        let mut w = SeqWindow::new();
        assert_eq!(w.accept(100), Ok(()));
        assert_eq!(w.accept(37), Ok(()));
        assert_eq!(w.accept(37), Err(SeqError::Repeated(37)));
        assert_eq!(
            w.accept(36),
            Err(SeqError::TooOld {
                seq: 36,
                highest: 100
            })
        );
        assert_eq!(w.accept(1000), Ok(()));
        assert_eq!(
            w.accept(100),
            Err(SeqError::TooOld {
                seq: 100,
                highest: 1000
            })
        );
    }

    #[test]
    fn first_seq_may_be_anything() {
        let mut w = SeqWindow::new();
        assert_eq!(w.accept(u64::MAX), Ok(()));
        assert_eq!(w.accept(u64::MAX), Err(SeqError::Repeated(u64::MAX)));
    }

    proptest! {
        /// Against a model that remembers everything: the window never accepts a repeat,
        /// and accepts every new seq within the window of the highest so far.
        #[test]
        fn never_accepts_a_repeat(seqs in prop::collection::vec(0u64..300, 1..400)) {
            let mut w = SeqWindow::new();
            let mut accepted = HashSet::new();
            let mut highest: Option<u64> = None;
            for seq in seqs {
                let ok = w.accept(seq).is_ok();
                if accepted.contains(&seq) {
                    prop_assert!(!ok, "repeat {} accepted", seq);
                } else {
                    let in_window = highest.is_none_or(|h| seq + SEQ_WINDOW > h);
                    prop_assert_eq!(ok, in_window, "seq {} highest {:?}", seq, highest);
                }
                if ok {
                    accepted.insert(seq);
                    highest = Some(highest.map_or(seq, |h| h.max(seq)));
                }
            }
        }
    }
}
