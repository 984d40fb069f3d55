use pegnet_common::factom::{ChainCommit, EcSigningKey, Entry, EntryCommit, chain_id};

use super::*;

const NOW: u64 = 1_800_000_000_000;

fn key() -> EcSigningKey {
    EcSigningKey::from_seed(&[7; 32])
}

fn chain_entry(name: &str) -> Entry {
    Entry::new(
        chain_id(&[name.as_bytes()]),
        vec![name.as_bytes().to_vec()],
        vec![],
    )
    .unwrap()
}

fn ledger() -> (Ledger, ChainId) {
    let first = chain_entry("devnet test chain");
    let chain = first.chain_id();
    let config = LedgerConfig {
        network_id: LOCAL_NETWORK_ID,
        genesis_height: 1000,
        genesis_chains: vec![first],
    };
    (Ledger::new(&config, NOW), chain)
}

fn entry(chain: ChainId, content: &str) -> Entry {
    Entry::new(chain, vec![b"x".to_vec()], content.as_bytes().to_vec()).unwrap()
}

fn commit(l: &mut Ledger, e: &Entry) -> Result<CommitAccepted, CommitRejected> {
    l.commit(&EntryCommit::new(e, &key(), NOW).to_bytes(), false, NOW)
}

fn to_minute(l: &mut Ledger, minute: u8) {
    while l.position().minute != minute {
        l.step(NOW);
    }
}

#[test]
fn genesis_holds_the_configured_chains() {
    let (l, chain) = ledger();
    assert_eq!(l.saved_height(), 1000);
    assert_eq!(
        l.position(),
        Position {
            height: 1001,
            minute: 0
        }
    );
    let head = l.chain_head(&chain).unwrap();
    assert!(!head.in_process_list);
    let eblock = l.entry_block(&head.key_mr.unwrap()).unwrap();
    assert_eq!((eblock.sequence, eblock.height), (0, 1000));
    let dblock = l.dblock(1000).unwrap();
    assert_eq!(dblock.entries.len(), 4);
    assert_eq!(dblock.prev_key_mr, Bytes32::default());
}

#[test]
fn funded_commit_and_reveal_confirm_when_the_block_is_saved() {
    let (mut l, chain) = ledger();
    l.fund(key().public_key(), 5, NOW);
    to_minute(&mut l, 3);
    let e = entry(chain, "hello");
    let c = commit(&mut l, &e).unwrap();
    assert_eq!(l.balance(&key().public_key()), 4);
    assert!(matches!(
        l.ack_commit(&c.txid).status,
        CommitStatus::Acked { .. }
    ));
    l.reveal(&e.marshal(), NOW).unwrap();
    assert_eq!(l.ack_entry(&e.hash()).reveal, RevealStatus::Acked);
    assert!(l.chain_head(&chain).unwrap().in_process_list);

    to_minute(&mut l, 9);
    assert_eq!(l.step(NOW), Step::Sealed);
    assert_eq!(l.ack_entry(&e.hash()).reveal, RevealStatus::Acked);
    assert_eq!(l.step(NOW), Step::Saved { height: 1001 });

    let ack = l.ack_commit(&c.txid);
    assert!(matches!(ack.status, CommitStatus::Confirmed { .. }));
    assert_eq!(ack.entry_hash, Some(e.hash()));
    let by_entry = l.ack_entry(&e.hash());
    assert!(matches!(by_entry.reveal, RevealStatus::Confirmed { .. }));
    assert_eq!(by_entry.commit.unwrap().0, c.txid);

    let head = l.chain_head(&chain).unwrap();
    assert!(!head.in_process_list);
    let eblock = l.entry_block(&head.key_mr.unwrap()).unwrap();
    assert_eq!((eblock.sequence, eblock.height), (1, 1001));
    // Acknowledged in minute 3: followed by marker 4.
    assert_eq!(eblock.entries(), vec![(e.hash(), 4)]);
    assert!(
        l.dblock(1001)
            .unwrap()
            .entries
            .iter()
            .any(|(c, k)| *c == chain && *k == eblock.key_mr)
    );
}

#[test]
fn unfunded_commit_is_held_until_funded() {
    let (mut l, chain) = ledger();
    let e = entry(chain, "unfunded");
    let c = commit(&mut l, &e).unwrap();
    l.reveal(&e.marshal(), NOW).unwrap();
    assert!(matches!(
        l.ack_commit(&c.txid).status,
        CommitStatus::Held { .. }
    ));
    assert_eq!(l.ack_entry(&e.hash()).reveal, RevealStatus::Held);
    // A held commit is not in the Commits map, so the same bytes again are not "repeated".
    assert!(commit(&mut l, &e).is_ok());
    l.fund(key().public_key(), 1, NOW);
    assert!(matches!(
        l.ack_commit(&c.txid).status,
        CommitStatus::Acked { .. }
    ));
    assert_eq!(l.ack_entry(&e.hash()).reveal, RevealStatus::Acked);
    assert_eq!(l.balance(&key().public_key()), 0);
}

