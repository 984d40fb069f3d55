//! Entry policies (DESIGN §6): `top` writes exactly the fleet's best N, `per-payout` the best
//! N of each payout address, `all` every verified share.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

mod common;

use common::probe::authenticate;
use common::{Options, PAYOUT, PAYOUT_2, SECRET, System, table};
use pegnet_common::wire::ShareItem;

/// Two scripted miners (one per payout) send `per_miner` shares each, then their finals.
/// Returns the difficulties of every accepted share by payout, and the written ones.
async fn run_policy(
    policy: &'static str,
    per_block: usize,
    per_miner: usize,
) -> (Vec<(String, u64)>, Vec<(String, u64)>) {
    let sys = System::start(Options {
        policy,
        per_block,
        ..Options::default()
    })
    .await;
    let height = sys.next_job().await;
    let mut sent = Vec::new();
    let mut probes = Vec::new();
    for (i, payout) in [PAYOUT, PAYOUT_2].into_iter().enumerate() {
        let mut p = authenticate(
            &sys.nats.url(),
            &sys.subjects,
            Some(SECRET),
            &format!("p{i}"),
            "pol",
            payout,
        )
        .await
        .unwrap();
        let job = p.welcome.job.clone().unwrap();
        let shares: Vec<ShareItem> = p.mine(&job, &table(), 0, 500, per_miner);
        let ack = p.send(&job.job_id, shares.clone(), false).await;
        assert_eq!(ack.accepted as usize, per_miner);
        sent.extend(shares.iter().map(|s| (payout.to_owned(), s.difficulty)));
        probes.push((p, job.job_id));
    }
    for (p, job_id) in &mut probes {
        assert_eq!(p.send(job_id, Vec::new(), true).await.batch_error, None);
    }
    let block = sys.finish_block(height).await;
    let written: Vec<(String, u64)> = {
        let ledger = sys.devnet.node().ledger();
        ledger
            .pending_entries()
            .iter()
            .filter(|p| p.chain_id.is_some())
            .map(|p| {
                let entry = ledger.entry(&p.entry_hash).unwrap();
                let record = pegnet_common::opr::OprContent::decode(5, entry.content()).unwrap();
                let difficulty = u64::from_be_bytes(entry.ext_ids()[1].clone().try_into().unwrap());
                (record.address, difficulty)
            })
            .collect()
    };
    assert_eq!(block.entries_written, written.len());
    sys.stop().await;
    (sent, written)
}

fn sorted_desc(mut v: Vec<u64>) -> Vec<u64> {
    v.sort_unstable_by(|a, b| b.cmp(a));
    v
}

#[tokio::test]
async fn top_writes_exactly_the_fleets_best_n() {
    let (sent, written) = run_policy("top", 5, 6).await;
    let best: Vec<u64> = sorted_desc(sent.iter().map(|s| s.1).collect())[..5].to_vec();
    assert_eq!(sorted_desc(written.iter().map(|w| w.1).collect()), best);
}

#[tokio::test]
async fn per_payout_writes_the_best_n_of_each_payout() {
    let (sent, written) = run_policy("per-payout", 2, 6).await;
    for payout in [PAYOUT, PAYOUT_2] {
        let of = |list: &[(String, u64)]| -> Vec<u64> {
            sorted_desc(list.iter().filter(|s| s.0 == payout).map(|s| s.1).collect())
        };
        assert_eq!(of(&written), of(&sent)[..2].to_vec(), "{payout}");
    }
}

#[tokio::test]
async fn all_writes_every_verified_share() {
    let (sent, written) = run_policy("all", 1, 6).await;
    assert_eq!(
        sorted_desc(written.iter().map(|w| w.1).collect()),
        sorted_desc(sent.iter().map(|s| s.1).collect())
    );
}
