//! The miner's owner task: the one place that holds the session, the current job and what
//! was streamed, and reacts to everything that arrives.
//!
//! Jobs, minute events, reconnects, task reports and two timers (stream and stats) feed one
//! `select!` loop. Work that waits on the network (authentication with its backoff, share
//! batches, stats) runs in tasks on a [`TaskTracker`], so the loop never blocks and a job
//! arriving during a 60-second authentication backoff still switches the threads at once.
//! The tasks report back through bounded channels; the current session is published to
//! them through a `watch`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::{Client, Message, Subscriber};
use futures_util::StreamExt as _;
use pegnet_common::wire::{BroadcastKey, Job, JobId, MinuteEvent, Resume, ShareItem, decode};
use tokio::sync::{mpsc, watch};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::block::{Block, Ignore, MinuteVerdict};
use crate::config::Settings;
use crate::hasher::{Hasher, Work};
use crate::metrics;
use crate::outbox::{Outbox, Outcome};
use crate::session::{Authenticator, Established, Session};
use crate::stats::{self, RateMeter, Snapshot, ThreadRates};
use crate::submit::Submitter;

/// How often the hash rate is logged at info level.
const RATE_LOG_INTERVAL: Duration = Duration::from_secs(60);
/// Reports of refused sessions waiting for the owner; one is enough to act on.
const REFUSED_CAPACITY: usize = 16;
/// Stream batch outcomes waiting for the owner. A batch goes out per stream interval, so
/// this holds many intervals' worth; a task waits for room rather than drop its outcome.
const STREAMED_CAPACITY: usize = 64;

/// How a stream batch of a job ended, for the owner's [`Outbox`].
#[derive(Debug)]
struct Streamed {
    job_id: JobId,
    batch: u64,
    outcome: Outcome,
}

/// What the miner is doing, for tests and tools that embed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MinerStatus {
    /// The current session's nonce slot, `None` while not authenticated.
    pub slot: Option<u32>,
    /// The job being hashed.
    pub job_id: Option<JobId>,
    /// Hashes since start (updated every stream interval).
    pub hashes_total: u64,
    /// Where metrics are served, once bound.
    pub metrics_addr: Option<SocketAddr>,
    /// The last final batch handed in: its job and the whole best set it carries.
    pub last_final: Option<(JobId, Vec<ShareItem>)>,
}

/// The subscriptions and signals the owner loop reads.
#[derive(Debug)]
pub struct Inputs {
    pub jobs: Subscriber,
    pub minutes: Subscriber,
    pub reconnects: watch::Receiver<u64>,
}

/// Why the owner loop ended other than by shutdown.
#[derive(Debug, thiserror::Error)]
#[error("the NATS subscription to {0} ended: the connection was closed")]
pub struct SubscriptionClosed(pub String);

/// How long a stopping miner waits for its final batch to be acked: within compose's
/// `stop_grace_period` for the miner (20 s), with room for the NATS drain after it.
const HAND_IN_TIMEOUT: Duration = Duration::from_secs(10);

