//! Share intake (DESIGN §4–§6): what happens to a `ShareBatch` before anything is paid for.
//!
//! Three steps, so the LXRHash work runs outside the coordinator's state lock:
//! 1. [`admit`] (under the lock): the session, its MAC and sequence number, the job, then
//!    each share's nonce format, claimed difficulty against the minimum, and what the book
//!    already knows.
//! 2. [`verify`] (no lock, a blocking thread): recompute each remaining share's difficulty
//!    from the OPR the coordinator rebuilt from the job and the session's own identity and
//!    payout, so a miner can neither lie about difficulty nor make the coordinator write
//!    bytes of its choosing.
//! 3. [`record`] (under the lock): offer the verified shares to the job's book and answer
//!    the batch with one ack that counts every rejection by reason.

use std::sync::Arc;

use pegnet_common::factom::{Entry, EntryHash};
use pegnet_common::wire::{
    Job, JobId, Nonce, PROTOCOL_VERSION, SessionId, ShareAck, ShareBatch, ShareItem, ShareReject,
    ShareRejection,
};

use crate::block::{JobState, Jobs, SessionOpr, share_entry};
use crate::book::{AcceptedShare, Maker, Offer};
use crate::session::{Owner, Sessions};

/// What is known about one share of a batch so far.
#[derive(Debug, Clone)]
enum Verdict {
    Rejected(ShareReject),
    /// This miner's own share, accepted before (under this session or an earlier one).
    Known,
    /// Passed the cheap checks; the difficulty is still to be recomputed.
    Unverified,
    Verified(Entry, EntryHash),
}

/// A batch that passed the batch-level checks.
#[derive(Debug)]
pub struct Admitted {
    pub session: SessionId,
    owner: Owner,
    pub miner: String,
    pub identity: String,
    pub payout: String,
    pub seq: u64,
    pub final_batch: bool,
    pub job: Arc<Job>,
    opr: Arc<SessionOpr>,
    shares: Vec<ShareItem>,
    verdicts: Vec<Verdict>,
}

impl Admitted {
    /// How many shares need their difficulty recomputed.
    pub fn unverified(&self) -> usize {
        self.verdicts
            .iter()
            .filter(|v| matches!(v, Verdict::Unverified))
            .count()
    }
}

/// The ack for a batch refused as a whole.
pub fn batch_refused(job_id: JobId, seq: u64, reason: ShareReject) -> ShareAck {
    ShareAck {
        v: PROTOCOL_VERSION,
        job_id,
        seq,
        accepted: 0,
        rejected: Vec::new(),
        batch_error: Some(reason),
    }
}

/// Step 1: batch-level checks and the cheap per-share checks. `subject_job` is the job the
/// subject the batch came on names.
pub fn admit(
    sessions: &mut Sessions,
    jobs: &mut Jobs,
    batch: ShareBatch,
    subject_job: &JobId,
    now_ms: u64,
) -> Result<Admitted, ShareReject> {
    if batch.job_id != *subject_job {
        return Err(ShareReject::Malformed);
    }
    let session = sessions.check_batch(&batch, now_ms)?.clone();
    let Some(block) = jobs.get_mut(&batch.job_id) else {
        return Err(if jobs.is_recent(&batch.job_id) {
            ShareReject::StaleJob
        } else {
            ShareReject::UnknownJob
        });
    };
    if block.state == JobState::Closed {
        return Err(ShareReject::StaleJob);
    }
    let opr = block
        .opr_for(session.id, &session.identity, &session.payout)
        .map_err(|e| {
            tracing::error!(error = %e, job = %batch.job_id, "the job does not build an OPR");
            ShareReject::Malformed
        })?;
    let minimum = block.job.minimum_difficulty;
    let owner = session.owner();
    block.hold(&owner, session.slot);
    let maker = Maker {
        session: session.id,
        identity: &session.identity,
        payout: &session.payout,
    };
    let verdicts = batch
        .shares
        .iter()
        .map(|s| {
            if !Nonce::parse(&s.nonce).is_ok_and(|n| block.held(&owner, n.slot)) {
                // Malformed, or outside every slot this miner held in the job.
                Verdict::Rejected(ShareReject::BadNonce)
            } else if s.difficulty < minimum {
                Verdict::Rejected(ShareReject::BelowMinimum)
            } else {
                match block.book.precheck(&maker, &s.nonce) {
                    Some(Offer::AlreadyAccepted) => Verdict::Known,
                    Some(Offer::Duplicate) => Verdict::Rejected(ShareReject::Duplicate),
                    Some(Offer::TooMany) => Verdict::Rejected(ShareReject::TooMany),
                    Some(Offer::Accepted) | None => Verdict::Unverified,
                }
            }
        })
        .collect();
    Ok(Admitted {
        session: session.id,
        owner,
        miner: session.miner,
        identity: session.identity,
        payout: session.payout,
        seq: batch.seq,
        final_batch: batch.final_batch,
        job: Arc::clone(&block.job),
        opr,
        shares: batch.shares,
        verdicts,
    })
}

