//! The hashing threads: N dedicated OS threads (never the async runtime) searching the
//! current [`Work`] for its best shares.
//!
//! Thread `t` of a session in slot `s` walks the nonces `s ‖ t ‖ 0, 1, 2, …` (the prefix-free
//! layout of [`NonceBuf`]), so no two threads, and no two sessions, ever hash the same
//! nonce. The owner swaps the work with [`Hasher::set_work`]; threads notice through a
//! generation counter they read every [`BATCH`] hashes, so a new job or a stop takes effect
//! within milliseconds, without restarting a thread. Each `Work` carries its own best set,
//! so a thread finishing a batch of an old job can only add to that job's set.

use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use lxrhash::Prefix;
use lxrhash::Table;
use pegnet_common::opr::{BestNonces, Share};
use pegnet_common::wire::{Job, NONCE_LEN, NonceBuf};
use tokio_util::sync::CancellationToken;

/// Hashes between two looks at the generation counter: two whole lockstep groups, about
/// 1.3 ms at 30 bits.
const BATCH: u64 = 2 * lxrhash::LANES as u64;
/// An idle thread re-checks for work this often even without a wake-up, so a lost
/// notification can delay it but never park it for good.
const IDLE_RECHECK: Duration = Duration::from_secs(1);

/// Locks, taking the data of a poisoned mutex: every critical section here leaves its data
/// consistent, so a panic elsewhere does not make it unusable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One job as hashed in one nonce slot, with its best shares so far.
#[derive(Debug)]
pub struct Work {
    /// The job.
    pub job: Arc<Job>,
    /// `job.opr_hash(identity, payout)`.
    pub opr_hash: [u8; 32],
    /// The session's nonce slot.
    pub slot: u32,
    /// Threads with an index below this hash; the others idle (the coordinator's limit,
    /// which a new session may change without restarting the search).
    threads: AtomicU16,
    best: Mutex<BestNonces>,
    /// Nothing below this can be kept: the job's minimum or the best set's worst, whichever
    /// is higher. Read without the lock on every hash, updated under it.
    threshold: AtomicU64,
    /// Bumped for every share kept, so the streamer can tell the set improved.
    version: AtomicU64,
}

impl Work {
    /// Work keeping the best `keep` shares at or above the job's minimum difficulty.
    pub fn new(job: Arc<Job>, opr_hash: [u8; 32], slot: u32, threads: u16, keep: usize) -> Work {
        let minimum = job.minimum_difficulty;
        Work {
            job,
            opr_hash,
            slot,
            threads: AtomicU16::new(threads),
            best: Mutex::new(BestNonces::new(keep)),
            threshold: AtomicU64::new(minimum),
            version: AtomicU64::new(0),
        }
    }

    /// Offers a share found by a thread.
    pub(crate) fn offer(&self, nonce: &[u8], difficulty: u64) {
        if difficulty < self.job.minimum_difficulty {
            return;
        }
        let mut best = lock(&self.best);
        if best.offer(nonce, difficulty) {
            let kept_from = best.threshold().unwrap_or(u64::MAX);
            self.threshold.store(
                kept_from.max(self.job.minimum_difficulty),
                Ordering::Relaxed,
            );
            self.version.fetch_add(1, Ordering::Release);
        }
    }

    /// How many threads hash this work.
    pub fn threads(&self) -> u16 {
        self.threads.load(Ordering::Relaxed)
    }

    /// Changes how many threads hash this work; call [`Hasher::nudge`] to wake idle ones.
    pub fn set_threads(&self, threads: u16) {
        self.threads.store(threads, Ordering::Relaxed);
    }

    /// How many times the best set has changed.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// The best set, best first, with the version it is of.
    pub fn snapshot(&self) -> (u64, Vec<Share>) {
        let best = lock(&self.best);
        (self.version(), best.sorted())
    }

    /// The best difficulty found so far, 0 before any.
    pub fn best_difficulty(&self) -> u64 {
        self.snapshot().1.first().map_or(0, |s| s.difficulty)
    }
}

/// What the threads share with the owner.
#[derive(Debug)]
struct Shared {
    /// The work; `generation` is bumped under this lock whenever it changes.
    current: Mutex<Option<Arc<Work>>>,
    generation: AtomicU64,
    changed: Condvar,
    hashes: AtomicU64,
    /// Each thread's own count, for its rate.
    per_thread: Vec<AtomicU64>,
    stop: CancellationToken,
}

impl Shared {
    fn current(&self) -> (u64, Option<Arc<Work>>) {
        let current = lock(&self.current);
        (self.generation.load(Ordering::Acquire), current.clone())
    }