/// A final batch on its way: sent and retried by its own task until acked, cancelled or the
/// block is over.
#[derive(Debug)]
struct FinalBatch {
    height: u32,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

/// The owner of the miner's state.
#[derive(Debug)]
pub struct Miner {
    settings: Arc<Settings>,
    client: Client,
    broadcast: BroadcastKey,
    authenticator: Authenticator,
    hasher: Hasher,
    block: Block,
    /// The current job and its OPR hash; hashed once a slot is known.
    job: Option<(Arc<Job>, [u8; 32])>,
    /// The latest slot granted; kept through re-authentication so hashing goes on.
    slot: Option<u32>,
    /// The last session the coordinator gave, named in the next `Hello` so that it can
    /// give the slot back.
    resume: Option<Resume>,
    threads: u16,
    outbox: Option<Outbox>,
    sessions: watch::Sender<Option<Arc<Session>>>,
    epoch: u64,
    /// The running authentication: its attempt number and cancel token.
    auth: Option<(u64, CancellationToken)>,
    attempts: u64,
    auth_tx: mpsc::Sender<(u64, Established)>,
    auth_rx: mpsc::Receiver<(u64, Established)>,
    refused_tx: mpsc::Sender<u64>,
    refused_rx: mpsc::Receiver<u64>,
    streamed_tx: mpsc::Sender<Streamed>,
    streamed_rx: mpsc::Receiver<Streamed>,
    /// The final batch being retried.
    final_batch: Option<FinalBatch>,
    tracker: TaskTracker,
    tasks: CancellationToken,
    rate: RateMeter,
    thread_rates: ThreadRates,
    rate_logged: Instant,
    status: watch::Sender<MinerStatus>,
}

impl Miner {
    /// The owner for `settings`; `tasks` ends every task it starts.
    pub fn new(
        settings: Arc<Settings>,
        client: Client,
        hasher: Hasher,
        tracker: TaskTracker,
        tasks: CancellationToken,
        status: watch::Sender<MinerStatus>,
    ) -> Miner {
        let broadcast = match &settings.secret {
            Some(secret) => pegnet_common::wire::broadcast_key(secret),
            None => BroadcastKey::disabled(),
        };
        let authenticator = Authenticator {
            client: client.clone(),
            subjects: settings.subjects.clone(),
            secret: settings.secret.clone(),
            name: settings.name.clone(),
            identity: settings.identity.clone(),
            payout: settings.payout.clone(),
        };
        let (auth_tx, auth_rx) = mpsc::channel(1);
        let (refused_tx, refused_rx) = mpsc::channel(REFUSED_CAPACITY);
        let (streamed_tx, streamed_rx) = mpsc::channel(STREAMED_CAPACITY);
        let now = Instant::now();
        Miner {
            block: Block::new(settings.lxr_bits),
            threads: settings.threads,
            settings,
            client,
            broadcast,
            authenticator,
            hasher,
            job: None,
            slot: None,
            resume: None,
            outbox: None,
            sessions: watch::Sender::new(None),
            epoch: 0,
            auth: None,
            attempts: 0,
            auth_tx,
            auth_rx,
            refused_tx,
            refused_rx,
            streamed_tx,
            streamed_rx,
            final_batch: None,
            tracker,
            tasks,
            rate: RateMeter::new(now),
            thread_rates: ThreadRates::new(now),
            rate_logged: now,
            status,
        }
    }

    /// Runs until `shutdown`; then stops the threads. The caller drains the client.
    pub async fn run(
        mut self,
        mut inputs: Inputs,
        shutdown: &CancellationToken,
    ) -> Result<(), SubscriptionClosed> {
        self.start_auth();
        let mut stream_tick = tokio::time::interval(self.settings.stream_interval);
        stream_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut stats_tick = tokio::time::interval(self.settings.stats_interval);
        stats_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut reconnects_open = true;
        let result = loop {
            tokio::select! {
                () = shutdown.cancelled() => break Ok(()),
                message = inputs.jobs.next() => match message {
                    Some(m) => self.on_job_message(&m),
                    None => break Err(SubscriptionClosed(self.settings.subjects.jobs())),
                },
                message = inputs.minutes.next() => match message {
                    Some(m) => self.on_minute_message(&m),
                    None => break Err(SubscriptionClosed(self.settings.subjects.minute_events())),
                },
                Some((attempt, established)) = self.auth_rx.recv() => {
                    self.on_established(attempt, established);
                }
                Some(epoch) = self.refused_rx.recv() => self.on_refused(epoch),
                Some(streamed) = self.streamed_rx.recv() => self.on_streamed(&streamed),
                changed = inputs.reconnects.changed(), if reconnects_open => match changed {
                    Ok(()) => {
                        tracing::info!("re-authenticating after the reconnect");
                        self.start_auth();
                    }
                    Err(_) => reconnects_open = false,
                },
                _ = stream_tick.tick() => self.stream(),
                _ = stats_tick.tick() => self.stats(),
            }
        };
        self.hand_in().await;
        self.tasks.cancel();
        self.hasher.shutdown().await;
        result
    }

    /// A stop mid-block hands in what was found: the best set of the job being hashed goes
    /// out as the final batch, and a final batch still on its way gets [`HAND_IN_TIMEOUT`] to
    /// be acked, so stopping a miner (a scale-down, `docker-compose down`) loses nothing it
    /// holds while the coordinator is up.
    async fn hand_in(&mut self) {
        if self.job.is_some() {
            tracing::info!("stopping: sending the final batch of the job being mined");
            self.stop_job(true);
        }
        let Some(batch) = self.final_batch.take() else {
            return;
        };
        if tokio::time::timeout(HAND_IN_TIMEOUT, batch.task)
            .await
            .is_err()
        {
            tracing::warn!(
                height = batch.height,
                "stopping without an ack for the final batch"
            );
        }
    }

