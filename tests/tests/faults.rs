//! The fault suite (DESIGN §6, "Nothing found is lost", "Never pay twice"): the whole system
//! (a real nats-server, the devnet on its stepped clock, the coordinator, two real miners)
//! through the faults a fleet sees every week, with a share ledger that follows every share
//! on the broker. Each test requires every share a miner sent or held at the stop to be
//! written or outranked in its miner's best set (0 lost), every written entry to be a share
//! of the job whose difficulty recomputes (nothing forged), and the devnet's EC balance to
//! drop by exactly what the written entries cost (each paid once).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

mod common;

use std::time::Duration;

use common::ledger::{Ledger, Miners};
use common::{MinerHandle, Options, PAYOUT, SECRET, System, spawn_miner, table};
use futures_util::StreamExt as _;
use pegnet_common::factom::{EcSigningKey, Entry};
use pegnet_common::wire::{Job, MinuteEvent, decode};
use pegnet_coordinator::factomd::{ClientOptions, FactomdClient};
use pegnet_devnet::StepRequest;
use pegnet_devnet::config::DEV_EC_SECRET;

/// Both miners write this identity and payout, so the ledger knows every share's entry.
const IDENTITY: &str = "faulty";
/// The best set of [`spawn_miner`]'s miners.
const KEEP: usize = 10;

/// Every verified share written (policy `all`), so a share not written is lost.
fn options() -> Options {
    Options {
        policy: "all",
        ..Options::default()
    }
}

/// The system with every verified share written, two real miners, and the ledger.
async fn start() -> (System, Ledger, [MinerHandle; 2]) {
    start_with(options()).await
}

async fn start_with(options: Options) -> (System, Ledger, [MinerHandle; 2]) {
    let sys = System::start(options).await;
    let ledger = Ledger::follow(&sys.miner_url, &sys.subjects).await;
    let miners = [
        spawn_miner(&sys, "rig-a", IDENTITY, PAYOUT, Some(SECRET)),
        spawn_miner(&sys, "rig-b", IDENTITY, PAYOUT, Some(SECRET)),
    ];
    (sys, ledger, miners)
}

async fn ec_balance(sys: &System) -> i64 {
    let key = EcSigningKey::from_private_address(DEV_EC_SECRET).unwrap();
    FactomdClient::new(&sys.devnet.factomd_url(), ClientOptions::default())
        .unwrap()
        .entry_credit_balance(&key.public_address())
        .await
        .unwrap()
}

/// A job both miners are mining: returns its height once it has shares from both.
async fn mining(sys: &System) -> u32 {
    let height = sys.next_job().await;
    sys.status_until(|s| {
        s.job.as_ref().is_some_and(|j| j.shares_accepted >= 4)
            && s.miners.iter().filter(|m| m.shares_accepted > 0).count() == 2
    })
    .await;
    height
}

/// Ends the block at `height` (minute 9 and the write) and checks the ledger; `miners` are
/// the ones still running, whose final batches must be in.
async fn written_with_nothing_lost(
    sys: &System,
    ledger: &Ledger,
    miners: &[&MinerHandle],
    height: u32,
    ec_before: i64,
) {
    if sys.position() != (height, 9) {
        assert_eq!(sys.step_to(9).await, height);
    }
    let block = sys
        .status_until(|s| s.block(height).is_some_and(|b| b.done))
        .await
        .block(height)
        .unwrap()
        .clone();
    let written: Vec<Entry> = {
        let node = sys.devnet.node();
        let chain = node.ledger();
        block
            .written
            .iter()
            .map(|hash| chain.entry(&hash.parse().unwrap()).unwrap().clone())
            .collect()
    };
    let mut held = Vec::new();
    for miner in miners {
        let status = miner
            .until(|s| {
                s.last_final
                    .as_ref()
                    .is_some_and(|(j, _)| j.as_str().starts_with(&format!("h{height}-")))
            })
            .await;
        let (_, shares) = status.last_final.unwrap();
        assert!(!shares.is_empty(), "each miner held shares at the stop");
        held.push(shares);
    }
    let who = Miners {
        identity: IDENTITY,
        payout: PAYOUT,
        keep: KEEP,
    };
    let accounting = ledger.account(height, who, &held, &written, &table());
    assert!(accounting.lost.is_empty(), "lost: {accounting:?}");
    assert!(accounting.forged.is_empty(), "forged: {accounting:?}");
    assert_eq!(block.entries_failed, 0, "{block:?}");
    assert_eq!(block.entries_written, block.written.len());
    assert_eq!(
        ec_before - ec_balance(sys).await,
        i64::try_from(accounting.ec_cost).unwrap(),
        "each written entry paid once"
    );
}

/// The broker killed (SIGKILL) at `minute` of a block being mined, down for `outage`.
async fn broker_killed(minute: u8, outage: Duration) {
    let (mut sys, ledger, miners) = start().await;
    let height = mining(&sys).await;
    let ec_before = ec_balance(&sys).await;
    if minute > 1 {
        assert_eq!(sys.step_to(minute).await, height);
    }
    sys.nats.stop().unwrap();
    // The outage itself: how long the broker is gone is the fault under test.
    tokio::time::sleep(outage).await;
    sys.nats.start_again().unwrap();
    written_with_nothing_lost(&sys, &ledger, &[&miners[0], &miners[1]], height, ec_before).await;
    for miner in miners {
        miner.stop().await;
    }
    sys.stop().await;
}

