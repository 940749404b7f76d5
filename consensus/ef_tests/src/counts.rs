//! Expected number of case directories per (suite, preset, runner, handler), counted from the
//! official trees (v0.12.3: npm `@chainsafe/eth2-spec-tests@0.12.3`; v1.0.1: the phase 0
//! minimal + general generator output in `shared/spec-tests`). A handler with fewer cases than
//! listed lost some (a truncated extraction, a filter gone wrong); one with more means this
//! table is stale. Both are failures unless `--no-count-check` is given (for other trees).
//!
//! Totals: v0.12.3 6,316 (general 1,961, minimal 3,843, mainnet 512); v1.0.1 5,823
//! (general 1,965, minimal 3,858).

use crate::context::{Preset, Suite};

/// (suite, preset, runner, handler, case count).
pub const EXPECTED_COUNTS: &[(&str, &str, &str, &str, usize)] = &[
    ("v0.12.3", "general", "bls", "aggregate", 4),
    ("v0.12.3", "general", "bls", "aggregate_verify", 4),
    ("v0.12.3", "general", "bls", "fast_aggregate_verify", 11),
    ("v0.12.3", "general", "bls", "sign", 9),
    ("v0.12.3", "general", "bls", "verify", 28),
    ("v0.12.3", "general", "ssz_generic", "basic_vector", 1077),
    ("v0.12.3", "general", "ssz_generic", "bitlist", 264),
    ("v0.12.3", "general", "ssz_generic", "bitvector", 61),
    ("v0.12.3", "general", "ssz_generic", "boolean", 6),
    ("v0.12.3", "general", "ssz_generic", "containers", 383),
    ("v0.12.3", "general", "ssz_generic", "uints", 114),
    ("v0.12.3", "minimal", "epoch_processing", "final_updates", 4),
    (
        "v0.12.3",
        "minimal",
        "epoch_processing",
        "justification_and_finalization",
        9,
    ),
    (
        "v0.12.3",
        "minimal",
        "epoch_processing",
        "registry_updates",
        8,
    ),
    (
        "v0.12.3",
        "minimal",
        "epoch_processing",
        "rewards_and_penalties",
        16,
    ),
    ("v0.12.3", "minimal", "epoch_processing", "slashings", 3),
    ("v0.12.3", "minimal", "finality", "finality", 5),
    ("v0.12.3", "minimal", "genesis", "initialization", 2),
    ("v0.12.3", "minimal", "genesis", "validity", 5),
    ("v0.12.3", "minimal", "operations", "attestation", 21),
    ("v0.12.3", "minimal", "operations", "attester_slashing", 25),
    ("v0.12.3", "minimal", "operations", "block_header", 6),
    ("v0.12.3", "minimal", "operations", "deposit", 11),
    ("v0.12.3", "minimal", "operations", "proposer_slashing", 14),
    ("v0.12.3", "minimal", "operations", "voluntary_exit", 9),
    ("v0.12.3", "minimal", "rewards", "basic", 21),
    ("v0.12.3", "minimal", "rewards", "leak", 18),
    ("v0.12.3", "minimal", "rewards", "random", 5),
    ("v0.12.3", "minimal", "sanity", "blocks", 35),
    ("v0.12.3", "minimal", "sanity", "slots", 5),
    ("v0.12.3", "minimal", "shuffling", "core", 300),
    ("v0.12.3", "minimal", "ssz_static", "AggregateAndProof", 123),
    ("v0.12.3", "minimal", "ssz_static", "Attestation", 123),
    ("v0.12.3", "minimal", "ssz_static", "AttestationData", 123),
    ("v0.12.3", "minimal", "ssz_static", "AttesterSlashing", 123),
    ("v0.12.3", "minimal", "ssz_static", "BeaconBlock", 123),
    ("v0.12.3", "minimal", "ssz_static", "BeaconBlockBody", 123),
    ("v0.12.3", "minimal", "ssz_static", "BeaconBlockHeader", 123),
    ("v0.12.3", "minimal", "ssz_static", "BeaconState", 123),
    ("v0.12.3", "minimal", "ssz_static", "Checkpoint", 123),
    ("v0.12.3", "minimal", "ssz_static", "Deposit", 123),
    ("v0.12.3", "minimal", "ssz_static", "DepositData", 123),
    ("v0.12.3", "minimal", "ssz_static", "DepositMessage", 123),
    ("v0.12.3", "minimal", "ssz_static", "Eth1Block", 123),
    ("v0.12.3", "minimal", "ssz_static", "Eth1Data", 123),
    ("v0.12.3", "minimal", "ssz_static", "Fork", 123),
    ("v0.12.3", "minimal", "ssz_static", "ForkData", 123),
    ("v0.12.3", "minimal", "ssz_static", "HistoricalBatch", 123),
    (
        "v0.12.3",
        "minimal",
        "ssz_static",
        "IndexedAttestation",
        123,
    ),
    (
        "v0.12.3",
        "minimal",
        "ssz_static",
        "PendingAttestation",
        123,
    ),
    ("v0.12.3", "minimal", "ssz_static", "ProposerSlashing", 123),
    (
        "v0.12.3",
        "minimal",
        "ssz_static",
        "SignedAggregateAndProof",
        123,
    ),
    ("v0.12.3", "minimal", "ssz_static", "SignedBeaconBlock", 123),
    (
        "v0.12.3",
        "minimal",
        "ssz_static",
        "SignedBeaconBlockHeader",
        123,
    ),
    (
        "v0.12.3",
        "minimal",
        "ssz_static",
        "SignedVoluntaryExit",
        123,
    ),
    ("v0.12.3", "minimal", "ssz_static", "SigningData", 123),
    ("v0.12.3", "minimal", "ssz_static", "Validator", 123),
    ("v0.12.3", "minimal", "ssz_static", "VoluntaryExit", 123),
    ("v0.12.3", "mainnet", "epoch_processing", "final_updates", 4),
    (
        "v0.12.3",
        "mainnet",
        "epoch_processing",
        "justification_and_finalization",
        9,
    ),
    (
        "v0.12.3",
        "mainnet",
        "epoch_processing",
        "registry_updates",
        8,
    ),
    (
        "v0.12.3",
        "mainnet",
        "epoch_processing",
        "rewards_and_penalties",
        16,
    ),
    ("v0.12.3", "mainnet", "epoch_processing", "slashings", 3),
    ("v0.12.3", "mainnet", "finality", "finality", 5),
    ("v0.12.3", "mainnet", "operations", "attestation", 21),
    ("v0.12.3", "mainnet", "operations", "attester_slashing", 25),
    ("v0.12.3", "mainnet", "operations", "block_header", 6),
    ("v0.12.3", "mainnet", "operations", "deposit", 11),
    ("v0.12.3", "mainnet", "operations", "proposer_slashing", 14),
    ("v0.12.3", "mainnet", "operations", "voluntary_exit", 9),
    ("v0.12.3", "mainnet", "rewards", "basic", 21),
    ("v0.12.3", "mainnet", "rewards", "leak", 18),
    ("v0.12.3", "mainnet", "rewards", "random", 5),
    ("v0.12.3", "mainnet", "sanity", "blocks", 32),
    ("v0.12.3", "mainnet", "sanity", "slots", 5),
    ("v0.12.3", "mainnet", "shuffling", "core", 300),
    ("v1.0.1", "general", "bls", "aggregate", 5),
    ("v1.0.1", "general", "bls", "aggregate_verify", 5),
    ("v1.0.1", "general", "bls", "fast_aggregate_verify", 12),
    ("v1.0.1", "general", "bls", "sign", 10),
    ("v1.0.1", "general", "bls", "verify", 28),
    ("v1.0.1", "general", "ssz_generic", "basic_vector", 1077),
    ("v1.0.1", "general", "ssz_generic", "bitlist", 264),
    ("v1.0.1", "general", "ssz_generic", "bitvector", 61),
    ("v1.0.1", "general", "ssz_generic", "boolean", 6),
    ("v1.0.1", "general", "ssz_generic", "containers", 383),
    ("v1.0.1", "general", "ssz_generic", "uints", 114),
    ("v1.0.1", "minimal", "epoch_processing", "final_updates", 4),
    (
        "v1.0.1",
        "minimal",
        "epoch_processing",
        "justification_and_finalization",
        9,
    ),
    (
        "v1.0.1",
        "minimal",
        "epoch_processing",
        "registry_updates",
        8,
    ),
    (
        "v1.0.1",
        "minimal",
        "epoch_processing",
        "rewards_and_penalties",
        19,
    ),
    ("v1.0.1", "minimal", "epoch_processing", "slashings", 3),
    ("v1.0.1", "minimal", "finality", "finality", 5),
    ("v1.0.1", "minimal", "genesis", "initialization", 5),
    ("v1.0.1", "minimal", "genesis", "validity", 5),
    ("v1.0.1", "minimal", "operations", "attestation", 22),
    ("v1.0.1", "minimal", "operations", "attester_slashing", 25),
    ("v1.0.1", "minimal", "operations", "block_header", 6),
    ("v1.0.1", "minimal", "operations", "deposit", 13),
    ("v1.0.1", "minimal", "operations", "proposer_slashing", 14),
    ("v1.0.1", "minimal", "operations", "voluntary_exit", 9),
    ("v1.0.1", "minimal", "rewards", "basic", 21),
    ("v1.0.1", "minimal", "rewards", "leak", 18),
    ("v1.0.1", "minimal", "rewards", "random", 5),
    ("v1.0.1", "minimal", "sanity", "blocks", 41),
    ("v1.0.1", "minimal", "sanity", "slots", 5),
    ("v1.0.1", "minimal", "shuffling", "core", 300),
    ("v1.0.1", "minimal", "ssz_static", "AggregateAndProof", 123),
    ("v1.0.1", "minimal", "ssz_static", "Attestation", 123),
    ("v1.0.1", "minimal", "ssz_static", "AttestationData", 123),
    ("v1.0.1", "minimal", "ssz_static", "AttesterSlashing", 123),
    ("v1.0.1", "minimal", "ssz_static", "BeaconBlock", 123),
    ("v1.0.1", "minimal", "ssz_static", "BeaconBlockBody", 123),
    ("v1.0.1", "minimal", "ssz_static", "BeaconBlockHeader", 123),
    ("v1.0.1", "minimal", "ssz_static", "BeaconState", 123),
    ("v1.0.1", "minimal", "ssz_static", "Checkpoint", 123),
    ("v1.0.1", "minimal", "ssz_static", "Deposit", 123),
    ("v1.0.1", "minimal", "ssz_static", "DepositData", 123),
    ("v1.0.1", "minimal", "ssz_static", "DepositMessage", 123),
    ("v1.0.1", "minimal", "ssz_static", "Eth1Block", 123),
    ("v1.0.1", "minimal", "ssz_static", "Eth1Data", 123),
    ("v1.0.1", "minimal", "ssz_static", "Fork", 123),
    ("v1.0.1", "minimal", "ssz_static", "ForkData", 123),
    ("v1.0.1", "minimal", "ssz_static", "HistoricalBatch", 123),
    ("v1.0.1", "minimal", "ssz_static", "IndexedAttestation", 123),
    ("v1.0.1", "minimal", "ssz_static", "PendingAttestation", 123),
    ("v1.0.1", "minimal", "ssz_static", "ProposerSlashing", 123),
    (
        "v1.0.1",
        "minimal",
        "ssz_static",
        "SignedAggregateAndProof",
        123,
    ),
    ("v1.0.1", "minimal", "ssz_static", "SignedBeaconBlock", 123),
    (
        "v1.0.1",
        "minimal",
        "ssz_static",
        "SignedBeaconBlockHeader",
        123,
    ),
    (
        "v1.0.1",
        "minimal",
        "ssz_static",
        "SignedVoluntaryExit",
        123,
    ),
    ("v1.0.1", "minimal", "ssz_static", "SigningData", 123),
    ("v1.0.1", "minimal", "ssz_static", "Validator", 123),
    ("v1.0.1", "minimal", "ssz_static", "VoluntaryExit", 123),
];

/// The expected counts of one suite and preset: (runner, handler, count).
pub fn expected(suite: Suite, preset: Preset) -> Vec<(&'static str, &'static str, usize)> {
    EXPECTED_COUNTS
        .iter()
        .filter(|(s, p, ..)| *s == suite.as_str() && *p == preset.as_str())
        .map(|&(_, _, runner, handler, count)| (runner, handler, count))
        .collect()
}

/// The expected total of one suite and preset.
pub fn expected_total(suite: Suite, preset: Preset) -> usize {
    expected(suite, preset).iter().map(|(.., n)| n).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_match_the_published_counts() {
        let total = |s, p| expected_total(s, p);
        assert_eq!(total(Suite::V0_12_3, Preset::General), 1961);
        assert_eq!(total(Suite::V0_12_3, Preset::Minimal), 3843);
        assert_eq!(total(Suite::V0_12_3, Preset::Mainnet), 512);
        assert_eq!(total(Suite::V1_0_1, Preset::General), 1965);
        assert_eq!(total(Suite::V1_0_1, Preset::Minimal), 3858);
        assert_eq!(total(Suite::V1_0_1, Preset::Mainnet), 0);
    }
}
