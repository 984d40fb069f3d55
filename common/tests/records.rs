//! OPR entries as PegNet's graders judge them.

use pegnet_common::factom::{Address, AddressKind, Entry};
use pegnet_common::opr::{
    ASSETS_V5, Invalid, Network, OprContent, OprRecord, Verify, grade, opr_entry,
};

const HEIGHT: u32 = 300_000;

fn previous() -> Vec<Option<[u8; 8]>> {
    (0..25u8).map(|i| Some([i; 8])).collect()
}

fn content() -> OprContent {
    OprContent {
        address: Address::new(AddressKind::FactoidPublic, [9; 32]).to_string(),
        id: "miner1,rack2".into(),
        height: HEIGHT as i32,
        winners: previous()
            .iter()
            .map(|w| w.expect("listed").to_vec())
            .collect(),
        assets: (1..=ASSETS_V5.len() as u64)
            .map(|p| p * 1_000_000)
            .collect(),
        v1_order: None,
    }
}

fn entry_with(c: &OprContent, ext_version: u8) -> Entry {
    opr_entry(
        Network::MainNet.opr_chain_id(),
        &[1, 2, 3],
        0xfff0,
        ext_version,
        c.encode(5).expect("encodes"),
    )
    .expect("fits")
}

fn check(c: &OprContent) -> Result<OprRecord, Invalid> {
    OprRecord::from_entry(&entry_with(c, 5), 5, HEIGHT, &previous())
}

#[test]
fn a_well_formed_v5_record_is_valid() {
    let r = check(&content()).expect("valid");
    assert_eq!(r.nonce, vec![1, 2, 3]);
    assert_eq!(r.self_reported_difficulty, 0xfff0);
    assert_eq!(r.values[1], 0.02);
    assert_eq!(Network::MainNet.opr_version(HEIGHT), Some(5));
}

#[test]
fn each_rule_rejects_with_its_reason() {
    let mut c = content();
    c.height += 1;
    assert!(matches!(check(&c), Err(Invalid::Height { .. })));

    let mut c = content();
    c.assets.pop();
    assert!(matches!(
        check(&c),
        Err(Invalid::AssetCount {
            expected: 62,
            got: 61
        })
    ));

    let mut c = content();
    c.assets[0] = 0;
    assert_eq!(check(&c), Err(Invalid::ZeroPrice("PEG")));

    let mut c = content();
    c.address = Address::new(AddressKind::EcPublic, [9; 32]).to_string();
    assert!(matches!(check(&c), Err(Invalid::Address { .. })));

    let mut c = content();
    c.id = "bad id".into();
    assert_eq!(check(&c), Err(Invalid::Identity("bad id".into())));

    let mut c = content();
    c.winners.swap(0, 1);
    assert_eq!(check(&c), Err(Invalid::Winners));

    let wrong_version = OprRecord::from_entry(&entry_with(&content(), 4), 5, HEIGHT, &previous());
    assert!(matches!(
        wrong_version,
        Err(Invalid::VersionByte { expected: 5, .. })
    ));

    let two_ext = Entry::new(
        Network::MainNet.opr_chain_id(),
        vec![vec![1], vec![0; 8]],
        vec![],
    )
    .expect("fits");
    assert_eq!(
        OprRecord::from_entry(&two_ext, 5, HEIGHT, &previous()),
        Err(Invalid::ExtIdCount(2))
    );
}

#[test]
fn bootstrap_records_carry_empty_winners() {
    let mut c = content();
    c.winners = vec![Vec::new(); 25];
    let none = vec![None; 25];
    assert!(OprRecord::from_entry(&entry_with(&c, 5), 5, HEIGHT, &none).is_ok());
    assert_eq!(
        OprRecord::from_entry(&entry_with(&c, 5), 5, HEIGHT, &previous()),
        Err(Invalid::Winners)
    );
}

fn v5_entry(i: u32, price_scale: u64) -> Entry {
    let mut c = content();
    c.id = format!("miner{i}");
    c.assets = (1..=ASSETS_V5.len() as u64)
        .map(|p| p * price_scale + u64::from(i))
        .collect();
    // Distinct nonces and difficulties: record i reports 1000 - i.
    opr_entry(
        Network::MainNet.opr_chain_id(),
        &i.to_be_bytes(),
        1000 - u64::from(i),
        5,
        c.encode(5).expect("encodes"),
    )
    .expect("fits")
}

#[test]
fn too_few_records_carry_the_previous_winners_forward() {
    let entries: Vec<Entry> = (0..24).map(|i| v5_entry(i, 1_000_000)).collect();
    let g = grade(5, HEIGHT, &entries, &previous(), Verify::SelfReported).expect("grades");
    assert!(!g.has_winners);
    assert_eq!(g.graded.len(), 24);
    assert_eq!(g.winners, previous());
    assert!(g.winning_records().is_empty());
}

#[test]
fn outliers_are_eliminated_and_winners_are_short_hashes() {
    // 30 honest records; the three best by difficulty quote prices 50% off everyone else.
    let entries: Vec<Entry> = (0..30)
        .map(|i| v5_entry(i, if i < 3 { 1_500_000 } else { 1_000_000 }))
        .collect();
    let mut with_junk = entries.clone();
    with_junk.push(v5_entry(0, 1_000_000)); // same nonce as record 0 but other content: valid, distinct
    with_junk.push(entries[5].clone()); // an exact duplicate: dropped
    let g = grade(5, HEIGHT, &with_junk, &previous(), Verify::SelfReported).expect("grades");
    assert!(g.has_winners);
    assert_eq!(g.valid_count, 32);
    assert_eq!(g.graded.len(), 31);
    let winners: Vec<Option<[u8; 8]>> = g
        .winning_records()
        .iter()
        .map(|r| Some(r.record.entry_hash.short()))
        .collect();
    assert_eq!(winners, g.winners);
    for outlier in &entries[..3] {
        assert!(
            !winners.contains(&Some(outlier.hash().short())),
            "an outlier won"
        );
    }
    assert_eq!(winners.len(), 25);
}

#[test]
fn dishonest_difficulties_are_dropped_when_recomputed() {
    let table = lxrhash::Table::generate(8, &mut |_| {}).expect("table");
    let c = content();
    let bytes = c.encode(5).expect("encodes");
    let opr_hash = pegnet_common::hash::sha256(&bytes);
    let chain = Network::MainNet.opr_chain_id();
    let honest = opr_entry(
        chain,
        b"n1",
        table.difficulty(&opr_hash, b"n1"),
        5,
        bytes.clone(),
    )
    .expect("fits");
    let liar = opr_entry(chain, b"n2", u64::MAX, 5, bytes).expect("fits");
    let g = grade(
        5,
        HEIGHT,
        &[honest.clone(), liar],
        &previous(),
        Verify::Lxr(&table),
    )
    .expect("grades");
    assert_eq!(g.valid_count, 2);
    assert_eq!(g.graded.len(), 1);
    assert_eq!(g.graded[0].record.entry_hash, honest.hash());
}
