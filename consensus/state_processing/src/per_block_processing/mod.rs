//! beacon-chain.md (v1.0.1), "Block processing": `process_block` and its steps, one file each.
//!
//! <https://github.com/ethereum/consensus-specs/blob/v1.0.1/specs/phase0/beacon-chain.md#block-processing>
//!
//! Signatures are checked through one `SignatureVerifier` per call, in the mode the caller
//! picks ([`VerifySignatures`]): each as it is met, all of the block in one batch at the end, or
//! none. Every other assert of the spec is checked in every mode.

mod attestation;
mod attester_slashing;
mod block_header;
pub(crate) mod deposit;
pub mod errors;
mod eth1_data;
mod operations;
mod proposer_slashing;
mod randao;
pub mod signature_sets;
mod voluntary_exit;

#[cfg(test)]
mod tests;

pub use attestation::process_attestation;
pub use attester_slashing::{is_valid_indexed_attestation, process_attester_slashing};
pub use block_header::process_block_header;
pub use deposit::{get_validator_from_deposit, process_deposit};
pub use errors::{
    AttestationInvalid, AttesterSlashingInvalid, BlockProcessingError, DepositInvalid, ExitInvalid,
    IndexedAttestationInvalid, ProposerSlashingInvalid,
};
pub use eth1_data::process_eth1_data;
pub use operations::process_operations;
pub use proposer_slashing::process_proposer_slashing;
pub use randao::process_randao;
pub use signature_sets::{
    block_proposal_signature_set, deposit_signature_set, exit_signature_set,
    historical_block_proposal_signature_set, indexed_attestation_signature_set,
    proposer_slashing_signature_sets, randao_signature_set, signed_header_signature_set,
    SignatureSetError,
};
pub use voluntary_exit::process_voluntary_exit;

use crate::helpers::accessors::fill_pubkey_cache;
use bls::SignatureSet;
use types::{BeaconBlock, BeaconState, ChainSpec, EthSpec, SignedBeaconBlock};

/// How block processing checks signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifySignatures {
    /// Each signature as it is met.
    Individually,
    /// All signatures of the block collected and checked as one batch at the end (the default
    /// for import).
    Batch,
    /// None (trusted replay of blocks already verified).
    None,
}

impl VerifySignatures {
    /// True unless signatures are skipped.
    pub fn is_enabled(self) -> bool {
        self != VerifySignatures::None
    }
}

/// Checks the signatures met during processing, in one [`VerifySignatures`] mode.
///
/// `check` builds a set only when it will be verified, so `None` never decompresses anything.
/// A set that cannot be built because its signature or key does not decompress is an invalid
/// signature, reported at once in both verifying modes.
pub(crate) struct SignatureVerifier {
    mode: VerifySignatures,
    batch: Vec<SignatureSet<'static>>,
}

impl SignatureVerifier {
    pub(crate) fn new(mode: VerifySignatures) -> Self {
        SignatureVerifier {
            mode,
            batch: Vec::new(),
        }
    }

    /// True unless signatures are skipped.
    pub(crate) fn is_enabled(&self) -> bool {
        self.mode.is_enabled()
    }

    /// Check one signature: verify it now (`Individually`), keep it for [`Self::finish`]
    /// (`Batch`) or skip it (`None`). `invalid` is the error of a signature that is not valid.
    pub(crate) fn check(
        &mut self,
        build: impl FnOnce() -> Result<SignatureSet<'static>, SignatureSetError>,
        invalid: impl FnOnce() -> BlockProcessingError,
    ) -> Result<(), BlockProcessingError> {
        if !self.is_enabled() {
            return Ok(());
        }
        let set = match build() {
            Ok(set) => set,
            Err(SignatureSetError::State(e)) => return Err(BlockProcessingError::State(e)),
            Err(
                SignatureSetError::SignatureInvalid
                | SignatureSetError::PublicKeyInvalid { .. }
                | SignatureSetError::UnknownValidator { .. },
            ) => return Err(invalid()),
        };
        match self.mode {
            VerifySignatures::Individually => {
                if set.verify() {
                    Ok(())
                } else {
                    Err(invalid())
                }
            }
            VerifySignatures::Batch => {
                self.batch.push(set);
                Ok(())
            }
            VerifySignatures::None => Ok(()),
        }
    }

    /// Verify the collected batch (nothing to do in the other modes).
    pub(crate) fn finish(self) -> Result<(), BlockProcessingError> {
        if verify_sets_in_parallel(&self.batch) {
            Ok(())
        } else {
            Err(BlockProcessingError::BatchSignatureInvalid)
        }
    }
}

