//! Simulated competing miners write OPRs that PegNet's grading accepts: right chain,
//! version, height and previous winners, honest difficulties, distinct identities.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use pegnet_common::factom::Entry;
use pegnet_common::opr::{Network, OprContent, Verify, grade};
use pegnet_coordinator::factomd::{ClientOptions, FactomdClient};
use pegnet_devnet::{Devnet, DevnetConfig, StepRequest};
use tokio_util::sync::CancellationToken;

const BITS: u32 = 10;

async fn opr_entries(client: &FactomdClient, height: u32) -> Vec<Entry> {
    let opr_chain = Network::MainNet.opr_chain_id();
    let at = client.dblock_by_height(height).await.unwrap();
    let Some(eblock) = at.dblock.entries.iter().find(|e| e.chain_id == opr_chain) else {
        return Vec::new();
    };
    let eblock = client.entry_block(&eblock.keymr).await.unwrap();
    let mut out = Vec::new();
    for e in eblock.entries {
        out.push(client.entry(&e.entry_hash).await.unwrap());
    }
    out
}

#[tokio::test]
async fn simulated_miners_write_records_that_grade() {
    pegnet_coordinator::tls::install_crypto_provider();
    let tables = tempfile::tempdir().unwrap();
    let config = DevnetConfig {
        simulated_miners: 9,
        simulated_records: 3,
        simulated_hashes: 200,
        lxr_bits: BITS,
        lxr_dir: Some(tables.path().to_owned()),
        ..DevnetConfig::stepped_on_free_ports()
    };
    let devnet = Devnet::start(&config, CancellationToken::new())
        .await
        .unwrap();
    let client = FactomdClient::new(&devnet.factomd_url(), ClientOptions::default()).unwrap();
    let first = devnet.node().ledger().position().height;
    devnet.step(StepRequest::Blocks { n: 3 }).await;

    let table = lxrhash::load_or_generate(tables.path(), BITS, &mut |_| {})
        .unwrap()
        .table;
    let mut previous = Vec::new();
    for height in first..first + 3 {
        let entries = opr_entries(&client, height).await;
        assert_eq!(entries.len(), 27, "block {height}");
        let graded = grade(5, height, &entries, &previous, Verify::Lxr(&table)).unwrap();
        assert!(
            graded.invalid.is_empty(),
            "block {height}: {:?}",
            graded.invalid
        );
        assert_eq!(graded.valid_count, 27);
        assert!(graded.has_winners, "27 records are enough for 25 winners");
        let ids: std::collections::BTreeSet<String> = entries
            .iter()
            .map(|e| OprContent::decode(5, e.content()).unwrap().id)
            .collect();
        assert_eq!(ids.len(), 9);
        previous = graded.winners;
    }
    devnet.stop().await;
}
