//! The LXRHash byte map: generation and validation.
//!
//! Generation shuffles a balanced table (every byte value `2^bits / 256` times) with a
//! seeded generator whose every step reads the table the previous swaps changed, so it is
//! strictly serial and, at 30 bits, bound by memory latency (about 20 minutes). Balance is
//! the one invariant a table can be checked against without knowing its digest.

use crate::memory::{self, Memory, Placement};
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
    #[error("cannot reserve {bytes} bytes for the LXR table: {error}")]
    Memory { bytes: u64, error: String },
    #[error("cannot read the LXR table: {error}")]
    Io { error: String },
}

/// Generation progress: `done` of `total` shuffle steps (all passes together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// A table index already masked to a table's size, made only by [`Table::ahead`].
#[derive(Clone, Copy, Default)]
pub(crate) struct Index(u64);

/// An LXRHash table of `2^bits` bytes.
pub struct Table {
    memory: Memory,
    /// The first byte of `memory`: lookups read through it without a bounds check, because
    /// every index is masked to `mask` and the memory is exactly `mask + 1` bytes.
    base: *const u8,
    pub(crate) bits: u32,
    pub(crate) mask: u64,
}

// SAFETY: `base` points into `memory`, which the table owns, never moves (an mmap) and never
// writes after construction; sharing read-only bytes between threads is sound.
unsafe impl Send for Table {}
// SAFETY: as above: all access through `&Table` is reads of immutable memory.
unsafe impl Sync for Table {}

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
        let mut memory = memory::anonymous(size as usize).map_err(|error| TableError::Memory {
            bytes: size,
            error: error.to_string(),
        })?;
        let t: &mut [u8] = &mut memory;
        // Each position starts as its own low byte, so every value appears size/256 times.
        for (i, x) in t.iter_mut().enumerate() {
            *x = i as u8;
        }
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
        Ok(Table::new(Memory::Anonymous(memory), bits))
    }

    fn new(memory: Memory, bits: u32) -> Table {
        let base = memory.as_slice().as_ptr();
        Table {
            memory,
            base,
            bits,
            mask: (1u64 << bits) - 1,
        }
    }

    /// Wraps an existing byte map (for example one read from the cache file) after checking
    /// its length and balance, so a damaged table is an error instead of wrong hashes.
    pub fn from_bytes(bits: u32, bytes: &[u8]) -> Result<Table, TableError> {
        check_length(bits, bytes.len() as u64)?;
        check_balance(bits, bytes)?;
        let mut memory = memory::anonymous(bytes.len()).map_err(|error| TableError::Memory {
            bytes: bytes.len() as u64,
            error: error.to_string(),
        })?;
        memory.copy_from_slice(bytes);
        Ok(Table::new(Memory::Anonymous(memory), bits))
    }

    /// Loads a cache file of exactly `2^bits` bytes, placed as `placement` says, checking
    /// its balance on the way.
    pub(crate) fn from_file(
        bits: u32,
        file: &std::fs::File,
        placement: Placement,
    ) -> Result<Table, TableError> {
        let len = file.metadata().map_err(io_error)?.len();
        check_length(bits, len)?;
        let memory = match placement {
            Placement::Private => {
                let mut m =
                    memory::anonymous(len as usize).map_err(|error| TableError::Memory {
                        bytes: len,
                        error: error.to_string(),
                    })?;
                read_counting(file, &mut m, bits)?;
                Memory::Anonymous(m)
            }
            Placement::Shared => {
                let m = memory::map_file(file).map_err(io_error)?;
                check_balance(bits, &m)?;
                Memory::File(m)
            }
        };
        Ok(Table::new(memory, bits))
    }

    /// The table size in bits.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// The raw byte map, exactly as the reference writes it to its cache file.
    pub fn as_bytes(&self) -> &[u8] {
        self.memory.as_slice()
    }

    /// How many of the table's bytes the kernel backs with huge pages, if it says.
    pub fn huge_page_bytes(&self) -> Option<u64> {
        self.memory.huge_page_bytes()
    }

    /// Asks the cache for the byte at `x` (masked) without waiting for it. A prefetch retires
    /// at once, so unlike a load it does not hold the reorder buffer while DRAM answers:
    /// the batch hash issues each lane's next read a whole lane round before it needs it.
    /// The line goes to L2 (`T1`), not L1: L1 tracks few misses at once (about 20 here)
    /// while L2 tracks many more, so T1 let one core keep about 34 misses in flight (one
    /// thread 53k -> 100k H/s at 30 bits; T0 and NTA were no better than 53k).
    #[inline(always)]
    pub fn prefetch(&self, x: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            use core::arch::x86_64::{_MM_HINT_T1, _mm_prefetch};
            let p = self.base.wrapping_add((x & self.mask) as usize);
            // SAFETY: a prefetch never faults and reads nothing into the program; the
            // address is inside the table anyway.
            unsafe { _mm_prefetch::<_MM_HINT_T1>(p.cast::<i8>()) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = x;
    }

    /// Masks `x` to a table index, prefetches the byte there and returns the index, for a
    /// read a little later with [`Table::at`].
    #[inline(always)]
    pub(crate) fn ahead(&self, x: u64) -> Index {
        let i = x & self.mask;
        self.prefetch(i);
        Index(i)
    }

    /// The table byte at `i`, widened.
    #[inline(always)]
    pub(crate) fn at(&self, i: Index) -> u64 {
        // SAFETY: an `Index` is 0 or made by `ahead`, masked to `mask`; the batch code keeps
        // them in `Lanes`, which live inside one method call on one table, so `i` came from
        // this table and `i.0 < mask + 1`, the length of the memory `base` points to.
        u64::from(unsafe { *self.base.add(i.0 as usize) })
    }

    /// The byte at `x` (masked to the table size).
    #[inline(always)]
    pub(crate) fn byte(&self, x: u64) -> u8 {
        // SAFETY: `x & mask` < `mask + 1`, the length of `memory`, which `base` points to the
        // start of and which lives as long as `self`.
        unsafe { *self.base.add((x & self.mask) as usize) }
    }
}

