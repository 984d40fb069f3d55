//! Property tests: every codec round-trips, and no decoder panics on arbitrary bytes.

use pegnet_common::factom::{
    Address, AddressKind, ChainCommit, ChainId, EcSigningKey, Entry, EntryCommit, MAX_PAYLOAD_LEN,
};
use pegnet_common::opr::{ASSETS_V1, OprContent};
use proptest::prelude::*;

fn entry_strategy() -> impl Strategy<Value = Entry> {
    (
        any::<[u8; 32]>(),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..6),
        prop::collection::vec(any::<u8>(), 0..2048),
    )
        .prop_map(|(chain, ext_ids, content)| {
            Entry::new(ChainId(chain), ext_ids, content).expect("small entry")
        })
}

fn hex_winners(n: usize) -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop_oneof![
        prop::collection::vec(any::<[u8; 8]>().prop_map(|w| w.to_vec()), n..=n),
        Just(vec![Vec::new(); n]),
    ]
}

fn identity() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9,]{1,32}"
}

proptest! {
    #[test]
    fn entries_round_trip(e in entry_strategy()) {
        let m = e.marshal();
        let back = Entry::unmarshal(&m).expect("own marshalling parses");
        prop_assert_eq!(back.hash(), e.hash());
        prop_assert_eq!(back, e);
    }

    #[test]
    fn entry_size_limit_is_exact(extra in 0usize..3) {
        let content = vec![7u8; MAX_PAYLOAD_LEN - 1 + extra];
        let r = Entry::new(ChainId([1; 32]), vec![], content);
        prop_assert_eq!(r.is_ok(), extra <= 1);
    }

    #[test]
    fn entry_commits_round_trip(e in entry_strategy(), seed in any::<[u8; 32]>(), ts in 0u64..(1 << 48)) {
        let key = EcSigningKey::from_seed(&seed);
        let c = EntryCommit::new(&e, &key, ts);
        let parsed = EntryCommit::parse(&c.to_bytes()).expect("parses");
        prop_assert_eq!(parsed, c);
        prop_assert!(parsed.validate().is_ok());
        prop_assert_eq!(parsed.credits, e.ec_cost());
        // Any flipped bit in the signed part breaks the signature.
        let mut bytes = c.to_bytes();
        bytes[7] ^= 1;
        prop_assert!(EntryCommit::parse(&bytes).expect("parses").validate().is_err());
    }

    #[test]
    fn chain_commits_round_trip(e in entry_strategy(), seed in any::<[u8; 32]>(), ts in 0u64..(1 << 48)) {
        let key = EcSigningKey::from_seed(&seed);
        let c = ChainCommit::new(&e, &key, ts);
        let parsed = ChainCommit::parse(&c.to_bytes()).expect("parses");
        prop_assert_eq!(parsed, c);
        prop_assert!(parsed.validate().is_ok());
        prop_assert!(parsed.matches(&e.chain_id(), &e.hash()));
    }

    #[test]
    fn addresses_round_trip(body in any::<[u8; 32]>(), k in 0usize..4) {
        let kind = [AddressKind::FactoidPublic, AddressKind::FactoidPrivate, AddressKind::EcPublic, AddressKind::EcPrivate][k];
        let a = Address::new(kind, body);
        let s = a.to_string();
        prop_assert_eq!(s.len(), 52);
        prop_assert!(s.starts_with(kind.human_prefix()));
        prop_assert_eq!(s.parse::<Address>().expect("parses"), a);
    }

    #[test]
    fn a_changed_character_never_validates_as_the_same_address(body in any::<[u8; 32]>(), pos in 2usize..52, c in 0usize..58) {
        let s = Address::new(AddressKind::FactoidPublic, body).to_string();
        let alphabet = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        let mut bytes = s.clone().into_bytes();
        prop_assume!(bytes[pos] != alphabet[c]);
        bytes[pos] = alphabet[c];
        let changed = String::from_utf8(bytes).expect("ascii");
        if let Ok(a) = changed.parse::<Address>() {
            prop_assert_ne!(a.body(), &body);
        }
    }

    #[test]
    fn protobuf_content_round_trips(address in "FA[1-9A-HJ-NP-Za-km-z]{50}", id in identity(), height in any::<i32>(),
                                    winners in hex_winners(25), assets in prop::collection::vec(any::<u64>(), 0..70),
                                    version in 2u8..=5) {
        let c = OprContent { address, id, height, winners, assets, v1_order: None };
        let bytes = c.encode(version).expect("encodes");
        prop_assert_eq!(OprContent::decode(version, &bytes).expect("decodes"), c);
    }

    #[test]
    fn json_content_round_trips(address in "FA[1-9A-HJ-NP-Za-km-z]{50}", id in identity(), height in any::<i32>(),
                                winners in hex_winners(10),
                                assets in prop::collection::vec(0u64..100_000_000_000_000, ASSETS_V1.len())) {
        let c = OprContent { address, id, height, winners, assets, v1_order: None };
        let bytes = c.encode(1).expect("encodes");
        let back = OprContent::decode(1, &bytes).expect("decodes");
        prop_assert_eq!(&back, &c);
        prop_assert_eq!(back.encode(1).expect("re-encodes"), bytes);
    }

    #[test]
    fn decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600), version in 0u8..8) {
        std::hint::black_box((Entry::unmarshal(&bytes)).is_ok());
        std::hint::black_box((EntryCommit::parse(&bytes).map(|c| c.validate())).is_ok());
        std::hint::black_box((ChainCommit::parse(&bytes).map(|c| c.validate())).is_ok());
        std::hint::black_box((OprContent::decode(version, &bytes)).is_ok());
        std::hint::black_box((OprContent::decode_with_values(version, &bytes)).is_ok());
        std::hint::black_box((String::from_utf8_lossy(&bytes).parse::<Address>()).is_ok());
    }

    #[test]
    fn decoders_never_panic_on_near_valid_input(e in entry_strategy(), flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4)) {
        let mut m = e.marshal();
        for (i, b) in flips {
            let n = m.len();
            m[i % n] ^= b;
        }
        std::hint::black_box((Entry::unmarshal(&m)).is_ok());
        let mut json = br#"{"coinbase":"x","dbht":1,"winners":["00"],"minerid":"y","assets":{"PNT":0}}"#.to_vec();
        let n = json.len();
        json[m.len() % n] = m[0];
        std::hint::black_box((OprContent::decode(1, &json)).is_ok());
    }
}
