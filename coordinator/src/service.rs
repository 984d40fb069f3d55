//! The coordinator as a running service: NATS in, factomd out, one block at a time.
//!
//! One task owns the event loop (minute ticks, authentication requests, stats, finished
//! jobs); share batches are handled by their own tasks so LXRHash verification never stalls
//! the loop. The mutable state lives behind one lock held only for short, synchronous
//! steps, never across an `.await`. Per block (DESIGN §1):
//! minute 1 → build and publish the job (or skip the block, loudly); minutes 1–8 → shares;
//! minute 9 → stop signal, wait for the final batches (bounded by `FinalGraceMs`), choose by
//! policy, commit + reveal + ack before the block closes.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use async_nats::{Client, Message};
use futures_util::StreamExt;
use pegnet_common::factom::{Address, EcSigningKey};
use pegnet_common::wire::{
    Barrier, BroadcastKey, DecodeError, Hello, Job, JobId, MinerStats, MinuteEvent,
    PROTOCOL_VERSION, Proof, RejectReason, Rejected, SessionId, ShareAck, ShareBatch, ShareReject,
    Subjects, Welcome, broadcast_key, decode, encode, random_bytes,
};
use tokio::sync::{Notify, Semaphore, mpsc, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::activity::Activity;
use crate::block::{BlockJob, JobState, Jobs};
use crate::config::Settings;
use crate::factomd::{ClientOptions, FactomdPool, RetryPolicy};
use crate::fold::{Fold, MinerSample};
use crate::health::{HealthStatus, JetStream, NatsHealth, PriceHealth};
use crate::intake;
use crate::job::{Built, JobBuilder, JobContext};
use crate::metrics as names;
use crate::monitor::{self, Tick};
use crate::session::{AuthSettings, HelloAnswer, Session, Sessions};
use crate::status::{
    self, BlockStatus, HashRatePoint, JobStatus, MinerStatus, RECENT_BLOCKS, Status,
};
use crate::writer::{self, Written, now_ms};

/// Share batches verified at once; more wait (back-pressure on NATS, not memory).
const CONCURRENT_BATCHES: usize = 32;
/// Ticks and built jobs waiting for the loop.
const QUEUE: usize = 64;
/// How often JetStream is asked whether it is there, and how long it may take to say.
/// How long a stop waits for the block being written (its final batches, commits and
/// reveals): inside compose's 90 s `stop_grace_period` for the coordinator, and about the
/// length of minute 9 on a real network.
const WRITE_ON_STOP: Duration = Duration::from_secs(60);
const JETSTREAM_CHECK_INTERVAL: Duration = Duration::from_secs(15);
const JETSTREAM_CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// Why the coordinator cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("LXRHash table: {error}")]
    Table { error: String },
    #[error("Miner.ECAddress: {error}")]
    EcKey { error: String },
    #[error("Miner.FactomdLocation: {error}")]
    Factomd { error: crate::factomd::PoolError },
    #[error("{error}")]
    Build { error: crate::job::BuilderError },
    #[error("Coordinator.NatsUrl: {url}: {error}")]
    Nats { url: String, error: String },
    #[error("Coordinator.HttpAddr: cannot listen on {addr}: {error}")]
    Http {
        addr: SocketAddr,
        error: std::io::Error,
    },
    #[error("the OS random source failed: {error}")]
    Random {
        error: pegnet_common::wire::RandomError,
    },
}

/// A started coordinator.
#[derive(Debug)]
pub struct Running {
    /// The latest status snapshot.
    pub status: watch::Receiver<Status>,
    /// Where `/status` and `/metrics` are served, if they are.
    pub http_addr: Option<SocketAddr>,
    tasks: TaskTracker,
}

impl Running {
    /// Waits until every task has stopped (after the shutdown token is cancelled).
    pub async fn wait(self) {
        self.tasks.wait().await;
    }
}

/// Starts and runs until `shutdown`.
pub async fn run(settings: Settings, shutdown: CancellationToken) -> Result<(), StartError> {
    start(settings, shutdown).await?.wait().await;
    Ok(())
}

/// Everything the tasks share.
struct Service {
    settings: Settings,
    table: Arc<lxrhash::Table>,
    pool: Arc<FactomdPool>,
    nats: Client,
    subjects: Subjects,
    broadcast: BroadcastKey,
    ec_key: EcSigningKey,
    ec_public: Address,
    state: Mutex<State>,
    status: watch::Sender<Status>,
    /// Woken when a final batch is recorded.
    finals: Notify,
    /// Blocks being finalized (final batches awaited, entries written): a stop waits for
    /// them.
    writing: watch::Sender<usize>,
    builder: tokio::sync::Mutex<JobBuilder>,
    built: mpsc::Sender<Built>,
    batches: Arc<Semaphore>,
    /// Share batches received and not yet answered.
    backlog: AtomicUsize,
    nats_health: Arc<NatsHealth>,
    price_health: Arc<PriceHealth>,
    tasks: TaskTracker,
    shutdown: CancellationToken,
}

#[derive(Debug)]
struct State {
    sessions: Sessions,
    jobs: Jobs,
    height: u32,
    minute: u8,
    minute_event: Option<MinuteEvent>,
    /// The height a job was last requested for (one attempt per block).
    requested: Option<u32>,
    /// Cancelled when the job's block closes: writing stops then.
    block_end: Option<(u32, CancellationToken)>,
    blocks: VecDeque<BlockStatus>,
    stats: HashMap<SessionId, MinerStats>,
    ec_balance: Option<i64>,
    /// This run's random job-id prefix and its job count: ids unique across restarts and
    /// coordinators ([`JobId::unique`]).
    job_instance: u64,
    job_counter: u32,
    activity: Activity,
    /// Which miners have their own metric label.
    fold: Fold,
    history: VecDeque<HashRatePoint>,
    /// The height whose stop signal was seen, and when (Unix ms): hashing ended then.
    stopped: Option<(u32, u64)>,
}

