//! The coordinator's status page (`GET /`) and `/status` health, against a running system:
//! nats-server, the devnet on its stepped clock, the coordinator and a real miner. The page
//! is loaded in headless Chromium (Debian's `chromium`), as an operator's browser would.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::probe::authenticate;
use common::{Options, PAYOUT, SECRET, System, WAIT, spawn_miner};
use pegnet_common::wire::RejectReason;

/// How long Chromium may take to load and render the page.
const BROWSER_WAIT: Duration = Duration::from_secs(90);

/// Runs headless Chromium with `args` then `url` and returns what it printed; killed (by its
/// pid) if it outlives [`BROWSER_WAIT`].
async fn chromium(args: Vec<String>, url: String) -> String {
    let profile = tempfile::tempdir().unwrap();
    let run = tokio::task::spawn_blocking(move || {
        let child = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(&args)
            .arg(&url)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("chromium runs (Debian package chromium)");
        let pid = child.id();
        let (done_tx, done) = std::sync::mpsc::channel();
        std::thread::spawn(move || done_tx.send(child.wait_with_output()));
        match done.recv_timeout(BROWSER_WAIT) {
            Ok(output) => String::from_utf8(output.unwrap().stdout).unwrap(),
            Err(_) => {
                let killed = Command::new("kill").args(["-9", &pid.to_string()]).status();
                panic!("chromium (pid {pid}) did not finish in {BROWSER_WAIT:?}; kill: {killed:?}");
            }
        }
    });
    run.await.unwrap()
}

fn is_png(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|b| b.starts_with(b"\x89PNG\r\n\x1a\n"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_in_chromium_shows_the_miner_the_height_and_written_blocks() {
    let sys = System::start(Options::default()).await;
    let miner = spawn_miner(&sys, "rig-page", "alice", PAYOUT, Some(SECRET));
    let mut written = 0;
    for _ in 0..2 {
        let height = sys.next_job().await;
        sys.status_until(|s| {
            s.job
                .as_ref()
                .is_some_and(|j| j.height == height && j.shares_accepted >= 10)
        })
        .await;
        written += sys.finish_block(height).await.entries_written;
    }
    assert!(written >= 20);
    let height = sys.next_job().await;
    let status = sys
        .status_until(|s| {
            s.miners
                .iter()
                .any(|m| m.hash_rate > 0.0 && m.estimated_hash_rate.is_some())
        })
        .await;
    assert_eq!(status.hash_rate_history.len(), 2);
    assert!(status.blocks.iter().any(|b| b.ours.is_some()));

    let url = format!("http://{}/", sys.coordinator.http_addr.unwrap());
    let dom = chromium(vec!["--dump-dom".into()], url.clone()).await;
    assert!(dom.contains("rig-page"), "{dom}");
    assert!(dom.contains(&format!("height {height}")), "{dom}");
    assert!(dom.contains("<svg id=\"chart\""), "{dom}");
    let done_row = status
        .blocks
        .iter()
        .find(|b| b.done && b.entries_written > 0)
        .unwrap();
    assert!(
        dom.contains(&format!("<td>{}</td>", done_row.height)),
        "{dom}"
    );
    assert!(dom.contains("<span class=\"up\">up</span>"), "{dom}");

    let shots = tempfile::tempdir().unwrap();
    let png = shots.path().join("status-page.png");
    chromium(
        vec![
            format!("--screenshot={}", png.display()),
            "--window-size=1280,1600".into(),
        ],
        url,
    )
    .await;
    assert!(is_png(&png));
    // `PEGNET_STATUS_SCREENSHOT=docs/status-page.png` keeps it (how the README's was made).
    if let Some(keep) = std::env::var_os("PEGNET_STATUS_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }
    miner.stop().await;
    sys.stop().await;
}

#[tokio::test]
async fn markup_in_a_miner_name_or_identity_is_refused_and_never_reaches_the_page() {
    let sys = System::start(Options::default()).await;
    let script = "<script>alert(1)</script>";
    let by_name = authenticate(
        &sys.nats.url(),
        &sys.subjects,
        Some(SECRET),
        script,
        "alice",
        PAYOUT,
    )
    .await
    .err()
    .unwrap();
    assert_eq!(by_name.reason, RejectReason::BadMinerName);
    let by_identity = authenticate(
        &sys.nats.url(),
        &sys.subjects,
        Some(SECRET),
        "rig",
        script,
        PAYOUT,
    )
    .await
    .err()
    .unwrap();
    assert_eq!(by_identity.reason, RejectReason::BadIdentity);
    let page = reqwest::get(format!("http://{}/", sys.coordinator.http_addr.unwrap()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.contains("<script"));
    assert!(!page.contains("alert(1)"));
    sys.stop().await;
}

#[tokio::test]
async fn a_factomd_that_goes_down_shows_in_status_and_on_the_page() {
    let System {
        nats: _nats,
        devnet,
        coordinator,
        shutdown,
        ..
    } = System::start(Options::default()).await;
    let mut rx = coordinator.status.clone();
    let up = tokio::time::timeout(WAIT, rx.wait_for(|s| s.health.factomd.up == Some(true)))
        .await
        .unwrap()
        .unwrap()
        .health
        .factomd
        .clone();
    assert!(up.since_ms > 0);
    devnet.stop().await;
    let down = tokio::time::timeout(WAIT, rx.wait_for(|s| s.health.factomd.up == Some(false)))
        .await
        .unwrap()
        .unwrap()
        .health
        .factomd
        .clone();
    assert!(down.since_ms >= up.since_ms);
    assert!(down.last_error.is_some());
    let addr = coordinator.http_addr.unwrap();
    let json: serde_json::Value = reqwest::get(format!("http://{addr}/status"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["health"]["factomd"]["up"], false);
    assert!(json["health"]["factomd"]["last_error"].is_string());
    let page = reqwest::get(format!("http://{addr}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<dt>factomd</dt><dd><span class=\"down\">down</span>"),
        "{page}"
    );
    let metrics = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("pegnet_coordinator_factomd_up 0"),
        "{metrics}"
    );
    shutdown.cancel();
    tokio::time::timeout(WAIT, coordinator.wait())
        .await
        .unwrap();
}