    fn wait_for_change(&self, seen: u64) {
        let guard = lock(&self.current);
        let waited = self.changed.wait_timeout_while(guard, IDLE_RECHECK, |_| {
            self.generation.load(Ordering::Acquire) == seen && !self.stop.is_cancelled()
        });
        // Poisoning cannot hide a change: the loop re-reads the generation either way.
        drop(waited);
    }

    fn wake_all(&self) {
        // Taking the lock orders this wake-up after a waiter's check, so none is missed.
        drop(lock(&self.current));
        self.changed.notify_all();
    }
}

/// The hashing threads.
#[derive(Debug)]
pub struct Hasher {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Hasher {
    /// Starts `threads` idle threads hashing with `table`; they end when `stop` is
    /// cancelled (or the `Hasher` is dropped).
    pub fn start(
        table: Arc<Table>,
        threads: u16,
        stop: CancellationToken,
    ) -> std::io::Result<Hasher> {
        let shared = Arc::new(Shared {
            current: Mutex::new(None),
            generation: AtomicU64::new(0),
            changed: Condvar::new(),
            hashes: AtomicU64::new(0),
            per_thread: (0..threads).map(|_| AtomicU64::new(0)).collect(),
            stop,
        });
        let mut hasher = Hasher {
            shared,
            threads: Vec::with_capacity(usize::from(threads)),
        };
        for index in 0..threads {
            let shared = Arc::clone(&hasher.shared);
            let table = Arc::clone(&table);
            let handle = std::thread::Builder::new()
                .name(format!("hasher-{index}"))
                .spawn(move || run_thread(&shared, &table, index))?;
            hasher.threads.push(handle);
        }
        Ok(hasher)
    }

    /// Replaces the work at once; `None` idles every thread.
    pub fn set_work(&self, work: Option<Arc<Work>>) {
        {
            let mut current = lock(&self.shared.current);
            *current = work;
            self.shared.generation.fetch_add(1, Ordering::AcqRel);
        }
        self.shared.changed.notify_all();
    }

    /// Makes the threads look at the work again (after [`Work::set_threads`]) without
    /// restarting their counters.
    pub fn nudge(&self) {
        {
            let _current = lock(&self.shared.current);
            self.shared.generation.fetch_add(1, Ordering::AcqRel);
        }
        self.shared.changed.notify_all();
    }

    /// Hashes computed by all threads since start.
    pub fn hashes_total(&self) -> u64 {
        self.shared.hashes.load(Ordering::Relaxed)
    }

    /// Hashes computed by each thread since start, by thread index.
    pub fn thread_hashes(&self) -> Vec<u64> {
        self.shared
            .per_thread
            .iter()
            .map(|h| h.load(Ordering::Relaxed))
            .collect()
    }

