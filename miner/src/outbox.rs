//! What became of each share of the job being mined (DESIGN §6, "Nothing found is lost"):
//! answered by the coordinator, on its way in a stream batch, or still to send.
//!
//! The best set belongs to the job (and this miner's identity and payout), not to a session
//! or a connection: a new session keeps it, a move to another nonce slot carries it over
//! ([`Outbox::move_to`]), and everything not yet answered is sent again. A stream batch that
//! got no ack goes back to "to send" and rides with the next batch; one refused for its
//! session (unknown session, bad MAC, replayed) too, to be resent under the next session.
//! Pure: the owner task feeds it acks and losses, and it says what to send.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use pegnet_common::opr::Share;
use pegnet_common::wire::{ShareAck, ShareItem, ShareReject};

use crate::hasher::Work;

/// How a stream batch ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The coordinator answered.
    Acked(ShareAck),
    /// No ack: timed out, nobody listening, or the connection failed.
    Lost,
}

/// One job's best set and what was sent of it.
#[derive(Debug)]
pub struct Outbox {
    work: Arc<Work>,
    /// Nonces the coordinator answered for good: accepted, or refused for a reason a resend
    /// cannot change.
    answered: HashSet<Vec<u8>>,
    /// Stream batches waiting for their ack, by batch number.
    in_flight: HashMap<u64, Vec<Vec<u8>>>,
    next_batch: u64,
}

impl Outbox {
    /// Nothing sent yet of `work`.
    pub fn new(work: Arc<Work>) -> Outbox {
        Outbox {
            work,
            answered: HashSet::new(),
            in_flight: HashMap::new(),
            next_batch: 0,
        }
    }

    /// The work being hashed.
    pub fn work(&self) -> &Arc<Work> {
        &self.work
    }

    /// Goes on with the same job in `work` (another slot, after a new session): the best set
    /// found so far is carried into it, and what was answered stays answered.
    pub fn move_to(&mut self, work: Arc<Work>) {
        for share in self.work.snapshot().1 {
            work.offer(&share.nonce, share.difficulty);
        }
        self.work = work;
    }

    /// A new session: batches on their way under the old one are sent again (their acks,
    /// if any still come, are not waited for).
    pub fn new_session(&mut self) {
        self.in_flight.clear();
    }

    /// The shares of the best set neither answered nor on their way, as batch number `n`
    /// (now on its way); `None` when there is nothing to send.
    pub fn next_batch(&mut self) -> Option<(u64, Vec<ShareItem>)> {
        let on_the_way: HashSet<&Vec<u8>> = self.in_flight.values().flatten().collect();
        let shares: Vec<ShareItem> = self
            .work
            .snapshot()
            .1
            .into_iter()
            .filter(|s| !self.answered.contains(&s.nonce) && !on_the_way.contains(&s.nonce))
            .map(item)
            .collect();
        if shares.is_empty() {
            return None;
        }
        let n = self.next_batch;
        self.next_batch += 1;
        self.in_flight
            .insert(n, shares.iter().map(|s| s.nonce.clone()).collect());
        Some((n, shares))
    }

    /// What became of stream batch `n`. Unknown batches (sent under an old session) are
    /// ignored: their shares are already on their way again.
    pub fn answered(&mut self, n: u64, outcome: &Outcome) {
        let Some(nonces) = self.in_flight.remove(&n) else {
            return;
        };
        let resend = match outcome {
            Outcome::Lost => true,
            Outcome::Acked(ack) => ack.batch_error.is_some_and(worth_resending),
        };
        if !resend {
            self.answered.extend(nonces);
        }
    }

    /// Shares of the best set the coordinator has not answered yet.
    pub fn unanswered(&self) -> usize {
        self.work
            .snapshot()
            .1
            .iter()
            .filter(|s| !self.answered.contains(&s.nonce))
            .count()
    }

    /// The whole best set, for the final batch (sent even when empty: it tells the
    /// coordinator this miner has nothing more, so it need not wait for it).
    pub fn all(&self) -> Vec<ShareItem> {
        self.work.snapshot().1.into_iter().map(item).collect()
    }
}

/// A batch refused as a whole that a resend can get accepted: under another session (the
/// coordinator lost ours or its key), or with a fresh sequence number. Any other refusal
/// (the job is over, the batch is malformed) would be refused again.
fn worth_resending(reason: ShareReject) -> bool {
    matches!(
        reason,
        ShareReject::UnknownSession | ShareReject::BadMac | ShareReject::Replayed
    )
}

fn item(share: Share) -> ShareItem {
    ShareItem {
        nonce: share.nonce,
        difficulty: share.difficulty,
    }
}

#[cfg(test)]
mod tests {
    use pegnet_common::wire::{JobId, PROTOCOL_VERSION, ShareRejection};

    use super::*;
    use crate::hasher::test_job;

    fn work(slot: u32) -> Arc<Work> {
        Arc::new(Work::new(test_job(0), [0; 32], slot, 1, 3))
    }

