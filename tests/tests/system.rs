//! The whole system: real miners, the coordinator and the devnet over a real nats-server,
//! on the devnet's stepped clock (the acceptance of the network-mining issue).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

mod common;

use std::collections::{HashMap, HashSet};

use common::{
    Options, PAYOUT, PAYOUT_2, SECRET, System, one_miner_fills_the_block, saved_oprs, spawn_miner,
    table,
};
use futures_util::StreamExt;
use pegnet_common::opr::{ShortHash, Verify, grade};
use pegnet_common::wire::{Nonce, ShareBatch, decode};

const PAYOUT_3: &str = "FA36qwsuGueUvcG54d48cZB8Usoc8QPwhUPnVLTFWhds8h1VG86y";

fn winners_of(hex_list: &[String]) -> Vec<Option<ShortHash>> {
    hex_list
        .iter()
        .map(|h| (!h.is_empty()).then(|| hex::decode(h).unwrap().try_into().unwrap()))
        .collect()
}

#[tokio::test]
async fn three_miners_write_valid_records_for_three_blocks() {
    let sys = System::start(Options::default()).await;
    let fleet = [
        ("a", "alpha", PAYOUT),
        ("b", "beta", PAYOUT_2),
        ("c", "gamma", PAYOUT_3),
    ];
    let miners: Vec<_> = fleet
        .iter()
        .map(|(name, id, payout)| spawn_miner(&sys, name, id, payout, Some(SECRET)))
        .collect();
    let mut slot_of: HashMap<&str, u32> = HashMap::new();
    for (m, (_, id, _)) in miners.iter().zip(&fleet) {
        slot_of.insert(id, m.until(|s| s.slot.is_some()).await.slot.unwrap());
    }
    let payout_of: HashMap<&str, &str> = fleet.iter().map(|(_, id, p)| (*id, *p)).collect();
    let mut previous: Option<Vec<Option<ShortHash>>> = None;
    for _ in 0..3 {
        let height = sys.next_job().await;
        // Every miner has streamed its best 10 before the stop signal.
        sys.status_until(|s| {
            s.job
                .as_ref()
                .is_some_and(|j| j.height == height && j.shares_accepted >= 30)
        })
        .await;
        let block = sys.finish_block(height).await;
        assert_eq!(
            block.entries_written, 25,
            "top 25 of {} shares",
            block.shares_accepted
        );
        sys.step_to(0).await;
        let entries = saved_oprs(&sys, height).await;
        assert_eq!(entries.len(), 25, "block {height} holds what was written");
        let prev = previous
            .take()
            .unwrap_or_else(|| winners_of(&block.previous_winners));
        let graded = grade(5, height, &entries, &prev, Verify::Lxr(&table())).unwrap();
        assert!(
            graded.invalid.is_empty(),
            "block {height}: {:?}",
            graded.invalid
        );
        assert_eq!(graded.graded.len(), 25, "every record honest");
        for r in &graded.graded {
            let c = &r.record.content;
            assert_eq!(
                payout_of.get(c.id.as_str()),
                Some(&c.address.as_str()),
                "{}",
                c.id
            );
            // Found by that miner: the nonce is in its slot.
            let slot = Nonce::parse(&r.record.nonce).unwrap().slot;
            assert_eq!(slot_of.get(c.id.as_str()), Some(&slot), "{}", c.id);
            assert!(r.record.self_reported_difficulty >= block.minimum_difficulty);
        }
        previous = Some(graded.winners.clone());
    }
    // The coordinator graded the last block to the same winners (they are in its next job).
    let next = sys.next_job().await;
    let status = sys.status_until(|_| true).await;
    let job_winners = winners_of(&status.block(next).unwrap().previous_winners);
    assert_eq!(Some(job_winners), previous);
    for m in miners {
        m.stop().await;
    }
    sys.stop().await;
}

#[tokio::test]
async fn two_miners_with_one_identity_never_share_a_nonce_and_both_add_hashes() {
    let sys = System::start(Options::default()).await;
    let snoop = async_nats::connect(sys.nats.url()).await.unwrap();
    let mut batches = snoop
        .subscribe(sys.subjects.shares_wildcard())
        .await
        .unwrap();
    pegnet_tests::server_barrier(&snoop, "pegnet.test.barrier")
        .await
        .unwrap();
    let one = spawn_miner(&sys, "twin-1", "twin", PAYOUT, Some(SECRET));
    let two = spawn_miner(&sys, "twin-2", "twin", PAYOUT, Some(SECRET));
    let slot_one = one.until(|s| s.slot.is_some()).await.slot;
    let slot_two = two.until(|s| s.slot.is_some()).await.slot;
    assert_ne!(slot_one, slot_two);
    let height = sys.next_job().await;
    let start = (
        one.status.borrow().hashes_total,
        two.status.borrow().hashes_total,
    );
    one.until(|s| s.hashes_total >= start.0 + 20_000).await;
    two.until(|s| s.hashes_total >= start.1 + 20_000).await;
    let block = sys.finish_block(height).await;
    assert!(block.entries_written > 0);

    // Every nonce either sent carries its own session's slot, and no nonce is sent by both.
    let mut by_session: HashMap<_, HashSet<Vec<u8>>> = HashMap::new();
    while let Ok(Some(m)) =
        tokio::time::timeout(std::time::Duration::from_millis(200), batches.next()).await
    {
        let batch: ShareBatch = decode(&m.payload).unwrap();
        let set = by_session.entry(batch.session).or_default();
        for s in batch.shares {
            set.insert(s.nonce);
        }
    }
    assert_eq!(by_session.len(), 2, "both miners sent shares");
    let sets: Vec<&HashSet<Vec<u8>>> = by_session.values().collect();
    assert!(sets[0].is_disjoint(sets[1]), "no nonce sent twice");
    for set in &sets {
        let slots: HashSet<u32> = set.iter().map(|n| Nonce::parse(n).unwrap().slot).collect();
        assert_eq!(slots.len(), 1, "one slot per session");
    }
    // Over the same block each adds its own hashes: together about twice one of them.
    let end = (
        one.status.borrow().hashes_total,
        two.status.borrow().hashes_total,
    );
    let (a, b) = (end.0 - start.0, end.1 - start.1);
    let together = (a + b) as f64;
    assert!(
        together >= 1.5 * a.max(b) as f64,
        "together {together} vs one {}: the second miner adds its own hashes",
        a.max(b)
    );
    one.stop().await;
    two.stop().await;
    sys.stop().await;
}