impl State {
    fn block_mut(&mut self, height: u32) -> &mut BlockStatus {
        let index = match self.blocks.iter().position(|b| b.height == height) {
            Some(i) => i,
            None => {
                if self.blocks.len() == RECENT_BLOCKS {
                    self.blocks.pop_front();
                }
                self.blocks.push_back(BlockStatus {
                    height,
                    ..BlockStatus::default()
                });
                self.blocks.len() - 1
            }
        };
        &mut self.blocks[index]
    }
}

/// Starts every task and returns once the coordinator is listening.
pub async fn start(settings: Settings, shutdown: CancellationToken) -> Result<Running, StartError> {
    crate::tls::install_crypto_provider();
    if status::prometheus().is_some() {
        names::describe();
        names::init(settings.factomd_urls.len());
    }
    let table = load_table(&settings).await?;
    let ec_key = crate::walletd::ec_key(&settings.ec_key)
        .await
        .map_err(|e| StartError::EcKey {
            error: e.to_string(),
        })?;
    let options = ClientOptions {
        timeout: settings.factomd_timeout,
        ..ClientOptions::default()
    };
    let pool = FactomdPool::new(&settings.factomd_urls, &options, RetryPolicy::default())
        .map_err(|error| StartError::Factomd { error })?;
    let builder = JobBuilder::new(&settings).map_err(|error| StartError::Build { error })?;
    let nats_error = |error| StartError::Nats {
        url: settings.nats_url_for_log(),
        error,
    };
    let nats_health = Arc::new(NatsHealth::default());
    let (reconnects_tx, reconnects) = watch::channel(0u64);
    let nats = connect(
        &settings.nats_url,
        settings.nats_ca_file.as_deref(),
        Arc::clone(&nats_health),
        reconnects_tx,
    )
    .await
    .map_err(nats_error)?;
    let subs = Subscriptions::new(&nats, &settings.subjects)
        .await
        .map_err(nats_error)?;
    subscriptions_in_effect(&nats, &settings.subjects).await;
    let (status_tx, status_rx) = watch::channel(Status::default());
    let http_addr = match settings.http_addr {
        Some(addr) => Some(
            status::serve(addr, status_rx.clone(), shutdown.clone())
                .await
                .map_err(|error| StartError::Http { addr, error })?,
        ),
        None => None,
    };
    let (built_tx, built_rx) = mpsc::channel(QUEUE);
    let (tick_tx, tick_rx) = mpsc::channel(QUEUE);
    let broadcast = settings
        .secret
        .as_ref()
        .map_or_else(BroadcastKey::disabled, broadcast_key);
    let tasks = TaskTracker::new();
    let price_health = builder.price_health();
    if status::prometheus().is_some() {
        crate::price::metrics::init(builder.price_sources());
    }
    let svc = Arc::new(Service {
        subjects: settings.subjects.clone(),
        state: Mutex::new(State {
            sessions: Sessions::new(auth_settings(&settings)),
            jobs: Jobs::default(),
            height: 0,
            minute: 0,
            minute_event: None,
            requested: None,
            block_end: None,
            blocks: VecDeque::new(),
            stats: HashMap::new(),
            ec_balance: None,
            job_instance: u64::from_be_bytes(
                random_bytes::<8>().map_err(|error| StartError::Random { error })?,
            ),
            job_counter: 0,
            activity: Activity::default(),
            fold: Fold::new(settings.metrics_miner_limit),
            history: VecDeque::new(),
            stopped: None,
        }),
        table,
        pool: Arc::new(pool),
        nats,
        broadcast,
        ec_public: ec_key.public_address(),
        ec_key,
        status: status_tx,
        finals: Notify::new(),
        writing: watch::Sender::new(0),
        builder: tokio::sync::Mutex::new(builder),
        built: built_tx,
        batches: Arc::new(Semaphore::new(CONCURRENT_BATCHES)),
        backlog: AtomicUsize::new(0),
        nats_health,
        price_health,
        tasks: tasks.clone(),
        shutdown: shutdown.clone(),
        settings,
    });
    svc.publish_status();
    let monitor_svc = Arc::clone(&svc);
    tasks.spawn(async move {
        let interval = monitor_svc.settings.poll_interval;
        monitor::run(
            &monitor_svc.pool,
            interval,
            tick_tx,
            monitor_svc.shutdown.clone(),
        )
        .await;
    });
    tasks.spawn(Arc::clone(&svc).event_loop(subs, tick_rx, built_rx, reconnects));
    tasks.spawn(Arc::clone(&svc).check_jetstream());
    tasks.close();
    tracing::info!(
        network = ?svc.settings.network,
        nats = %svc.settings.nats_url_for_log(),
        factomd = ?svc.settings.factomd_urls,
        ec = %svc.ec_public,
        policy = %svc.settings.policy,
        auth = svc.settings.secret.is_some(),
        "coordinator started"
    );
    Ok(Running {
        status: status_rx,
        http_addr,
        tasks,
    })
}

async fn load_table(settings: &Settings) -> Result<Arc<lxrhash::Table>, StartError> {
    if let Some(t) = &settings.table {
        return Ok(Arc::clone(t));
    }
    let opts = lxrhash::terminal::TableOptions {
        bits: settings.lxr_bits,
        dir: settings.lxr_dir.clone(),
    };
    tokio::task::spawn_blocking(move || lxrhash::terminal::load(&opts))
        .await
        .map_err(|e| StartError::Table {
            error: e.to_string(),
        })?
        .map(Arc::new)
        .map_err(|e| StartError::Table {
            error: e.to_string(),
        })
}

