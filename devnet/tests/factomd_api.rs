//! The devnet driven over HTTP with the coordinator's own factomd client, on the stepped
//! clock: the ledger rules (funded, unfunded and repeated commits, held reveals, ack
//! transitions across a block boundary), block contents, and factomd's errors.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use std::time::Instant;

use pegnet_common::factom::{
    Address, AddressKind, ChainCommit, ChainId, EcSigningKey, Entry, EntryCommit, chain_id,
};
use pegnet_common::hash::sha256;
use pegnet_coordinator::factomd::{AckStatus, ClientOptions, FactomdClient};
use pegnet_devnet::config::{DEV_EC_ADDRESS, DEV_EC_SECRET};
use pegnet_devnet::{ClockMode, Devnet, DevnetConfig, StepRequest};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

fn config() -> DevnetConfig {
    DevnetConfig::stepped_on_free_ports()
}

async fn start(config: DevnetConfig) -> (Devnet, FactomdClient) {
    pegnet_coordinator::tls::install_crypto_provider();
    let devnet = Devnet::start(&config, CancellationToken::new())
        .await
        .unwrap();
    let client = FactomdClient::new(&devnet.factomd_url(), ClientOptions::default()).unwrap();
    (devnet, client)
}

fn key() -> EcSigningKey {
    EcSigningKey::from_private_address(DEV_EC_SECRET).unwrap()
}

fn dev_address() -> Address {
    Address::parse_kind(DEV_EC_ADDRESS, AddressKind::EcPublic).unwrap()
}

