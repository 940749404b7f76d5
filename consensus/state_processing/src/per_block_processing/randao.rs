//! beacon-chain.md (v1.0.1), "RANDAO": `process_randao`.

use super::errors::BlockProcessingError;
use super::signature_sets::randao_signature_set;
use super::{SignatureVerifier, VerifySignatures};
use crate::helpers::accessors::get_beacon_proposer_index;
use types::{BeaconBlockBody, BeaconState, ChainSpec, EthSpec, Hash256};

/// `process_randao` (beacon-chain.md, RANDAO): verify the reveal, mix it in.
pub fn process_randao<E: EthSpec>(
    state: &mut BeaconState<E>,
    body: &BeaconBlockBody<E>,
    verify: VerifySignatures,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    let mut verifier = SignatureVerifier::new(verify);
    process_randao_with(state, body, &mut verifier, spec)?;
    verifier.finish()
}

pub(crate) fn process_randao_with<E: EthSpec>(
    state: &mut BeaconState<E>,
    body: &BeaconBlockBody<E>,
    verifier: &mut SignatureVerifier,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    let epoch = state.current_epoch();
    // Verify RANDAO reveal
    let proposer_index = get_beacon_proposer_index(state, spec)?;
    verifier.check(
        || randao_signature_set(state, body, proposer_index, spec),
        || BlockProcessingError::RandaoSignatureInvalid,
    )?;
    // Mix in RANDAO reveal
    let reveal_hash = ethereum_hashing::hash_fixed(body.randao_reveal.as_bytes());
    let mut mix = state.get_randao_mix(epoch).0;
    for (m, r) in mix.iter_mut().zip(reveal_hash.iter()) {
        *m ^= r;
    }
    // `epoch % EPOCHS_PER_HISTORICAL_VECTOR` is below the vector's length.
    state.randao_mixes[(epoch % E::epochs_per_historical_vector()) as usize] = Hash256::from(mix);
    Ok(())
}
