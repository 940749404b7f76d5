use state_processing::helpers::accessors::committee_cache;
use state_processing::per_epoch_processing::*;
use std::time::Instant;
use types::*;

type E = MainnetEthSpec;

#[test]
fn perf() {
    let spec = ChainSpec::mainnet();
    let n: usize = std::env::var("NVAL").ok().and_then(|s| s.parse().ok()).unwrap_or(262_144);
    let mut state = BeaconState::<E>::empty(0, Fork::default(), Eth1Data::default());
    let epoch = 100u64;
    state.slot = (epoch + 1) * 32 - 1;
    state.finalized_checkpoint.epoch = 97;
    for i in 0..n {
        state.validators.push(Validator {
            effective_balance: spec.max_effective_balance,
            activation_eligibility_epoch: 0,
            activation_epoch: 0,
            exit_epoch: u64::MAX,
            withdrawable_epoch: u64::MAX,
            slashed: i % 1000 == 0,
            ..Validator::default()
        }).unwrap();
        state.balances.push(spec.max_effective_balance + (i as u64 % 7) * 100_000_000).unwrap();
    }
    for (i, r) in state.block_roots.iter_mut().enumerate() { *r = Hash256::repeat_byte(i as u8); }
    let t = Instant::now();
    for e in [epoch - 1, epoch] {
        let cache = committee_cache(&state, e, &spec).unwrap();
        let target_root = state.get_block_root(e).unwrap();
        let mut atts = vec![];
        for slot in e * 32..(e + 1) * 32 {
            if slot >= state.slot { break; }
            for index in 0..cache.committees_per_slot() {
                let committee = cache.get_beacon_committee(slot, index).unwrap();
                // Two aggregates per committee, overlapping, different delays.
                for k in 0..2u64 {
                    let mut bits = BitList::with_capacity(committee.len()).unwrap();
                    for j in 0..committee.len() { if !(j as u64 + k).is_multiple_of(3) { bits.set(j, true).unwrap(); } }
                    atts.push(PendingAttestation::<E> {
                        aggregation_bits: bits,
                        data: AttestationData { slot, index, beacon_block_root: state.get_block_root_at_slot(slot).unwrap(), source: Checkpoint::default(), target: Checkpoint { epoch: e, root: target_root } },
                        inclusion_delay: 1 + k + (slot % 3),
                        proposer_index: (slot * 7 + k) % n as u64,
                    });
                }
            }
        }
        let atts = VariableList::new(atts).unwrap();
        if e == epoch { state.current_epoch_attestations = atts } else { state.previous_epoch_attestations = atts }
    }
    eprintln!("setup (incl. shuffles) {:?}", t.elapsed());
    fn best<T>(name: &str, mut f: impl FnMut() -> T) {
        let mut best = std::time::Duration::MAX;
        for _ in 0..7 {
            let t = Instant::now();
            std::hint::black_box(f());
            best = best.min(t.elapsed());
        }
        eprintln!("{name} {best:?}");
    }
    let s = state.clone();
    let tab = state_processing::helpers::accessors::get_total_active_balance(&s, &spec).unwrap();
    let sum = ParticipationSummary::new(&s, 99, SummaryScope::Full, &spec).unwrap();
    best("clone", || state.clone());
    best("process_epoch+clone", || { let mut s = state.clone(); process_epoch(&mut s, &spec).unwrap(); s });
    best("total_active", || state_processing::helpers::accessors::get_total_active_balance(&s, &spec).unwrap());
    best("summary_prev", || ParticipationSummary::new(&s, 99, SummaryScope::Full, &spec).unwrap());
    best("summary_cur", || ParticipationSummary::new(&s, 100, SummaryScope::TargetOnly, &spec).unwrap());
    best("accumulate", || { let mut d = Deltas::zeroed(n); accumulate_deltas(&s, &sum, tab, Components::ALL, &mut d, &spec).unwrap(); d });
    let mut s2 = s.clone();
    best("registry", || process_registry_updates(&mut s2, &spec).unwrap());
    best("slashings", || process_slashings(&mut s2, &spec).unwrap());
    best("final", || process_final_updates(&mut s2, &spec).unwrap());
}
