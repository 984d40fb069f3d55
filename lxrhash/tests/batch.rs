//! The batch path is the scalar hash, bit for bit: random inputs, table sizes, batch lengths.

use std::sync::OnceLock;

use lxrhash::{LANES, Table};
use proptest::prelude::*;

fn table(bits: u32) -> &'static Table {
    static TABLES: OnceLock<Vec<Table>> = OnceLock::new();
    let tables = TABLES.get_or_init(|| {
        (8..=12)
            .map(|b| Table::generate(b, &mut |_| {}).expect("table"))
            .collect()
    });
    &tables[(bits - 8) as usize]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn hash_batch_equals_hash(
        bits in 8u32..=12,
        len in 0usize..80,
        count in 1usize..(3 * LANES + 3),
        seed in any::<u64>(),
    ) {
        let t = table(bits);
        let inputs: Vec<Vec<u8>> = (0..count)
            .map(|i| (0..len).map(|j| (seed.wrapping_mul(31).wrapping_add((i * 131 + j * 7) as u64) >> (j % 13)) as u8).collect())
            .collect();
        let mut out = vec![[0u8; 32]; count];
        t.hash_batch(&inputs, &mut out);
        for (input, got) in inputs.iter().zip(&out) {
            prop_assert_eq!(*got, t.hash(input));
        }
    }

    #[test]
    fn difficulties_equal_difficulty(
        bits in 8u32..=12,
        opr_hash in any::<[u8; 32]>(),
        nonce_len in 1usize..20,
        count in 1usize..(2 * LANES + 5),
        start in any::<u64>(),
    ) {
        let t = table(bits);
        let nonces: Vec<Vec<u8>> = (0..count as u64)
            .map(|i| {
                let mut n = (start.wrapping_add(i)).to_be_bytes().to_vec();
                n.resize(nonce_len, (i % 251) as u8);
                n
            })
            .collect();
        let prefix = t.prefix(&opr_hash);
        let mut out = vec![0u64; count];
        t.difficulties(&prefix, &nonces, &mut out);
        for (nonce, got) in nonces.iter().zip(&out) {
            prop_assert_eq!(*got, t.difficulty(&opr_hash, nonce));
        }
    }
}

#[test]
fn the_pegnet_vectors_hold_in_batch() {
    // The scalar path is checked against the reference vectors; one long batch of the same
    // table at 10 bits must agree with it.
    let t = table(10);
    let inputs: Vec<[u8; 46]> = (0..100u8).map(|i| [i; 46]).collect();
    let mut out = vec![[0u8; 32]; inputs.len()];
    t.hash_batch(&inputs, &mut out);
    for (i, o) in inputs.iter().zip(&out) {
        assert_eq!(*o, t.hash(i));
    }
}