    /// Stops the threads and waits for them off the async runtime.
    pub async fn shutdown(mut self) {
        self.shared.stop.cancel();
        self.shared.wake_all();
        let threads = std::mem::take(&mut self.threads);
        let joined = tokio::task::spawn_blocking(move || {
            threads.into_iter().filter_map(|t| t.join().err()).count()
        })
        .await;
        match joined {
            Ok(0) => {}
            Ok(panicked) => tracing::error!(panicked, "hashing threads panicked"),
            Err(e) => tracing::error!(error = %e, "could not wait for the hashing threads"),
        }
    }
}

impl Drop for Hasher {
    fn drop(&mut self) {
        // Threads not joined by `shutdown` still end within a batch.
        self.shared.stop.cancel();
        self.shared.wake_all();
    }
}

fn run_thread(shared: &Shared, table: &Table, index: u16) {
    let mut seen = u64::MAX;
    let mut work: Option<Arc<Work>> = None;
    let mut nonce = NonceBuf::new(0, index, 0);
    let mut exhausted = false;
    // Phase 1 of LXRHash over the OPR hash, done once per job (see `lxrhash::Prefix`).
    let mut prefix = table.prefix(&[]);
    let mut batch = Batch::default();
    while !shared.stop.is_cancelled() {
        if shared.generation.load(Ordering::Acquire) != seen {
            let previous = work.take();
            (seen, work) = shared.current();
            // The same work again (a nudge) keeps the counter: restarting would rehash.
            if let Some(w) = &work
                && !previous.is_some_and(|p| Arc::ptr_eq(&p, w))
            {
                nonce = NonceBuf::new(w.slot, index, 0);
                exhausted = false;
                prefix = table.prefix(&w.opr_hash);
            }
        }
        match &work {
            Some(w) if index < w.threads() && !exhausted => {
                let hashed = hash_batch(table, w, &prefix, &mut batch, &mut nonce, &mut exhausted);
                shared.hashes.fetch_add(hashed, Ordering::Relaxed);
                if let Some(own) = shared.per_thread.get(usize::from(index)) {
                    own.fetch_add(hashed, Ordering::Relaxed);
                }
            }
            _ => shared.wait_for_change(seen),
        }
    }
}

/// One batch's nonces and their difficulties, reused from batch to batch.
struct Batch {
    nonces: Vec<[u8; NONCE_LEN]>,
    difficulties: Vec<u64>,
}

impl Default for Batch {
    fn default() -> Batch {
        Batch {
            nonces: Vec::with_capacity(BATCH as usize),
            difficulties: vec![0; BATCH as usize],
        }
    }
}

/// Hashes up to [`BATCH`] nonces from `nonce` on, in LXRHash's lockstep batches; returns
/// how many.
fn hash_batch(
    table: &Table,
    work: &Work,
    prefix: &Prefix,
    batch: &mut Batch,
    nonce: &mut NonceBuf,
    exhausted: &mut bool,
) -> u64 {
    batch.nonces.clear();
    while batch.nonces.len() < BATCH as usize {
        batch.nonces.push(*nonce.as_bytes());
        if !nonce.advance() {
            // 2^64 nonces in one job: unreachable in practice, but never wrap into reuse.
            *exhausted = true;
            break;
        }
    }
    let n = batch.nonces.len();
    table.difficulties(prefix, &batch.nonces, &mut batch.difficulties[..n]);
    let mut threshold = work.threshold.load(Ordering::Relaxed);
    for (nonce, &difficulty) in batch.nonces.iter().zip(&batch.difficulties[..n]) {
        if difficulty >= threshold {
            work.offer(nonce, difficulty);
            threshold = work.threshold.load(Ordering::Relaxed);
        }
    }
    n as u64
}

/// A job for the miner's unit tests: block 1, the 62 V5 assets at 1, an 8-bit table.
#[cfg(test)]
pub(crate) fn test_job(minimum: u64) -> Arc<Job> {
    use pegnet_common::opr::Network;
    use pegnet_common::wire::{JobId, PROTOCOL_VERSION};
    Arc::new(Job {
        v: PROTOCOL_VERSION,
        job_id: JobId::new(1, 0),
        height: 1,
        opr_version: 5,
        chain_id: *Network::MainNet.opr_chain_id().as_bytes(),
        winners: vec![],
        assets: vec![1; 62],
        minimum_difficulty: minimum,
        lxr_bits: 8,
        issued_at_ms: 0,
        expires_at_ms: None,
        mac: [0; 32],
    })
}

#[cfg(test)]
mod tests {
    use pegnet_common::wire::Nonce;

    use super::*;

    async fn until<F: Fn() -> bool>(f: F) {
        tokio::time::timeout(Duration::from_secs(20), async {
            while !f() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("condition in time");
    }

    #[tokio::test]
    async fn threads_fill_the_best_set_in_their_slot() {
        let table = Arc::new(Table::generate(8, &mut |_| {}).unwrap());
        let hasher = Hasher::start(Arc::clone(&table), 3, CancellationToken::new()).unwrap();
        let minimum = u64::MAX / 2;
        let work = Arc::new(Work::new(test_job(minimum), [7; 32], 42, 2, 5));
        hasher.set_work(Some(Arc::clone(&work)));
        until(|| work.snapshot().1.len() == 5 && hasher.hashes_total() > 10_000).await;
        let (_, best) = work.snapshot();
        for share in &best {
            assert!(share.difficulty >= minimum);
            assert_eq!(table.difficulty(&[7; 32], &share.nonce), share.difficulty);
            let n = Nonce::parse(&share.nonce).unwrap();
            assert_eq!(n.slot, 42);
            assert!(n.thread < 2, "thread 2 is above the limit");
        }
        // A new work replaces the old at once.
        let next = Arc::new(Work::new(test_job(0), [8; 32], 43, 3, 5));
        hasher.set_work(Some(Arc::clone(&next)));
        until(|| next.snapshot().1.len() == 5).await;
        hasher.set_work(None);
        let before = hasher.hashes_total();
        hasher.shutdown().await;
        assert!(before > 0);
    }

    #[test]
    fn the_threshold_follows_the_worst_kept_share() {
        let work = Work::new(test_job(100), [0; 32], 0, 1, 2);
        work.offer(b"a", 50);
        assert_eq!(work.version(), 0);
        work.offer(b"b", 200);
        work.offer(b"c", 300);
        assert_eq!(work.threshold.load(Ordering::Relaxed), 200);
        work.offer(b"d", 250);
        assert_eq!(work.threshold.load(Ordering::Relaxed), 250);
        assert_eq!(work.version(), 3);
        assert_eq!(work.best_difficulty(), 300);
    }
}