/// Step 2: recompute difficulties with LXRHash, in lockstep batches (every nonce passed
/// `admit`'s format check, so they share one length). CPU-bound: run it on a blocking thread.
pub fn verify(admitted: &mut Admitted, table: &lxrhash::Table) {
    let pending: Vec<usize> = (0..admitted.shares.len())
        .filter(|&i| matches!(admitted.verdicts[i], Verdict::Unverified))
        .collect();
    if pending.is_empty() {
        return;
    }
    let nonces: Vec<&[u8]> = pending
        .iter()
        .map(|&i| admitted.shares[i].nonce.as_slice())
        .collect();
    let mut real = vec![0u64; nonces.len()];
    table.difficulties(&table.prefix(&admitted.opr.hash), &nonces, &mut real);
    for (&i, real) in pending.iter().zip(real) {
        let share = &admitted.shares[i];
        admitted.verdicts[i] = if real != share.difficulty {
            Verdict::Rejected(ShareReject::BadDifficulty)
        } else {
            match share_entry(&admitted.job, &admitted.opr, &share.nonce, share.difficulty) {
                Ok(entry) => {
                    let hash = entry.hash();
                    Verdict::Verified(entry, hash)
                }
                // An OPR too large for an entry: the job's fault, but the share is unusable.
                Err(_) => Verdict::Rejected(ShareReject::Malformed),
            }
        };
    }
}

/// Step 3: keep the verified shares and answer the batch.
pub fn record(jobs: &mut Jobs, admitted: Admitted) -> ShareAck {
    let job_id = admitted.job.job_id.clone();
    let mut rejected = Vec::new();
    let mut accepted = 0u32;
    let block = jobs
        .get_mut(&job_id)
        .filter(|b| b.state != JobState::Closed);
    let Some(block) = block else {
        // Closed while the difficulties were recomputed: too late for this block.
        return batch_refused(job_id, admitted.seq, ShareReject::StaleJob);
    };
    for (index, (share, verdict)) in admitted
        .shares
        .into_iter()
        .zip(admitted.verdicts)
        .enumerate()
    {
        let outcome = match verdict {
            Verdict::Rejected(reason) => Err(reason),
            Verdict::Known => Ok(()),
            Verdict::Unverified => Err(ShareReject::BadDifficulty),
            Verdict::Verified(entry, entry_hash) => {
                match block.book.offer(AcceptedShare {
                    session: admitted.session,
                    miner: admitted.miner.clone(),
                    identity: admitted.identity.clone(),
                    payout: admitted.payout.clone(),
                    nonce: share.nonce,
                    difficulty: share.difficulty,
                    entry,
                    entry_hash,
                }) {
                    Offer::Accepted | Offer::AlreadyAccepted => Ok(()),
                    Offer::Duplicate => Err(ShareReject::Duplicate),
                    Offer::TooMany => Err(ShareReject::TooMany),
                }
            }
        };
        match outcome {
            Ok(()) => accepted += 1,
            Err(reason) => rejected.push(ShareRejection {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                reason,
            }),
        }
    }
    if admitted.final_batch {
        block.finals.insert(admitted.owner);
    }
    ShareAck {
        v: PROTOCOL_VERSION,
        job_id,
        seq: admitted.seq,
        accepted,
        rejected,
        batch_error: None,
    }
}
