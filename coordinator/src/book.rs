//! The verified shares of one job: deduplicated, bounded per session, ready for the entry
//! policy.
//!
//! A share is identified twice (DESIGN §6, "never pay twice"): by its nonce within the job
//! and by the entry hash it would be written as. A session resending a share it already got
//! accepted (a final batch repeating streamed shares, a retry after a lost ack) is answered
//! "accepted" again; the same share from another session is a duplicate.

use std::collections::HashMap;

use pegnet_common::factom::{Entry, EntryHash};
use pegnet_common::wire::SessionId;

/// A share that passed every check, with the entry it becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedShare {
    pub session: SessionId,
    pub miner: String,
    pub identity: String,
    pub payout: String,
    pub nonce: Vec<u8>,
    pub difficulty: u64,
    pub entry: Entry,
    pub entry_hash: EntryHash,
}

/// What the book says about a share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// New, kept.
    Accepted,
    /// This session's own share again: nothing changes, the answer is still "accepted".
    AlreadyAccepted,
    /// Another session's share, or the same entry under another nonce.
    Duplicate,
    /// The session is over its per-job allowance.
    TooMany,
}

/// The verified shares of one job.
#[derive(Debug, Clone)]
pub struct ShareBook {
    shares: Vec<AcceptedShare>,
    by_nonce: HashMap<Vec<u8>, usize>,
    by_entry: HashMap<EntryHash, usize>,
    per_session: HashMap<SessionId, usize>,
    per_session_cap: usize,
}

impl ShareBook {
    /// A book that keeps at most `per_session_cap` shares from any one session.
    pub fn new(per_session_cap: usize) -> ShareBook {
        ShareBook {
            shares: Vec::new(),
            by_nonce: HashMap::new(),
            by_entry: HashMap::new(),
            per_session: HashMap::new(),
            per_session_cap,
        }
    }

    /// The answer for a share with this nonce from `session`, if it is known without
    /// recomputing its difficulty (so known shares cost no LXRHash).
    pub fn precheck(&self, session: SessionId, nonce: &[u8]) -> Option<Offer> {
        if let Some(&i) = self.by_nonce.get(nonce) {
            return Some(if self.shares[i].session == session {
                Offer::AlreadyAccepted
            } else {
                Offer::Duplicate
            });
        }
        let held = self.per_session.get(&session).copied().unwrap_or(0);
        (held >= self.per_session_cap).then_some(Offer::TooMany)
    }

    /// Offers a verified share.
    pub fn offer(&mut self, share: AcceptedShare) -> Offer {
        if let Some(verdict) = self.precheck(share.session, &share.nonce) {
            return verdict;
        }
        if let Some(&i) = self.by_entry.get(&share.entry_hash) {
            return if self.shares[i].session == share.session {
                Offer::AlreadyAccepted
            } else {
                Offer::Duplicate
            };
        }
        let i = self.shares.len();
        self.by_nonce.insert(share.nonce.clone(), i);
        self.by_entry.insert(share.entry_hash, i);
        *self.per_session.entry(share.session).or_default() += 1;
        self.shares.push(share);
        Offer::Accepted
    }

    /// Every accepted share, in arrival order.
    pub fn shares(&self) -> &[AcceptedShare] {
        &self.shares
    }

    pub fn len(&self) -> usize {
        self.shares.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shares.is_empty()
    }

    /// The highest accepted difficulty, 0 when empty.
    pub fn best_difficulty(&self) -> u64 {
        self.shares.iter().map(|s| s.difficulty).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use pegnet_common::factom::ChainId;

    use super::*;

    fn share(session: u8, nonce: u8, content: u8) -> AcceptedShare {
        let entry =
            Entry::new(ChainId([1; 32]), vec![vec![nonce]], vec![content]).expect("small entry");
        AcceptedShare {
            session: SessionId([session; 16]),
            miner: format!("m{session}"),
            identity: "id".into(),
            payout: "FA".into(),
            nonce: vec![nonce],
            difficulty: u64::from(nonce),
            entry_hash: entry.hash(),
            entry,
        }
    }

    #[test]
    fn resend_is_accepted_again_other_session_is_duplicate() {
        let mut book = ShareBook::new(10);
        assert_eq!(book.offer(share(1, 5, 0)), Offer::Accepted);
        assert_eq!(book.offer(share(1, 5, 0)), Offer::AlreadyAccepted);
        assert_eq!(book.offer(share(2, 5, 1)), Offer::Duplicate);
        assert_eq!(
            book.precheck(SessionId([2; 16]), &[5]),
            Some(Offer::Duplicate)
        );
        assert_eq!(book.len(), 1);
    }

    #[test]
    fn same_entry_under_another_nonce_key_is_duplicate() {
        let mut book = ShareBook::new(10);
        let first = share(1, 5, 0);
        let mut same_entry = share(2, 6, 0);
        same_entry.entry = first.entry.clone();
        same_entry.entry_hash = first.entry_hash;
        assert_eq!(book.offer(first), Offer::Accepted);
        assert_eq!(book.offer(same_entry), Offer::Duplicate);
    }

    #[test]
    fn per_session_cap_holds() {
        let mut book = ShareBook::new(2);
        assert_eq!(book.offer(share(1, 1, 0)), Offer::Accepted);
        assert_eq!(book.offer(share(1, 2, 0)), Offer::Accepted);
        assert_eq!(book.offer(share(1, 3, 0)), Offer::TooMany);
        assert_eq!(book.offer(share(2, 3, 0)), Offer::Accepted);
        assert_eq!(book.best_difficulty(), 3);
    }
}
