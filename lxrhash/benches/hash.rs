//! Criterion benches of the hash paths: per miner hash (`OPR hash ‖ 14-byte nonce`), the
//! scalar path against the lockstep batch, at a table that fits in cache (16 bits) and one
//! that does not (24 bits). `pegnet-miner bench` gives the production figures.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lxrhash::Table;

fn hashes(c: &mut Criterion) {
    let mut group = c.benchmark_group("difficulty");
    for bits in [16u32, 24] {
        let table = Table::generate(bits, &mut |_| {}).expect("table");
        let opr_hash = [0x5a_u8; 32];
        let nonces: Vec<[u8; 14]> = (0..256u64)
            .map(|i| {
                let mut n = [0u8; 14];
                n[6..].copy_from_slice(&i.to_be_bytes());
                n
            })
            .collect();
        group.throughput(Throughput::Elements(nonces.len() as u64));
        group.bench_with_input(BenchmarkId::new("scalar", bits), &bits, |b, _| {
            b.iter(|| {
                nonces
                    .iter()
                    .fold(0u64, |acc, n| acc ^ table.difficulty(&opr_hash, n))
            });
        });
        let prefix = table.prefix(&opr_hash);
        let mut out = vec![0u64; nonces.len()];
        group.bench_with_input(BenchmarkId::new("batch", bits), &bits, |b, _| {
            b.iter(|| {
                table.difficulties(&prefix, &nonces, &mut out);
                out[0]
            });
        });
    }
    group.finish();
}

criterion_group!(benches, hashes);
criterion_main!(benches);
