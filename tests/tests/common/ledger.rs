//! The share ledger of the fault suite (DESIGN §6, "Nothing found is lost"): it follows the
//! jobs and every share batch on the broker with its own reconnecting client, so a test can
//! say of each share a miner sent or held at the stop (its final batches) whether it was
//! written, outranked in that miner's best set, or lost. The miners of a ledger test share
//! one identity and payout, so a share's entry follows from its job and nonce alone; the
//! nonce's slot says whose final batch it belongs in.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::StreamExt as _;
use pegnet_common::factom::{Entry, EntryHash};
use pegnet_common::wire::{Job, JobId, Nonce, ShareBatch, ShareItem, Subjects, decode};
use pegnet_coordinator::block::{SessionOpr, share_entry};
use pegnet_tests::server_barrier;
use tokio::task::JoinHandle;

/// A share as the broker carried it: its nonce and claimed difficulty.
type Sent = (Vec<u8>, u64);

#[derive(Debug, Default)]
struct Seen {
    jobs: HashMap<JobId, Job>,
    /// Every final batch, by job.
    finals: HashMap<JobId, Vec<Vec<Sent>>>,
    /// Every share of every batch, by job.
    sent: HashMap<JobId, BTreeSet<Sent>>,
}

/// Who the miners of a ledger test are: the identity and payout they all write, and the
/// size of their best sets.
#[derive(Debug, Clone, Copy)]
pub struct Miners<'a> {
    pub identity: &'a str,
    pub payout: &'a str,
    pub keep: usize,
}

/// What the broker carried.
pub struct Ledger {
    seen: Arc<Mutex<Seen>>,
    task: JoinHandle<()>,
}

/// What became of the shares of one job. The fault tests write every verified share
/// (policy `all`), so a held share that was not written is lost.
#[derive(Debug)]
pub struct Accounting {
    /// Shares in the final batches: what the miners held at the stop.
    pub held: usize,
    /// Shares sent in any batch.
    pub sent: usize,
    /// Of them, written.
    pub written: usize,
    /// Sent, not written, and not outranked: the final batch of the miner that found it (the
    /// one with shares in its slot) holds fewer than `keep` better ones. Must be empty.
    pub lost: Vec<ShareItem>,
    /// Written entries that are not a share of this job by these miners whose difficulty
    /// recomputes. Must be empty.
    pub forged: Vec<String>,
    /// What the written entries cost, in EC, each counted once.
    pub ec_cost: u64,
}

impl Ledger {
    /// Starts following `subjects` on `url`; returns once the subscriptions are in effect.
    pub async fn follow(url: &str, subjects: &Subjects) -> Ledger {
        let client = async_nats::ConnectOptions::new()
            .max_reconnects(None)
            .connect(url)
            .await
            .unwrap();
        let mut jobs = client.subscribe(subjects.jobs()).await.unwrap();
        let mut shares = client.subscribe(subjects.shares_wildcard()).await.unwrap();
        server_barrier(&client, "pegnet.test.ledger").await.unwrap();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let record = Arc::clone(&seen);
        let task = tokio::spawn(async move {
            let _client = client;
            loop {
                tokio::select! {
                    Some(m) = jobs.next() => {
                        if let Ok(job) = decode::<Job>(&m.payload) {
                            lock(&record).jobs.insert(job.job_id.clone(), job);
                        }
                    }
                    Some(m) = shares.next() => {
                        if let Ok(batch) = decode::<ShareBatch>(&m.payload) {
                            lock(&record).note(&batch);
                        }
                    }
                    else => break,
                }
            }
        });
        Ledger { seen, task }
    }

