//! beacon-chain.md (v1.0.1), "Operations": `process_operations`.

use super::errors::BlockProcessingError;
use super::{attestation, attester_slashing, deposit, proposer_slashing, voluntary_exit};
use super::{SignatureVerifier, VerifySignatures};
use crate::helpers::accessors::get_beacon_proposer_index;
use safe_arith::SafeArith;
use types::typenum::Unsigned;
use types::{BeaconBlockBody, BeaconState, ChainSpec, EthSpec};

/// `process_operations` (beacon-chain.md, Operations): the outstanding-deposits assert, then
/// each list of operations in the spec's order.
pub fn process_operations<E: EthSpec>(
    state: &mut BeaconState<E>,
    body: &BeaconBlockBody<E>,
    verify: VerifySignatures,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    let mut verifier = SignatureVerifier::new(verify);
    process_operations_with(state, body, &mut verifier, spec)?;
    verifier.finish()
}

pub(crate) fn process_operations_with<E: EthSpec>(
    state: &mut BeaconState<E>,
    body: &BeaconBlockBody<E>,
    verifier: &mut SignatureVerifier,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    // Verify that outstanding deposits are processed up to the maximum number of deposits
    let outstanding = state
        .eth1_data
        .deposit_count
        .safe_sub(state.eth1_deposit_index)?;
    let expected = std::cmp::min(E::MaxDeposits::to_u64(), outstanding);
    let found = body.deposits.len() as u64;
    if found != expected {
        return Err(BlockProcessingError::DepositCountMismatch { expected, found });
    }

    for (index, operation) in body.proposer_slashings.iter().enumerate() {
        proposer_slashing::process_proposer_slashing_with(state, operation, index, verifier, spec)?;
    }
    for (index, operation) in body.attester_slashings.iter().enumerate() {
        attester_slashing::process_attester_slashing_with(state, operation, index, verifier, spec)?;
    }
    if !body.attestations.is_empty() {
        // The proposer is fixed for the block: slashings and exits of this block take effect in
        // later epochs, and effective balances change only at epoch boundaries.
        let proposer_index = get_beacon_proposer_index(state, spec)?;
        for (index, operation) in body.attestations.iter().enumerate() {
            attestation::process_attestation_with(
                state,
                operation,
                index,
                Some(proposer_index),
                verifier,
                spec,
            )?;
        }
    }
    for (index, operation) in body.deposits.iter().enumerate() {
        deposit::process_deposit_at(state, operation, index, spec)?;
    }
    for (index, operation) in body.voluntary_exits.iter().enumerate() {
        voluntary_exit::process_voluntary_exit_with(state, operation, index, verifier, spec)?;
    }
    Ok(())
}
