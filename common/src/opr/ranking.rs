//! Keeping the best X nonces of a block (PegNet's `NonceRanking`).
//!
//! A fixed array, not a heap: X is small (PegNet's `RecordsPerBlock`, default 3) and most
//! hashes are rejected by one comparison against the current worst. PegNet's tie rule: once
//! full, a nonce whose difficulty *equals* the worst replaces it.

/// A nonce and the difficulty it reaches for one OPR.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Share {
    pub nonce: Vec<u8>,
    pub difficulty: u64,
}

/// The best `keep` shares offered so far.
#[derive(Debug, Clone)]
pub struct BestNonces {
    keep: usize,
    list: Vec<Share>,
    worst_index: usize,
}

impl BestNonces {
    /// Keeps the best `keep` shares; `keep == 0` keeps none.
    pub fn new(keep: usize) -> BestNonces {
        BestNonces {
            keep,
            list: Vec::with_capacity(keep),
            worst_index: 0,
        }
    }

    /// The difficulty a share must reach to be kept: 0 while not full, `None` if `keep == 0`.
    pub fn threshold(&self) -> Option<u64> {
        if self.keep == 0 {
            None
        } else if self.list.len() < self.keep {
            Some(0)
        } else {
            Some(self.list[self.worst_index].difficulty)
        }
    }

    /// Offers a share; returns whether it was kept.
    pub fn offer(&mut self, nonce: &[u8], difficulty: u64) -> bool {
        match self.threshold() {
            None => false,
            Some(t) if difficulty < t => false,
            Some(_) if self.list.len() < self.keep => {
                self.list.push(Share {
                    nonce: nonce.to_vec(),
                    difficulty,
                });
                self.rescan();
                true
            }
            Some(_) => {
                let worst = &mut self.list[self.worst_index];
                worst.nonce.clear();
                worst.nonce.extend_from_slice(nonce);
                worst.difficulty = difficulty;
                self.rescan();
                true
            }
        }
    }

    /// Offers every share of `other` (merging thread rankings into a process ranking).
    pub fn merge(&mut self, other: &BestNonces) {
        for s in other.sorted() {
            self.offer(&s.nonce, s.difficulty);
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The kept shares, best first.
    pub fn sorted(&self) -> Vec<Share> {
        let mut v = self.list.clone();
        v.sort_by_key(|s| std::cmp::Reverse(s.difficulty));
        v
    }

    fn rescan(&mut self) {
        self.worst_index = self
            .list
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| s.difficulty)
            .map_or(0, |(i, _)| i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ties_replace_the_worst_once_full() {
        let mut b = BestNonces::new(2);
        assert!(b.offer(b"a", 5));
        assert!(b.offer(b"b", 7));
        assert!(!b.offer(b"c", 4));
        assert!(b.offer(b"d", 5));
        let kept: Vec<_> = b.sorted().into_iter().map(|s| s.nonce).collect();
        assert_eq!(kept, vec![b"b".to_vec(), b"d".to_vec()]);
    }

    #[test]
    fn keep_zero_keeps_nothing() {
        let mut b = BestNonces::new(0);
        assert!(!b.offer(b"a", u64::MAX));
        assert!(b.is_empty());
    }

    proptest! {
        #[test]
        fn keeps_exactly_the_best_x(diffs in proptest::collection::vec(any::<u64>(), 0..200), keep in 0usize..20) {
            let mut b = BestNonces::new(keep);
            for (i, d) in diffs.iter().enumerate() {
                b.offer(&(i as u32).to_be_bytes(), *d);
            }
            let mut want = diffs.clone();
            want.sort_unstable_by(|a, b| b.cmp(a));
            want.truncate(keep);
            let got: Vec<u64> = b.sorted().iter().map(|s| s.difficulty).collect();
            prop_assert_eq!(got, want);
            // Every kept nonce is one that was offered with that difficulty.
            for s in b.sorted() {
                let i = u32::from_be_bytes(s.nonce.as_slice().try_into().unwrap()) as usize;
                prop_assert_eq!(diffs[i], s.difficulty);
            }
        }

        #[test]
        fn merging_rankings_keeps_the_global_best(a in proptest::collection::vec(any::<u64>(), 0..50),
                                                  c in proptest::collection::vec(any::<u64>(), 0..50),
                                                  keep in 1usize..10) {
            let (mut ra, mut rc, mut all) = (BestNonces::new(keep), BestNonces::new(keep), BestNonces::new(keep));
            for d in &a { ra.offer(b"a", *d); }
            for d in &c { rc.offer(b"c", *d); }
            all.merge(&ra);
            all.merge(&rc);
            let mut want: Vec<u64> = a.iter().chain(&c).copied().collect();
            want.sort_unstable_by(|x, y| y.cmp(x));
            want.truncate(keep);
            prop_assert_eq!(all.sorted().iter().map(|s| s.difficulty).collect::<Vec<_>>(), want);
        }
    }
}
