//! The cap on per-miner metric series (DESIGN §8: labels bounded): only the
//! `Coordinator.MetricsMinerLimit` most active miners get their own `miner` label; the rest
//! are summed into `miner="other"`, so 10,000 miners cost Prometheus at most N+1 series per
//! metric.
//!
//! Activity is shares accepted. Membership is sticky so series do not churn from scrape to
//! scrape: a labelled miner keeps its label while it is present, and an outsider takes the
//! place of the least active member only when it has clearly more shares (more than twice
//! as many, plus one). Miners that are gone are dropped from the set, so their series
//! disappear instead of going stale. A miner literally named `other` is always folded, so
//! its series cannot collide with the sum. Pure: miners in, labels out.

use std::collections::{BTreeSet, HashMap};

/// The label of the folded miners' sum.
pub const OTHER: &str = "other";

/// One miner's per-miner values, summed over its sessions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MinerSample {
    pub miner: String,
    pub hash_rate: f64,
    pub estimated_hash_rate: f64,
    pub shares_accepted: u64,
    pub shares_rejected: u64,
    pub best_difficulty: u64,
    /// Unix ms.
    pub last_seen_ms: u64,
}

/// What the per-miner metrics export: labelled members, then `other` if any were folded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Folded {
    /// The miner label is `miner`; at most `limit` + 1 entries.
    pub series: Vec<MinerSample>,
    /// How many miners went into `other`.
    pub folded: usize,
}

/// Which miners have their own label.
#[derive(Debug, Clone, Default)]
pub struct Fold {
    limit: usize,
    members: BTreeSet<String>,
}

impl Fold {
    pub fn new(limit: usize) -> Fold {
        Fold {
            limit,
            members: BTreeSet::new(),
        }
    }

    /// The miners with their own label now.
    pub fn members(&self) -> &BTreeSet<String> {
        &self.members
    }

    /// Updates membership from the miners present and folds their samples.
    pub fn apply(&mut self, miners: &[MinerSample]) -> Folded {
        self.update(miners);
        let mut other = MinerSample {
            miner: OTHER.to_owned(),
            ..MinerSample::default()
        };
        let mut folded = 0;
        let mut series = Vec::with_capacity(self.members.len() + 1);
        for m in miners {
            if self.members.contains(&m.miner) {
                series.push(m.clone());
            } else {
                folded += 1;
                other.hash_rate += m.hash_rate;
                other.estimated_hash_rate += m.estimated_hash_rate;
                other.shares_accepted += m.shares_accepted;
                other.shares_rejected += m.shares_rejected;
                other.best_difficulty = other.best_difficulty.max(m.best_difficulty);
                other.last_seen_ms = other.last_seen_ms.max(m.last_seen_ms);
            }
        }
        series.sort_by(|a, b| a.miner.cmp(&b.miner));
        if folded > 0 {
            series.push(other);
        }
        Folded { series, folded }
    }