#[tokio::test]
async fn the_broker_killed_at_minute_3_for_1_s_loses_nothing() {
    broker_killed(3, Duration::from_secs(1)).await;
}

#[tokio::test]
async fn the_broker_killed_at_minute_8_for_1_s_loses_nothing() {
    broker_killed(8, Duration::from_secs(1)).await;
}

#[tokio::test]
async fn the_broker_killed_at_minute_9_for_1_s_loses_nothing() {
    broker_killed(9, Duration::from_secs(1)).await;
}

#[tokio::test]
async fn the_broker_killed_at_minute_3_for_10_s_loses_nothing() {
    broker_killed(3, Duration::from_secs(10)).await;
}

#[tokio::test]
async fn the_broker_killed_at_minute_8_for_10_s_loses_nothing() {
    broker_killed(8, Duration::from_secs(10)).await;
}

#[tokio::test]
async fn the_broker_killed_at_minute_9_for_10_s_loses_nothing() {
    broker_killed(9, Duration::from_secs(10)).await;
}

#[tokio::test]
async fn a_miner_killed_at_minute_8_has_its_streamed_shares_written() {
    let (sys, ledger, [a, b]) = start().await;
    let height = mining(&sys).await;
    let ec_before = ec_balance(&sys).await;
    assert_eq!(sys.step_to(8).await, height);
    // Killed: no hand-in, no final batch. What it streamed must still be written.
    a.task.abort();
    written_with_nothing_lost(&sys, &ledger, &[&b], height, ec_before).await;
    b.stop().await;
    sys.stop().await;
}

#[tokio::test]
async fn a_coordinator_cut_off_from_the_broker_publishes_the_minute_and_the_open_job_again() {
    let sys = System::start(Options {
        coordinator_link: true,
        ..Options::default()
    })
    .await;
    // A miner's view of the broker: it stays connected through the coordinator's blip.
    let client = async_nats::connect(sys.nats.url()).await.unwrap();
    let mut jobs = client.subscribe(sys.subjects.jobs()).await.unwrap();
    let mut minutes = client
        .subscribe(sys.subjects.minute_events())
        .await
        .unwrap();
    pegnet_tests::server_barrier(&client, "pegnet.test.blip")
        .await
        .unwrap();
    let height = sys.next_job().await;
    let job: Job = decode(&next(&mut jobs).await.payload).unwrap();
    assert_eq!(job.height, height);
    loop {
        let event: MinuteEvent = decode(&next(&mut minutes).await.payload).unwrap();
        if (event.height, event.minute) == (height, 1) {
            break;
        }
    }

    // Cut: anything published meanwhile is gone. Back through the link, with no minute
    // stepped and no job built, the same job and minute come again.
    sys.coordinator_link.as_ref().unwrap().cut();
    let again: Job = decode(&next(&mut jobs).await.payload).unwrap();
    assert_eq!(again.job_id, job.job_id);
    let event: MinuteEvent = decode(&next(&mut minutes).await.payload).unwrap();
    assert_eq!((event.height, event.minute), (height, 1));
    assert_eq!(
        sys.status_until(|s| s.health.nats.reconnects >= 1)
            .await
            .height,
        height
    );
    sys.stop().await;
}

async fn next(sub: &mut async_nats::Subscriber) -> async_nats::Message {
    tokio::time::timeout(common::WAIT, sub.next())
        .await
        .expect("a message in time")
        .expect("the subscription is open")
}

#[tokio::test]
async fn factomd_unreachable_for_two_minutes_mid_block_the_block_is_written_and_the_next_mined() {
    let (sys, ledger, miners) = start_with(Options {
        factomd_link: true,
        ..options()
    })
    .await;
    let height = mining(&sys).await;
    let ec_before = ec_balance(&sys).await;
    assert_eq!(sys.step_to(3).await, height);

    // factomd unreachable: the coordinator says so in /status, naming what failed.
    let link = sys.factomd_link.as_ref().unwrap();
    link.close();
    let down = sys
        .status_until(|s| s.health.factomd.up == Some(false))
        .await;
    let error = down.health.factomd.last_error.clone().unwrap_or_default();
    assert!(error.contains("factomd"), "{error}");
    // Two factomd minutes pass unseen; then it is back.
    sys.devnet
        .step(StepRequest::Minutes {
            n: 2,
            pause_at_ten: false,
        })
        .await;
    link.open();
    sys.status_until(|s| s.health.factomd.up == Some(true) && (s.height, s.minute) == (height, 5))
        .await;
    written_with_nothing_lost(&sys, &ledger, &[&miners[0], &miners[1]], height, ec_before).await;

    // And the next block is mined and written.
    let next = mining(&sys).await;
    assert_eq!(next, height + 1);
    let block = sys.finish_block(next).await;
    assert!(block.entries_written > 0, "{block:?}");
    for miner in miners {
        miner.stop().await;
    }
    sys.stop().await;
}