    /// (Re)starts authentication; hashing goes on meanwhile in the last slot.
    fn start_auth(&mut self) {
        if let Some((_, cancel)) = self.auth.take() {
            cancel.cancel();
        }
        self.sessions.send_replace(None);
        self.status.send_modify(|s| s.slot = None);
        self.attempts += 1;
        let attempt = self.attempts;
        let cancel = self.tasks.child_token();
        let authenticator = self.authenticator.clone();
        let tx = self.auth_tx.clone();
        let task_cancel = cancel.clone();
        let resume = self.resume;
        self.tracker.spawn(async move {
            if let Some(established) = authenticator.authenticate(&task_cancel, resume).await {
                // Cancelled or closed only at shutdown or when a newer attempt replaced this.
                task_cancel
                    .run_until_cancelled(tx.send((attempt, established)))
                    .await;
            }
        });
        self.auth = Some((attempt, cancel));
    }

    fn on_established(&mut self, attempt: u64, established: Established) {
        if !matches!(&self.auth, Some((a, _)) if *a == attempt) {
            return;
        }
        self.auth = None;
        self.epoch += 1;
        let welcome = established.welcome;
        let threads = welcome
            .threads_max
            .map_or(self.settings.threads, |max| max.min(self.settings.threads));
        if threads == 0 {
            tracing::warn!("the coordinator allows no hashing threads; idle until it allows some");
        }
        if self.slot.is_some_and(|s| s != welcome.slot) {
            tracing::info!(
                slot = welcome.slot,
                "new nonce slot: counters restart in it; the best set found so far is kept"
            );
        }
        tracing::info!(slot = welcome.slot, session = %welcome.session, threads, "authenticated");
        self.resume = Some(Resume {
            session: welcome.session,
            slot: welcome.slot,
        });
        if let Some(outbox) = &mut self.outbox {
            outbox.new_session();
            let unanswered = outbox.unanswered();
            if unanswered > 0 {
                tracing::info!(
                    unanswered,
                    "resending the shares not acked yet under the new session"
                );
            }
        }
        metrics::authenticated();
        metrics::threads(threads);
        self.threads = threads;
        self.slot = Some(welcome.slot);
        let session = Session::new(welcome.session, established.key, self.epoch);
        self.sessions.send_replace(Some(Arc::new(session)));
        self.status.send_modify(|s| s.slot = Some(welcome.slot));
        if let Some(job) = welcome.job {
            self.offer_job(job, welcome.minute.as_ref());
        }
        self.rehash();
        if let Some(minute) = &welcome.minute {
            self.offer_minute(minute);
        }
    }

    fn on_refused(&mut self, epoch: u64) {
        if epoch == self.epoch && self.auth.is_none() {
            tracing::warn!("the coordinator no longer knows our session; re-authenticating");
            self.start_auth();
        }
    }

    fn on_job_message(&mut self, message: &Message) {
        match decode::<Job>(&message.payload) {
            Ok(job) => self.offer_job(job, None),
            Err(e) => {
                tracing::warn!(error = %e, "ignoring a job that does not decode");
                metrics::ignored("job", e.as_str());
            }
        }
    }

    fn offer_job(&mut self, job: Job, minute: Option<&MinuteEvent>) {
        if !self.broadcast.verify_job(&job) {
            tracing::warn!(job = %job.job_id, height = job.height,
                "ignoring a job whose MAC does not verify: its sender does not hold Miner.CoordinatorSecret");
            metrics::ignored("job", "bad_mac");
            return;
        }
        self.end_finals_before(job.height);
        let opr_hash = match job.opr_hash(&self.settings.identity, &self.settings.payout) {
            Ok(hash) => hash,
            Err(e) => {
                tracing::error!(job = %job.job_id, error = %e, "ignoring a job that cannot make an OPR");
                metrics::ignored("job", "bad_job");
                return;
            }
        };
        match self.block.on_job(&job, minute) {
            Ok(()) => self.start_job(job, opr_hash),
            Err(Ignore::Same) => {}
            Err(reason) => log_ignored_job(&job, reason, self.settings.lxr_bits),
        }
    }

    fn start_job(&mut self, job: Job, opr_hash: [u8; 32]) {
        tracing::info!(height = job.height, job = %job.job_id,
            minimum_difficulty = job.minimum_difficulty, "job received");
        metrics::job_received(job.height);
        // Shares of a re-issued job of the same block are still worth sending.
        if let Some(old) = self.outbox.take()
            && old.work().job.height == job.height
        {
            self.flush(old);
        }
        self.status
            .send_modify(|s| s.job_id = Some(job.job_id.clone()));
        self.job = Some((Arc::new(job), opr_hash));
        self.rehash();
    }

