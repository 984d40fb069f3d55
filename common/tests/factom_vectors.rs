//! Known answers agreed by three independent Factom libraries (`testdata/factom.json`).

use pegnet_common::factom::{
    Address, AddressKind, ChainCommit, ChainId, EcSigningKey, Entry, EntryCommit, chain_id,
    rcd_hash,
};
use pegnet_common::hash::sha256;
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/factom.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("parse")
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

fn s(v: &Value) -> &str {
    v.as_str().expect("string")
}

fn seed(v: &Value, name: &str) -> [u8; 32] {
    unhex(&v["inputs"]["keys"][name])
        .try_into()
        .expect("32 bytes")
}

fn entry(v: &Value, name: &str) -> Entry {
    let e = &v["inputs"]["entries"][name];
    let chain = chain_id(&names(v, s(&e["chain"])));
    let ext_ids = e["extids"]
        .as_array()
        .expect("extids")
        .iter()
        .map(unhex)
        .collect();
    Entry::new(chain, ext_ids, unhex(&e["content"])).expect("valid entry")
}

fn names(v: &Value, chain: &str) -> Vec<Vec<u8>> {
    v["inputs"]["chain_names"][chain]
        .as_array()
        .expect("chain names")
        .iter()
        .map(unhex)
        .collect()
}

#[test]
fn keys_and_addresses() {
    let v = vectors();
    for (name, want) in v["results"]["keys"].as_object().expect("keys") {
        let seed = seed(&v, name);
        let key = EcSigningKey::from_seed(&seed);
        let public = key.public_key();
        assert_eq!(hex::encode(public), s(&want["ed25519_public_key"]));
        assert_eq!(key.private_address().to_string(), s(&want["es"]));
        assert_eq!(key.public_address().to_string(), s(&want["ec"]));
        assert_eq!(
            Address::new(AddressKind::FactoidPrivate, seed).to_string(),
            s(&want["fs"])
        );
        assert_eq!(
            Address::factoid_from_public_key(&public).to_string(),
            s(&want["fa"])
        );
        assert_eq!(hex::encode(rcd_hash(&public)), s(&want["rcd1_hash"]));
        assert_eq!(format!("01{}", hex::encode(public)), s(&want["rcd1"]));
        // And back: every string decodes to its kind and body.
        let ec = Address::parse_kind(s(&want["ec"]), AddressKind::EcPublic).expect("EC");
        assert_eq!(ec.body(), &public);
        let es = EcSigningKey::from_private_address(s(&want["es"])).expect("Es");
        assert_eq!(es.public_key(), public);
        let fa = Address::parse_kind(s(&want["fa"]), AddressKind::FactoidPublic).expect("FA");
        assert_eq!(fa.body(), &rcd_hash(&public));
    }
}

#[test]
fn known_private_addresses() {
    let v = vectors();
    for (_, k) in v["results"]["known"].as_object().expect("known") {
        let private: Address = s(&k["private"]).parse().expect("private address");
        assert_eq!(hex::encode(private.body()), s(&k["key"]));
        let public = EcSigningKey::from_seed(private.body()).public_key();
        let expected = match private.kind() {
            AddressKind::FactoidPrivate => Address::factoid_from_public_key(&public),
            AddressKind::EcPrivate => Address::new(AddressKind::EcPublic, public),
            other => panic!("not a private kind: {other:?}"),
        };
        assert_eq!(expected.to_string(), s(&k["public"]));
    }
}

#[test]
fn chain_ids() {
    let v = vectors();
    for (name, want) in v["results"]["chain_ids"].as_object().expect("chain ids") {
        assert_eq!(chain_id(&names(&v, name)).to_string(), s(want), "{name}");
    }
}

#[test]
fn entries() {
    let v = vectors();
    for (name, want) in v["results"]["entries"].as_object().expect("entries") {
        let e = entry(&v, name);
        let m = e.marshal();
        assert_eq!(hex::encode(&m), s(&want["marshalled"]), "{name}");
        assert_eq!(e.chain_id().to_string(), s(&want["chain_id"]));
        assert_eq!(e.hash().to_string(), s(&want["entry_hash"]), "{name}");
        assert_eq!(m.len() as u64, want["size"].as_u64().expect("size"));
        assert_eq!(
            e.payload_len() as u64,
            want["payload_size"].as_u64().expect("payload")
        );
        assert_eq!(
            u64::from(e.ec_cost()),
            want["ec_cost"].as_u64().expect("cost")
        );
        assert_eq!(Entry::unmarshal(&m).expect("unmarshal"), e);
    }
}

