//! Paying for entries against the devnet: a commit whose answer was lost is never paid twice,
//! and a dead factomd fails the entry once the block closes.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use pegnet_common::factom::{EcSigningKey, Entry, EntryCommit};
use pegnet_common::opr::Network;
use pegnet_coordinator::factomd::{ClientOptions, FactomdClient, FactomdPool, RetryPolicy};
use pegnet_coordinator::writer::{Written, now_ms, write_entries};
use pegnet_devnet::config::DEV_EC_SECRET;
use pegnet_devnet::{Devnet, DevnetConfig};
use tokio_util::sync::CancellationToken;

fn entry(n: u8) -> Entry {
    Entry::new(Network::MainNet.opr_chain_id(), vec![vec![n]], vec![n; 100]).unwrap()
}

#[tokio::test]
async fn a_commit_already_made_counts_as_paid_and_is_paid_once() {
    pegnet_coordinator::tls::install_crypto_provider();
    let devnet = Devnet::start(
        &DevnetConfig::stepped_on_free_ports(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let key = EcSigningKey::from_private_address(DEV_EC_SECRET).unwrap();
    let client = FactomdClient::new(&devnet.factomd_url(), ClientOptions::default()).unwrap();
    let balance = || async {
        client
            .entry_credit_balance(&key.public_address())
            .await
            .unwrap()
    };
    let before = balance().await;

    // The first commit went through but its answer was "lost": the writer's own commit (its
    // own timestamp) meets factomd's repeated-commit rule and must count as committed.
    let lost = entry(1);
    client
        .commit_entry(&EntryCommit::new(&lost, &key, now_ms()))
        .await
        .unwrap();
    let pool = FactomdPool::new(
        &[devnet.factomd_url()],
        &ClientOptions::default(),
        RetryPolicy::default(),
    )
    .unwrap();
    let report = write_entries(&pool, &key, vec![lost, entry(2)], &CancellationToken::new()).await;
    assert_eq!(report.confirmed(), 2, "{report:?}");
    assert_eq!(report.repeated_commits, 1);
    assert_eq!(report.ec_spent, 2);
    assert_eq!(
        balance().await,
        before - 2,
        "two entries, two EC: nothing paid twice"
    );
}

#[tokio::test]
async fn a_dead_factomd_fails_the_entries_when_the_block_closes() {
    pegnet_coordinator::tls::install_crypto_provider();
    let key = EcSigningKey::from_private_address(DEV_EC_SECRET).unwrap();
    // A port nothing listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v2", dead.local_addr().unwrap());
    drop(dead);
    let policy = RetryPolicy {
        deadline: std::time::Duration::from_millis(50),
        ..RetryPolicy::default()
    };
    let pool = FactomdPool::new(&[url], &ClientOptions::default(), policy).unwrap();
    let block_end = CancellationToken::new();
    let writing = write_entries(&pool, &key, vec![entry(3)], &block_end);
    let closer = async {
        // The block closes while the writer is still retrying.
        tokio::task::yield_now().await;
        block_end.cancel();
    };
    let (report, ()) = tokio::join!(writing, closer);
    assert_eq!(report.confirmed(), 0);
    match &report.entries[0].1 {
        Written::Failed(reason) => assert!(reason.contains("block closed"), "{reason}"),
        Written::Confirmed => panic!("nothing can be confirmed"),
    }
}
