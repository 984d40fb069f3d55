//! Authentication against a fake coordinator over a real nats-server: a wrong secret is
//! retried with backoff (never a hot loop, never an exit), authentication off works, a
//! coordinator configured the other way round is not mined for, and the miner
//! re-authenticates when the coordinator forgets its session or the broker restarts.

#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use pegnet_common::wire::{JobId, Nonce, Resume, ShareReject};
use pegnet_tests::NatsServer;
use support::{Fake, Running, SECRET, config};

/// The miner's first retry delay after a failed authentication.
const BACKOFF_INITIAL: Duration = Duration::from_secs(1);

#[tokio::test]
async fn a_wrong_secret_is_retried_with_growing_backoff() {
    let server = NatsServer::start().unwrap();
    let mut fake = Fake::start(&server.url(), Some(SECRET)).await;
    let miner = Running::start(config(
        &server.url(),
        "rig-wrong",
        Some("not the secret, though long enough"),
    ));

    let mut rejected_at: Option<Instant> = None;
    let mut floor = BACKOFF_INITIAL;
    for attempt in 0..3 {
        let (hello, message) = fake.next_hello().await;
        if let Some(at) = rejected_at {
            // A lower bound only: the retry never comes sooner than the backoff.
            let gap = at.elapsed();
            assert!(
                gap >= floor,
                "attempt {attempt} came {gap:?} after the refusal"
            );
            floor *= 2;
        }
        fake.challenge(hello, &message).await;
        let (proof, message) = fake.next_proof().await;
        let session = fake.answer_proof(&proof, &message, 1, None, None).await;
        assert!(session.is_none(), "the wrong secret's proof is refused");
        rejected_at = Some(Instant::now());
    }
    assert!(
        miner.is_running(),
        "a refused miner keeps trying, it does not exit"
    );
    miner.stop().await;
}

#[tokio::test]
async fn with_authentication_off_jobs_and_batches_carry_no_mac() {
    let server = NatsServer::start().unwrap();
    let mut fake = Fake::start(&server.url(), None).await;
    let miner = Running::start(config(&server.url(), "rig-open", None));

    let job = fake.job(500, 0, 0);
    assert_eq!(job.mac, [0; 32]);
    let session = fake.welcome_without_auth(4, Some(job.clone())).await;
    let (batch, message) = fake.next_batch().await;
    assert_eq!(batch.session, session);
    assert_eq!(batch.job_id, job.job_id);
    assert_eq!(batch.mac, [0; 32]);
    fake.check_shares(&batch);
    fake.ack(&batch, &message, None).await;
    miner.stop().await;
}

#[tokio::test]
async fn a_coordinator_without_authentication_is_not_mined_for() {
    let server = NatsServer::start().unwrap();
    let mut fake = Fake::start(&server.url(), None).await;
    let miner = Running::start(config(&server.url(), "rig-strict", Some(SECRET)));

    let job = fake.job(600, 0, 0);
    fake.welcome_without_auth(4, Some(job)).await;
    let refused_at = Instant::now();
    // Had the miner accepted that Welcome it would not say Hello again.
    let (hello, _) = fake.next_hello().await;
    assert!(refused_at.elapsed() >= BACKOFF_INITIAL);
    assert_eq!(hello.miner, "rig-strict");
    miner.stop().await;
}

/// A minimum about one hash in 2^14 beats: a few shares a second, so batches stay small.
const RARE: u64 = u64::MAX - (u64::MAX >> 14);
/// A best set no test here fills.
const KEEP_ALL: usize = 1_000;

#[tokio::test]
async fn an_unknown_session_ack_makes_the_miner_authenticate_again() {
    let server = NatsServer::start().unwrap();
    let mut fake = Fake::start(&server.url(), Some(SECRET)).await;
    // A best set that keeps everything found here, so none of the shares followed drops out.
    let mut cfg = config(&server.url(), "rig-forgotten", Some(SECRET));
    cfg.records_per_block = KEEP_ALL;
    fake.keep = KEEP_ALL;
    let miner = Running::start(cfg);

    let job = fake.job(700, 0, RARE);
    let old = fake.handshake(1, Some(job.clone()), None).await;
    let (refused, message) = fake.next_batch().await;
    assert_eq!(refused.session, old);
    fake.ack(&refused, &message, Some(ShareReject::UnknownSession))
        .await;

    // A new session, given another slot: hashing goes on there, seq starting afresh, and
    // the refused shares (found in slot 1) are sent again under it.
    let (hello, new) = fake.handshake_showing_hello(2, None, None).await;
    assert_eq!(
        hello.resume,
        Some(Resume {
            session: old,
            slot: 1
        }),
        "the Hello names the session it held"
    );

    let mut resent = HashSet::new();
    let mut first_seq = None;
    let mut in_new_slot = false;
    while !(in_new_slot && refused.shares.iter().all(|s| resent.contains(&s.nonce))) {
        let (batch, message) = fake.next_batch().await;
        fake.ack(&batch, &message, None).await;
        if batch.session != new {
            continue;
        }
        first_seq.get_or_insert(batch.seq);
        fake.check_shares(&batch);
        for share in batch.shares {
            in_new_slot |= Nonce::parse(&share.nonce).unwrap().slot == 2;
            assert!(
                resent.insert(share.nonce),
                "each share sent once under the session"
            );
        }
    }
    assert_eq!(
        first_seq,
        Some(1),
        "seq restarts with the session (stats are off)"
    );
    miner.stop().await;
}

#[tokio::test]
async fn after_a_broker_restart_the_miner_authenticates_again_and_keeps_hashing() {
    let mut server = NatsServer::start().unwrap();
    let mut fake = Fake::start(&server.url(), Some(SECRET)).await;
    let miner = Running::start(config(&server.url(), "rig-steady", Some(SECRET)));

    let job = fake.job(800, 0, 0);
    fake.handshake(1, Some(job.clone()), None).await;
    let (batch, message) = fake.next_batch().await;
    fake.ack(&batch, &message, None).await;

    server.restart().unwrap();
    // Our own subscriptions come back with our reconnect; the miner's Hello may come
    // before that, and is then retried.
    let new = fake.handshake(3, None, None).await;
    let batch = loop {
        let (batch, message) = fake.next_batch().await;
        fake.ack(&batch, &message, None).await;
        if batch.session == new {
            break batch;
        }
    };
    // The job was not published again: the miner kept it through the reconnect.
    assert_eq!(batch.job_id, JobId::new(800, 0));
    fake.check_shares(&batch);
    miner.stop().await;
}

#[tokio::test]
async fn stats_are_published_under_the_session() {
    let server = NatsServer::start().unwrap();
    let mut fake = Fake::start(&server.url(), Some(SECRET)).await;
    let mut cfg = config(&server.url(), "rig-stats", Some(SECRET));
    cfg.stats_interval_ms = 100;
    let miner = Running::start(cfg);
    let job = fake.job(900, 0, 0);
    let session = fake.handshake(5, Some(job), None).await;
    let key = fake.sessions[&session].key.clone();
    let stats = loop {
        let stats = fake.next_stats().await;
        if stats.hashes_total > 0 && stats.height == 900 {
            break stats;
        }
    };
    assert!(key.verify_stats(&stats));
    assert_eq!(stats.session, session);
    assert_eq!(stats.miner, "rig-stats");
    assert_eq!(stats.threads, support::THREADS);
    miner.stop().await;
}
