//! A fake coordinator for the miner's integration tests, written with the wire types: it
//! answers the handshake, publishes jobs and minute events with their MACs, and receives
//! share batches, one step at a time as each test drives it. It checks what the miner sends
//! (MACs, difficulties recomputed with the same table, nonce layout) so the tests only say
//! what should happen.

#![allow(dead_code, reason = "each test file uses a part of the support")]

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_nats::{Client, Message, Subscriber};
use futures_util::StreamExt as _;
use lxrhash::Table;
use pegnet_common::opr::{ASSETS_V5, Network};
use pegnet_common::wire::{
    BroadcastKey, Challenge, Hello, Job, JobId, MinerStats, MinuteEvent, Nonce, PROTOCOL_VERSION,
    Proof, RejectReason, Rejected, Secret, SessionId, SessionKey, ShareAck, ShareBatch,
    ShareReject, Subjects, Versioned, Welcome, broadcast_key, coordinator_proof, decode, encode,
    random_bytes, session_key, verify_miner_proof,
};
use pegnet_miner::{MinerConfig, MinerError, MinerStatus};
use pegnet_tests::server_barrier;
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;

/// Generous: every wait ends on an event; the bound only turns a hang into a failure.
pub const WAIT: Duration = Duration::from_secs(30);
pub const IDENTITY: &str = "prototype";
pub const PAYOUT: &str = "FA2jK2HcLnRdS94dEcU27rF3meoJfpUcZPSinpb7AwQvPRY6RL1Q";
pub const SECRET: &str = "correct horse battery staple";
/// The test table size: tiny, so it is generated in milliseconds.
pub const BITS: u8 = 10;
/// Hashing threads of a test miner.
pub const THREADS: u16 = 2;
/// Shares kept per block by a test miner.
pub const TOP: usize = 5;
/// A subject nobody subscribes to, for [`server_barrier`].
const BARRIER: &str = "pegnet.test.barrier";

/// The 10-bit table, generated once per test process and shared by every miner in it.
pub fn table() -> Arc<Table> {
    static TABLE: OnceLock<Arc<Table>> = OnceLock::new();
    Arc::clone(TABLE.get_or_init(|| {
        Arc::new(Table::generate(u32::from(BITS), &mut |_| {}).expect("generate the test table"))
    }))
}

/// A miner config for tests: the shared table, fast streaming, stats only when asked.
pub fn config(url: &str, name: &str, secret: Option<&str>) -> MinerConfig {
    MinerConfig {
        mining_coordinator_host: url.to_owned(),
        use_coordinator_authentication: secret.is_some(),
        coordinator_secret: secret.map(Into::into),
        miner_name: Some(name.to_owned()),
        number_of_miners: usize::from(THREADS),
        records_per_block: TOP,
        lxr_bits: u32::from(BITS),
        stream_interval_ms: 100,
        stats_interval_ms: 3_600_000,
        table: Some(table()),
        ..MinerConfig::new(IDENTITY, PAYOUT)
    }
}

/// A miner running in this process.
pub struct Running {
    shutdown: CancellationToken,
    handle: JoinHandle<Result<(), MinerError>>,
    pub status: watch::Receiver<MinerStatus>,
}

impl Running {
    pub fn start(config: MinerConfig) -> Running {
        // The miner's log, shown for a failing test (cargo captures it otherwise).
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init()
            .ok();
        let shutdown = CancellationToken::new();
        let (tx, status) = watch::channel(MinerStatus::default());
        let handle = tokio::spawn(pegnet_miner::run_with_status(config, shutdown.clone(), tx));
        Running {
            shutdown,
            handle,
            status,
        }
    }

    /// Whether `run` is still running (it must not return on its own).
    pub fn is_running(&self) -> bool {
        !self.handle.is_finished()
    }

    /// Cancels and checks that `run` returns `Ok`.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let result = timeout(WAIT, self.handle)
            .await
            .expect("the miner stops in time")
            .expect("the miner task does not panic");
        assert!(result.is_ok(), "run returned {result:?}");
    }
}

/// A session the fake coordinator opened.
#[derive(Debug, Clone)]
pub struct FakeSession {
    pub key: SessionKey,
    pub slot: u32,
    pub miner: String,
}

/// The fake coordinator.
pub struct Fake {
    pub client: Client,
    pub subjects: Subjects,
    pub secret: Option<Secret>,
    pub broadcast: BroadcastKey,
    hello: Subscriber,
    prove: Subscriber,
    shares: Subscriber,
    pub stats: Subscriber,
    /// Hellos by the challenge issued for them.
    challenges: HashMap<[u8; 32], Hello>,
    pub sessions: HashMap<SessionId, FakeSession>,
    pub jobs: HashMap<JobId, Job>,
    /// The most shares a batch may carry: the miner's best set (`TOP` unless a test keeps
    /// more).
    pub keep: usize,
}

