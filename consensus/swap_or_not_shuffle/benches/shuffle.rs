//! Whole-list shuffle with mainnet's SHUFFLE_ROUND_COUNT (90).

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use swap_or_not_shuffle::shuffle_list;

const ROUNDS: u8 = 90;

fn bench_shuffle_list(c: &mut Criterion) {
    let seed = [42u8; 32];
    let mut group = c.benchmark_group("shuffle_list");
    group.sample_size(10);
    for n in [16_384usize, 262_144] {
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            let input: Vec<usize> = (0..n).collect();
            b.iter(|| shuffle_list(black_box(input.clone()), ROUNDS, black_box(&seed), false))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_shuffle_list);
criterion_main!(benches);