    /// The shares sent for the job at `height` and held at its stop (the final batches the
    /// ledger saw and `held`, the ones the miners say they handed in), each looked up among
    /// the entries written for it (`written`, as the chain has them). A share the ledger did
    /// not see (sent while its own connection was down) is not followed; a written entry is
    /// checked on its own, with LXRHash, whether the ledger saw it or not.
    pub fn account(
        &self,
        height: u32,
        miners: Miners<'_>,
        held: &[Vec<ShareItem>],
        written: &[Entry],
        table: &lxrhash::Table,
    ) -> Accounting {
        let seen = lock(&self.seen);
        let job = seen
            .jobs
            .values()
            .find(|j| j.height == height)
            .expect("the ledger saw the job");
        let content = job
            .opr_content(miners.identity, miners.payout)
            .unwrap()
            .encode(job.opr_version)
            .unwrap();
        let opr = SessionOpr {
            hash: pegnet_common::hash::sha256(&content),
            content,
        };
        let written_hashes: BTreeSet<EntryHash> = written.iter().map(Entry::hash).collect();
        let mut finals = seen.finals.get(&job.job_id).cloned().unwrap_or_default();
        finals.extend(held.iter().map(|f| {
            f.iter()
                .map(|s| (s.nonce.clone(), s.difficulty))
                .collect::<Vec<_>>()
        }));
        let mut all: BTreeSet<Sent> = seen.sent.get(&job.job_id).cloned().unwrap_or_default();
        let mut accounting = Accounting {
            held: finals.iter().flatten().collect::<BTreeSet<_>>().len(),
            sent: all.len(),
            written: 0,
            lost: Vec::new(),
            forged: Vec::new(),
            ec_cost: 0,
        };
        all.extend(finals.iter().flatten().cloned());
        for (nonce, difficulty) in all {
            let entry = share_entry(job, &opr, &nonce, difficulty).unwrap();
            if written_hashes.contains(&entry.hash()) {
                accounting.written += 1;
            } else if !outranked(&finals, &nonce, difficulty, miners.keep) {
                accounting.lost.push(ShareItem { nonce, difficulty });
            }
        }
        for entry in written {
            if is_share(entry, &opr, table) {
                accounting.ec_cost += u64::from(entry.ec_cost());
            } else {
                accounting.forged.push(entry.hash().to_string());
            }
        }
        accounting
    }
}

/// Whether the final batch of the miner whose slot `nonce` is in holds `keep` shares better
/// than `difficulty` (so its best set rightly let the share go).
fn outranked(finals: &[Vec<Sent>], nonce: &[u8], difficulty: u64, keep: usize) -> bool {
    let slot = |n: &[u8]| Nonce::parse(n).map(|n| n.slot).ok();
    finals
        .iter()
        .filter(|f| f.iter().any(|(n, _)| slot(n) == slot(nonce)))
        .any(|f| f.iter().filter(|(_, d)| *d > difficulty).count() >= keep)
}

/// Whether `entry` is the OPR `opr` with a nonce whose difficulty recomputes to the one it
/// reports (ExtIDs: nonce, difficulty as 8 bytes big-endian, version).
fn is_share(entry: &Entry, opr: &SessionOpr, table: &lxrhash::Table) -> bool {
    let [nonce, difficulty, ..] = entry.ext_ids() else {
        return false;
    };
    let Ok(difficulty) = <[u8; 8]>::try_from(difficulty.as_slice()) else {
        return false;
    };
    entry.content() == opr.content.as_slice()
        && table.difficulty(&opr.hash, nonce) == u64::from_be_bytes(difficulty)
}

impl Drop for Ledger {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Seen {
    fn note(&mut self, batch: &ShareBatch) {
        let shares = batch.shares.iter().map(|s| (s.nonce.clone(), s.difficulty));
        self.sent
            .entry(batch.job_id.clone())
            .or_default()
            .extend(shares.clone());
        if batch.final_batch {
            self.finals
                .entry(batch.job_id.clone())
                .or_default()
                .push(shares.collect());
        }
    }
}

fn lock(seen: &Mutex<Seen>) -> std::sync::MutexGuard<'_, Seen> {
    seen.lock().unwrap_or_else(PoisonError::into_inner)
}