#[test]
fn repeated_commit_is_refused_until_the_reveal_consumes_it() {
    let (mut l, chain) = ledger();
    l.fund(key().public_key(), 10, NOW);
    let e = entry(chain, "twice");
    commit(&mut l, &e).unwrap();
    assert_eq!(
        commit(&mut l, &e),
        Err(CommitRejected::Repeated {
            entry_hash: e.hash()
        })
    );
    l.reveal(&e.marshal(), NOW).unwrap();
    // Consumed: a new commit (new timestamp) for the same entry is accepted and paid again.
    let again = EntryCommit::new(&e, &key(), NOW + 1).to_bytes();
    l.commit(&again, false, NOW).unwrap();
    assert_eq!(l.balance(&key().public_key()), 8);
    // The very same bytes are dropped by the replay filter: success, no second charge... but
    // this commit is open again, so the API refuses it as repeated first.
    assert!(matches!(
        l.commit(&again, false, NOW),
        Err(CommitRejected::Repeated { .. })
    ));
}

#[test]
fn reveal_without_commit_or_chain_is_held() {
    let (mut l, chain) = ledger();
    l.fund(key().public_key(), 10, NOW);
    let e = entry(chain, "no commit");
    l.reveal(&e.marshal(), NOW).unwrap();
    assert_eq!(l.ack_entry(&e.hash()).reveal, RevealStatus::Held);
    assert_eq!(l.entry(&e.hash()), Some(&e));

    let orphan = entry(ChainId([9; 32]), "no chain");
    commit(&mut l, &orphan).unwrap();
    l.reveal(&orphan.marshal(), NOW).unwrap();
    for _ in 0..11 {
        l.step(NOW);
    }
    assert_eq!(l.ack_entry(&orphan.hash()).reveal, RevealStatus::Held);
    assert!(l.chain_head(&ChainId([9; 32])).is_none());
}

#[test]
fn chain_commit_creates_the_chain_and_entries_follow() {
    let (mut l, _) = ledger();
    l.fund(key().public_key(), 100, NOW);
    let first = chain_entry("a new chain");
    let chain = first.chain_id();
    let cc = ChainCommit::new(&first, &key(), NOW);
    let accepted = l.commit(&cc.to_bytes(), true, NOW).unwrap();
    assert_eq!(
        accepted.chain_id_hash,
        Some(Bytes32(pegnet_common::factom::chain_id_hash(&chain)))
    );
    assert_eq!(l.balance(&key().public_key()), 100 - 11);
    // An entry for the chain before the chain's reveal waits.
    let e = entry(chain, "second");
    commit(&mut l, &e).unwrap();
    l.reveal(&e.marshal(), NOW).unwrap();
    assert_eq!(l.ack_entry(&e.hash()).reveal, RevealStatus::Held);
    l.reveal(&first.marshal(), NOW).unwrap();
    assert_eq!(l.ack_entry(&first.hash()).reveal, RevealStatus::Acked);
    assert_eq!(l.ack_entry(&e.hash()).reveal, RevealStatus::Acked);
    assert_eq!(
        l.chain_head(&chain),
        Some(ChainHead {
            key_mr: None,
            in_process_list: true
        })
    );
    to_minute(&mut l, 10);
    l.step(NOW);
    let head = l.chain_head(&chain).unwrap();
    let eblock = l.entry_block(&head.key_mr.unwrap()).unwrap();
    assert_eq!(eblock.entries(), vec![(first.hash(), 1), (e.hash(), 1)]);
}

#[test]
fn entry_commit_cannot_pay_for_a_larger_entry() {
    let (mut l, chain) = ledger();
    l.fund(key().public_key(), 10, NOW);
    let big = Entry::new(chain, vec![], vec![0; 2000]).unwrap();
    let mut cheap = EntryCommit::new(&big, &key(), NOW);
    cheap.credits = 1;
    cheap.signature = [0; 64];
    // Re-sign with one credit.
    let unsigned = cheap.to_bytes();
    cheap.signature = key().sign(&unsigned[..40]);
    l.commit(&cheap.to_bytes(), false, NOW).unwrap();
    l.reveal(&big.marshal(), NOW).unwrap();
    assert_eq!(l.ack_entry(&big.hash()).reveal, RevealStatus::Held);
}