    /// Makes the threads hash the current job in the current slot, with the allowed
    /// threads; keeps their counters when only the thread count changed.
    fn rehash(&mut self) {
        let Some((job, opr_hash)) = &self.job else {
            return;
        };
        let Some(slot) = self.slot else {
            return;
        };
        let same_job = self
            .outbox
            .as_ref()
            .filter(|o| o.work().job.job_id == job.job_id);
        if let Some(work) = same_job.map(Outbox::work)
            && work.slot == slot
        {
            if work.threads() != self.threads {
                work.set_threads(self.threads);
                self.hasher.nudge();
            }
            return;
        }
        let work = Arc::new(Work::new(
            Arc::clone(job),
            *opr_hash,
            slot,
            self.threads,
            self.settings.records_per_block,
        ));
        match &mut self.outbox {
            // The same job in another slot: the shares found keep their worth.
            Some(outbox) if outbox.work().job.job_id == job.job_id => {
                outbox.move_to(Arc::clone(&work));
            }
            outbox => *outbox = Some(Outbox::new(Arc::clone(&work))),
        }
        self.hasher.set_work(Some(work));
    }

    fn on_minute_message(&mut self, message: &Message) {
        match decode::<MinuteEvent>(&message.payload) {
            Ok(event) => self.offer_minute(&event),
            Err(e) => {
                tracing::warn!(error = %e, "ignoring a minute event that does not decode");
                metrics::ignored("minute", e.as_str());
            }
        }
    }

    fn offer_minute(&mut self, event: &MinuteEvent) {
        if !self.broadcast.verify_minute(event) {
            tracing::warn!(
                height = event.height,
                minute = event.minute,
                "ignoring a minute event whose MAC does not verify"
            );
            metrics::ignored("minute", "bad_mac");
            return;
        }
        tracing::debug!(height = event.height, minute = event.minute, "minute");
        self.end_finals_before(event.height);
        match self.block.on_minute(event) {
            MinuteVerdict::Continue => {}
            MinuteVerdict::Stop => {
                tracing::info!(
                    height = event.height,
                    "stop signal: sending the final batch"
                );
                self.stop_job(true);
            }
            MinuteVerdict::Abandon => {
                tracing::warn!(
                    height = event.height,
                    "a later block began before the stop signal; dropping the old job"
                );
                self.stop_job(false);
            }
        }
    }

    fn stop_job(&mut self, send_final: bool) {
        self.job = None;
        self.hasher.set_work(None);
        self.status.send_modify(|s| s.job_id = None);
        let Some(outbox) = self.outbox.take() else {
            return;
        };
        let shares = outbox.all();
        if !send_final {
            return;
        }
        if shares.is_empty() {
            tracing::info!(
                "no share reached the minimum difficulty; the final batch says so (empty)"
            );
        }
        if let Some(old) = self.final_batch.take() {
            old.cancel.cancel();
        }
        let submitter = self.submitter(&outbox.work().job);
        let last_final = Some((submitter.job_id.clone(), shares.clone()));
        self.status.send_modify(|s| s.last_final = last_final);
        let height = submitter.height;
        let cancel = self.tasks.child_token();
        let task_cancel = cancel.clone();
        let sessions = self.sessions.subscribe();
        let task = self.tracker.spawn(async move {
            submitter.send_final(sessions, shares, &task_cancel).await;
        });
        self.final_batch = Some(FinalBatch {
            height,
            cancel,
            task,
        });
    }

    /// Ends a final batch still being retried for a block before `height`: that block is
    /// over.
    fn end_finals_before(&mut self, height: u32) {
        if let Some(batch) = &self.final_batch
            && batch.height < height
        {
            batch.cancel.cancel();
            self.final_batch = None;
        }
    }

    fn submitter(&self, job: &Job) -> Submitter {
        Submitter {
            client: self.client.clone(),
            subject: self.settings.subjects.shares(&job.job_id),
            job_id: job.job_id.clone(),
            height: job.height,
            refused: self.refused_tx.clone(),
        }
    }

