//! Nonce slots for sessions: which slot a new session may take (DESIGN §6).
//!
//! A slot is the first field of every nonce a session hashes, so two live sessions must never
//! share one. A released slot is also kept out of use until every job that could still accept
//! shares under it has ended (the coordinator says when): otherwise a new session could hash
//! nonces the old one already sent for the same job. Pure: time comes in as an argument.

use std::collections::{BTreeMap, BTreeSet};

/// Hands out nonce slots and takes them back after a cooling-off time.
#[derive(Debug, Clone)]
pub struct SlotAllocator {
    /// Slots `0..capacity` exist.
    capacity: u64,
    /// The next never-used slot.
    next_fresh: u64,
    /// Slots held by a session.
    live: BTreeSet<u32>,
    /// Released slots and when each may be reused, Unix milliseconds.
    cooling: BTreeMap<u32, u64>,
    /// The same, ordered by time, to find the first reusable slot quickly.
    by_time: BTreeSet<(u64, u32)>,
}

impl Default for SlotAllocator {
    /// Every `u32` is a slot.
    fn default() -> SlotAllocator {
        SlotAllocator::new(u64::from(u32::MAX) + 1)
    }
}

impl SlotAllocator {
    /// An allocator over slots `0..capacity` (at most 2^32).
    pub fn new(capacity: u64) -> SlotAllocator {
        SlotAllocator {
            capacity: capacity.min(u64::from(u32::MAX) + 1),
            next_fresh: 0,
            live: BTreeSet::new(),
            cooling: BTreeMap::new(),
            by_time: BTreeSet::new(),
        }
    }

    /// A slot for a new session: a released slot whose cooling time has passed by `now_ms`,
    /// else one never used, else `None` when every slot is live or cooling.
    pub fn allocate(&mut self, now_ms: u64) -> Option<u32> {
        if let Some(&(after, slot)) = self.by_time.first()
            && after <= now_ms
        {
            self.by_time.remove(&(after, slot));
            self.cooling.remove(&slot);
            self.live.insert(slot);
            return Some(slot);
        }
        // Slots claimed out of order (`claim`) are skipped; there are at most as many as
        // sessions.
        while self.next_fresh < self.capacity {
            let slot = u32::try_from(self.next_fresh).ok()?;
            self.next_fresh += 1;
            if !self.live.contains(&slot) && !self.cooling.contains_key(&slot) {
                self.live.insert(slot);
                return Some(slot);
            }
        }
        None
    }

    /// Takes `slot` for a miner coming back to it. Allowed when no session holds it and it is
    /// not cooling off for somebody else: never handed out here (this allocator started
    /// after the miner got it, as after a coordinator restart), or cooled off by `now_ms`,
    /// or cooling and `returning_holder` (the caller knows the slot's last holder is the one
    /// asking, so no other session's nonces can be repeated). Returns `false`, changing
    /// nothing, otherwise.
    pub fn claim(&mut self, slot: u32, returning_holder: bool, now_ms: u64) -> bool {
        if u64::from(slot) >= self.capacity || self.live.contains(&slot) {
            return false;
        }
        if let Some(&after) = self.cooling.get(&slot) {
            if !returning_holder && after > now_ms {
                return false;
            }
            self.cooling.remove(&slot);
            self.by_time.remove(&(after, slot));
        }
        self.live.insert(slot);
        true
    }

    /// Ends a session's hold on `slot`; it is not handed out again before
    /// `reusable_after_ms` (the end of the last job that could accept shares under it).
    /// Returns `false`, changing nothing, if the slot was not live.
    pub fn release(&mut self, slot: u32, reusable_after_ms: u64) -> bool {
        if !self.live.remove(&slot) {
            return false;
        }
        self.cooling.insert(slot, reusable_after_ms);
        self.by_time.insert((reusable_after_ms, slot));
        true
    }

    /// Whether `slot` is held by a session.
    pub fn is_live(&self, slot: u32) -> bool {
        self.live.contains(&slot)
    }

    /// How many slots are held by sessions.
    pub fn live_count(&self) -> usize {
        self.live.len()
    }