impl Fake {
    /// Subscribes to everything a coordinator listens on; `secret` `None` is auth off.
    pub async fn start(url: &str, secret: Option<&str>) -> Fake {
        let client = async_nats::connect(url).await.expect("connect the fake");
        let subjects = Subjects::for_network(Network::MainNet);
        let subscribe = |subject: String| {
            let client = client.clone();
            async move { client.subscribe(subject).await.expect("subscribe") }
        };
        let hello = subscribe(subjects.auth_hello()).await;
        let prove = subscribe(subjects.auth_prove()).await;
        let shares = subscribe(subjects.shares_wildcard()).await;
        let stats = subscribe(subjects.stats()).await;
        server_barrier(&client, BARRIER).await.expect("barrier");
        let secret = secret.map(|s| Secret::new(s).expect("secret"));
        let broadcast = secret
            .as_ref()
            .map_or_else(BroadcastKey::disabled, broadcast_key);
        Fake {
            client,
            subjects,
            secret,
            broadcast,
            hello,
            prove,
            shares,
            stats,
            challenges: HashMap::new(),
            sessions: HashMap::new(),
            jobs: HashMap::new(),
            keep: TOP,
        }
    }

    pub async fn reply<T: Serialize + Versioned>(&self, to: &Message, value: &T) {
        let reply = to.reply.clone().expect("a request has a reply subject");
        self.client
            .publish(reply, encode(value).expect("encode").into())
            .await
            .expect("publish the reply");
        self.client.flush().await.expect("flush");
    }

    pub async fn next_hello(&mut self) -> (Hello, Message) {
        let message = next(&mut self.hello, "a Hello").await;
        (decode(&message.payload).expect("a Hello"), message)
    }

    pub async fn next_proof(&mut self) -> (Proof, Message) {
        let message = next(&mut self.prove, "a Proof").await;
        (decode(&message.payload).expect("a Proof"), message)
    }

    /// Answers a Hello with a fresh challenge.
    pub async fn challenge(&mut self, hello: Hello, message: &Message) {
        let challenge = random_bytes::<32>().expect("random");
        self.challenges.insert(challenge, hello);
        let reply = Challenge {
            v: PROTOCOL_VERSION,
            challenge,
            expires_at_ms: u64::MAX,
        };
        self.reply(message, &reply).await;
    }

    /// Checks a Proof against our secret; answers `Welcome` (returning the session) or
    /// `Rejected { bad_proof }` (returning `None`).
    pub async fn answer_proof(
        &mut self,
        proof: &Proof,
        message: &Message,
        slot: u32,
        job: Option<Job>,
        minute: Option<MinuteEvent>,
    ) -> Option<SessionId> {
        let secret = self.secret.clone().expect("auth on");
        let hello = self
            .challenges
            .remove(&proof.challenge)
            .expect("a challenge we issued");
        let ok = verify_miner_proof(
            &secret,
            &proof.challenge,
            &hello.client_nonce,
            &hello.miner,
            &hello.identity,
            &hello.payout,
            &proof.mac,
        );
        if !ok {
            let rejected = Rejected {
                v: PROTOCOL_VERSION,
                reason: RejectReason::BadProof,
                detail: "the proof does not verify".into(),
            };
            self.reply(message, &rejected).await;
            return None;
        }
        let session = SessionId::random().expect("random");
        let key = session_key(&secret, &proof.challenge, &hello.client_nonce);
        let welcome = Welcome {
            v: PROTOCOL_VERSION,
            session,
            slot,
            threads_max: None,
            job,
            minute,
            coordinator_proof: coordinator_proof(
                &secret,
                &proof.challenge,
                &hello.client_nonce,
                &session,
                slot,
            ),
        };
        self.open(session, key, slot, &hello.miner, &welcome);
        self.reply(message, &welcome).await;
        Some(session)
    }

    fn open(&mut self, session: SessionId, key: SessionKey, slot: u32, miner: &str, w: &Welcome) {
        if let Some(job) = &w.job {
            self.jobs.insert(job.job_id.clone(), job.clone());
        }
        let miner = miner.to_owned();
        self.sessions
            .insert(session, FakeSession { key, slot, miner });
    }

    /// The whole handshake with authentication on; returns the session.
    pub async fn handshake(
        &mut self,
        slot: u32,
        job: Option<Job>,
        minute: Option<MinuteEvent>,
    ) -> SessionId {
        self.handshake_showing_hello(slot, job, minute).await.1
    }

    /// [`Fake::handshake`], also returning the miner's `Hello`.
    pub async fn handshake_showing_hello(
        &mut self,
        slot: u32,
        job: Option<Job>,
        minute: Option<MinuteEvent>,
    ) -> (Hello, SessionId) {
        let (hello, message) = self.next_hello().await;
        self.challenge(hello.clone(), &message).await;
        let (proof, message) = self.next_proof().await;
        let session = self
            .answer_proof(&proof, &message, slot, job, minute)
            .await
            .expect("the miner's proof verifies");
        (hello, session)
    }

    /// Answers a Hello with `Welcome` directly, as a coordinator with authentication off.
    pub async fn welcome_without_auth(&mut self, slot: u32, job: Option<Job>) -> SessionId {
        let (hello, message) = self.next_hello().await;
        let session = SessionId::random().expect("random");
        let welcome = Welcome {
            v: PROTOCOL_VERSION,
            session,
            slot,
            threads_max: None,
            job,
            minute: None,
            coordinator_proof: [0; 32],
        };
        self.open(
            session,
            SessionKey::disabled(),
            slot,
            &hello.miner,
            &welcome,
        );
        self.reply(&message, &welcome).await;
        session
    }

