//! The LXRHash byte map: generation and validation.
//!
//! Generation shuffles a balanced table (every byte value `2^bits / 256` times) with a
//! seeded generator whose every step reads the table the previous swaps changed, so it is
//! strictly serial and, at 30 bits, bound by memory latency (about 20 minutes). Balance is
//! the one invariant a table can be checked against without knowing its digest.

use crate::{MAX_BITS, MIN_BITS, PASSES, SEED};

/// Generator constants from the reference (`firstrand`, `firstb`, `firstv`).
const FIRST_RAND: u64 = 2_458_719_153_079_158_768;
const FIRST_B: u64 = 4_631_534_797_403_582_785;
const FIRST_V: u64 = 3_523_455_478_921_636_871;

/// How often generation reports progress, in table positions.
const PROGRESS_STEP: u64 = 1 << 20;

/// Why a byte map cannot be used as a table.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TableError {
    #[error("LXR table size {bits} bits is outside {MIN_BITS}..={MAX_BITS}")]
    BitsOutOfRange { bits: u32 },
    #[error("LXR table has {actual} bytes; a {bits}-bit table has {expected}")]
    WrongLength {
        bits: u32,
        expected: u64,
        actual: u64,
    },
    #[error(
        "LXR table is corrupt: byte value {value:#04x} appears {count} times, a valid {bits}-bit table has each value exactly {expected} times"
    )]
    Unbalanced {
        bits: u32,
        value: u8,
        count: u64,
        expected: u64,
    },
}

/// Generation progress: `done` of `total` shuffle steps (all passes together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// An LXRHash table of `2^bits` bytes.
pub struct Table {
    pub(crate) bytes: Box<[u8]>,
    pub(crate) bits: u32,
    pub(crate) mask: u64,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("bits", &self.bits)
            .finish_non_exhaustive()
    }
}

impl Table {
    /// Generates the table for `bits`, calling `progress` every 2^20 steps and at the end.
    pub fn generate(bits: u32, progress: &mut dyn FnMut(Progress)) -> Result<Table, TableError> {
        check_bits(bits)?;
        let size = 1u64 << bits;
        let mask = size - 1;
        // Each position starts as its own low byte, so every value appears size/256 times.
        let mut t: Box<[u8]> = (0..size).map(|i| i as u8).collect();
        let total = size * u64::from(PASSES);
        let mut offset = SEED ^ FIRST_RAND;
        let mut b = SEED ^ FIRST_B;
        let mut v = FIRST_V;
        let mut done = 0u64;
        for _ in 0..PASSES {
            for i in 0..size {
                offset = offset << 9 ^ offset >> 1 ^ offset >> 7 ^ b;
                v = u64::from(t[((offset ^ b) & mask) as usize]) ^ v << 8 ^ v >> 1;
                b = v << 7 ^ v << 13 ^ v << 33 ^ v << 52 ^ b << 9 ^ b >> 1;
                t.swap(i as usize, (offset & mask) as usize);
                done += 1;
                if done.is_multiple_of(PROGRESS_STEP) {
                    progress(Progress { done, total });
                }
            }
        }
        if !done.is_multiple_of(PROGRESS_STEP) {
            progress(Progress { done, total });
        }
        Ok(Table {
            bytes: t,
            bits,
            mask,
        })
    }

    /// Wraps an existing byte map (for example one read from the cache file) after checking
    /// its length and balance, so a damaged table is an error instead of wrong hashes.
    pub fn from_bytes(bits: u32, bytes: Box<[u8]>) -> Result<Table, TableError> {
        check_bits(bits)?;
        let expected = 1u64 << bits;
        let actual = bytes.len() as u64;
        if actual != expected {
            return Err(TableError::WrongLength {
                bits,
                expected,
                actual,
            });
        }
        check_balance(bits, &bytes)?;
        Ok(Table {
            bytes,
            bits,
            mask: expected - 1,
        })
    }

    /// The table size in bits.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// The raw byte map, exactly as the reference writes it to its cache file.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

fn check_bits(bits: u32) -> Result<(), TableError> {
    if (MIN_BITS..=MAX_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(TableError::BitsOutOfRange { bits })
    }
}

fn check_balance(bits: u32, bytes: &[u8]) -> Result<(), TableError> {
    // Four interleaved histograms keep the counting loop free of store-to-load stalls.
    let mut counts = [[0u64; 256]; 4];
    let mut chunks = bytes.chunks_exact(4);
    for c in &mut chunks {
        counts[0][usize::from(c[0])] += 1;
        counts[1][usize::from(c[1])] += 1;
        counts[2][usize::from(c[2])] += 1;
        counts[3][usize::from(c[3])] += 1;
    }
    for &x in chunks.remainder() {
        counts[0][usize::from(x)] += 1;
    }
    let expected = (1u64 << bits) / 256;
    for value in 0..=255u8 {
        let v = usize::from(value);
        let count = counts[0][v] + counts[1][v] + counts[2][v] + counts[3][v];
        if count != expected {
            return Err(TableError::Unbalanced {
                bits,
                value,
                count,
                expected,
            });
        }
    }
    Ok(())
}