    fn update(&mut self, miners: &[MinerSample]) {
        let scores: HashMap<&str, u64> = miners
            .iter()
            .map(|m| (m.miner.as_str(), m.shares_accepted))
            .collect();
        self.members.retain(|m| scores.contains_key(m.as_str()));
        // Outsiders, most active first (ties by name, so the choice is stable).
        let mut outsiders: Vec<&MinerSample> = miners
            .iter()
            .filter(|m| m.miner != OTHER && !self.members.contains(&m.miner))
            .collect();
        outsiders.sort_by(|a, b| {
            b.shares_accepted
                .cmp(&a.shares_accepted)
                .then_with(|| a.miner.cmp(&b.miner))
        });
        let mut outsiders = outsiders.into_iter();
        while self.members.len() < self.limit {
            let Some(m) = outsiders.next() else { break };
            self.members.insert(m.miner.clone());
        }
        // The best outsiders against the weakest members, while the gap is clear.
        let mut weakest: Vec<(u64, String)> = self
            .members
            .iter()
            .map(|m| (scores.get(m.as_str()).copied().unwrap_or(0), m.clone()))
            .collect();
        weakest.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(&a.1)));
        for (challenger, (weakest_score, weakest)) in outsiders.zip(weakest) {
            if challenger.shares_accepted <= weakest_score.saturating_mul(2).saturating_add(1) {
                break;
            }
            self.members.remove(&weakest);
            self.members.insert(challenger.miner.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn miner(name: &str, accepted: u64) -> MinerSample {
        MinerSample {
            miner: name.to_owned(),
            hash_rate: 10.0,
            estimated_hash_rate: 20.0,
            shares_accepted: accepted,
            shares_rejected: 1,
            best_difficulty: accepted,
            last_seen_ms: accepted,
        }
    }

    #[test]
    fn under_the_limit_nobody_is_folded() {
        let mut fold = Fold::new(3);
        let out = fold.apply(&[miner("a", 1), miner("b", 2)]);
        assert_eq!(out.folded, 0);
        let names: Vec<_> = out.series.iter().map(|s| s.miner.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn the_most_active_get_labels_and_the_rest_are_summed_into_other() {
        let mut fold = Fold::new(2);
        let out = fold.apply(&[miner("a", 5), miner("b", 50), miner("c", 40), miner("d", 1)]);
        let names: Vec<_> = out.series.iter().map(|s| s.miner.as_str()).collect();
        assert_eq!(names, ["b", "c", OTHER]);
        assert_eq!(out.folded, 2);
        let other = &out.series[2];
        assert_eq!(other.shares_accepted, 6);
        assert_eq!(other.shares_rejected, 2);
        assert!((other.hash_rate - 20.0).abs() < 1e-9);
        assert!((other.estimated_hash_rate - 40.0).abs() < 1e-9);
        assert_eq!(other.best_difficulty, 5);
        assert_eq!(other.last_seen_ms, 5);
    }

    #[test]
    fn membership_is_sticky_until_an_outsider_is_clearly_ahead() {
        let mut fold = Fold::new(1);
        fold.apply(&[miner("a", 10), miner("b", 5)]);
        // b passes a a little: no churn.
        let out = fold.apply(&[miner("a", 10), miner("b", 15)]);
        assert_eq!(out.series[0].miner, "a");
        // b is more than twice a, plus one: it takes the label.
        let out = fold.apply(&[miner("a", 10), miner("b", 22)]);
        assert_eq!(out.series[0].miner, "b");
        assert_eq!(out.series[1].miner, OTHER);
    }

    #[test]
    fn gone_miners_lose_their_series_and_free_their_place() {
        let mut fold = Fold::new(1);
        fold.apply(&[miner("a", 10), miner("b", 5)]);
        let out = fold.apply(&[miner("b", 5)]);
        assert_eq!(out.folded, 0);
        assert_eq!(out.series.len(), 1);
        assert_eq!(out.series[0].miner, "b");
        assert!(!fold.members().contains("a"));
    }

    #[test]
    fn a_miner_named_other_is_always_folded() {
        let mut fold = Fold::new(5);
        let out = fold.apply(&[miner(OTHER, 100), miner("a", 1)]);
        let names: Vec<_> = out.series.iter().map(|s| s.miner.as_str()).collect();
        assert_eq!(names, ["a", OTHER]);
        assert_eq!(out.folded, 1);
    }

    #[test]
    fn ten_thousand_miners_yield_at_most_limit_plus_one_series() {
        let mut fold = Fold::new(100);
        let miners: Vec<_> = (0..10_000u64)
            .map(|i| miner(&format!("m{i}"), i % 977))
            .collect();
        for _ in 0..3 {
            let out = fold.apply(&miners);
            assert_eq!(out.series.len(), 101);
            assert_eq!(out.folded, 9_900);
            let total: u64 = out.series.iter().map(|s| s.shares_accepted).sum();
            assert_eq!(total, miners.iter().map(|m| m.shares_accepted).sum::<u64>());
        }
    }
}
