//! Which verified shares the coordinator pays to write (DESIGN §6, "Entry policy").
//!
//! Pure: the candidates come in, the chosen ones go out, best first. Only the top 50 records
//! of the network are graded, so writing more than that per block wastes EC; `all` is the
//! original's behaviour and is kept for operators who want it.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use pegnet_common::factom::EntryHash;
use serde::{Deserialize, Serialize};

/// How many and which verified shares become entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryPolicy {
    /// Every verified share.
    All,
    /// The best N of the whole fleet.
    #[default]
    Top,
    /// The best N of each payout address.
    PerPayout,
}

/// How many records of a block the network grades: what `all` is judged to write at most.
pub const GRADED_PER_BLOCK: usize = 50;

impl EntryPolicy {
    /// The most entries this policy writes in one block: `records` (`Miner.RecordsPerBlock`)
    /// for `top`, that many per payout address for `per-payout`; `all` is bounded only by
    /// the shares, so it is taken as the [`GRADED_PER_BLOCK`] that can still win.
    pub fn entries_per_block(self, records: usize, payouts: usize) -> usize {
        match self {
            EntryPolicy::All => GRADED_PER_BLOCK,
            EntryPolicy::Top => records,
            EntryPolicy::PerPayout => records.saturating_mul(payouts.max(1)),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EntryPolicy::All => "all",
            EntryPolicy::Top => "top",
            EntryPolicy::PerPayout => "per-payout",
        }
    }
}

impl fmt::Display for EntryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A policy name that is not one of `all`, `top`, `per-payout`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{got:?} is not an entry policy (all, top, per-payout)")]
pub struct PolicyError {
    pub got: String,
}

impl FromStr for EntryPolicy {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<EntryPolicy, PolicyError> {
        match s {
            "all" => Ok(EntryPolicy::All),
            "top" => Ok(EntryPolicy::Top),
            "per-payout" => Ok(EntryPolicy::PerPayout),
            _ => Err(PolicyError { got: s.to_owned() }),
        }
    }
}

/// What the policy needs to know about a verified share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub difficulty: u64,
    pub payout: &'a str,
    /// The tie-break: equal difficulties are ordered by entry hash, so the choice does not
    /// depend on arrival order.
    pub entry_hash: EntryHash,
}

/// The indices into `candidates` to write, best first: by difficulty, highest first, then
/// by entry hash. `per_block` is N for `top` and `per-payout`; `all` ignores it.
pub fn choose(policy: EntryPolicy, per_block: usize, candidates: &[Candidate<'_>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&candidates[a], &candidates[b]);
        b.difficulty
            .cmp(&a.difficulty)
            .then_with(|| a.entry_hash.as_bytes().cmp(b.entry_hash.as_bytes()))
    });
    match policy {
        EntryPolicy::All => order,
        EntryPolicy::Top => {
            order.truncate(per_block);
            order
        }
        EntryPolicy::PerPayout => {
            let mut taken: HashMap<&str, usize> = HashMap::new();
            order
                .into_iter()
                .filter(|&i| {
                    let n = taken.entry(candidates[i].payout).or_default();
                    *n += 1;
                    *n <= per_block
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn cand(difficulty: u64, payout: &str, tag: u8) -> Candidate<'_> {
        Candidate {
            difficulty,
            payout,
            entry_hash: EntryHash([tag; 32]),
        }
    }

    #[test]
    fn names_round_trip() {
        for p in [EntryPolicy::All, EntryPolicy::Top, EntryPolicy::PerPayout] {
            assert_eq!(p.as_str().parse::<EntryPolicy>(), Ok(p));
        }
        assert!("best".parse::<EntryPolicy>().is_err());
    }

    #[test]
    fn top_takes_the_fleet_best() {
        let c = [
            cand(5, "a", 1),
            cand(9, "b", 2),
            cand(7, "a", 3),
            cand(1, "c", 4),
        ];
        assert_eq!(choose(EntryPolicy::Top, 2, &c), vec![1, 2]);
        assert_eq!(choose(EntryPolicy::All, 2, &c), vec![1, 2, 0, 3]);
    }

    #[test]
    fn per_payout_takes_each_payouts_best() {
        let c = [
            cand(5, "a", 1),
            cand(9, "b", 2),
            cand(7, "a", 3),
            cand(1, "a", 4),
        ];
        assert_eq!(choose(EntryPolicy::PerPayout, 2, &c), vec![1, 2, 0]);
    }

    #[test]
    fn ties_break_on_entry_hash_not_arrival() {
        let c = [cand(5, "a", 9), cand(5, "a", 1)];
        assert_eq!(choose(EntryPolicy::Top, 1, &c), vec![1]);
    }

    proptest! {
        #[test]
        fn top_is_exactly_the_best_n(diffs in prop::collection::vec(any::<u64>(), 0..60), n in 0usize..30) {
            let c: Vec<Candidate<'_>> = diffs
                .iter()
                .enumerate()
                .map(|(i, &d)| Candidate { difficulty: d, payout: "p", entry_hash: EntryHash([u8::try_from(i).unwrap_or(0); 32]) })
                .collect();
            let chosen = choose(EntryPolicy::Top, n, &c);
            prop_assert_eq!(chosen.len(), n.min(c.len()));
            let min_chosen = chosen.iter().map(|&i| c[i].difficulty).min();
            let mut sorted = diffs.clone();
            sorted.sort_unstable_by(|a, b| b.cmp(a));
            if let Some(m) = min_chosen {
                // Nothing left out beats anything chosen.
                prop_assert!(sorted[n.min(sorted.len()) - 1] == m);
                for (i, cd) in c.iter().enumerate() {
                    if !chosen.contains(&i) {
                        prop_assert!(cd.difficulty <= m);
                    }
                }
            }
        }

        #[test]
        fn per_payout_never_exceeds_n_per_payout(
            items in prop::collection::vec((any::<u64>(), 0u8..4), 0..60),
            n in 0usize..10,
        ) {
            let payouts = ["a", "b", "c", "d"];
            let c: Vec<Candidate<'_>> = items
                .iter()
                .enumerate()
                .map(|(i, &(d, p))| Candidate { difficulty: d, payout: payouts[usize::from(p)], entry_hash: EntryHash([u8::try_from(i).unwrap_or(0); 32]) })
                .collect();
            let chosen = choose(EntryPolicy::PerPayout, n, &c);
            for p in payouts {
                let have = c.iter().filter(|x| x.payout == p).count();
                let got = chosen.iter().filter(|&&i| c[i].payout == p).count();
                prop_assert_eq!(got, have.min(n));
            }
        }
    }
}
