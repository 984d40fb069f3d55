//! The nonce layout that keeps every session in its own search space (DESIGN §6).
//!
//! A nonce is `slot: u32 BE ‖ thread: u16 BE ‖ counter: u64 BE`, always 14 bytes. The
//! coordinator gives each session a slot and each miner thread has its own index, so two
//! sessions, or two threads, never hash the same (OPR content, nonce) pair even when they
//! share an identity and payout address. Fixed width makes the encoding prefix-free: no nonce
//! is the start of another, so a nonce's owner can be read off its first six bytes.

/// The length of every nonce.
pub const NONCE_LEN: usize = 14;

const SLOT: std::ops::Range<usize> = 0..4;
const THREAD: std::ops::Range<usize> = 4..6;
const COUNTER: std::ops::Range<usize> = 6..14;

/// A decoded nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nonce {
    /// The session's slot, from `Welcome`.
    pub slot: u32,
    /// The miner thread's index.
    pub thread: u16,
    /// The thread's position in its search.
    pub counter: u64,
}

/// Why bytes are not a nonce of our layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("nonce is {0} bytes; the layout is exactly {NONCE_LEN}")]
pub struct NonceError(pub usize);

impl Nonce {
    /// The nonce at `counter` of `thread` in `slot`.
    pub fn new(slot: u32, thread: u16, counter: u64) -> Nonce {
        Nonce {
            slot,
            thread,
            counter,
        }
    }

    /// The 14 wire bytes.
    pub fn to_bytes(self) -> [u8; NONCE_LEN] {
        let mut out = [0u8; NONCE_LEN];
        out[SLOT].copy_from_slice(&self.slot.to_be_bytes());
        out[THREAD].copy_from_slice(&self.thread.to_be_bytes());
        out[COUNTER].copy_from_slice(&self.counter.to_be_bytes());
        out
    }

    /// Reads a nonce; anything but exactly 14 bytes is refused.
    pub fn parse(bytes: &[u8]) -> Result<Nonce, NonceError> {
        let b: &[u8; NONCE_LEN] = bytes.try_into().map_err(|_| NonceError(bytes.len()))?;
        let mut slot = [0u8; 4];
        let mut thread = [0u8; 2];
        let mut counter = [0u8; 8];
        slot.copy_from_slice(&b[SLOT]);
        thread.copy_from_slice(&b[THREAD]);
        counter.copy_from_slice(&b[COUNTER]);
        Ok(Nonce {
            slot: u32::from_be_bytes(slot),
            thread: u16::from_be_bytes(thread),
            counter: u64::from_be_bytes(counter),
        })
    }
}

/// A thread's nonce, advanced in place: the miner's hot loop touches only the counter bytes
/// and never allocates.
#[derive(Debug, Clone)]
pub struct NonceBuf {
    bytes: [u8; NONCE_LEN],
    counter: u64,
}

impl NonceBuf {
    /// Starts at `counter` of `thread` in `slot`.
    pub fn new(slot: u32, thread: u16, counter: u64) -> NonceBuf {
        NonceBuf {
            bytes: Nonce::new(slot, thread, counter).to_bytes(),
            counter,
        }
    }

    /// The current nonce's bytes.
    pub fn as_bytes(&self) -> &[u8; NONCE_LEN] {
        &self.bytes
    }

    /// The current counter.
    pub fn counter(&self) -> u64 {
        self.counter
    }

    /// Moves to the next counter, or returns `false` and stays put when the thread's space
    /// (2^64 nonces) is exhausted.
    #[inline]
    pub fn advance(&mut self) -> bool {
        let Some(next) = self.counter.checked_add(1) else {
            return false;
        };
        self.counter = next;
        self.bytes[COUNTER].copy_from_slice(&next.to_be_bytes());
        true
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn layout_is_big_endian_slot_thread_counter() {
        let n = Nonce::new(0x0102_0304, 0x0506, 0x0708_090a_0b0c_0d0e);
        assert_eq!(
            n.to_bytes(),
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
        );
        assert_eq!(Nonce::parse(&n.to_bytes()), Ok(n));
    }

    #[test]
    fn parse_needs_exact_length() {
        assert_eq!(Nonce::parse(&[0; 13]), Err(NonceError(13)));
        assert_eq!(Nonce::parse(&[0; 15]), Err(NonceError(15)));
        assert_eq!(Nonce::parse(&[]), Err(NonceError(0)));
    }

    #[test]
    fn buf_advances_counter_only() {
        let mut b = NonceBuf::new(7, 3, u64::from(u32::MAX));
        assert!(b.advance());
        assert_eq!(
            Nonce::parse(b.as_bytes()),
            Ok(Nonce::new(7, 3, u64::from(u32::MAX) + 1))
        );
        assert_eq!(b.counter(), u64::from(u32::MAX) + 1);
    }

    #[test]
    fn buf_stops_at_the_end_of_its_space() {
        let mut b = NonceBuf::new(1, 1, u64::MAX - 1);
        assert!(b.advance());
        assert!(!b.advance());
        assert_eq!(b.as_bytes(), &Nonce::new(1, 1, u64::MAX).to_bytes());
    }

    proptest! {
        #[test]
        fn round_trip(slot: u32, thread: u16, counter: u64) {
            let n = Nonce::new(slot, thread, counter);
            prop_assert_eq!(Nonce::parse(&n.to_bytes()), Ok(n));
        }

        #[test]
        fn distinct_nonces_distinct_bytes_and_prefix_free(
            a in (any::<u32>(), any::<u16>(), any::<u64>()),
            b in (any::<u32>(), any::<u16>(), any::<u64>()),
        ) {
            let (na, nb) = (Nonce::new(a.0, a.1, a.2), Nonce::new(b.0, b.1, b.2));
            let (ba, bb) = (na.to_bytes(), nb.to_bytes());
            prop_assert_eq!(na == nb, ba == bb);
            if na != nb {
                // Every encoding has the same length, so a prefix would have to be equal.
                prop_assert!(!bb.starts_with(&ba));
                prop_assert!(!ba.starts_with(&bb));
            }
            // Different owners differ within the first six bytes.
            prop_assert_eq!((a.0, a.1) == (b.0, b.1), ba[..6] == bb[..6]);
        }

        #[test]
        fn buf_matches_nonce(slot: u32, thread: u16, start in 0u64..u64::MAX - 100, steps in 0usize..100) {
            let mut b = NonceBuf::new(slot, thread, start);
            for _ in 0..steps {
                prop_assert!(b.advance());
            }
            prop_assert_eq!(b.as_bytes(), &Nonce::new(slot, thread, start + steps as u64).to_bytes());
        }
    }
}