    /// How many released slots are waiting out their cooling time.
    pub fn cooling_count(&self) -> usize {
        self.cooling.len()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn fresh_slots_are_distinct() {
        let mut a = SlotAllocator::new(3);
        assert_eq!(a.allocate(0), Some(0));
        assert_eq!(a.allocate(0), Some(1));
        assert_eq!(a.allocate(0), Some(2));
        assert_eq!(a.allocate(0), None);
        assert_eq!(a.live_count(), 3);
    }

    #[test]
    fn a_slot_is_claimed_back_only_when_free_for_the_claimer() {
        let mut a = SlotAllocator::new(10);
        let s = a.allocate(0).unwrap();
        assert!(
            !a.claim(s, true, 0),
            "a live slot is nobody else's to claim"
        );
        assert!(a.release(s, 1_000));
        assert!(!a.claim(s, false, 999), "cooling for its last holder only");
        assert!(a.claim(s, true, 999), "its last holder takes it back");
        assert!(a.is_live(s));
        assert_eq!(a.cooling_count(), 0);
        assert!(a.release(s, 1_000));
        assert!(a.claim(s, false, 1_000), "cooled off: anyone may take it");
        // A slot never handed out here (given by an earlier run) is claimed out of order, and
        // fresh allocation steps over it.
        assert!(a.claim(3, false, 0));
        assert!(!a.claim(10, false, 0), "out of range");
        let fresh: Vec<u32> = (0..3).map(|_| a.allocate(0).unwrap()).collect();
        assert_eq!(fresh, [1, 2, 4]);
    }

    #[test]
    fn released_slot_waits_for_its_time() {
        let mut a = SlotAllocator::new(1);
        let s = a.allocate(0).unwrap();
        assert!(a.release(s, 1_000));
        assert!(!a.release(s, 1_000), "a slot is released once");
        assert_eq!(a.allocate(999), None);
        assert_eq!(a.cooling_count(), 1);
        assert_eq!(a.allocate(1_000), Some(s));
        assert!(a.is_live(s));
        assert_eq!(a.cooling_count(), 0);
    }

    #[test]
    fn cooled_slots_are_reused_before_fresh_ones() {
        let mut a = SlotAllocator::default();
        let s0 = a.allocate(0).unwrap();
        let s1 = a.allocate(0).unwrap();
        a.release(s1, 10);
        a.release(s0, 20);
        assert_eq!(a.allocate(5), Some(2), "nothing has cooled yet");
        assert_eq!(a.allocate(30), Some(s1), "earliest cooled first");
        assert_eq!(a.allocate(30), Some(s0));
    }

    #[test]
    fn the_last_u32_slot_exists() {
        let mut a = SlotAllocator {
            next_fresh: u64::from(u32::MAX),
            ..SlotAllocator::default()
        };
        assert_eq!(a.allocate(0), Some(u32::MAX));
        assert_eq!(a.allocate(0), None);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Allocate(u64),
        Release(usize, u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u64..100).prop_map(Op::Allocate),
            (any::<usize>(), 0u64..100).prop_map(|(i, t)| Op::Release(i, t)),
        ]
    }

    proptest! {
        /// Against a model: an allocated slot is never live twice, and never handed out
        /// before the time it was released with.
        #[test]
        fn no_reuse_while_live_or_cooling(ops in prop::collection::vec(op(), 1..200)) {
            let mut a = SlotAllocator::new(8);
            let mut now = 0u64;
            let mut live: Vec<u32> = Vec::new();
            let mut released: HashMap<u32, u64> = HashMap::new();
            for op in ops {
                match op {
                    Op::Allocate(dt) => {
                        now += dt;
                        if let Some(s) = a.allocate(now) {
                            prop_assert!(!live.contains(&s), "slot {} live twice", s);
                            if let Some(&after) = released.get(&s) {
                                prop_assert!(after <= now, "slot {} reused early", s);
                            }
                            released.remove(&s);
                            live.push(s);
                        } else {
                            // Refused only when every slot is live or still cooling.
                            prop_assert_eq!(live.len() + released.len(), 8);
                            prop_assert!(released.values().all(|&t| t > now));
                        }
                    }
                    Op::Release(i, dt) if !live.is_empty() => {
                        let s = live.swap_remove(i % live.len());
                        prop_assert!(a.release(s, now + dt));
                        released.insert(s, now + dt);
                    }
                    Op::Release(..) => {}
                }
            }
        }
    }
}