fn now_ms() -> u64 {
    u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

fn opr_chain() -> ChainId {
    pegnet_common::opr::Network::MainNet.opr_chain_id()
}

fn entry(chain: ChainId, content: &str) -> Entry {
    Entry::new(chain, vec![b"test".to_vec()], content.as_bytes().to_vec()).unwrap()
}

async fn minutes(devnet: &Devnet, n: u32) {
    devnet
        .step(StepRequest::Minutes {
            n,
            pause_at_ten: false,
        })
        .await;
}

async fn raw(devnet: &Devnet, body: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(devnet.factomd_url())
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn control(devnet: &Devnet, path: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("http://{}{path}", devnet.factomd_addr()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn funded_entry_moves_from_ack_to_confirmed_when_the_block_closes() {
    let (devnet, client) = start(config()).await;
    let balance = client.entry_credit_balance(&dev_address()).await.unwrap();
    minutes(&devnet, 3).await;
    let height = client.current_minute().await.unwrap();
    assert_eq!(height.minute, 3);
    let building = devnet.node().ledger().position().height;

    let e = entry(opr_chain(), "hello devnet");
    let commit = EntryCommit::new(&e, &key(), now_ms());
    let committed = client.commit_entry(&commit).await.unwrap();
    assert_eq!(committed.txid, commit.txid());
    assert_eq!(committed.entry_hash, Some(e.hash()));
    let ack = client.ack_commit(&commit.txid()).await.unwrap();
    assert_eq!(ack.commit_data.status, AckStatus::TransactionAck);
    assert_eq!(
        ack.commit_data.transaction_date,
        Some(i64::try_from(commit.timestamp_ms / 1000).unwrap())
    );

    let revealed = client.reveal_entry(&e).await.unwrap();
    assert_eq!(revealed.entry_hash, e.hash());
    let ack = client.ack_entry(&e.hash(), &opr_chain()).await.unwrap();
    assert_eq!(ack.entry_data.status, AckStatus::TransactionAck);
    assert_eq!(ack.commit_data.status, AckStatus::TransactionAck);
    assert_eq!(ack.commit_txid, Some(commit.txid()));
    assert!(
        client
            .chain_head(&opr_chain())
            .await
            .unwrap()
            .chain_in_process_list
    );
    let pending = client.pending_entries().await.unwrap();
    assert!(pending.iter().any(|p| p.entry_hash == e.hash()
        && p.chain_id.map(|c| c.0) == Some(opr_chain().0)
        && p.status == AckStatus::TransactionAck));
    assert_eq!(client.entry(&e.hash()).await.unwrap(), e);

    // Minutes 3..9 end; the block is sealed and saved.
    minutes(&devnet, 7).await;
    let heights = client.heights().await.unwrap();
    assert_eq!(heights.directory_block_height, i64::from(building));

    let ack = client.ack_entry(&e.hash(), &opr_chain()).await.unwrap();
    assert_eq!(ack.entry_data.status, AckStatus::DBlockConfirmed);
    assert_eq!(ack.commit_data.status, AckStatus::DBlockConfirmed);
    // On this path factomd reports the commit date in milliseconds.
    assert_eq!(
        ack.commit_data.transaction_date,
        Some(i64::try_from(commit.timestamp_ms).unwrap())
    );
    let ack = client.ack_commit(&commit.txid()).await.unwrap();
    assert_eq!(ack.commit_data.status, AckStatus::DBlockConfirmed);
    assert_eq!(ack.entry_hash, Some(e.hash()));
    assert_eq!(
        client.entry_credit_balance(&dev_address()).await.unwrap(),
        balance - 1
    );

    // The entry block and the directory block that hold it.
    let head = client.chain_head(&opr_chain()).await.unwrap();
    assert!(!head.chain_in_process_list);
    let eblock = client.entry_block(&head.chain_head.unwrap()).await.unwrap();
    assert_eq!(eblock.header.db_height, i64::from(building));
    assert_eq!(eblock.header.chain_id, opr_chain());
    assert_eq!(eblock.header.sequence_number, 1);
    assert_eq!(eblock.entries.len(), 1);
    assert_eq!(eblock.entries[0].entry_hash, e.hash());
    // Acknowledged in minute 3: the entry's time is the block's plus four minutes.
    assert_eq!(
        eblock.entries[0].timestamp_s,
        eblock.header.timestamp_s + 4 * 60
    );
    let genesis = client.entry_block(&eblock.header.prev_keymr).await.unwrap();
    assert_eq!(genesis.header.sequence_number, 0);
    assert_eq!(genesis.header.prev_keymr.0, [0; 32]);

    let at = client.dblock_by_height(building).await.unwrap();
    assert_eq!(at.dblock.header.db_height, i64::from(building));
    assert_eq!(sha256(&at.raw), at.dblock.db_hash.0);
    assert!(
        at.dblock
            .entries
            .iter()
            .any(|d| d.chain_id == opr_chain() && d.keymr == head.chain_head.unwrap())
    );
    let previous = client.dblock_by_height(building - 1).await.unwrap();
    assert_eq!(at.dblock.header.prev_keymr, previous.dblock.keymr);
    assert_eq!(at.dblock.header.prev_full_hash, previous.dblock.db_hash);
    let by_keymr = client.directory_block(&at.dblock.keymr).await.unwrap();
    assert_eq!(by_keymr.header.sequence_number, i64::from(building));
    assert_eq!(by_keymr.entry_blocks, at.dblock.entries);
    assert!(client.pending_entries().await.unwrap().is_empty());
    devnet.stop().await;
}

#[tokio::test]
async fn unfunded_commit_waits_until_the_address_is_funded() {
    let (devnet, client) = start(DevnetConfig {
        dev_key_balance: 0,
        ..config()
    })
    .await;
    assert_eq!(
        client.entry_credit_balance(&dev_address()).await.unwrap(),
        0
    );
    let e = entry(opr_chain(), "unfunded");
    let commit = EntryCommit::new(&e, &key(), now_ms());
    client.commit_entry(&commit).await.unwrap();
    client.reveal_entry(&e).await.unwrap();
    let ack = client.ack_commit(&commit.txid()).await.unwrap();
    assert_eq!(ack.commit_data.status, AckStatus::NotConfirmed);
    let ack = client.ack_entry(&e.hash(), &opr_chain()).await.unwrap();
    assert_eq!(ack.entry_data.status, AckStatus::NotConfirmed);
    // Held, not lost: a block passes and it still waits.
    devnet.step(StepRequest::Blocks { n: 1 }).await;
    let ack = client.ack_entry(&e.hash(), &opr_chain()).await.unwrap();
    assert_eq!(ack.entry_data.status, AckStatus::NotConfirmed);

    let (status, reply) = control(
        &devnet,
        "/devnet/fund",
        json!({"address": DEV_EC_ADDRESS, "amount": 5}),
    )
    .await;
    assert_eq!((status, &reply["balance"]), (200, &json!(4)), "{reply}");
    let ack = client.ack_entry(&e.hash(), &opr_chain()).await.unwrap();
    assert_eq!(ack.entry_data.status, AckStatus::TransactionAck);
    devnet.step(StepRequest::Blocks { n: 1 }).await;
    let ack = client.ack_entry(&e.hash(), &opr_chain()).await.unwrap();
    assert_eq!(ack.entry_data.status, AckStatus::DBlockConfirmed);
    devnet.stop().await;
}

#[tokio::test]
async fn repeated_commit_is_refused_with_factomds_data() {
    let (devnet, client) = start(config()).await;
    let e = entry(opr_chain(), "twice");
    let commit = EntryCommit::new(&e, &key(), now_ms());
    client.commit_entry(&commit).await.unwrap();
    let err = client.commit_entry(&commit).await.unwrap_err();
    assert!(err.is_repeated_commit(), "{err}");
    assert_eq!(err.repeated_commit_entry_hash(), Some(e.hash()));
    // The same over raw HTTP, byte for byte.
    let body = json!({"jsonrpc":"2.0","id":9,"method":"commit-entry",
        "params":{"message": hex::encode(commit.to_bytes())}});
    let (status, reply) = raw(&devnet, &body.to_string()).await;
    assert_eq!(status, 400);
    assert_eq!(
        reply,
        json!({"jsonrpc":"2.0","id":9,"error":{"code":-32011,"message":"Repeated Commit",
            "data":{"info":"A commit with equal or greater payment already exists",
                    "entryhash": e.hash().to_string()}}})
    );
    // Paid once only.
    assert_eq!(
        client.entry_credit_balance(&dev_address()).await.unwrap(),
        1_000_000 - 1
    );
    devnet.stop().await;
}

#[tokio::test]
async fn reveal_for_a_chain_that_does_not_exist_stays_unconfirmed() {
    let (devnet, client) = start(config()).await;
    let nowhere = chain_id(&[b"no such chain".as_slice()]);
    let e = entry(nowhere, "lost");
    client
        .commit_entry(&EntryCommit::new(&e, &key(), now_ms()))
        .await
        .unwrap();
    client.reveal_entry(&e).await.unwrap();
    devnet.step(StepRequest::Blocks { n: 2 }).await;
    let ack = client.ack_entry(&e.hash(), &nowhere).await.unwrap();
    assert_eq!(ack.entry_data.status, AckStatus::NotConfirmed);
    assert!(
        client
            .chain_head(&nowhere)
            .await
            .unwrap_err()
            .is_missing_chain_head()
    );
    devnet.stop().await;
}

#[tokio::test]
async fn chain_commit_and_reveal_create_a_chain() {
    let (devnet, client) = start(config()).await;
    let first = Entry::new(
        chain_id(&[b"devnet".as_slice(), b"new chain".as_slice()]),
        vec![b"devnet".to_vec(), b"new chain".to_vec()],
        b"first".to_vec(),
    )
    .unwrap();
    let chain = first.chain_id();
    let commit = ChainCommit::new(&first, &key(), now_ms());
    let committed = client.commit_chain(&commit).await.unwrap();
    assert_eq!(committed.entry_hash, Some(first.hash()));
    assert_eq!(
        committed.chain_id_hash.map(|h| h.0),
        Some(commit.chain_id_hash)
    );
    let revealed = client.reveal_chain(&first).await.unwrap();
    assert_eq!(revealed.chain_id, Some(chain));
    let head = client.chain_head(&chain).await.unwrap();
    assert_eq!((head.chain_head, head.chain_in_process_list), (None, true));
    devnet.step(StepRequest::Blocks { n: 1 }).await;
    let head = client.chain_head(&chain).await.unwrap();
    let eblock = client.entry_block(&head.chain_head.unwrap()).await.unwrap();
    assert_eq!(eblock.entries[0].entry_hash, first.hash());
    assert_eq!(
        client.entry_credit_balance(&dev_address()).await.unwrap(),
        1_000_000 - 11
    );
    devnet.stop().await;
}

#[tokio::test]
async fn bad_requests_get_factomds_errors() {
    let (devnet, client) = start(config()).await;
    let cases: Vec<(&str, Value)> = vec![
        // Unknown method.
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"no-such-method"}"#,
            json!({"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}),
        ),
        // Wrong JSON-RPC version, and a body that is not JSON: id null.
        (
            r#"{"jsonrpc":"1.0","id":2,"method":"heights"}"#,
            json!({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request"}}),
        ),
        (
            "heights please",
            json!({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request"}}),
        ),
        // Malformed hex.
        (
            r#"{"jsonrpc":"2.0","id":3,"method":"commit-entry","params":{"message":"zz"}}"#,
            json!({"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"Invalid params","data":"Invalid Commit Entry"}}),
        ),
        (
            r#"{"jsonrpc":"2.0","id":4,"method":"reveal-entry","params":{"entry":"0g"}}"#,
            json!({"jsonrpc":"2.0","id":4,"error":{"code":-32602,"message":"Invalid params","data":"Invalid Entry"}}),
        ),
        (
            r#"{"jsonrpc":"2.0","id":5,"method":"commit-chain","params":{"message":"00"}}"#,
            json!({"jsonrpc":"2.0","id":5,"error":{"code":-32602,"message":"Invalid params","data":"Invalid Commit Chain"}}),
        ),
        // Params of the wrong type: no data.
        (
            r#"{"jsonrpc":"2.0","id":6,"method":"entry","params":["abc"]}"#,
            json!({"jsonrpc":"2.0","id":6,"error":{"code":-32602,"message":"Invalid params"}}),
        ),
        (
            r#"{"jsonrpc":"2.0","id":7,"method":"dblock-by-height","params":{"height":"5"}}"#,
            json!({"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"Invalid params"}}),
        ),
        (
            r#"{"jsonrpc":"2.0","id":8,"method":"entry-credit-balance","params":{"address":"FA2jK2HcLnRdS94dEcU27rF3meoJfpUcZPSinpb7AwQvPRY6RL1Q"}}"#,
            json!({"jsonrpc":"2.0","id":8,"error":{"code":-32602,"message":"Invalid params","data":"Invalid Address"}}),
        ),
        (
            r#"{"jsonrpc":"2.0","id":9,"method":"ack","params":{"hash":"00","chainid":"C"}}"#,
            json!({"jsonrpc":"2.0","id":9,"error":{"code":-32602,"message":"Invalid params","data":"ChainID must be 64 hex encoded characters"}}),
        ),
        (
            r#"{"jsonrpc":"2.0","id":10,"method":"ack","params":{"hash":"00","chainid":"c"}}"#,
            json!({"jsonrpc":"2.0","id":10,"error":{"code":-32602,"message":"Invalid params","data":"Hash must be 64 hex encoded characters"}}),
        ),
        (
            r#"{"jsonrpc":"2.0","id":11,"method":"entry","params":{"hash":"1234"}}"#,
            json!({"jsonrpc":"2.0","id":11,"error":{"code":-32602,"message":"Invalid params","data":"Invalid Hash"}}),
        ),
        (
            r#"{"jsonrpc":"2.0","id":12,"method":"dblock-by-height","params":{"height":99999999}}"#,
            json!({"jsonrpc":"2.0","id":12,"error":{"code":-32008,"message":"Block not found"}}),
        ),
        (
            r#"{"jsonrpc":"2.0","id":13,"method":"dblock-by-height","params":{"height":-1}}"#,
            json!({"jsonrpc":"2.0","id":13,"error":{"code":-32008,"message":"Block not found"}}),
        ),
    ];
    let count = cases.len();
    for (body, want) in cases {
        let (status, reply) = raw(&devnet, body).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(reply, want, "{body}");
    }
    // Every refusal is counted by code.
    let status: Value = reqwest::get(format!("http://{}/devnet/status", devnet.factomd_addr()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let by_code = &status["rpc"]["errors_by_code"];
    let counted: u64 = by_code
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(counted, u64::try_from(count).unwrap(), "{status}");
    assert_eq!(by_code["-32602"], 9, "{status}");
    // The ledger counts the commit that reached it ("00"); bad hex stops at the API.
    assert_eq!(status["counters"]["commits_invalid"], 1, "{status}");

    // An oversize entry: 10241 payload bytes.
    let big = format!("00{}0000{}", opr_chain(), hex::encode(vec![7u8; 10_241]));
    let body = json!({"jsonrpc":"2.0","id":20,"method":"reveal-entry","params":{"entry": big}});
    let (status, reply) = raw(&devnet, &body.to_string()).await;
    assert_eq!(status, 400);
    assert_eq!(reply["error"]["data"], "Invalid Entry");
    // Exactly 10240 is fine.
    let max = Entry::new(opr_chain(), vec![], vec![7; 10_240]).unwrap();
    client.reveal_entry(&max).await.unwrap();

    // A commit with a bad signature.
    let e = entry(opr_chain(), "forged");
    let mut bytes = EntryCommit::new(&e, &key(), now_ms()).to_bytes();
    bytes[135] ^= 0x40;
    let body = json!({"jsonrpc":"2.0","id":21,"method":"commit-entry","params":{"message": hex::encode(bytes)}});
    let (status, reply) = raw(&devnet, &body.to_string()).await;
    assert_eq!(
        (status, &reply["error"]["data"]),
        (400, &json!("Invalid Commit Entry"))
    );

    // Lookups through the client.
    let unknown = e.hash();
    assert!(client.entry(&unknown).await.unwrap_err().is_not_found());
    let ack = client.ack_entry(&unknown, &opr_chain()).await.unwrap();
    assert_eq!(ack.entry_data.status, AckStatus::Unknown);
    assert_eq!(ack.commit_data.status, AckStatus::Unknown);
    let ack = client
        .ack_commit(&EntryCommit::new(&e, &key(), 1).txid())
        .await
        .unwrap();
    assert_eq!(ack.commit_data.status, AckStatus::Unknown);
    devnet.stop().await;
}

#[tokio::test]
async fn stepped_clock_runs_a_whole_block_cycle() {
    let (devnet, client) = start(config()).await;
    let started = Instant::now();
    let first = client.current_minute().await.unwrap();
    assert_eq!(first.minute, 0);
    for minute in 1..=9 {
        devnet
            .step(StepRequest::Minutes {
                n: 1,
                pause_at_ten: true,
            })
            .await;
        let now = client.current_minute().await.unwrap();
        assert_eq!(now.minute, minute);
        assert_eq!(now.directory_block_height, first.directory_block_height);
    }
    devnet
        .step(StepRequest::Minutes {
            n: 1,
            pause_at_ten: true,
        })
        .await;
    let sealed = client.current_minute().await.unwrap();
    assert_eq!(sealed.minute, 10);
    assert_eq!(sealed.directory_block_height, first.directory_block_height);
    let (status, reply) = control(&devnet, "/devnet/step", json!({"minutes": 1})).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["minute"], 0);
    let next = client.current_minute().await.unwrap();
    assert_eq!(next.minute, 0);
    assert_eq!(
        next.directory_block_height,
        first.directory_block_height + 1
    );
    assert!(next.current_block_start_ns >= first.current_block_start_ns);
    eprintln!(
        "a whole block cycle, stepped minute by minute over HTTP: {:?}",
        started.elapsed()
    );

    for bad in [
        json!({}),
        json!({"minutes": 0}),
        json!({"minutes": 1, "blocks": 1}),
        json!({"hours": 1}),
    ] {
        let (status, reply) = control(&devnet, "/devnet/step", bad.clone()).await;
        assert_eq!(status, 400, "{bad}");
        assert!(reply["error"].as_str().unwrap().len() > 10, "{reply}");
    }
    let (status, reply) = control(
        &devnet,
        "/devnet/fund",
        json!({"address": "FA2jK2HcLnRdS94dEcU27rF3meoJfpUcZPSinpb7AwQvPRY6RL1Q", "amount": 1}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .contains("not an EC public address")
    );
    devnet.stop().await;
}

#[tokio::test]
async fn state_dir_keeps_the_chain_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let with_state = || DevnetConfig {
        state_dir: Some(dir.path().to_owned()),
        ..config()
    };
    let (devnet, client) = start(with_state()).await;
    let e = entry(opr_chain(), "persisted");
    client
        .commit_entry(&EntryCommit::new(&e, &key(), now_ms()))
        .await
        .unwrap();
    client.reveal_entry(&e).await.unwrap();
    devnet.step(StepRequest::Blocks { n: 2 }).await;
    let saved = client.heights().await.unwrap().directory_block_height;
    let blocks: Vec<_> = {
        let mut v = Vec::new();
        for h in saved - 2..=saved {
            v.push(
                client
                    .dblock_by_height(u32::try_from(h).unwrap())
                    .await
                    .unwrap(),
            );
        }
        v
    };
    devnet.stop().await;

    let (devnet, client) = start(with_state()).await;
    assert_eq!(
        client.heights().await.unwrap().directory_block_height,
        saved
    );
    for b in &blocks {
        let again = client
            .dblock_by_height(u32::try_from(b.dblock.header.db_height).unwrap())
            .await
            .unwrap();
        assert_eq!(&again, b);
    }
    assert_eq!(client.entry(&e.hash()).await.unwrap(), e);
    let ack = client.ack_entry(&e.hash(), &opr_chain()).await.unwrap();
    assert_eq!(ack.entry_data.status, AckStatus::DBlockConfirmed);
    assert_eq!(
        client.entry_credit_balance(&dev_address()).await.unwrap(),
        1_000_000 - 1
    );
    devnet.stop().await;

    // Another network's devnet refuses the directory, naming the mismatch.
    let err = Devnet::start(
        &DevnetConfig {
            network: "TestNet".into(),
            ..with_state()
        },
        CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("belongs to a devnet of network MainNet"),
        "{err}"
    );
}

#[tokio::test]
async fn timed_clock_moves_on_its_own() {
    let (devnet, client) = start(DevnetConfig {
        clock: ClockMode::Timed,
        block_seconds: 1,
        ..config()
    })
    .await;
    let mut positions = devnet.node().subscribe();
    let first = *positions.borrow_and_update();
    let mut seen = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            positions.changed().await.unwrap();
            let p = *positions.borrow_and_update();
            seen.push(p);
            if p.height == first.height + 2 {
                break;
            }
        }
    })
    .await
    .unwrap();
    // Within a block, minutes only go up; a new block starts at minute 0.
    for pair in seen.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        assert!(
            (b.height == a.height && b.minute > a.minute)
                || (b.height == a.height + 1 && b.minute == 0),
            "{a:?} -> {b:?}"
        );
    }
    assert!(client.heights().await.unwrap().directory_block_height >= i64::from(first.height + 1));
    devnet.stop().await;
}