    fn ack(batch_error: Option<ShareReject>, rejected: &[u32]) -> Outcome {
        Outcome::Acked(ShareAck {
            v: PROTOCOL_VERSION,
            job_id: JobId::new(1, 0),
            seq: 1,
            accepted: 0,
            rejected: rejected
                .iter()
                .map(|&index| ShareRejection {
                    index,
                    reason: ShareReject::BelowMinimum,
                })
                .collect(),
            batch_error,
        })
    }

    fn nonces(shares: &[ShareItem]) -> Vec<&[u8]> {
        shares.iter().map(|s| s.nonce.as_slice()).collect()
    }

    #[test]
    fn each_share_is_streamed_once_and_answered_shares_are_not_resent() {
        let w = work(0);
        let mut outbox = Outbox::new(Arc::clone(&w));
        assert!(outbox.next_batch().is_none());
        w.offer(b"a", 10);
        w.offer(b"b", 20);
        let (first, shares) = outbox.next_batch().unwrap();
        assert_eq!(nonces(&shares), [b"b".as_slice(), b"a"]);
        assert!(outbox.next_batch().is_none(), "both are on their way");
        w.offer(b"c", 30);
        let (second, shares) = outbox.next_batch().unwrap();
        assert_eq!(nonces(&shares), [b"c".as_slice()]);
        // A rejected share is answered as much as an accepted one.
        outbox.answered(first, &ack(None, &[1]));
        outbox.answered(second, &ack(None, &[]));
        assert!(outbox.next_batch().is_none());
        assert_eq!(outbox.unanswered(), 0);
        let all: Vec<u64> = outbox.all().iter().map(|s| s.difficulty).collect();
        assert_eq!(all, [30, 20, 10]);
    }

    #[test]
    fn a_lost_batch_rides_with_the_next_one() {
        let w = work(0);
        let mut outbox = Outbox::new(Arc::clone(&w));
        w.offer(b"a", 10);
        let (lost, _) = outbox.next_batch().unwrap();
        w.offer(b"b", 20);
        let (acked, shares) = outbox.next_batch().unwrap();
        assert_eq!(nonces(&shares), [b"b".as_slice()]);
        outbox.answered(lost, &Outcome::Lost);
        outbox.answered(acked, &ack(None, &[]));
        w.offer(b"c", 30);
        let (_, shares) = outbox.next_batch().unwrap();
        assert_eq!(nonces(&shares), [b"c".as_slice(), b"a"]);
        assert_eq!(outbox.unanswered(), 2);
    }

    #[test]
    fn a_session_refusal_is_resent_and_a_stale_job_is_not() {
        for (reason, resent) in [
            (ShareReject::UnknownSession, true),
            (ShareReject::BadMac, true),
            (ShareReject::Replayed, true),
            (ShareReject::StaleJob, false),
            (ShareReject::UnknownJob, false),
            (ShareReject::Malformed, false),
        ] {
            let w = work(0);
            let mut outbox = Outbox::new(Arc::clone(&w));
            w.offer(b"a", 10);
            let (n, _) = outbox.next_batch().unwrap();
            outbox.answered(n, &ack(Some(reason), &[]));
            assert_eq!(outbox.next_batch().is_some(), resent, "{reason:?}");
        }
    }

    #[test]
    fn a_new_session_resends_what_was_on_its_way_and_keeps_what_was_answered() {
        let w = work(0);
        let mut outbox = Outbox::new(Arc::clone(&w));
        w.offer(b"a", 10);
        let (answered, _) = outbox.next_batch().unwrap();
        outbox.answered(answered, &ack(None, &[]));
        w.offer(b"b", 20);
        let (old, _) = outbox.next_batch().unwrap();
        outbox.new_session();
        let (_, shares) = outbox.next_batch().unwrap();
        assert_eq!(nonces(&shares), [b"b".as_slice()]);
        // The old session's ack arriving late changes nothing.
        outbox.answered(old, &Outcome::Lost);
        assert!(outbox.next_batch().is_none());
    }

    #[test]
    fn moving_to_another_slot_carries_the_best_set() {
        let old = work(0);
        let mut outbox = Outbox::new(Arc::clone(&old));
        old.offer(b"a", 10);
        old.offer(b"b", 20);
        let (n, _) = outbox.next_batch().unwrap();
        outbox.answered(n, &ack(None, &[]));
        let new = work(1);
        outbox.move_to(Arc::clone(&new));
        assert_eq!(outbox.work().slot, 1);
        new.offer(b"c", 30);
        let all: Vec<u64> = outbox.all().iter().map(|s| s.difficulty).collect();
        assert_eq!(all, [30, 20, 10], "the old slot's shares are kept");
        let (_, shares) = outbox.next_batch().unwrap();
        assert_eq!(
            nonces(&shares),
            [b"c".as_slice()],
            "answered ones stay answered"
        );
    }
}
