//! The coordinator against a scripted miner: what it accepts, what it refuses and why, and
//! that only verified shares are ever written (DESIGN §5–§6).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

mod common;

use common::probe::{Probe, authenticate};
use common::{Options, PAYOUT, SECRET, System, table};
use pegnet_common::wire::{JobId, RejectReason, SessionId, ShareItem, ShareReject, Welcome};

async fn probe(sys: &System, miner: &str, payout: &str) -> Probe {
    authenticate(
        &sys.nats.url(),
        &sys.subjects,
        Some(SECRET),
        miner,
        "alice",
        payout,
    )
    .await
    .unwrap()
}

fn job_of(welcome: &Welcome) -> pegnet_common::wire::Job {
    welcome
        .job
        .clone()
        .expect("the Welcome carries the current job")
}

fn pending_hashes(sys: &System) -> Vec<String> {
    sys.devnet
        .node()
        .ledger()
        .pending_entries()
        .iter()
        .filter(|p| p.chain_id.is_some())
        .map(|p| p.entry_hash.to_string())
        .collect()
}

#[tokio::test]
async fn forged_stale_replayed_and_unauthenticated_shares_are_refused_and_never_written() {
    let sys = System::start(Options {
        per_block: 50,
        ..Options::default()
    })
    .await;
    let height = sys.next_job().await;
    let mut honest = probe(&sys, "honest", PAYOUT).await;
    let job = job_of(&honest.welcome);
    assert_eq!(job.height, height);
    let shares = honest.mine(&job, &table(), 0, 200, 4);
    assert_eq!(shares.len(), 4);

    // Honest shares are accepted; sending them again is idempotent.
    let ack = honest.send(&job.job_id, shares[..2].to_vec(), false).await;
    assert_eq!(
        (ack.accepted, ack.rejected.len(), ack.batch_error),
        (2, 0, None)
    );
    let ack = honest.send(&job.job_id, shares[..2].to_vec(), false).await;
    assert_eq!(ack.accepted, 2);

    // A forged difficulty, a nonce outside the format, a share below the minimum.
    let forged = ShareItem {
        nonce: shares[2].nonce.clone(),
        difficulty: shares[2].difficulty + 1,
    };
    let short = ShareItem {
        nonce: vec![1, 2, 3],
        difficulty: shares[3].difficulty,
    };
    let ack = honest.send(&job.job_id, vec![forged, short], false).await;
    let reasons: Vec<ShareReject> = ack.rejected.iter().map(|r| r.reason).collect();
    assert_eq!(
        reasons,
        vec![ShareReject::BadDifficulty, ShareReject::BadNonce]
    );

    // Another job's subject and id.
    let other = JobId::new(height - 1, 7);
    let batch = honest.batch(&other, shares[3..].to_vec(), false);
    let ack = honest.send_on(&other, &batch).await;
    assert_eq!(ack.batch_error, Some(ShareReject::UnknownJob));

    // A batch whose id disagrees with its subject.
    let batch = honest.batch(&other, shares[3..].to_vec(), false);
    let ack = honest.send_on(&job.job_id, &batch).await;
    assert_eq!(ack.batch_error, Some(ShareReject::Malformed));

    // A replayed batch.
    let batch = honest.batch(&job.job_id, shares[3..].to_vec(), false);
    assert_eq!(honest.send_on(&job.job_id, &batch).await.accepted, 1);
    let ack = honest.send_on(&job.job_id, &batch).await;
    assert_eq!(ack.batch_error, Some(ShareReject::Replayed));

    // A batch from a session nobody authenticated, and a tampered one.
    let mut stranger = honest.batch(&job.job_id, shares[2..3].to_vec(), false);
    stranger.session = SessionId([9; 16]);
    assert_eq!(
        honest.send_on(&job.job_id, &stranger).await.batch_error,
        Some(ShareReject::UnknownSession)
    );
    let mut tampered = honest.batch(&job.job_id, shares[2..3].to_vec(), false);
    tampered.shares[0].difficulty += 1;
    assert_eq!(
        honest.send_on(&job.job_id, &tampered).await.batch_error,
        Some(ShareReject::BadMac)
    );

    // Another miner replaying the honest miner's nonce (a slot it never held) is refused.
    let mut thief = probe(&sys, "thief", PAYOUT).await;
    let ack = thief.send(&job.job_id, shares[..1].to_vec(), false).await;
    assert_eq!(ack.rejected[0].reason, ShareReject::BadNonce);
    // The honest miner authenticating again (a reconnect that got another slot): the
    // shares it found in its old slot are still its own, and not taken twice.
    let mut again = probe(&sys, "honest", PAYOUT).await;
    assert_ne!(again.welcome.slot, honest.welcome.slot);
    let ack = again.send(&job.job_id, shares[..2].to_vec(), false).await;
    assert_eq!((ack.accepted, ack.rejected.len()), (2, 0));

    let thief_final = thief.send(&job.job_id, Vec::new(), true).await;
    assert_eq!(thief_final.batch_error, None);

    let final_ack = honest.send(&job.job_id, Vec::new(), true).await;
    assert_eq!(final_ack.batch_error, None);
    let block = sys.finish_block(height).await;
    assert_eq!(block.shares_accepted, 3);
    assert_eq!(block.entries_written, 3);
    let mut written = block.written.clone();
    written.sort();
    let mut pending = pending_hashes(&sys);
    pending.sort();
    assert_eq!(
        written, pending,
        "exactly the verified shares were revealed"
    );

    // The rejections are counted by reason.
    let metrics = sys.metrics().await;
    for reason in ["bad_difficulty", "bad_nonce", "duplicate"] {
        assert!(
            metrics.contains(&format!(
                "pegnet_coordinator_shares_rejected_total{{reason=\"{reason}\"}}"
            )),
            "{reason} counted:\n{metrics}"
        );
    }
    sys.stop().await;
}

#[tokio::test]
async fn a_wrong_secret_gets_no_session_and_is_counted() {
    let sys = System::start(Options::default()).await;
    let refused = authenticate(
        &sys.nats.url(),
        &sys.subjects,
        Some("wrong"),
        "mallory",
        "m",
        PAYOUT,
    )
    .await
    .err()
    .expect("refused");
    assert_eq!(refused.reason, RejectReason::BadProof);
    let status = sys.status_until(|_| true).await;
    assert!(status.miners.is_empty(), "no session: {:?}", status.miners);
    let metrics = sys.metrics().await;
    assert!(metrics.contains("pegnet_coordinator_auth_rejections_total{reason=\"bad_proof\"}"));
    sys.stop().await;
}