fn auth_settings(s: &Settings) -> AuthSettings {
    let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    AuthSettings {
        secret: s.secret.clone(),
        challenge_ttl_ms: ms(s.challenge_ttl),
        failures_per_minute: s.auth_failures_per_minute,
        max_sessions: s.max_sessions,
        session_idle_ms: ms(s.session_idle),
        // A job lives at most one block (about 10 minutes); twice that is safely past it.
        slot_cooling_ms: 20 * 60 * 1000,
    }
}

/// Connects in the background: the coordinator starts even while NATS is down, and
/// reconnects for ever. Only a malformed URL fails here. The client's events keep
/// `health` (and the NATS metrics) current; each reconnection bumps `reconnects`.
async fn connect(
    url: &str,
    ca_file: Option<&std::path::Path>,
    health: Arc<NatsHealth>,
    reconnects: watch::Sender<u64>,
) -> Result<Client, String> {
    let reconnects = Arc::new(reconnects);
    let servers = url
        .split(',')
        .map(|u| u.trim().parse::<async_nats::ServerAddr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let mut options = async_nats::ConnectOptions::new();
    // async-nats sends no credentials from the URL (nats.rs#1623): pass them explicitly,
    // `user:password@` as a login and a bare `token@` as a token, as the Go client does.
    if let Some(server) = servers.iter().find(|s| s.username().is_some()) {
        let user = server.username().unwrap_or_default().to_owned();
        options = match server.password() {
            Some(password) => options.user_and_password(user, password.to_owned()),
            None => options.token(user),
        };
    }
    if let Some(ca) = ca_file {
        options = options.add_root_certificates(ca.to_owned());
    }
    options
        .name("pegnet-coordinator")
        .retry_on_initial_connect()
        .max_reconnects(None)
        .event_callback(move |event| {
            let health = Arc::clone(&health);
            let reconnects = Arc::clone(&reconnects);
            async move {
                match event {
                    async_nats::Event::Connected => {
                        if health.connected() {
                            metrics::counter!(names::NATS_RECONNECTS).increment(1);
                            reconnects.send_modify(|n| *n += 1);
                        }
                        metrics::gauge!(names::NATS_CONNECTED).set(1.0);
                    }
                    async_nats::Event::Disconnected | async_nats::Event::Closed => {
                        health.disconnected();
                        metrics::gauge!(names::NATS_CONNECTED).set(0.0);
                    }
                    _ => {}
                }
                tracing::info!(%event, "nats");
            }
        })
        .connect(servers)
        .await
        .map_err(|e| e.to_string())
}

/// Waits (a little) until the server has the subscriptions, so a miner that asks right
/// after start-up is answered. With NATS down this gives up and the subscriptions take
/// effect on connect.
async fn subscriptions_in_effect(nats: &Client, subjects: &Subjects) {
    let barrier = nats.request(subjects.barrier(Barrier::Coordinator), "".into());
    match tokio::time::timeout(std::time::Duration::from_secs(2), barrier).await {
        Err(_) => tracing::warn!("NATS not reachable yet; serving once it is"),
        Ok(Err(e)) if e.kind() == async_nats::RequestErrorKind::NoResponders => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "NATS barrier"),
        Ok(Ok(_)) => tracing::warn!("something answers on the coordinator's barrier subject"),
    }
}

struct Subscriptions {
    hello: async_nats::Subscriber,
    prove: async_nats::Subscriber,
    shares: async_nats::Subscriber,
    stats: async_nats::Subscriber,
}

impl Subscriptions {
    async fn new(nats: &Client, subjects: &Subjects) -> Result<Subscriptions, String> {
        let sub = async |s: String| nats.subscribe(s).await.map_err(|e| e.to_string());
        Ok(Subscriptions {
            hello: sub(subjects.auth_hello()).await?,
            prove: sub(subjects.auth_prove()).await?,
            shares: sub(subjects.shares_wildcard()).await?,
            stats: sub(subjects.stats()).await?,
        })
    }
}

impl Service {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not take authentication and intake down with it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn event_loop(
        self: Arc<Self>,
        mut subs: Subscriptions,
        mut ticks: mpsc::Receiver<Tick>,
        mut built: mpsc::Receiver<Built>,
        mut reconnects: watch::Receiver<u64>,
    ) {
        let mut housekeeping = tokio::time::interval(std::time::Duration::from_secs(5));
        let mut writing = self.writing.subscribe();
        // Set by a stop that came while a block was being written: the loop goes on serving
        // (the final batches and their acks go through it) until the block is written or
        // this deadline passes.
        let mut stopping: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
        loop {
            tokio::select! {
                () = self.shutdown.cancelled(), if stopping.is_none() => {
                    if *self.writing.borrow() == 0 {
                        break;
                    }
                    tracing::info!("stopping once the block being written is written");
                    stopping = Some(Box::pin(tokio::time::sleep(WRITE_ON_STOP)));
                }
                Ok(()) = writing.changed(), if stopping.is_some() => {
                    if *self.writing.borrow() == 0 {
                        break;
                    }
                }
                () = async { if let Some(d) = stopping.as_mut() { d.await } }, if stopping.is_some() => {
                    tracing::warn!("stopping before the block being written was written");
                    break;
                }
                Some(tick) = ticks.recv() => self.on_tick(tick).await,
                Some(b) = built.recv() => self.on_built(b).await,
                Some(m) = subs.hello.next() => self.on_hello(m).await,
                Some(m) = subs.prove.next() => self.on_prove(m).await,
                Some(m) = subs.stats.next() => self.on_stats(&m),
                Ok(()) = reconnects.changed() => self.republish().await,
                Some(m) = subs.shares.next() => {
                    self.backlog_changed(self.backlog.fetch_add(1, Ordering::Relaxed) + 1);
                    let Ok(permit) = Arc::clone(&self.batches).acquire_owned().await else { break };
                    let svc = Arc::clone(&self);
                    self.tasks.spawn(async move {
                        svc.on_shares(m).await;
                        drop(permit);
                        let left = svc.backlog.fetch_sub(1, Ordering::Relaxed).saturating_sub(1);
                        svc.backlog_changed(left);
                    });
                }
                _ = housekeeping.tick() => self.housekeeping(),
                else => break,
            }
        }
        if let Some((_, end)) = &self.lock().block_end {
            end.cancel();
        }
        if let Err(e) = self.nats.drain().await {
            tracing::warn!(error = %e, "nats drain");
        }
        tracing::info!("coordinator stopped");
    }

