//! The coordinator's `/metrics` against the catalogue (`METRICS.md`) and `promtool check
//! metrics`, after a real block: nats-server, the devnet on its stepped clock, the
//! coordinator, and a scripted miner (the real miner records through the same process-wide
//! recorder, so its series would mix in here; its own `/metrics` is checked by the miner's
//! tests, in its own process).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

mod common;

use common::probe::authenticate;
use common::{Options, PAYOUT, SECRET, System, table};
use pegnet_tests::catalogue::{Catalogue, catalogue_path};
use pegnet_tests::exposition::{differences, exported, promtool_check};

#[tokio::test]
async fn coordinator_metrics_are_the_catalogue_and_promtool_clean_after_a_block() {
    let sys = System::start(Options::default()).await;
    let height = sys.next_job().await;
    let mut probe = authenticate(
        &sys.nats.url(),
        &sys.subjects,
        Some(SECRET),
        "rig-1",
        "alice",
        PAYOUT,
    )
    .await
    .unwrap();
    let job = probe
        .welcome
        .job
        .clone()
        .expect("the Welcome carries the job");
    let shares = probe.mine(&job, &table(), 0, 3_000, 10);
    assert!(shares.len() >= 2, "found {} shares", shares.len());
    let ack = probe.send(&job.job_id, shares.clone(), true).await;
    assert_eq!(ack.accepted as usize, shares.len());
    let block = sys.finish_block(height).await;
    assert!(block.entries_written >= 2, "{block:?}");

    let text = sys.metrics().await;
    let (clean, printed) = promtool_check(&text);
    assert!(clean && printed.is_empty(), "promtool: {printed}\n{text}");

    let listed = Catalogue::load(&catalogue_path())
        .unwrap()
        .component("pegnet_coordinator_");
    let found = exported(&text, &[]);
    let diff = differences(&found, &listed);
    assert!(diff.is_empty(), "{diff:#?}");

    // The miner has its own series, with shares and an estimate.
    assert!(text.contains("pegnet_coordinator_miner_shares_accepted_total{miner=\"rig-1\"}"));
    let status = sys.status_until(|s| !s.miners.is_empty()).await;
    assert_eq!(status.miners[0].shares_accepted, shares.len() as u64);
    assert!(status.miners[0].estimated_hash_rate.is_some());
    assert_eq!(status.block(height).unwrap().sessions_with_shares, 1);
    sys.stop().await;
}
