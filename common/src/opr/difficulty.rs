//! The minimum difficulty worth submitting, from the previous block's graded records
//! (PegNet's `SubmissionCutOff`, `opr/difficulty.go`).
//!
//! The 50th-best honest difficulty `d` of the previous block estimates the network's hash
//! rate; the minimum is the difficulty the `cutoff`-th best record of a block is expected to
//! reach. PegNet computes it in `big.Float` at 53-bit precision, which is IEEE f64 operation
//! by operation, so the same f64 operations in the same order give identical bits.
//!
//! One deliberate difference: when `cutoff` exceeds the records the network is estimated to
//! find, the formula goes negative. Go's `uint64(negative float)` on amd64 then yields a huge
//! value, so nothing is ever submitted; we clamp to 0 (submit anything), the intended meaning.

/// PegNet's assumed hashing window per block, in seconds.
pub const MINING_PERIOD_SECS: f64 = 480.0;

/// How many graded records the estimate looks at.
const SPOT: usize = 50;

/// The minimum difficulty for the next block from the difficulties of the previous block's
/// graded records (any order) and `cutoff` (`Miner.SubmissionCutOff`; `<= 0` disables it).
pub fn minimum_difficulty(graded_difficulties: &[u64], cutoff: i64) -> u64 {
    if graded_difficulties.is_empty() || cutoff <= 0 {
        return 0;
    }
    let mut sorted = graded_difficulties.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let spot = sorted.len().min(SPOT);
    let d = sorted[spot - 1];
    let two64 = 18_446_744_073_709_551_616.0_f64;
    let ehr = ((spot as f64 * two64) / (two64 - d as f64)) / MINING_PERIOD_SECS;
    let x = ehr * MINING_PERIOD_SECS;
    let min = (two64 * (x - cutoff as f64)) / x;
    // `as` saturates: negative (and NaN, when d rounds to 2^64) become 0, above 2^64 u64::MAX.
    min as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fifty(d: u64) -> Vec<u64> {
        let mut v = vec![u64::MAX; 49];
        v.push(d);
        v
    }

    #[test]
    fn matches_pegnet_on_mainnet_blocks() {
        // Appendix A of reference/pegnet.md: 210419 and 210330 as "previous block".
        assert_eq!(
            minimum_difficulty(&fifty(0xfffffff0573ec16e), 200),
            0xffffffc15cfb0000
        );
        assert_eq!(
            minimum_difficulty(&fifty(0xfffffff0573ec16e), 300),
            0xffffffa20b788000
        );
        assert_eq!(
            minimum_difficulty(&fifty(0xffffffc5d4f31261), 200),
            0xffffff1753cc4000
        );
        assert_eq!(
            minimum_difficulty(&fifty(0xffff000000000000), 200),
            0xfffc000000000000
        );
    }

    #[test]
    fn only_the_fiftieth_counts_and_order_does_not_matter() {
        let mut v = fifty(0xffff000000000000);
        v.extend([1, 2, 3]);
        v.reverse();
        assert_eq!(minimum_difficulty(&v, 200), 0xfffc000000000000);
    }

    #[test]
    fn fewer_than_fifty_use_the_last() {
        // spot = 2, d = 2^63: x = 4, min = 2^64 (4 - 1) / 4.
        assert_eq!(
            minimum_difficulty(&[u64::MAX, 1 << 63], 1),
            0xc000000000000000
        );
    }

    #[test]
    fn negative_results_clamp_to_zero_and_disabled_is_zero() {
        assert_eq!(minimum_difficulty(&fifty(0x8000000000000000), 200), 0);
        assert_eq!(minimum_difficulty(&fifty(0xffff000000000000), 0), 0);
        assert_eq!(minimum_difficulty(&[], 200), 0);
    }
}