    /// After a reconnection: the latest minute event and the open job again, in case they
    /// were published while the connection was down (a miner that stayed connected would
    /// otherwise miss the stop signal, or the job). Both are idempotent for miners.
    async fn republish(&self) {
        let (minute, job) = {
            let st = self.lock();
            let job = st
                .jobs
                .current
                .as_ref()
                .filter(|j| j.state == JobState::Open)
                .map(|j| Arc::clone(&j.job));
            (st.minute_event.clone(), job)
        };
        if let Some(job) = job {
            self.publish_job(&job).await;
        }
        if let Some(event) = minute
            && let Ok(bytes) = encode(&event)
        {
            self.publish(self.subjects.minute_events(), bytes).await;
        }
        tracing::info!("reconnected to NATS: the minute event and the open job published again");
    }

    fn housekeeping(&self) {
        let gone = self.lock().sessions.expire(now_ms());
        for s in gone {
            tracing::info!(miner = %s.miner, slot = s.slot, "session idle; dropped");
            self.lock().stats.remove(&s.id);
        }
        {
            let mut st = self.lock();
            let st = &mut *st;
            st.activity
                .retain(st.sessions.iter().map(|s| (s.id, s.miner.as_str())));
        }
        self.publish_status();
    }

    fn backlog_changed(&self, batches: usize) {
        metrics::gauge!(names::VERIFICATION_BACKLOG).set(batches as f64);
    }

    /// Asks JetStream for the account's info now and then: up if it answers, off if the
    /// server says JetStream is not enabled, unknown without an answer.
    async fn check_jetstream(self: Arc<Self>) {
        let js = async_nats::jetstream::new(self.nats.clone());
        let mut tick = tokio::time::interval(JETSTREAM_CHECK_INTERVAL);
        while self
            .shutdown
            .run_until_cancelled(tick.tick())
            .await
            .is_some()
        {
            let state =
                match tokio::time::timeout(JETSTREAM_CHECK_TIMEOUT, js.query_account()).await {
                    Ok(Ok(_)) => JetStream::Up,
                    Ok(Err(e)) => jetstream_state(&e),
                    Err(_) => JetStream::Unknown,
                };
            if state != self.nats_health.jetstream() {
                tracing::info!(jetstream = state.as_str(), "JetStream");
            }
            self.nats_health.set_jetstream(state);
            metrics::gauge!(names::JETSTREAM_UP).set(names::flag(state == JetStream::Up));
        }
    }

    async fn publish(&self, subject: String, payload: Vec<u8>) {
        if let Err(e) = self.nats.publish(subject, payload.into()).await {
            metrics::counter!(names::PUBLISH_FAILURES).increment(1);
            tracing::warn!(error = %e, "nats publish");
        }
    }

    /// Publishes `job` on the jobs subject with its share subject as the reply subject.
    async fn publish_job(&self, job: &Job) {
        match encode(job) {
            Ok(bytes) => {
                let reply = self.subjects.shares(&job.job_id);
                if let Err(e) = self
                    .nats
                    .publish_with_reply(self.subjects.jobs(), reply, bytes.into())
                    .await
                {
                    tracing::error!(error = %e, job = %job.job_id, "job not published");
                }
            }
            Err(e) => tracing::error!(error = %e, "job does not encode"),
        }
    }

    async fn reply(&self, msg: &Message, payload: Vec<u8>) {
        match &msg.reply {
            Some(reply) => self.publish(reply.to_string(), payload).await,
            None => {
                metrics::counter!(names::REQUESTS_WITHOUT_REPLY).increment(1);
            }
        }
    }
}

// Minutes and blocks.
impl Service {
    async fn on_tick(self: &Arc<Self>, tick: Tick) {
        let mut event = MinuteEvent {
            v: PROTOCOL_VERSION,
            height: tick.height,
            minute: tick.minute,
            at_ms: now_ms(),
            mac: [0; 32],
        };
        match self.broadcast.mac_minute(&event) {
            Ok(mac) => event.mac = mac,
            Err(e) => tracing::error!(error = %e, "minute event does not encode"),
        }
        let (build, finalize) = self.advance(tick, &event);
        if let Ok(bytes) = encode(&event) {
            self.publish(self.subjects.minute_events(), bytes).await;
            metrics::gauge!(names::MINUTE_EVENT_TIMESTAMP).set(event.at_ms as f64 / 1000.0);
        }
        metrics::gauge!(names::HEIGHT).set(f64::from(tick.height));
        metrics::gauge!(names::MINUTE).set(f64::from(tick.minute));
        if build {
            let svc = Arc::clone(self);
            self.tasks
                .spawn(async move { svc.build_job(tick.height).await });
        }
        if let Some(end) = finalize {
            let svc = Arc::clone(self);
            self.writing.send_modify(|n| *n += 1);
            self.tasks.spawn(async move {
                Arc::clone(&svc).finalize(tick.height, end).await;
                svc.writing.send_modify(|n| *n -= 1);
            });
        }
        self.publish_status();
    }