/// True if every set is valid (and for none). The sets are split into one chunk per core,
/// each checked as its own random linear combination, so the pairings run in parallel.
fn verify_sets_in_parallel(sets: &[SignatureSet<'static>]) -> bool {
    use rayon::prelude::*;
    if sets.is_empty() {
        return true;
    }
    let chunk_len = sets
        .len()
        .div_ceil(rayon::current_num_threads().max(1))
        .max(1);
    sets.par_chunks(chunk_len)
        .all(|chunk| bls::verify_signature_sets(chunk.iter()))
}

/// The signatures of a chain segment (several consecutive blocks), collected while each block
/// is processed and verified as one batch at the end: sync's import checks a whole segment's
/// signatures with one multi-pairing instead of one per block.
///
/// Processing never depends on a signature being valid (every other assert is checked as
/// the block is processed), so collecting first and verifying last reaches the same verdict
/// as `state_transition` on each block, block by block.
pub struct SegmentSignatures {
    verifier: SignatureVerifier,
    /// Where each block's sets end in the batch.
    block_ends: Vec<usize>,
}

impl Default for SegmentSignatures {
    fn default() -> Self {
        SegmentSignatures {
            verifier: SignatureVerifier::new(VerifySignatures::Batch),
            block_ends: Vec::new(),
        }
    }
}

impl SegmentSignatures {
    /// `process_block` with the proposer's signature, as [`process_signed_block`], its
    /// signatures kept for [`Self::verify`]. An error of any other assert is returned at once.
    pub fn process_signed_block<E: EthSpec>(
        &mut self,
        state: &mut BeaconState<E>,
        signed_block: &SignedBeaconBlock<E>,
        spec: &ChainSpec,
    ) -> Result<(), BlockProcessingError> {
        fill_pubkey_cache(state);
        let result =
            check_block_signature(state, signed_block, &mut self.verifier, spec).and_then(|()| {
                process_block_with(state, &signed_block.message, &mut self.verifier, spec)
            });
        // A failed block's sets are dropped: the caller imports only the blocks before it.
        let start = self.block_ends.last().copied().unwrap_or(0);
        match result {
            Ok(()) => {
                self.block_ends.push(self.verifier.batch.len());
                Ok(())
            }
            Err(e) => {
                self.verifier.batch.truncate(start);
                Err(e)
            }
        }
    }

    /// Drop the last processed block's signatures (it failed a check after processing, such
    /// as its state root): [`Self::verify`] then covers only the blocks before it.
    pub fn discard_last(&mut self) {
        self.block_ends.pop();
        let end = self.block_ends.last().copied().unwrap_or(0);
        self.verifier.batch.truncate(end);
    }

    /// How many blocks were processed.
    pub fn blocks(&self) -> usize {
        self.block_ends.len()
    }

    /// How many signature sets were collected.
    pub fn sets(&self) -> usize {
        self.verifier.batch.len()
    }

    /// Verify every collected signature as one batch: `Ok`, or the index (in processing order)
    /// of the first block with an invalid signature, found block by block when the batch fails.
    pub fn verify(&self) -> Result<(), usize> {
        let sets = &self.verifier.batch;
        if verify_sets_in_parallel(sets) {
            return Ok(());
        }
        let mut start = 0;
        for (index, &end) in self.block_ends.iter().enumerate() {
            if !verify_sets_in_parallel(&sets[start..end]) {
                return Err(index);
            }
            start = end;
        }
        // Unreachable: a batch of valid sets always verifies, so some block's sets fail.
        // Blaming the last block keeps the others importable all the same.
        Err(self.block_ends.len().saturating_sub(1))
    }
}

/// `process_block` (beacon-chain.md, Block processing): header, RANDAO, eth1 data, operations.
pub fn process_block<E: EthSpec>(
    state: &mut BeaconState<E>,
    block: &BeaconBlock<E>,
    verify: VerifySignatures,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    let mut verifier = SignatureVerifier::new(verify);
    if verifier.is_enabled() {
        fill_pubkey_cache(state);
    }
    process_block_with(state, block, &mut verifier, spec)?;
    verifier.finish()
}

/// `process_block` plus the proposer's signature over the block (`verify_block_signature`,
/// which `state_transition` asserts first): in `Batch` mode all of the block's signatures are
/// verified together at the end.
pub fn process_signed_block<E: EthSpec>(
    state: &mut BeaconState<E>,
    signed_block: &SignedBeaconBlock<E>,
    verify: VerifySignatures,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    let mut verifier = SignatureVerifier::new(verify);
    if verifier.is_enabled() {
        fill_pubkey_cache(state);
    }
    check_block_signature(state, signed_block, &mut verifier, spec)?;
    process_block_with(state, &signed_block.message, &mut verifier, spec)?;
    verifier.finish()
}

/// `verify_block_signature` (beacon-chain.md, State transition), as an assert.
pub fn verify_block_signature<E: EthSpec>(
    state: &BeaconState<E>,
    signed_block: &SignedBeaconBlock<E>,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    let mut verifier = SignatureVerifier::new(VerifySignatures::Individually);
    check_block_signature(state, signed_block, &mut verifier, spec)
}

fn check_block_signature<E: EthSpec>(
    state: &BeaconState<E>,
    signed_block: &SignedBeaconBlock<E>,
    verifier: &mut SignatureVerifier,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    if !verifier.is_enabled() {
        return Ok(());
    }
    // `proposer = state.validators[signed_block.message.proposer_index]`
    let index = signed_block.message.proposer_index;
    if state.validator(index).is_err() {
        return Err(BlockProcessingError::UnknownProposer {
            index,
            len: state.validators.len(),
        });
    }
    verifier.check(
        || block_proposal_signature_set(state, signed_block, spec),
        || BlockProcessingError::BlockSignatureInvalid,
    )
}

fn process_block_with<E: EthSpec>(
    state: &mut BeaconState<E>,
    block: &BeaconBlock<E>,
    verifier: &mut SignatureVerifier,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    block_header::process_block_header(state, block, spec)?;
    randao::process_randao_with(state, &block.body, verifier, spec)?;
    eth1_data::process_eth1_data(state, &block.body)?;
    operations::process_operations_with(state, &block.body, verifier, spec)
}
