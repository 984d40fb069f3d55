//! The miner against a fake coordinator over a real nats-server: it hashes jobs in its slot,
//! streams verifiable shares, sends the final set at minute 9 until acked, joins mid-block,
//! ignores jobs it must not hash, two miners with one identity never collide, and a miner
//! stopped mid-block hands in its best set.

#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

mod support;

use std::collections::{HashMap, HashSet};

use pegnet_common::wire::{Nonce, SessionId, ShareBatch};
use pegnet_tests::NatsServer;
use support::{Fake, Running, SECRET, TOP, config};

/// A minimum that half of all hashes miss, so the miner's filter is exercised.
const MINIMUM: u64 = u64::MAX / 2;

#[tokio::test]
async fn streams_verifiable_shares_and_retries_the_final_batch_until_acked() {
    let server = NatsServer::start().unwrap();
    let mut fake = Fake::start(&server.url(), Some(SECRET)).await;
    let miner = Running::start(config(&server.url(), "rig-1", Some(SECRET)));

    let session = fake.handshake(7, None, None).await;
    let job = fake.job(100, 0, MINIMUM);
    fake.publish_job(&job).await;

    // Streamed improvements: verifiable, in slot 7, each share sent once, seq increasing.
    let mut streamed = HashSet::new();
    let mut best_streamed = 0;
    let mut last_seq = 0;
    while streamed.len() < TOP + 2 {
        let (batch, message) = fake.next_batch().await;
        assert_eq!(batch.session, session);
        assert_eq!(batch.job_id, job.job_id);
        assert!(!batch.final_batch);
        assert!(batch.seq > last_seq, "seq strictly increases");
        last_seq = batch.seq;
        fake.check_shares(&batch);
        for share in &batch.shares {
            assert!(
                streamed.insert(share.nonce.clone()),
                "a share is streamed once"
            );
            best_streamed = best_streamed.max(share.difficulty);
        }
        fake.ack(&batch, &message, None).await;
    }

    // Minute 9 stops the job; the first final request goes unanswered, the retry is acked.
    fake.publish_minute(&fake.minute(100, 9)).await;
    let (first, _ignored) = next_final(&mut fake).await;
    let (second, message) = next_final(&mut fake).await;
    assert!(second.seq > first.seq, "a retry has a new seq");
    assert_ne!(second.mac, first.mac, "and a fresh MAC");
    assert_eq!(second.shares, first.shares, "the same final set");
    assert_eq!(second.shares.len(), TOP);
    fake.check_shares(&second);
    assert!(
        second.shares[0].difficulty >= best_streamed,
        "the best share is in the final set"
    );
    fake.ack(&second, &message, None).await;

    // Idle until the next job, which is hashed at once.
    let next = fake.job(101, 0, MINIMUM);
    fake.publish_job(&next).await;
    let (batch, _) = next_batch_skipping(&mut fake, |b| b.job_id == next.job_id).await;
    fake.check_shares(&batch);
    miner.stop().await;
}

#[tokio::test]
async fn a_miner_stopped_mid_block_hands_in_its_best_set_as_the_final_batch() {
    let server = NatsServer::start().unwrap();
    let mut fake = Fake::start(&server.url(), Some(SECRET)).await;
    let miner = Running::start(config(&server.url(), "rig-1", Some(SECRET)));
    let session = fake.handshake(7, None, None).await;
    let job = fake.job(100, 0, MINIMUM);
    fake.publish_job(&job).await;
    let mut best_streamed = 0;
    let mut streamed = 0;
    while streamed < TOP {
        let (batch, message) = fake.next_batch().await;
        streamed += batch.shares.len();
        best_streamed = batch
            .shares
            .iter()
            .fold(best_streamed, |best, s| best.max(s.difficulty));
        fake.ack(&batch, &message, None).await;
    }

    // A stop at minute 5 (a scale-down, `docker-compose down`): no minute 9 comes, yet the
    // best set goes out as the final batch, and the miner waits for its ack.
    let stopping = tokio::spawn(miner.stop());
    let (last, message) = next_final(&mut fake).await;
    assert_eq!(last.session, session);
    assert_eq!(last.job_id, job.job_id);
    assert_eq!(last.shares.len(), TOP);
    fake.check_shares(&last);
    assert!(last.shares[0].difficulty >= best_streamed);
    assert!(!stopping.is_finished(), "the miner waits for the ack");
    fake.ack(&last, &message, None).await;
    stopping.await.unwrap();
}