    /// The state changes of a tick: whether to build a job, and whether to start closing
    /// the current one (with its block-end token).
    fn advance(&self, tick: Tick, event: &MinuteEvent) -> (bool, Option<CancellationToken>) {
        let mut st = self.lock();
        st.height = tick.height;
        st.minute = tick.minute;
        st.minute_event = Some(event.clone());
        if let Some((h, end)) = &st.block_end
            && (tick.height > *h || tick.minute >= 10)
        {
            end.cancel();
        }
        let stale = st
            .jobs
            .current
            .as_ref()
            .is_some_and(|j| j.job.height < tick.height && j.state != JobState::Closed);
        if stale && let Some(old) = st.jobs.take() {
            tracing::error!(
                height = old.job.height,
                "block ended before its stop signal; nothing written for it"
            );
            st.block_mut(old.job.height).done = true;
        }
        let build = (1..=8).contains(&tick.minute) && st.requested != Some(tick.height);
        if build {
            st.requested = Some(tick.height);
        }
        let mut finalize = None;
        if tick.minute == 9 {
            if st.stopped.is_none_or(|(h, _)| h != tick.height) {
                st.stopped = Some((tick.height, event.at_ms));
            }
            let live: Vec<_> = st.sessions.iter().map(Session::owner).collect();
            let end = st.block_end.as_ref().map(|(_, t)| t.clone());
            if let Some(job) = st.jobs.current.as_mut()
                && job.job.height == tick.height
                && job.state == JobState::Open
            {
                job.state = JobState::Closing;
                job.expected.extend(live);
                finalize = end;
            }
        }
        (build, finalize)
    }

    async fn build_job(self: Arc<Self>, height: u32) {
        let job_id = {
            let mut st = self.lock();
            st.job_counter = st.job_counter.wrapping_add(1);
            JobId::unique(height, st.job_instance, st.job_counter)
        };
        let built = {
            let mut builder = self.builder.lock().await;
            let ctx = JobContext {
                pool: &self.pool,
                table: &self.table,
                ec_public: &self.ec_public,
                broadcast: &self.broadcast,
            };
            builder.build(&ctx, height, job_id).await
        };
        if self.built.send(built).await.is_err() {
            tracing::debug!("job built after shutdown");
        }
    }

    async fn on_built(&self, built: Built) {
        let height = built.height;
        {
            let mut st = self.lock();
            if let Some(balance) = built.ec_balance {
                st.ec_balance = Some(balance);
                metrics::gauge!(names::EC_BALANCE).set(balance as f64);
            }
        }
        let job = match built.outcome {
            Ok(job) => job,
            Err(skip) => {
                metrics::counter!(names::BLOCKS_SKIPPED, "reason" => skip.kind()).increment(1);
                tracing::error!(height, reason = %skip, "block skipped: no job published");
                self.lock().block_mut(height).skipped = Some(skip.to_string());
                self.publish_status();
                return;
            }
        };
        if !self.install(&job) {
            tracing::warn!(height, "job ready too late for its block; skipped");
            self.lock().block_mut(height).skipped = Some("job ready after the stop signal".into());
            return;
        }
        self.publish_job(&job).await;
        self.log_previous_winners(&job);
        metrics::counter!(names::JOBS).increment(1);
        metrics::gauge!(names::JOB_HEIGHT).set(f64::from(height));
        tracing::info!(
            height,
            job = %job.job_id,
            minimum_difficulty = job.minimum_difficulty,
            assets = job.assets.len(),
            "job published"
        );
        self.publish_status();
    }

    /// The previous block's winners as the job carries them, and how many were ours.
    fn log_previous_winners(&self, job: &Job) {
        let winners: Vec<String> = job
            .winners
            .iter()
            .filter(|w| !w.is_empty())
            .map(hex::encode)
            .collect();
        let previous = job.height.saturating_sub(1);
        let ours = {
            let mut st = self.lock();
            let ours = st.blocks.iter().find(|b| b.height == previous).map(|b| {
                b.written
                    .iter()
                    .filter(|h| winners.iter().any(|w| h.starts_with(w.as_str())))
                    .count()
            });
            if let Some(n) = ours
                && !winners.is_empty()
            {
                st.block_mut(previous).ours = Some(n);
            }
            ours.unwrap_or(0)
        };
        metrics::gauge!(names::WINNERS_OURS).set(ours as f64);
        if winners.is_empty() {
            tracing::info!(height = previous, "previous block had no winners yet");
        } else {
            tracing::info!(
                height = previous,
                winners = winners.len(),
                ours,
                first = %winners[0],
                "previous block graded"
            );
        }
    }

    /// Makes `job` current if its block is still before the stop signal.
    fn install(&self, job: &Job) -> bool {
        let mut st = self.lock();
        if st.height != job.height || st.minute >= 9 {
            return false;
        }
        let end = CancellationToken::new();
        if let Some((_, old)) = st.block_end.replace((job.height, end)) {
            old.cancel();
        }
        let mut block = BlockJob::new(job.clone(), self.settings.max_shares_per_session);
        for session in st.sessions.iter() {
            block.hold(&session.owner(), session.slot);
        }
        st.jobs.replace(block);
        let record = st.block_mut(job.height);
        record.job_id = Some(job.job_id.to_string());
        record.minimum_difficulty = job.minimum_difficulty;
        record.previous_winners = job.winners.iter().map(hex::encode).collect();
        true
    }

