//! The job of the block being mined and the shares it has collected.
//!
//! A job is `Open` from minute 1 (shares accepted), `Closing` from the stop signal at minute
//! 9 (final batches still accepted while the coordinator waits for them), and `Closed` once
//! the entries are chosen: from then on every share for it is stale.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use pegnet_common::factom::{ChainId, Entry, EntryError};
use pegnet_common::opr::opr_entry;
use pegnet_common::wire::{Job, JobError, SessionId};

use crate::book::ShareBook;
use crate::policy::{Candidate, EntryPolicy, choose};
use crate::session::Owner;

/// Where a job is in its block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Open,
    Closing,
    Closed,
}

/// The OPR a session mines for a job: its content and the hash LXRHash extends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOpr {
    pub hash: [u8; 32],
    pub content: Vec<u8>,
}

/// One block's job and its shares.
#[derive(Debug)]
pub struct BlockJob {
    pub job: Arc<Job>,
    pub state: JobState,
    pub book: ShareBook,
    /// Miners whose final batch arrived (under whichever session: a miner that
    /// re-authenticated after the stop sends it under its new one).
    pub finals: HashSet<Owner>,
    /// Miners with a live session at the stop signal: the final batches worth waiting for.
    pub expected: HashSet<Owner>,
    /// The nonce slots each miner held while this job was live: a miner's nonces from any
    /// of them are its own (its best set outlives a session), anyone else's are not.
    slots: HashMap<Owner, Vec<u32>>,
    oprs: HashMap<SessionId, Arc<SessionOpr>>,
}

impl BlockJob {
    pub fn new(job: Job, per_session_cap: usize) -> BlockJob {
        BlockJob {
            job: Arc::new(job),
            state: JobState::Open,
            book: ShareBook::new(per_session_cap),
            finals: HashSet::new(),
            expected: HashSet::new(),
            slots: HashMap::new(),
            oprs: HashMap::new(),
        }
    }

    /// The OPR `session` (declaring `identity` and `payout`) mines for this job, built once.
    pub fn opr_for(
        &mut self,
        session: SessionId,
        identity: &str,
        payout: &str,
    ) -> Result<Arc<SessionOpr>, JobError> {
        if let Some(opr) = self.oprs.get(&session) {
            return Ok(Arc::clone(opr));
        }
        let content = self
            .job
            .opr_content(identity, payout)?
            .encode(self.job.opr_version)?;
        let opr = Arc::new(SessionOpr {
            hash: pegnet_common::hash::sha256(&content),
            content,
        });
        self.oprs.insert(session, Arc::clone(&opr));
        Ok(opr)
    }

    /// Notes that `owner` holds `slot` while this job is live.
    pub fn hold(&mut self, owner: &Owner, slot: u32) {
        match self.slots.get_mut(owner) {
            Some(held) if held.contains(&slot) => {}
            Some(held) => held.push(slot),
            None => {
                self.slots.insert(owner.clone(), vec![slot]);
            }
        }
    }

    /// Whether `owner` held `slot` while this job was live.
    pub fn held(&self, owner: &Owner, slot: u32) -> bool {
        self.slots
            .get(owner)
            .is_some_and(|held| held.contains(&slot))
    }

    /// Whether every miner expected at the stop signal has sent its final batch.
    pub fn all_finals_in(&self) -> bool {
        self.expected.is_subset(&self.finals)
    }

    pub fn state_name(&self) -> &'static str {
        match self.state {
            JobState::Open => "open",
            JobState::Closing => "closing",
            JobState::Closed => "closed",
        }
    }

    /// The entries to write under `policy`, best first.
    pub fn choose(&self, policy: EntryPolicy, per_block: usize) -> Vec<Entry> {
        let shares = self.book.shares();
        let candidates: Vec<Candidate<'_>> = shares
            .iter()
            .map(|s| Candidate {
                difficulty: s.difficulty,
                payout: &s.payout,
                entry_hash: s.entry_hash,
            })
            .collect();
        choose(policy, per_block, &candidates)
            .into_iter()
            .map(|i| shares[i].entry.clone())
            .collect()
    }
}

/// The entry a verified share is written as.
pub fn share_entry(
    job: &Job,
    opr: &SessionOpr,
    nonce: &[u8],
    difficulty: u64,
) -> Result<Entry, EntryError> {
    opr_entry(
        ChainId(job.chain_id),
        nonce,
        difficulty,
        job.opr_version,
        opr.content.clone(),
    )
}

/// How many closed job ids are remembered, to tell a stale share from an unknown one.
const RECENT_JOBS: usize = 16;

/// The current job and the ids of recent ones.
#[derive(Debug, Default)]
pub struct Jobs {
    pub current: Option<BlockJob>,
    recent: std::collections::VecDeque<pegnet_common::wire::JobId>,
}

impl Jobs {
    /// Makes `job` current; the previous job (if any) is remembered as stale.
    pub fn replace(&mut self, job: BlockJob) -> Option<BlockJob> {
        let old = self.current.replace(job);
        if let Some(old) = &old {
            self.remember(old.job.job_id.clone());
        }
        old
    }

    /// Ends the current job without a successor (a skipped block).
    pub fn take(&mut self) -> Option<BlockJob> {
        let old = self.current.take();
        if let Some(old) = &old {
            self.remember(old.job.job_id.clone());
        }
        old
    }

    fn remember(&mut self, id: pegnet_common::wire::JobId) {
        if self.recent.len() == RECENT_JOBS {
            self.recent.pop_front();
        }
        self.recent.push_back(id);
    }

    /// The current job if its id is `id`.
    pub fn get_mut(&mut self, id: &pegnet_common::wire::JobId) -> Option<&mut BlockJob> {
        self.current.as_mut().filter(|j| j.job.job_id == *id)
    }

    /// Whether `id` was a job of this coordinator that has ended.
    pub fn is_recent(&self, id: &pegnet_common::wire::JobId) -> bool {
        self.recent.contains(id)
    }
}