#[test]
fn invalid_commits_are_refused() {
    let (mut l, chain) = ledger();
    let e = entry(chain, "bad");
    let mut bytes = EntryCommit::new(&e, &key(), NOW).to_bytes();
    bytes[100] ^= 1;
    assert!(matches!(
        l.commit(&bytes, false, NOW),
        Err(CommitRejected::Invalid {
            error: CommitError::Signature
        })
    ));
    assert!(matches!(
        l.commit(&bytes[..100], false, NOW),
        Err(CommitRejected::Invalid {
            error: CommitError::Length { .. }
        })
    ));
    // Bytes after the commit are ignored, as factomd does.
    let mut long = EntryCommit::new(&e, &key(), NOW).to_bytes().to_vec();
    long.extend_from_slice(b"trailing");
    assert!(l.commit(&long, false, NOW).is_ok());
    assert_eq!(l.counters().commits_invalid, 2);
}

#[test]
fn stale_commit_is_dropped_silently() {
    let (mut l, chain) = ledger();
    l.fund(key().public_key(), 10, NOW);
    let e = entry(chain, "old");
    let old = EntryCommit::new(&e, &key(), NOW - REPLAY_WINDOW_MS - 1);
    let accepted = l.commit(&old.to_bytes(), false, NOW).unwrap();
    assert_eq!(l.ack_commit(&accepted.txid).status, CommitStatus::Unknown);
    assert_eq!(l.balance(&key().public_key()), 10);
    assert_eq!(l.counters().commits_dropped_stale, 1);
}

#[test]
fn sealed_block_holds_new_messages_for_the_next_block() {
    let (mut l, chain) = ledger();
    l.fund(key().public_key(), 10, NOW);
    to_minute(&mut l, 10);
    let e = entry(chain, "late");
    let c = commit(&mut l, &e).unwrap();
    l.reveal(&e.marshal(), NOW).unwrap();
    assert!(matches!(
        l.ack_commit(&c.txid).status,
        CommitStatus::Held { .. }
    ));
    assert_eq!(l.step(NOW), Step::Saved { height: 1001 });
    assert_eq!(l.ack_entry(&e.hash()).reveal, RevealStatus::Acked);
    to_minute(&mut l, 10);
    l.step(NOW);
    let eblock = l
        .entry_block(&l.chain_head(&chain).unwrap().key_mr.unwrap())
        .unwrap();
    assert_eq!(eblock.height, 1002);
    assert_eq!(eblock.entries(), vec![(e.hash(), 1)]);
}

#[test]
fn pending_entries_lists_commits_reveals_and_held() {
    let (mut l, chain) = ledger();
    l.fund(key().public_key(), 1, NOW);
    let paid = entry(chain, "paid");
    commit(&mut l, &paid).unwrap();
    let only_committed = entry(chain, "committed only");
    commit(&mut l, &only_committed).unwrap(); // unfunded: held, not listed
    let held = entry(chain, "held");
    l.reveal(&held.marshal(), NOW).unwrap();
    l.reveal(&paid.marshal(), NOW).unwrap();
    let pending = l.pending_entries();
    assert_eq!(
        pending,
        vec![
            PendingEntry {
                entry_hash: paid.hash(),
                chain_id: Some(Bytes32(chain.0)),
                acked: true
            },
            PendingEntry {
                entry_hash: held.hash(),
                chain_id: Some(Bytes32(chain.0)),
                acked: false
            },
        ]
    );
}

#[test]
fn saved_blocks_replay_to_identical_hashes() {
    let (mut l, chain) = ledger();
    l.fund(key().public_key(), 100, NOW);
    for block in 0..3u8 {
        for minute in [1u8, 4, 4, 8] {
            to_minute(&mut l, minute);
            let e = entry(
                chain,
                &format!("{block}-{minute}-{}", l.counters().commits_paid),
            );
            commit(&mut l, &e).unwrap();
            l.reveal(&e.marshal(), NOW).unwrap();
        }
        to_minute(&mut l, 10);
        l.step(NOW);
    }
    let config = LedgerConfig {
        network_id: LOCAL_NETWORK_ID,
        genesis_height: 1000,
        genesis_chains: vec![chain_entry("devnet test chain")],
    };
    let records: Vec<BlockRecord> = (1000..=l.saved_height())
        .map(|h| l.block_record(h).unwrap())
        .collect();
    let restored = Ledger::restore(&config, &records, NOW);
    assert_eq!(restored.saved_height(), l.saved_height());
    for h in 1000..=l.saved_height() {
        assert_eq!(restored.dblock(h), l.dblock(h));
    }
    let head = l.chain_head(&chain).unwrap().key_mr.unwrap();
    assert_eq!(restored.entry_block(&head), l.entry_block(&head));
    let last = l.entry_block(&head).unwrap().entries()[0].0;
    assert_eq!(restored.ack_entry(&last), l.ack_entry(&last));
}
