//! The minute monitor and the factomd pool against the devnet's stepped clock: every minute
//! of a block arrives once and in order, and a dead preferred node fails over.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use std::time::Duration;

use pegnet_coordinator::factomd::{ClientOptions, FactomdPool, RetryPolicy};
use pegnet_coordinator::monitor::{self, Tick};
use pegnet_devnet::{Devnet, DevnetConfig, StepRequest};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

async fn devnet() -> Devnet {
    let config = DevnetConfig::stepped_on_free_ports();
    Devnet::start(&config, CancellationToken::new())
        .await
        .unwrap()
}

/// A URL nobody listens on.
fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}/v2", l.local_addr().unwrap())
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        deadline: Duration::from_secs(5),
    }
}

async fn next(ticks: &mut mpsc::Receiver<Tick>) -> Tick {
    tokio::time::timeout(Duration::from_secs(10), ticks.recv())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn every_minute_of_a_block_arrives_once_in_order() {
    let devnet = devnet().await;
    let pool = FactomdPool::new(
        &[devnet.factomd_url()],
        &ClientOptions::default(),
        fast_policy(),
    )
    .unwrap();
    let (tx, mut ticks) = mpsc::channel(64);
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    let task = tokio::spawn(async move {
        monitor::run(&pool, Duration::from_millis(5), tx, stop).await;
    });
    let height = devnet.node().ledger().position().height;
    assert_eq!((next(&mut ticks).await.height, 0), (height, 0));
    for minute in 1..=10u8 {
        devnet
            .step(StepRequest::Minutes {
                n: 1,
                pause_at_ten: true,
            })
            .await;
        let t = next(&mut ticks).await;
        assert_eq!((t.height, t.minute), (height, minute));
        assert!(!t.synthesized);
    }
    devnet
        .step(StepRequest::Minutes {
            n: 1,
            pause_at_ten: true,
        })
        .await;
    let t = next(&mut ticks).await;
    assert_eq!((t.height, t.minute), (height + 1, 0));

    // Two minutes at once: the skipped one is synthesized, none lost.
    devnet
        .step(StepRequest::Minutes {
            n: 2,
            pause_at_ten: true,
        })
        .await;
    let a = next(&mut ticks).await;
    let b = if a.minute == 1 {
        next(&mut ticks).await
    } else {
        a
    };
    assert_eq!((b.height, b.minute), (height + 1, 2));
    shutdown.cancel();
    task.await.unwrap();
    devnet.stop().await;
}

#[tokio::test]
async fn a_dead_preferred_node_fails_over() {
    let devnet = devnet().await;
    let pool = FactomdPool::new(
        &[dead_url(), devnet.factomd_url()],
        &ClientOptions::default(),
        fast_policy(),
    )
    .unwrap();
    let heights = pool
        .call(|c| async move { c.heights().await })
        .await
        .unwrap();
    assert_eq!(
        heights.directory_block_height,
        i64::from(devnet.node().ledger().saved_height())
    );
    // The node that answered is preferred from now on.
    assert_eq!(pool.current().url().as_str(), devnet.factomd_url());
    // factomd's own "no" is an answer: returned at once, not retried elsewhere.
    let e = pool
        .call(|c| async move { c.entry(&pegnet_common::factom::EntryHash([1; 32])).await })
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");

    // Nobody answers: the last error comes back after the deadline.
    let dead = FactomdPool::new(
        &[dead_url()],
        &ClientOptions::default(),
        RetryPolicy {
            deadline: Duration::from_millis(200),
            ..fast_policy()
        },
    )
    .unwrap();
    let e = dead
        .call(|c| async move { c.heights().await })
        .await
        .unwrap_err();
    assert!(e.is_retryable(), "{e}");
    devnet.stop().await;
}