    /// After the stop signal: wait for the final batches, choose, write.
    async fn finalize(self: Arc<Self>, height: u32, block_end: CancellationToken) {
        let grace = tokio::time::sleep(self.settings.final_grace);
        tokio::pin!(grace);
        loop {
            let notified = self.finals.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let done = self
                .lock()
                .jobs
                .current
                .as_ref()
                .is_none_or(|j| j.job.height != height || j.all_finals_in());
            if done {
                break;
            }
            tokio::select! {
                () = &mut notified => {}
                () = &mut grace => {
                    tracing::warn!(height, "not every miner sent its final batch in time");
                    break;
                }
                () = block_end.cancelled() => break,
            }
        }
        let (entries, shares) = {
            let mut st = self.lock();
            let Some(job) = st.jobs.current.as_mut().filter(|j| j.job.height == height) else {
                return;
            };
            job.state = JobState::Closed;
            let entries = job.choose(self.settings.policy, self.settings.records_per_block);
            let shares = job.book.len();
            let sessions: HashSet<SessionId> =
                job.book.shares().iter().map(|s| s.session).collect();
            let record = st.block_mut(height);
            record.shares_accepted = shares;
            record.entries_chosen = entries.len();
            record.sessions_with_shares = sessions.len();
            (entries, shares)
        };
        metrics::counter!(names::ENTRIES_CHOSEN).increment(entries.len() as u64);
        self.record_hash_rate(height);
        self.publish_status();
        tracing::info!(height, shares, chosen = entries.len(), policy = %self.settings.policy, "writing entries");
        let report = writer::write_entries(&self.pool, &self.ec_key, entries, &block_end).await;
        let written = report.confirmed();
        let failed = report.entries.len() - written;
        metrics::counter!(names::ENTRIES_WRITTEN).increment(written as u64);
        metrics::counter!(names::EC_SPENT).increment(report.ec_spent);
        metrics::gauge!(names::BLOCK_EC_SPENT).set(report.ec_spent as f64);
        {
            let mut st = self.lock();
            let record = st.block_mut(height);
            record.entries_written = written;
            record.entries_failed = failed;
            record.ec_spent = report.ec_spent;
            record.written = report
                .entries
                .iter()
                .filter(|(_, w)| *w == Written::Confirmed)
                .map(|(h, _)| h.to_string())
                .collect();
            record.done = true;
        }
        tracing::info!(
            height,
            written,
            failed,
            ec_spent = report.ec_spent,
            "entries written"
        );
        self.publish_status();
    }
}

// Authentication.
impl Service {
    async fn on_hello(&self, msg: Message) {
        let answer = decode::<Hello>(&msg.payload)
            .map_err(|e| rejected_for_decode(&e))
            .and_then(|hello| self.answer_hello(&hello));
        self.answer_auth(&msg, answer).await;
    }

    async fn on_prove(&self, msg: Message) {
        let answer = decode::<Proof>(&msg.payload)
            .map_err(|e| rejected_for_decode(&e))
            .and_then(|proof| self.answer_proof(&proof));
        self.answer_auth(&msg, answer).await;
    }

    /// Replies to an authentication request; a refusal is counted by reason.
    async fn answer_auth(&self, msg: &Message, answer: Result<Option<Vec<u8>>, Rejected>) {
        let bytes = match answer {
            Ok(b) => b,
            Err(r) => {
                metrics::counter!(names::AUTH_REJECTIONS, "reason" => r.reason.as_str())
                    .increment(1);
                encode(&r).ok()
            }
        };
        if let Some(bytes) = bytes {
            self.reply(msg, bytes).await;
        }
    }

    fn answer_hello(&self, hello: &Hello) -> Result<Option<Vec<u8>>, Rejected> {
        let (challenge, session) = fresh()?;
        let answer = self
            .lock()
            .sessions
            .hello(hello, now_ms(), challenge, session)
            .map_err(|r| rejected(r.reason, r.detail))?;
        match answer {
            HelloAnswer::Challenge(c) => Ok(encode(&c).ok()),
            HelloAnswer::Welcome(grant) => {
                tracing::info!(miner = %hello.miner, slot = grant.slot, "miner joined (authentication off)");
                Ok(self.welcome(grant, &hello.miner))
            }
        }
    }

    fn answer_proof(&self, proof: &Proof) -> Result<Option<Vec<u8>>, Rejected> {
        let (_, session) = fresh()?;
        let grant = self
            .lock()
            .sessions
            .prove(proof, now_ms(), session)
            .map_err(|r| {
                tracing::warn!(miner = %proof.miner, reason = r.reason.as_str(), detail = %r.detail, "authentication failed");
                rejected(r.reason, r.detail)
            })?;
        tracing::info!(miner = %proof.miner, identity = %proof.identity, slot = grant.slot, "miner authenticated");
        Ok(self.welcome(grant, &proof.miner))
    }

    fn welcome(&self, grant: crate::session::Grant, miner: &str) -> Option<Vec<u8>> {
        metrics::counter!(names::SESSIONS_OPENED).increment(1);
        let mut st = self.lock();
        if let Some(old) = grant.replaced {
            tracing::info!(%miner, slot = grant.slot, "a returning miner's new session replaces its old one");
            st.stats.remove(&old);
        }
        st.activity.joined(grant.session, miner, now_ms());
        if let Some(session) = st.sessions.get(&grant.session).map(Session::owner)
            && let Some(job) = st.jobs.current.as_mut()
        {
            job.hold(&session, grant.slot);
        }
        let job = st
            .jobs
            .current
            .as_ref()
            .filter(|j| j.state == JobState::Open)
            .map(|j| (*j.job).clone());
        let welcome = Welcome {
            v: PROTOCOL_VERSION,
            session: grant.session,
            slot: grant.slot,
            threads_max: None,
            job,
            minute: st.minute_event.clone(),
            coordinator_proof: grant.coordinator_proof,
        };
        encode(&welcome).ok()
    }
}