fn check_bits(bits: u32) -> Result<(), TableError> {
    if (MIN_BITS..=MAX_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(TableError::BitsOutOfRange { bits })
    }
}

fn check_length(bits: u32, actual: u64) -> Result<(), TableError> {
    check_bits(bits)?;
    let expected = 1u64 << bits;
    if actual != expected {
        return Err(TableError::WrongLength {
            bits,
            expected,
            actual,
        });
    }
    Ok(())
}

fn io_error(error: std::io::Error) -> TableError {
    TableError::Io {
        error: error.to_string(),
    }
}

/// Reads the whole file into `out`, counting byte values while each chunk is still in
/// cache, then checks the balance: one pass over the memory instead of two. The work is
/// split over the available cores: faulting in fresh pages and copying are per-page costs
/// that parallelise.
fn read_counting(file: &std::fs::File, out: &mut [u8], bits: u32) -> Result<(), TableError> {
    use std::os::unix::fs::FileExt;
    const CHUNK: usize = 4 << 20;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let part_len = out.len().div_ceil(threads).next_multiple_of(CHUNK);
    let parts: Vec<Result<Counts, std::io::Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = out
            .chunks_mut(part_len)
            .enumerate()
            .map(|(i, part)| {
                s.spawn(move || {
                    let mut counts = Counts::default();
                    let mut offset = (i * part_len) as u64;
                    for chunk in part.chunks_mut(CHUNK) {
                        file.read_exact_at(chunk, offset)?;
                        counts.add(chunk);
                        offset += chunk.len() as u64;
                    }
                    Ok(counts)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("reader thread panicked")))
            })
            .collect()
    });
    let mut total = Counts::default();
    for part in parts {
        total.merge(&part.map_err(io_error)?);
    }
    total.check(bits)
}

/// Byte-value histograms; four interleaved ones keep the counting loop free of
/// store-to-load stalls.
struct Counts([[u64; 256]; 4]);

impl Default for Counts {
    fn default() -> Counts {
        Counts([[0; 256]; 4])
    }
}

impl Counts {
    fn add(&mut self, bytes: &[u8]) {
        let counts = &mut self.0;
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
    }

    fn merge(&mut self, other: &Counts) {
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m += t;
            }
        }
    }

    fn check(&self, bits: u32) -> Result<(), TableError> {
        let counts = &self.0;
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
}

fn check_balance(bits: u32, bytes: &[u8]) -> Result<(), TableError> {
    let mut counts = Counts::default();
    counts.add(bytes);
    counts.check(bits)
}
