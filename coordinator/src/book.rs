//! The verified shares of one job: deduplicated, bounded per session, ready for the entry
//! policy.
//!
//! A share is identified twice (DESIGN §6, "never pay twice"): by its nonce within the job
//! and by the entry hash it would be written as. A miner resending a share it already got
//! accepted (a final batch repeating streamed shares, a retry after a lost ack, a resend
//! under a new session after a reconnect) is answered "accepted" again: the same nonce for
//! the same identity and payout is the same entry. The same nonce for another identity or
//! payout, or the same entry under another nonce, is a duplicate.

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

/// Who offers a share: its session, and the identity and payout its OPR carries.
#[derive(Debug, Clone, Copy)]
pub struct Maker<'a> {
    pub session: SessionId,
    pub identity: &'a str,
    pub payout: &'a str,
}

/// What the book says about a share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// New, kept.
    Accepted,
    /// This miner's own share again (same nonce, identity and payout; any of its
    /// sessions): nothing changes, the answer is still "accepted".
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

    /// The answer for a share with this nonce from `maker`, if it is known without
    /// recomputing its difficulty (so known shares cost no LXRHash).
    pub fn precheck(&self, maker: &Maker<'_>, nonce: &[u8]) -> Option<Offer> {
        if let Some(&i) = self.by_nonce.get(nonce) {
            return Some(self.again(i, maker));
        }
        let held = self.per_session.get(&maker.session).copied().unwrap_or(0);
        (held >= self.per_session_cap).then_some(Offer::TooMany)
    }

    /// Offers a verified share.
    pub fn offer(&mut self, share: AcceptedShare) -> Offer {
        let maker = Maker {
            session: share.session,
            identity: &share.identity,
            payout: &share.payout,
        };
        if let Some(verdict) = self.precheck(&maker, &share.nonce) {
            return verdict;
        }
        if self.by_entry.contains_key(&share.entry_hash) {
            // Another nonce (a nonce decides the entry): never the same share.
            return Offer::Duplicate;
        }
        let i = self.shares.len();
        self.by_nonce.insert(share.nonce.clone(), i);
        self.by_entry.insert(share.entry_hash, i);
        *self.per_session.entry(share.session).or_default() += 1;
        self.shares.push(share);
        Offer::Accepted
    }

    /// Share `i` offered again by `maker`: its own if it mines the same OPR.
    fn again(&self, i: usize, maker: &Maker<'_>) -> Offer {
        let held = &self.shares[i];
        if held.identity == maker.identity && held.payout == maker.payout {
            Offer::AlreadyAccepted
        } else {
            Offer::Duplicate
        }
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
            identity: format!("id{session}"),
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
        let maker = |session: u8, identity: &'static str| Maker {
            session: SessionId([session; 16]),
            identity,
            payout: "FA",
        };
        assert_eq!(
            book.precheck(&maker(2, "id2"), &[5]),
            Some(Offer::Duplicate)
        );
        // The same miner under a new session (a reconnect): its own share.
        assert_eq!(
            book.precheck(&maker(9, "id1"), &[5]),
            Some(Offer::AlreadyAccepted)
        );
        let mut resent = share(1, 5, 0);
        resent.session = SessionId([9; 16]);
        assert_eq!(book.offer(resent), Offer::AlreadyAccepted);
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
