//! The exact bodies real clients (factomjs `cli.add`, PyPI factom-api) POSTed, from
//! `testdata/factom.json` `captured_client_requests`, get the answers a real factomd with the
//! same state would give: the development key funded, and the captured commit stamped
//! 2023-11-14, far outside factomd's one-hour replay window, so factomd's API accepts it and
//! its replay filter drops it (it never reaches holding; the repeat is accepted again).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use pegnet_devnet::{Devnet, DevnetConfig};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

async fn devnet() -> Devnet {
    pegnet_coordinator::tls::install_crypto_provider();
    let config = DevnetConfig::stepped_on_free_ports();
    Devnet::start(&config, CancellationToken::new())
        .await
        .unwrap()
}

fn captured() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/factom.json"
    ))
    .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["captured_client_requests"]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["path"], "/v2");
            (
                r["content_type"].as_str().unwrap().to_owned(),
                r["body"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn captured_client_requests_get_factomds_answers() {
    let devnet = devnet().await;
    let saved = devnet.node().ledger().saved_height();
    let http = reqwest::Client::new();
    let mut answers = Vec::new();
    for (content_type, body) in captured() {
        let response = http
            .post(devnet.factomd_url())
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        answers.push((status, response.text().await.unwrap()));
    }

    let commit = r#"{"message":"Entry Commit Success","txid":"312bb00241edec848ec81e4142a4c5a4dfe7eb62ea77b8b65a91f949831f2257","entryhash":"c199b03d4ed5198f2f3301ba92c6acd6f3641dc4ebaa09355c5f65f5fc118729"}"#;
    let balance = r#"{"balance":1000000}"#;
    let heights = format!(
        r#"{{"directoryblockheight":{saved},"leaderheight":{saved},"entryblockheight":{saved},"entryheight":{saved}}}"#
    );
    let expected: Vec<(u16, String)> = vec![
        (200, ok(1, balance)),
        (200, ok(2, commit)),
        // Dropped by the replay filter: factomd knows nothing of it.
        (
            200,
            ok(
                3,
                r#"{"committxid":"312bb00241edec848ec81e4142a4c5a4dfe7eb62ea77b8b65a91f949831f2257","entryhash":"","commitdata":{"status":"Unknown"},"entrydata":{"status":""}}"#,
            ),
        ),
        (
            200,
            ok(
                4,
                r#"{"message":"Entry Reveal Success","entryhash":"c199b03d4ed5198f2f3301ba92c6acd6f3641dc4ebaa09355c5f65f5fc118729","chainid":"a642a8674f46696cc47fdb6b65f9c87b2a19c5ea8123b3d2f0c13b6f33a9d5ef"}"#,
            ),
        ),
        // The reveal waits in holding for a commit that will never come.
        (
            200,
            ok(
                5,
                r#"{"committxid":"","entryhash":"c199b03d4ed5198f2f3301ba92c6acd6f3641dc4ebaa09355c5f65f5fc118729","commitdata":{"status":"Unknown"},"entrydata":{"status":"NotConfirmed"}}"#,
            ),
        ),
        (200, ok(6, commit)),
        (200, ok(7, &heights)),
        (200, String::new()), // current-minute: checked below
        (200, ok(9, balance)),
        (
            200,
            ok(
                10,
                &format!(
                    r#"{{"factomdversion":"pegnet-devnet {}","factomdapiversion":"2.0"}}"#,
                    env!("CARGO_PKG_VERSION")
                ),
            ),
        ),
        (200, ok(0, &heights)),
        (200, String::new()), // current-minute
        (200, ok(0, balance)),
        (
            200,
            ok(
                0,
                r#"{"message":"Entry Reveal Success","entryhash":"8e3bbaf0dc5e19e2e8e0a1d3c1c7b0cbdaaa8d3c9d2e67fa1c0fb1e60b0d2a76","chainid":"a642a8674f46696cc47fdb6b65f9c87b2a19c5ea8123b3d2f0c13b6f33a9d5ef"}"#,
            ),
        ),
        (
            400,
            r#"{"jsonrpc":"2.0","id":0,"error":{"code":-32601,"message":"Method not found"}}"#
                .to_owned(),
        ),
    ];
    assert_eq!(answers.len(), expected.len());
    for (i, ((status, body), (want_status, want_body))) in answers.iter().zip(&expected).enumerate()
    {
        assert_eq!(status, want_status, "request {i}: {body}");
        if want_body.is_empty() {
            check_current_minute(body, saved);
        } else if i == 13 {
            // The empty entry's hash is computed, not typed: compare all but the hash.
            let v: Value = serde_json::from_str(body).unwrap();
            let hash = empty_entry_hash();
            let want = want_body.replace(
                "8e3bbaf0dc5e19e2e8e0a1d3c1c7b0cbdaaa8d3c9d2e67fa1c0fb1e60b0d2a76",
                &hash,
            );
            assert_eq!(
                v,
                serde_json::from_str::<Value>(&want).unwrap(),
                "request {i}"
            );
            assert_eq!(body, &want, "request {i}: byte-exact");
        } else {
            assert_eq!(body, want_body, "request {i}");
        }
    }
    // Nothing was charged: the only commit never reached the ledger.
    assert_eq!(devnet.node().ledger().counters().commits_dropped_stale, 2);
    devnet.stop().await;
}

fn ok(id: i64, result: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{result}}}"#)
}

fn empty_entry_hash() -> String {
    let chain = pegnet_common::opr::Network::MainNet.opr_chain_id();
    pegnet_common::factom::Entry::new(chain, vec![], vec![])
        .unwrap()
        .hash()
        .to_string()
}

fn check_current_minute(body: &str, saved: u32) {
    let v: Value = serde_json::from_str(body).unwrap();
    let r = &v["result"];
    let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = vec![
        "leaderheight",
        "directoryblockheight",
        "minute",
        "currentblockstarttime",
        "currentminutestarttime",
        "currenttime",
        "directoryblockinseconds",
        "stalldetected",
        "faulttimeout",
        "roundtimeout",
    ];
    let mut got = keys.clone();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want);
    assert_eq!(r["leaderheight"], saved);
    assert_eq!(r["directoryblockheight"], saved);
    assert_eq!(r["minute"], 0);
    assert_eq!(r["directoryblockinseconds"], 60);
    assert_eq!(r["stalldetected"], false);
    // Nanoseconds, and now after the block's start.
    let start = r["currentblockstarttime"].as_i64().unwrap();
    let now = r["currenttime"].as_i64().unwrap();
    assert!(start > 1_700_000_000_000_000_000 && now >= start, "{r}");
}
