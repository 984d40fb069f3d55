//! How many hashes a miner did, judged from the shares it sent (issue 12): the coordinator's
//! own view of a miner's hash rate, beside the rate the miner reports.
//!
//! A difficulty is a uniform random `u64` per hash. A miner keeps the best X of its job and
//! streams improvements, so the best `k <= X` shares the coordinator accepted from a session
//! are the `k` highest of every hash it did (up to its last stream). If the `k`-th best is
//! `d`, one hash beats `d` with probability `p = (2^64 - d) / 2^64`, and the hashes done are
//! about `(k - 1) / p`: the unbiased estimate of `n` from the `k`-th order statistic
//! (`E[(k-1)/U_(k)] = n` for the `k`-th smallest of `n` uniforms). Its relative spread is
//! about `1/sqrt(k - 2)`, so it needs `k >= 2` and is rough for a handful of shares.
//!
//! Which `k`: shares streamed earlier and since pushed out of the miner's best set are also
//! among the accepted ones, and counting them would make `d` too low (an underestimate). A
//! single batch never holds more than the miner's best set (a stream batch carries new
//! members of it, a final batch the whole set), so `k` is capped by the largest batch the
//! session has had accepted: the best `k` accepted are then exact order statistics.

/// Hashes done, from the `k`-th best difficulty of a set of `k`; `None` for `k < 2`.
pub fn hashes_done(k: usize, kth_best: u64) -> Option<f64> {
    if k < 2 {
        return None;
    }
    // 2^64 - d, as a float: u64::MAX - d is exact, +1 cannot overflow in f64.
    let beating = (u64::MAX - kth_best) as f64 + 1.0;
    let p = beating / 18_446_744_073_709_551_616.0;
    Some((k - 1) as f64 / p)
}

/// Hashes done by a session, from the difficulties of its accepted shares (any order) and
/// the largest batch it had accepted (the cap on `k`, see the module notes).
pub fn hashes_from_shares(difficulties: &[u64], largest_batch: usize) -> Option<f64> {
    let k = difficulties.len().min(largest_batch);
    if k < 2 {
        return None;
    }
    let mut best = difficulties.to_vec();
    // The k-th best is the (k-1)-th in descending order.
    let (_, kth, _) = best.select_nth_unstable_by(k - 1, |a, b| b.cmp(a));
    hashes_done(k, *kth)
}

/// Hashes per second over `elapsed_ms` (0 when no time has passed).
pub fn rate(hashes: f64, elapsed_ms: u64) -> f64 {
    if elapsed_ms == 0 {
        return 0.0;
    }
    hashes * 1000.0 / elapsed_ms as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SplitMix64: uniform u64s, seeded, good enough to stand in for LXRHash difficulties.
    struct SplitMix(u64);

    impl SplitMix {
        fn seed_from_u64(seed: u64) -> SplitMix {
            SplitMix(seed)
        }

        fn random(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
    }

    /// A simulated miner: `hashes` uniform difficulties, of which it keeps the best `keep`.
    fn best_of(rng: &mut SplitMix, hashes: u64, keep: usize) -> Vec<u64> {
        let mut best: Vec<u64> = Vec::with_capacity(keep + 1);
        for _ in 0..hashes {
            let d = rng.random();
            if best.len() < keep || d > best[best.len() - 1] {
                let at = best.partition_point(|&b| b > d);
                best.insert(at, d);
                best.truncate(keep);
            }
        }
        best
    }

    #[test]
    fn too_few_shares_say_nothing() {
        assert_eq!(hashes_done(1, 5), None);
        assert_eq!(hashes_from_shares(&[9, 8, 7], 1), None);
        assert_eq!(hashes_from_shares(&[9], 10), None);
    }

    #[test]
    fn the_kth_best_gives_k_minus_one_over_its_chance() {
        // One hash in 100,000 beats this d: 9 / 1e-5 hashes.
        let d = u64::MAX - (u64::MAX / 100_000);
        let n = hashes_done(10, d).unwrap();
        assert!((n - 900_000.0).abs() < 1.0, "{n}");
    }

    #[test]
    fn one_simulated_miner_with_25_shares_is_within_60_percent() {
        // Relative spread about 1/sqrt(23) = 21%: 60% is nearly three of them.
        let mut rng = SplitMix::seed_from_u64(7);
        for hashes in [2_000u64, 50_000, 400_000] {
            let best = best_of(&mut rng, hashes, 25);
            let n = hashes_from_shares(&best, 25).unwrap();
            let error = (n - hashes as f64).abs() / hashes as f64;
            assert!(error < 0.6, "{hashes} hashes estimated as {n}");
        }
    }

    #[test]
    fn the_mean_over_many_simulated_miners_is_within_5_percent() {
        // Unbiased: 400 miners of 20,000 hashes keeping 10, mean within 5% (the mean's
        // spread is about 35% / sqrt(400) = 1.8%).
        let mut rng = SplitMix::seed_from_u64(42);
        let (miners, hashes) = (400, 20_000u64);
        let total: f64 = (0..miners)
            .map(|_| hashes_from_shares(&best_of(&mut rng, hashes, 10), 10).unwrap())
            .sum();
        let mean = total / f64::from(miners);
        let error = (mean - hashes as f64).abs() / hashes as f64;
        assert!(error < 0.05, "mean {mean}");
    }

    #[test]
    fn displaced_shares_beyond_the_largest_batch_are_not_counted() {
        // Streamed early and since displaced: low difficulties that are not the k-th best
        // of all hashes. Capping k by the largest batch ignores them.
        let mut rng = SplitMix::seed_from_u64(3);
        let hashes = 100_000u64;
        let mut accepted = best_of(&mut rng, hashes, 10);
        let exact = hashes_from_shares(&accepted, 10).unwrap();
        accepted.extend([1_000, 2_000, 3_000]);
        assert_eq!(hashes_from_shares(&accepted, 10), Some(exact));
    }

    #[test]
    fn rate_is_per_second() {
        assert!((rate(5_000.0, 2_000) - 2_500.0).abs() < 1e-9);
        assert!(rate(5_000.0, 0).abs() < f64::EPSILON);
    }
}
