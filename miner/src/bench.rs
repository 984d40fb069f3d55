//! `pegnet-miner bench`: what this machine does with LXRHash, printed as `key=value` lines.
//!
//! Per table size: the table's load (or generation) time and whether it got huge pages; the
//! memory-parallelism ceiling, measured with a dependent-load probe over the same table
//! (C independent pointer chases interleaved; the floor in ns per load over C sets the
//! most hashes a core can do, `1 / (loads per hash × floor)`); the scalar and the batch
//! hash rate per thread count; the batch rate per lane count; and the coordinator's share
//! verification rate. Speed targets live here, never in tests.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lxrhash::Table;

/// The input a miner hashes: a 32-byte OPR hash and a 14-byte nonce.
const NONCE_LEN: usize = 14;
/// Table reads per miner hash with the prefix cached: phase 1 over the nonce (1 each),
/// phase 2 over all 46 bytes and phase 3 over 32 words (25 each), 8 output bytes (2 each).
pub const LOADS_PER_HASH: u64 = NONCE_LEN as u64 + 25 * (32 + NONCE_LEN as u64) + 25 * 32 + 16;

/// Nanoseconds per load with `chains` independent dependent-load chains interleaved. With
/// `prefetch`, each chain's next address is also prefetched as soon as it is known, a whole
/// round before it is read (as the batch hash does), so the probe is limited by the memory
/// system's misses in flight and not by how many loads the reorder buffer can hold.
pub fn probe_ns_per_load(table: &Table, chains: usize, prefetch: bool, window: Duration) -> f64 {
    let bytes = table.as_bytes();
    let mask = (bytes.len() - 1) as u64;
    let mut x: Vec<u64> = (0..chains as u64)
        .map(|c| c.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    let mut loads = 0u64;
    let start = Instant::now();
    while start.elapsed() < window {
        for _ in 0..1024 {
            for v in x.iter_mut() {
                // Each index comes from the byte just read: a chain of dependent misses.
                let b = u64::from(bytes[(*v & mask) as usize]);
                *v = (*v ^ b).wrapping_mul(0x2545_F491_4F6C_DD1D).rotate_left(29);
                if prefetch {
                    table.prefetch(*v);
                }
            }
        }
        loads += 1024 * chains as u64;
    }
    std::hint::black_box(&x);
    start.elapsed().as_nanos() as f64 / loads as f64
}

/// The hash rate of one thread of the scalar path.
pub fn scalar_hash_rate(table: &Table, window: Duration) -> f64 {
    rate(1, window, |stop, count| {
        let opr_hash = [0x5a_u8; 32];
        let mut nonce = [0u8; NONCE_LEN];
        let mut counter = 0u64;
        let mut sink = 0u64;
        while !stop.load(Ordering::Relaxed) {
            for _ in 0..64 {
                counter += 1;
                nonce[6..].copy_from_slice(&counter.to_be_bytes());
                sink ^= table.difficulty(&opr_hash, &nonce);
            }
            count.fetch_add(64, Ordering::Relaxed);
        }
        std::hint::black_box(sink);
    })
}

/// The hash rate of `threads` threads of the batch path with `K` lanes.
pub fn batch_hash_rate<const K: usize>(table: &Table, threads: usize, window: Duration) -> f64 {
    rate(threads, window, |stop, count| {
        let prefix = table.prefix(&[0x5a_u8; 32]);
        // Two whole groups per call, as the miner's batches are.
        let mut nonces = vec![[0u8; NONCE_LEN]; 2 * K];
        let mut out = vec![0u64; nonces.len()];
        let mut counter = 0u64;
        while !stop.load(Ordering::Relaxed) {
            for n in nonces.iter_mut() {
                counter += 1;
                n[6..].copy_from_slice(&counter.to_be_bytes());
            }
            table.difficulties_in_lanes::<K, _>(&prefix, &nonces, &mut out);
            count.fetch_add(nonces.len() as u64, Ordering::Relaxed);
        }
        std::hint::black_box(&out);
    })
}

/// Shares the coordinator verifies per second on one thread: batches of 32 shares, each
/// batch for another OPR (its own prefix), as share batches from many miners arrive.
pub fn verify_rate(table: &Table, window: Duration) -> f64 {
    rate(1, window, |stop, count| {
        let mut nonces = vec![[0u8; NONCE_LEN]; 32];
        let mut out = vec![0u64; nonces.len()];
        let mut counter = 0u64;
        while !stop.load(Ordering::Relaxed) {
            counter += 1;
            let prefix = table.prefix(&[(counter % 251) as u8; 32]);
            for n in nonces.iter_mut() {
                counter += 1;
                n[6..].copy_from_slice(&counter.to_be_bytes());
            }
            table.difficulties(&prefix, &nonces, &mut out);
            count.fetch_add(nonces.len() as u64, Ordering::Relaxed);
        }
        std::hint::black_box(&out);
    })
}

/// Runs `work` on `threads` threads for a fifth of `window` (warm-up) and then `window`,
/// and returns the count per second over the window.
fn rate(threads: usize, window: Duration, work: impl Fn(&AtomicBool, &AtomicU64) + Sync) -> f64 {
    let stop = AtomicBool::new(false);
    let count = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| work(&stop, &count));
        }
        std::thread::sleep(window / 5);
        let (start, from) = (Instant::now(), count.load(Ordering::Relaxed));
        std::thread::sleep(window);
        let done = count.load(Ordering::Relaxed) - from;
        let elapsed = start.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        done as f64 / elapsed
    })
}