// Shares and stats.
impl Service {
    async fn on_shares(&self, msg: Message) {
        let Some(job_id) = self.subjects.job_of_shares_subject(&msg.subject) else {
            metrics::counter!(names::BATCHES_REJECTED, "reason" => ShareReject::Malformed.as_str())
                .increment(1);
            return;
        };
        let ack = match decode::<ShareBatch>(&msg.payload) {
            Ok(batch) => self.intake(batch, &job_id).await,
            Err(e) => {
                let reason = match e {
                    DecodeError::UnsupportedVersion { .. } => ShareReject::UnsupportedVersion,
                    _ => ShareReject::Malformed,
                };
                intake::batch_refused(job_id, 0, reason)
            }
        };
        count_ack(&ack);
        if let Ok(bytes) = encode(&ack) {
            self.reply(&msg, bytes).await;
        }
    }

    async fn intake(&self, batch: ShareBatch, job_id: &JobId) -> ShareAck {
        let seq = batch.seq;
        let admitted = {
            let mut st = self.lock();
            let st = &mut *st;
            intake::admit(&mut st.sessions, &mut st.jobs, batch, job_id, now_ms())
        };
        let mut admitted = match admitted {
            Ok(a) => a,
            Err(reason) => return intake::batch_refused(job_id.clone(), seq, reason),
        };
        if admitted.unverified() > 0 {
            let table = Arc::clone(&self.table);
            let started = Instant::now();
            let verified = tokio::task::spawn_blocking(move || {
                intake::verify(&mut admitted, &table);
                admitted
            })
            .await;
            metrics::histogram!(names::VERIFICATION_DURATION)
                .record(started.elapsed().as_secs_f64());
            admitted = match verified {
                Ok(a) => a,
                Err(e) => {
                    tracing::error!(error = %e, "share verification task failed");
                    return intake::batch_refused(job_id.clone(), seq, ShareReject::Malformed);
                }
            };
        }
        let is_final = admitted.final_batch;
        let (session, miner) = (admitted.session, admitted.miner.clone());
        let ack = {
            let mut st = self.lock();
            let ack = intake::record(&mut st.jobs, admitted);
            if ack.batch_error.is_none() {
                st.activity
                    .batch(session, &miner, ack.accepted, ack.rejected.len());
            }
            ack
        };
        if is_final {
            tracing::info!(%miner, accepted = ack.accepted, rejected = ack.rejected.len(), "final batch");
            self.finals.notify_waiters();
        }
        ack
    }

    fn on_stats(&self, msg: &Message) {
        let stats = match decode::<MinerStats>(&msg.payload) {
            Ok(s) => s,
            Err(_) => {
                metrics::counter!(names::STATS_REJECTED, "reason" => ShareReject::Malformed.as_str())
                    .increment(1);
                return;
            }
        };
        let mut st = self.lock();
        match st.sessions.check_stats(&stats, now_ms()) {
            Ok(_) => {
                st.stats.insert(stats.session, stats);
            }
            Err(reason) => {
                metrics::counter!(names::STATS_REJECTED, "reason" => reason.as_str()).increment(1);
            }
        }
    }

    fn publish_status(&self) {
        let now = now_ms();
        let snapshot = {
            let mut st = self.lock();
            let miners = miners(&st, now);
            let fleet_hash_rate = miners.iter().map(|m| m.hash_rate).sum();
            let fleet_estimated_hash_rate =
                miners.iter().filter_map(|m| m.estimated_hash_rate).sum();
            let samples = miner_samples(&st, &miners);
            let miner_series = st.fold.apply(&samples);
            Status {
                network: format!("{:?}", self.settings.network),
                height: st.height,
                minute: st.minute,
                ec_address: self.ec_public.to_string(),
                ec_balance: st.ec_balance,
                ec_blocks_left: self.ec_blocks_left(&st, &miners),
                policy: self.settings.policy.to_string(),
                job: st.jobs.current.as_ref().map(|j| JobStatus {
                    job_id: j.job.job_id.to_string(),
                    height: j.job.height,
                    opr_version: j.job.opr_version,
                    minimum_difficulty: j.job.minimum_difficulty,
                    state: j.state_name(),
                    shares_accepted: j.book.len(),
                    best_difficulty: j.book.best_difficulty(),
                }),
                miners,
                fleet_hash_rate,
                fleet_estimated_hash_rate,
                blocks: st.blocks.iter().cloned().collect(),
                hash_rate_history: st.history.iter().copied().collect(),
                health: self.health(),
                miner_series,
            }
        };
        self.export_gauges(&snapshot);
        self.status.send_replace(snapshot);
    }

    fn health(&self) -> HealthStatus {
        HealthStatus {
            factomd: self.pool.health(),
            nats: self.nats_health.state(),
            jetstream: self.nats_health.jetstream(),
            prices: self.price_health.states(),
        }
    }

    /// The gauges that summarise the snapshot.
    fn export_gauges(&self, s: &Status) {
        metrics::gauge!(names::SESSIONS).set(s.miners.len() as f64);
        metrics::gauge!(names::FLEET_HASH_RATE).set(s.fleet_hash_rate);
        metrics::gauge!(names::FLEET_ESTIMATED_HASH_RATE).set(s.fleet_estimated_hash_rate);
        metrics::gauge!(names::MINERS_FOLDED).set(s.miner_series.folded as f64);
    }

    /// Blocks the balance pays for: the most entries the policy writes in a block, at what
    /// an entry cost in the last block written (1 EC, under 1 KiB, before any).
    fn ec_blocks_left(&self, st: &State, miners: &[MinerStatus]) -> Option<u64> {
        let balance = u64::try_from(st.ec_balance?).unwrap_or(0);
        let payouts = miners
            .iter()
            .map(|m| m.payout.as_str())
            .collect::<HashSet<_>>()
            .len();
        let entries = self
            .settings
            .policy
            .entries_per_block(self.settings.records_per_block, payouts);
        let per_entry = st
            .blocks
            .iter()
            .rev()
            .find(|b| b.entries_written > 0)
            .map_or(1, |b| b.ec_spent.div_ceil(b.entries_written as u64).max(1));
        Some(balance / (entries as u64 * per_entry).max(1))
    }

