//! Prometheus metrics of a mining miner, scraped from `/metrics`: what they count, exactly the
//! catalogue's miner metrics (`METRICS.md`), and `promtool check metrics` clean. In its own
//! test binary because the metrics recorder is global to a process.

#![allow(clippy::unwrap_used, reason = "test helpers panic on broken fixtures")]

mod support;

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use pegnet_tests::NatsServer;
use pegnet_tests::catalogue::{Catalogue, catalogue_path};
use pegnet_tests::exposition::{differences, exported, promtool_check};
use support::{Fake, Running, SECRET, WAIT, config};
use tokio::time::timeout;

/// `GET /metrics` with a plain HTTP/1.0 request: the body, once the server closes.
fn scrape(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"));
    response
}

#[tokio::test]
async fn metrics_count_the_session_jobs_and_shares() {
    let server = NatsServer::start().unwrap();
    let mut fake = Fake::start(&server.url(), Some(SECRET)).await;
    let mut cfg = config(&server.url(), "rig-metrics", Some(SECRET));
    cfg.metrics_addr = Some("127.0.0.1:0".parse().unwrap());
    let mut miner = Running::start(cfg);
    let addr = timeout(WAIT, miner.status.wait_for(|s| s.metrics_addr.is_some()))
        .await
        .unwrap()
        .unwrap()
        .metrics_addr
        .unwrap();

    let job = fake.job(1000, 0, 0);
    fake.handshake(1, Some(job), None).await;
    // Everything below is recorded before the miner sends its first batch.
    let (batch, message) = fake.next_batch().await;
    fake.ack(&batch, &message, None).await;

    let body = tokio::task::spawn_blocking(move || scrape(addr))
        .await
        .unwrap();
    for expected in [
        "pegnet_miner_authentications_total{miner=\"rig-metrics\"} 1",
        "pegnet_miner_jobs_received_total{miner=\"rig-metrics\"} 1",
        "pegnet_miner_height{miner=\"rig-metrics\"} 1000",
        "pegnet_miner_shares_sent_total{miner=\"rig-metrics\",kind=\"stream\"}",
        "pegnet_miner_hashes_total{miner=\"rig-metrics\"}",
    ] {
        assert!(body.contains(expected), "{expected} missing from:\n{body}");
    }

    // Once the hash rate has been measured, every catalogued miner metric is exported, as
    // catalogued, and promtool finds nothing to say.
    let body = loop {
        let body = tokio::task::spawn_blocking(move || scrape(addr))
            .await
            .unwrap();
        if body.contains("pegnet_miner_thread_hash_rate_hashes_per_second{") {
            break body;
        }
        let (batch, message) = timeout(WAIT, fake.next_batch()).await.unwrap();
        fake.ack(&batch, &message, None).await;
    };
    let text = body.split_once("\r\n\r\n").unwrap().1;
    let (clean, printed) = promtool_check(text);
    assert!(clean && printed.trim().is_empty(), "promtool: {printed}");
    let listed = Catalogue::load(&catalogue_path())
        .unwrap()
        .component("pegnet_miner_");
    let diff = differences(&exported(text, &["miner"]), &listed);
    assert!(diff.is_empty(), "{}", diff.join("\n"));
    miner.stop().await;
}
