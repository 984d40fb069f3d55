//! Stopping the coordinator (SIGTERM, `docker-compose stop`) while it writes a block: it goes
//! on serving until the block is written, so the final batches still get their acks and the
//! chosen entries are paid for, then exits.

#![allow(clippy::unwrap_used, reason = "tests fail on any error")]

mod common;

use std::time::Duration;

use common::{Options, PAYOUT, PAYOUT_2, SECRET, System, probe, spawn_miner};

#[tokio::test]
async fn a_coordinator_stopped_in_minute_9_writes_the_block_before_it_exits() {
    let sys = System::start(Options {
        // The silent session below holds the block open this long after the stop signal.
        configure: Some(|c| c.coordinator.final_grace_ms = 3_000),
        ..Options::default()
    })
    .await;
    let miner = spawn_miner(&sys, "rig-1", "rig", PAYOUT, Some(SECRET));
    // A session that never sends a final batch: the coordinator waits for it in minute 9,
    // so the stop below lands while the block is being finalized.
    let _silent = probe::authenticate(
        &sys.miner_url,
        &sys.subjects,
        Some(SECRET),
        "silent",
        "silent",
        PAYOUT_2,
    )
    .await
    .unwrap();
    let height = sys.next_job().await;
    sys.status_until(|s| {
        s.job
            .as_ref()
            .is_some_and(|j| j.height == height && j.shares_accepted >= 10)
    })
    .await;
    assert_eq!(sys.step_to(9).await, height);
    assert!(
        !sys.coordinator
            .status
            .borrow()
            .block(height)
            .is_some_and(|b| b.done),
        "the block is still being finalized when the stop comes"
    );

    sys.coordinator_stop.cancel();
    let System {
        coordinator,
        devnet,
        nats,
        shutdown,
        ..
    } = sys;
    let status = coordinator.status.clone();
    tokio::time::timeout(Duration::from_secs(60), coordinator.wait())
        .await
        .expect("the coordinator exits once the block is written");
    let block = status.borrow().block(height).cloned().unwrap();
    assert!(block.done, "{block:?}");
    assert!(block.entries_written >= 10, "{block:?}");
    assert_eq!(block.entries_written, block.entries_chosen, "{block:?}");
    assert_eq!(block.entries_failed, 0, "{block:?}");
    let paid = devnet.node().ledger().pending_entries().len();
    assert_eq!(
        paid, block.entries_written,
        "the devnet holds each written entry once"
    );

    miner.stop().await;
    shutdown.cancel();
    drop((devnet, nats));
}