#[tokio::test]
async fn with_authentication_off_everything_still_works() {
    let sys = System::start(Options {
        secret: None,
        ..Options::default()
    })
    .await;
    let miner = spawn_miner(&sys, "open", "open", PAYOUT, None);
    miner.until(|s| s.slot.is_some()).await;
    let height = sys.next_job().await;
    one_miner_fills_the_block(&sys, height).await;
    miner.stop().await;
    sys.stop().await;
}

#[tokio::test]
async fn without_entry_credits_the_block_is_skipped_and_mining_resumes_once_funded() {
    let sys = System::start(Options {
        dev_key_balance: 0,
        ..Options::default()
    })
    .await;
    let miner = spawn_miner(&sys, "patient", "patient", PAYOUT, Some(SECRET));
    miner.until(|s| s.slot.is_some()).await;
    let height = sys.step_to(1).await;
    let status = sys
        .status_until(|s| s.block(height).is_some_and(|b| b.skipped.is_some()))
        .await;
    let reason = status.block(height).unwrap().skipped.clone().unwrap();
    assert!(reason.contains("no entry credits"), "{reason}");
    assert!(status.job.is_none(), "no job for an unpaid block");
    let metrics = sys.metrics().await;
    assert!(metrics.contains("pegnet_coordinator_blocks_skipped_total{reason=\"no_ec\"}"));

    let key = pegnet_common::factom::EcSigningKey::from_private_address(
        pegnet_devnet::config::DEV_EC_SECRET,
    )
    .unwrap();
    sys.devnet.fund(key.public_key(), 10_000);
    let height = sys.next_job().await;
    let job_id = sys.status_until(|_| true).await.job.unwrap().job_id;
    miner
        .until(|s| s.job_id.as_ref().is_some_and(|j| j.to_string() == job_id))
        .await;
    one_miner_fills_the_block(&sys, height).await;
    miner.stop().await;
    sys.stop().await;
}

#[tokio::test]
async fn a_miner_joining_at_minute_five_hashes_at_once_from_its_welcome() {
    let sys = System::start(Options::default()).await;
    let height = sys.next_job().await;
    assert_eq!(sys.step_to(5).await, height);
    let job_id = sys.status_until(|_| true).await.job.unwrap().job_id;
    let late = spawn_miner(&sys, "late", "late", PAYOUT, Some(SECRET));
    // No new job is published before minute 9: the Welcome is all it has.
    late.until(|s| {
        s.job_id.as_ref().is_some_and(|j| j.to_string() == job_id) && s.hashes_total > 0
    })
    .await;
    one_miner_fills_the_block(&sys, height).await;
    late.stop().await;
    sys.stop().await;
}

#[tokio::test]
async fn a_real_miner_with_the_wrong_secret_gets_no_session_and_keeps_retrying() {
    let sys = System::start(Options::default()).await;
    let honest = spawn_miner(&sys, "honest", "honest", PAYOUT, Some(SECRET));
    let wrong = spawn_miner(
        &sys,
        "mallory",
        "mallory",
        PAYOUT_2,
        Some("not the secret, though long enough"),
    );
    honest.until(|s| s.slot.is_some()).await;
    let height = sys.next_job().await;
    let http = sys.coordinator.http_addr.unwrap();
    // The refusals are counted, and the miner is still running (retrying with backoff).
    tokio::time::timeout(common::WAIT, async {
        loop {
            let metrics = sys.metrics().await;
            if metrics.contains("pegnet_coordinator_auth_rejections_total{reason=\"bad_proof\"}") {
                break;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("bad_proof counted");
    assert!(
        !wrong.task.is_finished(),
        "a wrong secret is retried, not a silent exit"
    );
    assert_eq!(wrong.status.borrow().slot, None);

    sys.status_until(|s| s.job.as_ref().is_some_and(|j| j.shares_accepted >= 10))
        .await;
    // Stats reach the status: hash rate and best difficulty per miner.
    sys.status_until(|s| {
        s.miners
            .iter()
            .any(|m| m.hash_rate > 0.0 && m.best_difficulty > 0)
    })
    .await;
    let block = sys.finish_block(height).await;
    assert!(block.entries_written >= 10);
    let status: serde_json::Value = reqwest::get(format!("http://{http}/status"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let miners = status["miners"].as_array().unwrap();
    assert_eq!(
        miners.len(),
        1,
        "only the honest miner has a session: {miners:?}"
    );
    assert_eq!(miners[0]["miner"], "honest");
    assert!(status["ec_balance"].as_i64().unwrap() > 0);
    let written = status["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["height"] == height)
        .unwrap()["written"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h.as_str())
        .collect::<Vec<_>>();
    assert_eq!(written.len(), block.entries_written);
    wrong.stop().await;
    honest.stop().await;
    sys.stop().await;
}