    /// A job for `height` with a valid MAC (remembered, to check shares against).
    pub fn job(&mut self, height: u32, n: u32, minimum_difficulty: u64) -> Job {
        let mut job = Job {
            v: PROTOCOL_VERSION,
            job_id: JobId::new(height, n),
            height,
            opr_version: 5,
            chain_id: *Network::MainNet.opr_chain_id().as_bytes(),
            winners: vec![],
            assets: (1..=ASSETS_V5.len() as u64)
                .map(|p| p * 1_000_000)
                .collect(),
            minimum_difficulty,
            lxr_bits: BITS,
            issued_at_ms: 0,
            expires_at_ms: None,
            mac: [0; 32],
        };
        job.mac = self.broadcast.mac_job(&job).expect("mac");
        self.jobs.insert(job.job_id.clone(), job.clone());
        job
    }

    pub fn minute(&self, height: u32, minute: u8) -> MinuteEvent {
        let mut event = MinuteEvent {
            v: PROTOCOL_VERSION,
            height,
            minute,
            at_ms: 0,
            mac: [0; 32],
        };
        event.mac = self.broadcast.mac_minute(&event).expect("mac");
        event
    }

    pub async fn publish_job(&self, job: &Job) {
        self.client
            .publish_with_reply(
                self.subjects.jobs(),
                self.subjects.shares(&job.job_id),
                encode(job).expect("encode").into(),
            )
            .await
            .expect("publish the job");
        self.client.flush().await.expect("flush");
    }

    pub async fn publish_minute(&self, event: &MinuteEvent) {
        self.client
            .publish(
                self.subjects.minute_events(),
                encode(event).expect("encode").into(),
            )
            .await
            .expect("publish the minute");
        self.client.flush().await.expect("flush");
    }

    /// The next share batch, of any session we opened; its MAC is checked under that
    /// session's key and its subject against its job.
    pub async fn next_batch(&mut self) -> (ShareBatch, Message) {
        let message = next(&mut self.shares, "a share batch").await;
        let batch: ShareBatch = decode(&message.payload).expect("a ShareBatch");
        let session = self
            .sessions
            .get(&batch.session)
            .expect("a batch of a session we opened");
        assert!(session.key.verify_batch(&batch), "the batch MAC verifies");
        assert_eq!(
            message.subject.as_str(),
            self.subjects.shares(&batch.job_id)
        );
        (batch, message)
    }

    /// Answers a batch: every share accepted, or the whole batch refused with `error`.
    pub async fn ack(&self, batch: &ShareBatch, message: &Message, error: Option<ShareReject>) {
        let accepted = if error.is_some() {
            0
        } else {
            u32::try_from(batch.shares.len()).expect("fits")
        };
        let ack = ShareAck {
            v: PROTOCOL_VERSION,
            job_id: batch.job_id.clone(),
            seq: batch.seq,
            accepted,
            rejected: vec![],
            batch_error: error,
        };
        self.reply(message, &ack).await;
    }

    /// Checks every share as the real coordinator would: the difficulty recomputed with the
    /// same table for the OPR of this identity and payout, at least the minimum, and the
    /// nonce in a slot this miner was given (a best set outlives its session) and a thread
    /// the miner runs.
    pub fn check_shares(&self, batch: &ShareBatch) {
        let job = self.jobs.get(&batch.job_id).expect("a job we issued");
        let session = &self.sessions[&batch.session];
        let slots = self.slots_of(&session.miner);
        let opr_hash = job.opr_hash(IDENTITY, PAYOUT).expect("opr hash");
        assert!(!batch.shares.is_empty());
        assert!(batch.shares.len() <= self.keep);
        for share in &batch.shares {
            let nonce = Nonce::parse(&share.nonce).expect("the nonce layout");
            assert!(
                slots.contains(&nonce.slot),
                "nonce in a slot of this miner's"
            );
            assert!(nonce.thread < THREADS, "nonce of a running thread");
            assert_eq!(
                table().difficulty(&opr_hash, &share.nonce),
                share.difficulty,
                "claimed difficulty recomputes"
            );
            assert!(share.difficulty >= job.minimum_difficulty);
        }
    }

    /// Every slot given to a session of `miner`.
    pub fn slots_of(&self, miner: &str) -> Vec<u32> {
        self.sessions
            .values()
            .filter(|s| s.miner == miner)
            .map(|s| s.slot)
            .collect()
    }

    /// The next stats message.
    pub async fn next_stats(&mut self) -> MinerStats {
        let message = next(&mut self.stats, "stats").await;
        decode(&message.payload).expect("MinerStats")
    }
}

async fn next(subscriber: &mut Subscriber, what: &str) -> Message {
    timeout(WAIT, subscriber.next())
        .await
        .unwrap_or_else(|_| panic!("{what} in time"))
        .unwrap_or_else(|| panic!("subscription for {what} open"))
}
