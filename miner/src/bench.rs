//! `pegnet-miner bench`: what this machine does with LXRHash, printed as `key=value` lines.
//!
//! Measures, per table size: table generation (or load from the cache file), and the
//! single-thread hash rate of the scalar path on PegNet miner inputs (`OPR hash ‖ nonce`).
//! Speed targets live here, never in tests.

use std::time::{Duration, Instant};

use lxrhash::Table;

/// The hash rate of one thread over about `window`, after a short warm-up.
pub fn scalar_hash_rate(table: &Table, window: Duration) -> f64 {
    let opr_hash = [0x5a_u8; 32];
    let mut nonce = [0u8; 9];
    let mut counter = 0u64;
    let mut sink = 0u64;
    let mut run = |until: Instant| {
        let start_count = counter;
        while Instant::now() < until {
            // Check the clock every 64 hashes: cheap next to ~1,800 table reads each.
            for _ in 0..64 {
                counter += 1;
                nonce[1..].copy_from_slice(&counter.to_be_bytes());
                sink ^= table.difficulty(&opr_hash, &nonce);
            }
        }
        counter - start_count
    };
    run(Instant::now() + window / 5);
    let start = Instant::now();
    let hashes = run(start + window);
    std::hint::black_box(sink);
    hashes as f64 / start.elapsed().as_secs_f64()
}