    /// The fleet's reported and estimated hash rate at the stop of block `height`.
    fn record_hash_rate(&self, height: u32) {
        let now = now_ms();
        let mut st = self.lock();
        let miners = miners(&st, now);
        let point = HashRatePoint {
            height,
            reported: miners.iter().map(|m| m.hash_rate).sum(),
            estimated: miners.iter().filter_map(|m| m.estimated_hash_rate).sum(),
        };
        if st.history.len() == RECENT_BLOCKS {
            st.history.pop_front();
        }
        st.history.push_back(point);
    }
}

/// Every session, with what it reported and what its shares in the current job say.
fn miners(st: &State, now: u64) -> Vec<MinerStatus> {
    let mut difficulties: HashMap<SessionId, Vec<u64>> = HashMap::new();
    let mut job_span = None;
    if let Some(job) = &st.jobs.current {
        for share in job.book.shares() {
            difficulties
                .entry(share.session)
                .or_default()
                .push(share.difficulty);
        }
        let until = match st.stopped {
            Some((h, at)) if h == job.job.height => at,
            _ => now,
        };
        job_span = Some((job.job.issued_at_ms, until));
    }
    let mut list: Vec<MinerStatus> = st
        .sessions
        .iter()
        .map(|s| {
            let stats = st.stats.get(&s.id);
            let activity = st.activity.session(&s.id);
            let estimated_hash_rate = job_span.and_then(|(from, until)| {
                let d = difficulties.get(&s.id)?;
                st.activity.estimated_rate(&s.id, d, from, until)
            });
            MinerStatus {
                miner: s.miner.clone(),
                identity: s.identity.clone(),
                payout: s.payout.clone(),
                slot: s.slot,
                threads: stats.map_or(0, |x| x.threads),
                hash_rate: stats.map_or(0.0, |x| x.hash_rate),
                hashes_total: stats.map_or(0, |x| x.hashes_total),
                best_difficulty: stats.map_or(0, |x| x.best_difficulty),
                last_seen_ms: s.last_seen_ms,
                estimated_hash_rate,
                shares_accepted: activity.shares_accepted,
                shares_rejected: activity.shares_rejected,
            }
        })
        .collect();
    list.sort_by(|a, b| a.miner.cmp(&b.miner).then(a.slot.cmp(&b.slot)));
    list
}

/// The sessions summed per miner name, for the per-miner metrics.
fn miner_samples(st: &State, sessions: &[MinerStatus]) -> Vec<MinerSample> {
    let mut by_name: Vec<MinerSample> = Vec::new();
    for m in sessions {
        // `sessions` is sorted by name: a name's sessions are next to each other.
        if by_name.last().is_none_or(|s| s.miner != m.miner) {
            let totals = st.activity.miner(&m.miner);
            by_name.push(MinerSample {
                miner: m.miner.clone(),
                shares_accepted: totals.shares_accepted,
                shares_rejected: totals.shares_rejected,
                ..MinerSample::default()
            });
        }
        if let Some(s) = by_name.last_mut() {
            s.hash_rate += m.hash_rate;
            s.estimated_hash_rate += m.estimated_hash_rate.unwrap_or(0.0);
            s.best_difficulty = s.best_difficulty.max(m.best_difficulty);
            s.last_seen_ms = s.last_seen_ms.max(m.last_seen_ms);
        }
    }
    by_name
}

fn jetstream_state(e: &async_nats::jetstream::context::AccountError) -> JetStream {
    use async_nats::jetstream::ErrorCode;
    use async_nats::jetstream::context::AccountErrorKind;
    match e.kind() {
        AccountErrorKind::JetStreamUnavailable => JetStream::Off,
        AccountErrorKind::JetStream(err)
            if err.error_code() == ErrorCode::JETSTREAM_NOT_ENABLED
                || err.error_code() == ErrorCode::JETSTREAM_NOT_ENABLED_FOR_ACCOUNT =>
        {
            JetStream::Off
        }
        _ => JetStream::Unknown,
    }
}

fn count_ack(ack: &ShareAck) {
    metrics::counter!(names::SHARES_ACCEPTED).increment(u64::from(ack.accepted));
    for r in &ack.rejected {
        metrics::counter!(names::SHARES_REJECTED, "reason" => r.reason.as_str()).increment(1);
    }
    if let Some(reason) = ack.batch_error {
        metrics::counter!(names::BATCHES_REJECTED, "reason" => reason.as_str()).increment(1);
    }
}

fn fresh() -> Result<([u8; 32], SessionId), Rejected> {
    let challenge = random_bytes::<32>();
    let session = SessionId::random();
    match (challenge, session) {
        (Ok(c), Ok(s)) => Ok((c, s)),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "OS random source failed");
            Err(rejected(
                RejectReason::NoSlot,
                "the coordinator cannot make a challenge",
            ))
        }
    }
}

fn rejected(reason: RejectReason, detail: impl Into<String>) -> Rejected {
    Rejected {
        v: PROTOCOL_VERSION,
        reason,
        detail: detail.into(),
    }
}

fn rejected_for_decode(e: &DecodeError) -> Rejected {
    let reason = match e {
        DecodeError::UnsupportedVersion { .. } => RejectReason::UnsupportedVersion,
        _ => RejectReason::Malformed,
    };
    rejected(reason, e.to_string())
}
