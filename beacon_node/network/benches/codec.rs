//! The req/resp codec on a full beacon_blocks_by_range answer: 1,024 mainnet-preset blocks of
//! 128 attestations each (every committee bit set, random signatures, so snappy finds little
//! to compress), encoded as response chunks and read back through the bounded reader.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use network::rpc::codec::{encode_response, read_response};
use network::rpc::{BlocksByRangeRequest, Request, Response};
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use types::*;

type E = MainnetEthSpec;

fn full_block(slot: u64, rng: &mut rand::rngs::StdRng) -> SignedBeaconBlock<E> {
    let mut block = SignedBeaconBlock::<E>::default();
    block.message.slot = slot;
    let mut attestations = Vec::new();
    for index in 0..128u64 {
        let mut bits = BitList::with_capacity(128).expect("within the limit");
        for i in 0..128 {
            bits.set(i, true).expect("in range");
        }
        let mut signature = [0u8; 96];
        rng.fill(&mut signature[..]);
        let mut attestation = Attestation::<E> {
            aggregation_bits: bits,
            data: AttestationData {
                slot: slot.saturating_sub(1),
                index: index % 4,
                beacon_block_root: Hash256::repeat_byte(slot as u8),
                source: Checkpoint::default(),
                target: Checkpoint::default(),
            },
            signature: SignatureBytes::deserialize(&[0; 96]).expect("96 bytes"),
        };
        attestation.signature = SignatureBytes::deserialize(&signature).expect("96 bytes");
        attestations.push(attestation);
    }
    block.message.body.attestations = VariableList::new(attestations).expect("128 fit");
    block
}

fn bench(c: &mut Criterion) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let blocks: Vec<Arc<SignedBeaconBlock<E>>> = (1..=1024)
        .map(|slot| Arc::new(full_block(slot, &mut rng)))
        .collect();
    let response = Response::Blocks(blocks.clone());
    let encoded = encode_response(&response).expect("encodes");
    let ssz_total: usize = blocks
        .iter()
        .map(|b| ssz::Encode::ssz_bytes_len(&**b))
        .sum();
    eprintln!(
        "1,024 blocks: {:.1} MiB of SSZ, {:.1} MiB on the wire",
        ssz_total as f64 / (1 << 20) as f64,
        encoded.len() as f64 / (1 << 20) as f64
    );
    let request = Request::BlocksByRange(BlocksByRangeRequest {
        start_slot: 1,
        count: 1024,
        step: 1,
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("blocks_by_range_1024");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(ssz_total as u64));
    group.bench_function("encode", |b| {
        b.iter(|| encode_response(&response).expect("encodes"))
    });
    group.bench_function("decode", |b| {
        b.iter(|| {
            let decoded = runtime
                .block_on(read_response::<E, _>(&request, &mut encoded.as_slice()))
                .expect("decodes");
            assert!(matches!(decoded, Response::Blocks(ref b) if b.len() == 1024));
            decoded
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
