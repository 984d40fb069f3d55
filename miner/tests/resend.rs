//! Nothing found is lost (DESIGN §6), against a fake coordinator over a real nats-server: a
//! stream batch that got no ack is sent again with the next one; a miner whose session the
//! coordinator forgot names that session in its new `Hello`, goes on in the slot it is given
//! back with its best set, and resends exactly what was not acked; the final batch goes out
//! even when nothing was found.

#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

mod support;

use std::collections::HashSet;

use pegnet_common::wire::{Nonce, Resume, ShareBatch, ShareReject};
use pegnet_tests::NatsServer;
use support::{Fake, Running, SECRET, WAIT, config};
use tokio::time::timeout;

/// A minimum about one hash in 2^14 beats: a few shares a second.
const RARE: u64 = u64::MAX - (u64::MAX >> 14);
/// A best set no test here fills, so no share followed drops out of it.
const KEEP_ALL: usize = 1_000;

fn nonces(batch: &ShareBatch) -> HashSet<Vec<u8>> {
    batch.shares.iter().map(|s| s.nonce.clone()).collect()
}

fn start(fake: &mut Fake, url: &str, name: &str) -> Running {
    let mut cfg = config(url, name, Some(SECRET));
    cfg.records_per_block = KEEP_ALL;
    fake.keep = KEEP_ALL;
    Running::start(cfg)
}

#[tokio::test]
async fn a_stream_batch_without_an_ack_is_sent_again_with_the_next_one() {
    let server = NatsServer::start().unwrap();
    let mut fake = Fake::start(&server.url(), Some(SECRET)).await;
    let miner = start(&mut fake, &server.url(), "rig-lossy");
    let job = fake.job(300, 0, RARE);
    let session = fake.handshake(4, Some(job), None).await;

    // The first batch is never answered: it times out at the miner.
    let (lost, _unanswered) = fake.next_batch().await;
    fake.check_shares(&lost);
    let lost_nonces = nonces(&lost);
    let mut sent_again = HashSet::new();
    let mut acked: HashSet<Vec<u8>> = HashSet::new();
    while !lost_nonces.is_subset(&sent_again) {
        let (batch, message) = fake.next_batch().await;
        assert_eq!(batch.session, session);
        fake.check_shares(&batch);
        for nonce in nonces(&batch) {
            assert!(!acked.contains(&nonce), "an acked share is not sent again");
            if lost_nonces.contains(&nonce) {
                sent_again.insert(nonce.clone());
            }
            acked.insert(nonce);
        }
        fake.ack(&batch, &message, None).await;
    }
    miner.stop().await;
}

#[tokio::test]
async fn a_returning_miner_gets_its_slot_back_keeps_its_best_set_and_resends_what_was_not_acked() {
    let server = NatsServer::start().unwrap();
    let mut fake = Fake::start(&server.url(), Some(SECRET)).await;
    let miner = start(&mut fake, &server.url(), "rig-back");
    let job = fake.job(400, 0, RARE);
    let old = fake.handshake(6, Some(job.clone()), None).await;

    // One batch acked, the next refused: the coordinator has forgotten the session.
    let (acked, message) = fake.next_batch().await;
    fake.ack(&acked, &message, None).await;
    let (refused, message) = fake.next_batch().await;
    assert_eq!(refused.session, old);
    fake.ack(&refused, &message, Some(ShareReject::UnknownSession))
        .await;

    // The new Hello names the old session and slot; the coordinator gives the slot back.
    let (hello, new) = fake.handshake_showing_hello(6, None, None).await;
    assert_eq!(
        hello.resume,
        Some(Resume {
            session: old,
            slot: 6
        })
    );

    // Under the new session: the refused shares again, never the acked ones, all in slot 6.
    let acked = nonces(&acked);
    let refused = nonces(&refused);
    let mut streamed = HashSet::new();
    while !refused.is_subset(&streamed) {
        let (batch, message) = fake.next_batch().await;
        fake.ack(&batch, &message, None).await;
        if batch.session != new {
            continue;
        }
        fake.check_shares(&batch);
        for nonce in nonces(&batch) {
            assert!(!acked.contains(&nonce), "an acked share is not sent again");
            assert_eq!(Nonce::parse(&nonce).unwrap().slot, 6);
            assert!(streamed.insert(nonce), "sent once under the session");
        }
    }

    // The final batch is the whole best set: what the old session found and the new one.
    fake.publish_minute(&fake.minute(400, 9)).await;
    let final_batch = loop {
        let (batch, message) = fake.next_batch().await;
        fake.ack(&batch, &message, None).await;
        if batch.final_batch {
            break batch;
        }
    };
    assert_eq!(final_batch.session, new);
    assert_eq!(final_batch.job_id, job.job_id);
    fake.check_shares(&final_batch);
    let all = nonces(&final_batch);
    assert!(
        acked.is_subset(&all),
        "the old session's acked shares are kept"
    );
    assert!(refused.is_subset(&all), "and its refused ones");
    assert!(streamed.is_subset(&all));
    miner.stop().await;
}

#[tokio::test]
async fn the_final_batch_goes_out_even_when_nothing_was_found() {
    let server = NatsServer::start().unwrap();
    let mut fake = Fake::start(&server.url(), Some(SECRET)).await;
    let miner = Running::start(config(&server.url(), "rig-unlucky", Some(SECRET)));
    // Nothing reaches this minimum.
    let job = fake.job(500, 0, u64::MAX);
    let session = fake.handshake(2, Some(job.clone()), None).await;
    // The stop signal once the miner hashes the job (not before it has read its Welcome).
    let mut status = miner.status.clone();
    timeout(
        WAIT,
        status.wait_for(|s| s.job_id.as_ref() == Some(&job.job_id)),
    )
    .await
    .unwrap()
    .unwrap();
    fake.publish_minute(&fake.minute(500, 9)).await;
    let (batch, message) = fake.next_batch().await;
    assert!(batch.final_batch, "the only batch is the final one");
    assert_eq!(batch.session, session);
    assert_eq!(batch.job_id, job.job_id);
    assert!(batch.shares.is_empty());
    fake.ack(&batch, &message, None).await;
    miner.stop().await;
}