    /// Streams what the best set gained since the last time.
    fn stream(&mut self) {
        let hashes_total = self.hasher.hashes_total();
        metrics::hashes(hashes_total);
        self.status.send_modify(|s| s.hashes_total = hashes_total);
        let Some(session) = self.sessions.borrow().clone() else {
            return;
        };
        let Some(outbox) = &mut self.outbox else {
            return;
        };
        let work = Arc::clone(outbox.work());
        metrics::best_difficulty(work.best_difficulty());
        let Some((batch, shares)) = outbox.next_batch() else {
            return;
        };
        let submitter = self.submitter(&work.job);
        self.spawn_stream(submitter, session, batch, shares);
    }

    /// Streams the unsent shares of a job being replaced (its outcome finds no outbox: a
    /// re-issued job's final batch is the new job's).
    fn flush(&mut self, mut old: Outbox) {
        let Some(session) = self.sessions.borrow().clone() else {
            return;
        };
        if let Some((batch, shares)) = old.next_batch() {
            let submitter = self.submitter(&old.work().job);
            self.spawn_stream(submitter, session, batch, shares);
        }
    }

    fn spawn_stream(
        &self,
        submitter: Submitter,
        session: Arc<Session>,
        batch: u64,
        shares: Vec<ShareItem>,
    ) {
        let cancel = self.tasks.clone();
        let report = self.streamed_tx.clone();
        self.tracker.spawn(async move {
            cancel
                .run_until_cancelled(async {
                    let outcome = submitter.stream(&session, &shares).await;
                    let streamed = Streamed {
                        job_id: submitter.job_id,
                        batch,
                        outcome,
                    };
                    // Closed only when the owner is gone.
                    report.send(streamed).await.ok();
                })
                .await;
        });
    }

    /// A stream batch's outcome: answered shares are done, lost ones go with the next batch.
    fn on_streamed(&mut self, streamed: &Streamed) {
        if let Some(outbox) = &mut self.outbox
            && outbox.work().job.job_id == streamed.job_id
        {
            outbox.answered(streamed.batch, &streamed.outcome);
        }
    }

    /// Measures the hash rate and publishes `MinerStats`.
    fn stats(&mut self) {
        let now = Instant::now();
        let hashes_total = self.hasher.hashes_total();
        let hash_rate = self.rate.sample(hashes_total, now);
        metrics::hash_rate(hash_rate);
        let per_thread = self.thread_rates.sample(&self.hasher.thread_hashes(), now);
        for (thread, rate) in per_thread.into_iter().enumerate() {
            metrics::thread_hash_rate(thread, rate);
        }
        if now.duration_since(self.rate_logged) >= RATE_LOG_INTERVAL {
            self.rate_logged = now;
            tracing::info!(hash_rate = hash_rate.round(), hashes_total, "hash rate");
        }
        let Some(session) = self.sessions.borrow().clone() else {
            return;
        };
        let work = self.outbox.as_ref().map(Outbox::work);
        let snapshot = Snapshot {
            height: self.block.current().map_or(0, |(_, h)| *h),
            hashes_total,
            hash_rate,
            best_difficulty: work.map_or(0, |w| w.best_difficulty()),
            threads: if work.is_some() { self.threads } else { 0 },
        };
        let message = match stats::message(&session, &self.settings.name, snapshot)
            .and_then(|m| pegnet_common::wire::encode(&m))
        {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::error!(error = %e, "cannot encode the stats");
                return;
            }
        };
        let client = self.client.clone();
        let subject = self.settings.subjects.stats();
        let cancel = self.tasks.clone();
        self.tracker.spawn(async move {
            let publish =
                tokio::time::timeout(PUBLISH_TIMEOUT, client.publish(subject, message.into()));
            match cancel.run_until_cancelled(publish).await {
                Some(Ok(Err(e))) => tracing::warn!(error = %e, "stats not published"),
                Some(Err(_)) => tracing::warn!("stats not published: the client is stalled"),
                Some(Ok(Ok(()))) | None => {}
            }
        });
    }
}

/// How long publishing stats may wait for room in the client's buffer.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(2);

fn log_ignored_job(job: &Job, reason: Ignore, lxr_bits: u32) {
    match reason {
        Ignore::LxrBits => tracing::error!(
            job = %job.job_id, job_lxr_bits = job.lxr_bits, our_lxr_bits = lxr_bits,
            "ignoring a job for another LXR table size: the coordinator verifies with {} bits, this miner hashes with {lxr_bits} (Miner.LxrBits)",
            job.lxr_bits
        ),
        Ignore::Stale | Ignore::Stopped | Ignore::Same => tracing::info!(
            job = %job.job_id, height = job.height, reason = reason.as_str(), "ignoring a job"
        ),
    }
    metrics::ignored("job", reason.as_str());
}