#[test]
fn entry_commits_and_reveals() {
    let v = vectors();
    for want in v["results"]["entry_commits"].as_array().expect("commits") {
        let e = entry(&v, s(&want["entry"]));
        let key = EcSigningKey::from_seed(&seed(&v, s(&want["key"])));
        let ts = want["timestamp_ms"].as_u64().expect("ts");
        let c = EntryCommit::new(&e, &key, ts);
        let bytes = c.to_bytes();
        assert_eq!(hex::encode(bytes), s(&want["commit"]), "{}", want["entry"]);
        assert_eq!(hex::encode(&bytes[..40]), s(&want["signed_part"]));
        assert_eq!(c.txid().to_string(), s(&want["txid"]));
        assert_eq!(hex::encode(e.marshal()), s(&want["reveal"]));
        let parsed = EntryCommit::parse(&bytes).expect("parse");
        assert_eq!(parsed, c);
        parsed.validate().expect("valid commit");
    }
}

#[test]
fn chain_commits() {
    let v = vectors();
    let inputs = v["inputs"]["chain_commits"].as_array().expect("inputs");
    for (input, want) in inputs
        .iter()
        .zip(v["results"]["chain_commits"].as_array().expect("results"))
    {
        assert_eq!(input["name"], want["name"]);
        let ext_ids: Vec<Vec<u8>> = input["extids"]
            .as_array()
            .expect("extids")
            .iter()
            .map(unhex)
            .collect();
        let chain = chain_id(&ext_ids);
        assert_eq!(chain.to_string(), s(&want["chain_id"]));
        let first = Entry::new(chain, ext_ids, unhex(&input["content"])).expect("entry");
        assert_eq!(first.hash().to_string(), s(&want["first_entry_hash"]));
        let key = EcSigningKey::from_seed(&seed(&v, s(&input["key"])));
        let c = ChainCommit::new(&first, &key, want["timestamp_ms"].as_u64().expect("ts"));
        assert_eq!(hex::encode(c.chain_id_hash), s(&want["chain_id_hash"]));
        assert_eq!(hex::encode(c.weld), s(&want["weld"]));
        assert_eq!(
            u64::from(c.credits),
            want["ec_cost"].as_u64().expect("cost")
        );
        let bytes = c.to_bytes();
        assert_eq!(hex::encode(bytes), s(&want["commit"]));
        assert_eq!(hex::encode(&bytes[..104]), s(&want["signed_part"]));
        assert_eq!(c.txid().to_string(), s(&want["txid"]));
        assert_eq!(hex::encode(first.marshal()), s(&want["reveal"]));
        let parsed = ChainCommit::parse(&bytes).expect("parse");
        parsed.validate().expect("valid");
        assert!(parsed.matches(&chain, &first.hash()));
        assert!(!parsed.matches(&ChainId([0; 32]), &first.hash()));
    }
}

#[test]
fn real_mainnet_entry_commit() {
    let v = vectors();
    let r = &v["real_mainnet_entry_commit"];
    let bytes = unhex(&r["commit"]);
    let c = EntryCommit::parse(&bytes).expect("parse");
    assert_eq!(c.timestamp_ms, r["timestamp_ms"].as_u64().expect("ts"));
    assert_eq!(c.entry_hash.to_string(), s(&r["entry_hash"]));
    assert_eq!(
        u64::from(c.credits),
        r["credits"].as_u64().expect("credits")
    );
    assert_eq!(hex::encode(c.ec_public_key), s(&r["ec_public_key"]));
    c.validate().expect("real signature verifies");
    assert_eq!(c.txid().to_string(), s(&r["txid_sha256_of_first_40_bytes"]));
    assert_eq!(
        hex::encode(sha256(&bytes)),
        s(&r["full_hash_sha256_of_136_bytes"])
    );
    let mut bad = bytes.clone();
    *bad.last_mut().expect("non-empty") = 0;
    assert!(EntryCommit::parse(&bad).expect("parse").validate().is_err());
}

#[test]
fn pegnet_chains_match_the_reference_names() {
    let v = vectors();
    let id: ChainId = s(&v["results"]["chain_ids"]["pegnet_mainnet_opr"])
        .parse()
        .expect("hex");
    assert_eq!(
        chain_id(&[b"PegNet".as_slice(), b"MainNet", b"OraclePriceRecords"]),
        id
    );
}
