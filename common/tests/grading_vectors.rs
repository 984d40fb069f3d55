//! Real MainNet OPR entry blocks with the winners PegNet chose (`testdata/grading`).

use base64::Engine;
use pegnet_common::factom::Entry;
use pegnet_common::opr::{Network, OprContent, ShortHash, Verify, grade};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Block {
    previous_winners: Vec<String>,
    winners: Vec<String>,
    entries: Vec<BlockEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BlockEntry {
    hash: String,
    #[serde(rename = "ExtIDs")]
    ext_ids: Vec<String>,
    content: String,
}

const BLOCKS: [u32; 3] = [209_000, 210_419, 222_271];

fn load(height: u32) -> Block {
    let path = format!(
        "{}/../testdata/grading/{height}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("parse")
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64")
}

fn entries(block: &Block) -> Vec<Entry> {
    let chain = Network::MainNet.opr_chain_id();
    block
        .entries
        .iter()
        .map(|e| {
            let ext_ids = e.ext_ids.iter().map(|x| b64(x)).collect();
            Entry::new(chain, ext_ids, b64(&e.content)).expect("entry fits")
        })
        .collect()
}

fn short(hexes: &[String]) -> Vec<Option<ShortHash>> {
    hexes
        .iter()
        .map(|h| (!h.is_empty()).then(|| hex::decode(h).expect("hex").try_into().expect("8 bytes")))
        .collect()
}

fn winners_hex(w: &[Option<ShortHash>]) -> Vec<String> {
    w.iter()
        .map(|s| s.map(hex::encode).unwrap_or_default())
        .collect()
}

#[test]
fn every_entry_hash_is_reproduced() {
    for height in BLOCKS {
        let block = load(height);
        for (e, want) in entries(&block).iter().zip(&block.entries) {
            assert_eq!(e.hash().to_string(), want.hash, "block {height}");
        }
    }
}

#[test]
fn every_content_round_trips_byte_for_byte() {
    for height in BLOCKS {
        let block = load(height);
        for e in entries(&block) {
            // Stale miners wrote v1 JSON into v2 blocks; each content is in its own version.
            let version = e.ext_ids()[2][0];
            let content = OprContent::decode(version, e.content()).expect("decodes");
            assert_eq!(
                content.encode(version).expect("encodes"),
                e.content(),
                "block {height}, entry {}",
                e.hash()
            );
        }
    }
}

/// Grades block `height` and checks it against the winners PegNet recorded.
fn check_winners(height: u32, verify: Verify<'_>) -> pegnet_common::opr::GradedBlock {
    let block = load(height);
    let version = Network::MainNet.opr_version(height).expect("active");
    let previous = short(&block.previous_winners);
    let graded = grade(version, height, &entries(&block), &previous, verify).expect("grades");
    assert!(graded.has_winners);
    assert_eq!(
        winners_hex(&graded.winners),
        block.winners,
        "block {height}"
    );
    graded
}

#[test]
fn self_reported_grading_picks_the_real_winners() {
    for height in BLOCKS {
        check_winners(height, Verify::SelfReported);
    }
}

/// The full check: LXRHash at 30 bits recomputes every difficulty. Opt in with
/// `cargo test -p pegnet-common --features table30 --release` (needs or builds the 1 GiB table).
#[cfg(feature = "table30")]
#[test]
fn lxr_grading_picks_the_real_winners() {
    let dir = lxrhash::default_dir().expect("home");
    let table = lxrhash::load_or_generate(&dir, 30, &mut |_| {})
        .expect("table")
        .table;
    for height in BLOCKS {
        let graded = check_winners(height, Verify::Lxr(&table));
        // Every graded record's difficulty really recomputes.
        for g in &graded.graded {
            assert_eq!(
                table.difficulty(&g.record.opr_hash, &g.record.nonce),
                g.record.self_reported_difficulty
            );
        }
    }
}
