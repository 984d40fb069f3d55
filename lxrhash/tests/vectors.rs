//! Known answers from the reference Go implementation (`testdata/lxrhash.json`).

use lxrhash::Table;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/lxrhash.json");
    let text = std::fs::read_to_string(path).expect("read lxrhash vectors");
    serde_json::from_str(&text).expect("parse lxrhash vectors")
}

fn size(v: &Value, bits: u32) -> &Value {
    v["sizes"]
        .as_array()
        .expect("sizes")
        .iter()
        .find(|s| s["map_size_bits"].to_string().trim_matches('"') == bits.to_string())
        .expect("size present")
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

fn be64(h: &[u8]) -> u64 {
    u64::from_be_bytes(h[..8].try_into().expect("8 bytes"))
}

fn check_table(table: &Table, s: &Value) {
    let bytes = table.as_bytes();
    assert_eq!(
        hex::encode(Sha256::digest(bytes)),
        s["table_sha256"].as_str().expect("sha")
    );
    assert_eq!(bytes[..64], unhex(&s["table_first64_hex"])[..]);
    assert_eq!(bytes[bytes.len() - 16..], unhex(&s["table_last16_hex"])[..]);
}

fn check_full_size(bits: u32) {
    let v = vectors();
    let s = size(&v, bits);
    let table = Table::generate(bits, &mut |_| {}).expect("generate");
    check_table(&table, s);

    for (input, want) in v["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .zip(s["hashes"].as_array().expect("hashes"))
    {
        assert_eq!(input["name"], want["input"]);
        let got = table.hash(&unhex(&input["hex"]));
        assert_eq!(
            hex::encode(got),
            want["hash"].as_str().expect("hash"),
            "{bits} bits, input {}",
            input["name"]
        );
    }

    let opr_hash: [u8; 32] = unhex(&v["difficulty_setup"]["oprhash_hex"])
        .try_into()
        .expect("32 bytes");
    for d in s["difficulty"].as_array().expect("difficulty") {
        let nonce = unhex(&d["nonce_hex"]);
        assert_eq!(
            table.hash(&unhex(&d["hashed_input_hex"])).to_vec(),
            unhex(&d["hash"])
        );
        assert_eq!(
            table.difficulty(&opr_hash, &nonce),
            d["difficulty"].as_u64().expect("u64"),
            "{}",
            d["label"]
        );
    }

    if let Some(checks) = s.get("upstream_known_vector_checks") {
        for c in checks.as_array().expect("checks") {
            let got = table.hash(c["input_ascii"].as_str().expect("ascii").as_bytes());
            assert_eq!(hex::encode(got), c["want"].as_str().expect("want"));
        }
    }

    check_miner_run(&table, &opr_hash, &s["pegnet_miner_run"]);
    check_pool_batch(&table, &s["pool_batch"]);
}

/// The reference miner's nonces: `[id] ‖ minimal big-endian counter`, counter from 1.
fn pegnet_nonce(id: u8, n: u64) -> Vec<u8> {
    let be = n.to_be_bytes();
    let skip = be.iter().take_while(|&&b| b == 0).count();
    let mut nonce = vec![id];
    nonce.extend_from_slice(&be[skip..]);
    nonce
}

fn check_miner_run(table: &Table, opr_hash: &[u8; 32], run: &Value) {
    let id = run["miner_id"].as_u64().expect("id") as u8;
    let count = run["count"].as_u64().expect("count");
    let (mut best, mut best_nonce, mut xor) = (0u64, Vec::new(), 0u64);
    for n in 1..=count {
        let nonce = pegnet_nonce(id, n);
        let d = table.difficulty(opr_hash, &nonce);
        xor ^= d;
        if d > best {
            (best, best_nonce) = (d, nonce);
        }
    }
    assert_eq!(
        hex::encode(pegnet_nonce(id, count)),
        run["last_nonce_hex"].as_str().expect("last")
    );
    assert_eq!(
        hex::encode(&best_nonce),
        run["best_nonce_hex"].as_str().expect("best nonce")
    );
    assert_eq!(best, run["best_difficulty"].as_u64().expect("best"));
    assert_eq!(
        format!("{xor:016x}"),
        run["xor_of_all_difficulties_hex"].as_str().expect("xor")
    );
}

fn check_pool_batch(table: &Table, batch: &Value) {
    let stat = unhex(&batch["static_hex"]);
    let start = batch["start"].as_u64().expect("start") as u32;
    let n = batch["batch_size"].as_u64().expect("size") as u32;
    let (mut best, mut best_i, mut xor) = (0u64, 0u32, 0u64);
    for i in 0..n {
        let mut input = stat.clone();
        input.extend_from_slice(&(start + i).to_be_bytes());
        let d = be64(&table.hash(&input));
        if let Some(first) = batch["first"].as_array().expect("first").get(i as usize) {
            assert_eq!(input, unhex(&first["hashed_input_hex"]));
            assert_eq!(d, first["difficulty"].as_u64().expect("difficulty"));
        }
        xor ^= d;
        if d > best {
            (best, best_i) = (d, i);
        }
    }
    assert_eq!(
        u64::from(best_i),
        batch["best_index"].as_u64().expect("best index")
    );
    assert_eq!(best, batch["best_difficulty"].as_u64().expect("best"));
    assert_eq!(
        format!("{xor:016x}"),
        batch["xor_of_all_difficulties_hex"].as_str().expect("xor")
    );
}

#[test]
fn bits_8() {
    check_full_size(8);
}

#[test]
fn bits_10() {
    check_full_size(10);
}

#[test]
fn bits_16() {
    check_full_size(16);
}

#[test]
fn bits_20() {
    check_full_size(20);
}

#[test]
fn bits_25_table_digest() {
    let v = vectors();
    let table = Table::generate(25, &mut |_| {}).expect("generate");
    check_table(&table, size(&v, 25));
}

/// The production table: generated (about 20 minutes) or read from the user's cache.
/// Opt in with `cargo test -p lxrhash --features table30 --release`.
#[cfg(feature = "table30")]
#[test]
fn bits_30_table_digest() {
    let v = vectors();
    let dir = lxrhash::default_dir().expect("home");
    let loaded = lxrhash::load_or_generate(&dir, 30, &mut |_| {}).expect("table");
    check_table(&loaded.table, size(&v, 30));
}