/// The next final batch, acking stream batches that arrive before it.
async fn next_final(fake: &mut Fake) -> (ShareBatch, async_nats::Message) {
    next_batch_skipping(fake, |b| b.final_batch).await
}

/// The next batch `wanted` accepts; others are acked and dropped.
async fn next_batch_skipping(
    fake: &mut Fake,
    wanted: impl Fn(&ShareBatch) -> bool,
) -> (ShareBatch, async_nats::Message) {
    loop {
        let (batch, message) = fake.next_batch().await;
        if wanted(&batch) {
            return (batch, message);
        }
        fake.ack(&batch, &message, None).await;
    }
}

#[tokio::test]
async fn a_miner_joining_mid_block_hashes_the_welcome_job_at_once() {
    let server = NatsServer::start().unwrap();
    let mut fake = Fake::start(&server.url(), Some(SECRET)).await;
    let miner = Running::start(config(&server.url(), "rig-late", Some(SECRET)));

    let job = fake.job(200, 3, MINIMUM);
    let minute = fake.minute(200, 5);
    let session = fake.handshake(9, Some(job.clone()), Some(minute)).await;
    // No job is published: the Welcome's is enough.
    let (batch, message) = fake.next_batch().await;
    assert_eq!(batch.session, session);
    assert_eq!(batch.job_id, job.job_id);
    fake.check_shares(&batch);
    fake.ack(&batch, &message, None).await;
    miner.stop().await;
}

#[tokio::test]
async fn jobs_for_another_table_or_with_a_bad_mac_are_ignored() {
    let server = NatsServer::start().unwrap();
    let mut fake = Fake::start(&server.url(), Some(SECRET)).await;
    let miner = Running::start(config(&server.url(), "rig-picky", Some(SECRET)));
    fake.handshake(1, None, None).await;

    // Had either of the first two been taken, the lower-height third would be stale and
    // never hashed: shares for it show that both were ignored.
    let mut other_table = fake.job(302, 0, 0);
    other_table.lxr_bits = 12;
    other_table.mac = fake.broadcast.mac_job(&other_table).unwrap();
    fake.publish_job(&other_table).await;
    let mut forged = fake.job(301, 0, 0);
    forged.mac = [1; 32];
    fake.publish_job(&forged).await;
    let good = fake.job(300, 0, 0);
    fake.publish_job(&good).await;

    let (batch, message) = fake.next_batch().await;
    assert_eq!(batch.job_id, good.job_id);
    fake.check_shares(&batch);
    fake.ack(&batch, &message, None).await;
    miner.stop().await;
}

#[tokio::test]
async fn two_miners_with_one_identity_never_produce_the_same_nonce() {
    let server = NatsServer::start().unwrap();
    let mut fake = Fake::start(&server.url(), Some(SECRET)).await;
    let a = Running::start(config(&server.url(), "rig-a", Some(SECRET)));
    let b = Running::start(config(&server.url(), "rig-b", Some(SECRET)));
    let first = fake.handshake(1, None, None).await;
    let second = fake.handshake(2, None, None).await;
    let slots = HashMap::from([(first, 1u32), (second, 2u32)]);

    let job = fake.job(400, 0, 0);
    fake.publish_job(&job).await;
    let mut nonces: HashMap<Vec<u8>, SessionId> = HashMap::new();
    let mut finals = HashSet::new();
    let mut stopped = false;
    while finals.len() < 2 {
        let (batch, message) = fake.next_batch().await;
        assert_eq!(batch.job_id, job.job_id);
        fake.check_shares(&batch);
        for share in &batch.shares {
            let nonce = Nonce::parse(&share.nonce).unwrap();
            assert_eq!(nonce.slot, slots[&batch.session]);
            let owner = *nonces.entry(share.nonce.clone()).or_insert(batch.session);
            assert_eq!(owner, batch.session, "a nonce found by both miners");
        }
        if batch.final_batch {
            finals.insert(batch.session);
        }
        fake.ack(&batch, &message, None).await;
        // Stop once both have streamed, so both send a final set.
        let sessions: HashSet<_> = nonces.values().collect();
        if !stopped && sessions.len() == 2 {
            stopped = true;
            fake.publish_minute(&fake.minute(400, 9)).await;
        }
    }
    assert_eq!(finals, HashSet::from([first, second]));
    assert!(nonces.keys().all(|n| n.len() == 14));
    a.stop().await;
    b.stop().await;
}
