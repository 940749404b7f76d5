//! beacon-chain.md (v1.0.1), "Deposits": `get_validator_from_deposit`, `process_deposit`.

use super::errors::{BlockProcessingError, DepositInvalid};
use super::signature_sets::deposit_signature_set;
use crate::helpers::mutators::increase_balance;
use crate::helpers::predicates::is_valid_merkle_branch;
use crate::helpers::{DEPOSIT_CONTRACT_TREE_DEPTH, FAR_FUTURE_EPOCH};
use safe_arith::SafeArith;
use tree_hash::TreeHash;
use types::{BeaconState, ChainSpec, Deposit, EthSpec, Validator};

/// `get_validator_from_deposit` (beacon-chain.md, Deposits). (The spec's `state` argument is unused.)
pub fn get_validator_from_deposit(
    deposit: &Deposit,
    spec: &ChainSpec,
) -> Result<Validator, BlockProcessingError> {
    let amount = deposit.data.amount;
    let effective_balance = std::cmp::min(
        amount.safe_sub(amount.safe_rem(spec.effective_balance_increment)?)?,
        spec.max_effective_balance,
    );
    Ok(Validator {
        pubkey: deposit.data.pubkey,
        withdrawal_credentials: deposit.data.withdrawal_credentials,
        activation_eligibility_epoch: FAR_FUTURE_EPOCH,
        activation_epoch: FAR_FUTURE_EPOCH,
        exit_epoch: FAR_FUTURE_EPOCH,
        withdrawable_epoch: FAR_FUTURE_EPOCH,
        effective_balance,
        slashed: false,
    })
}

/// `process_deposit` (beacon-chain.md, Deposits): the Merkle proof against
/// `state.eth1_data.deposit_root` is an assert; the proof of possession of a new key is
/// always checked, on its own, and a bad one only skips the deposit.
pub fn process_deposit<E: EthSpec>(
    state: &mut BeaconState<E>,
    deposit: &Deposit,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    process_deposit_at(state, deposit, 0, spec)
}

/// `process_deposit` for `body.deposits[index]`.
pub(crate) fn process_deposit_at<E: EthSpec>(
    state: &mut BeaconState<E>,
    deposit: &Deposit,
    index: usize,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    let existing = state
        .validators
        .iter()
        .position(|v| v.pubkey == deposit.data.pubkey);
    apply_deposit(
        state,
        deposit,
        index,
        existing,
        || {
            // A key that does not decompress cannot have signed.
            deposit_signature_set(&deposit.data, spec).is_ok_and(|set| set.verify())
        },
        spec,
    )
}

/// The body of `process_deposit` with its two costly lookups supplied by the caller: the
/// registry index of the deposit's pubkey (`existing`) and the proof-of-possession check
/// (`signature_valid`, only called for a new pubkey). Genesis uses this with a pubkey map
/// and signatures verified in parallel; blocks use a scan and a direct check.
pub(crate) fn apply_deposit<E: EthSpec>(
    state: &mut BeaconState<E>,
    deposit: &Deposit,
    index: usize,
    existing: Option<usize>,
    signature_valid: impl FnOnce() -> bool,
    spec: &ChainSpec,
) -> Result<(), BlockProcessingError> {
    let invalid = |reason| BlockProcessingError::DepositInvalid { index, reason };
    // Verify the Merkle branch
    if !is_valid_merkle_branch(
        deposit.data.tree_hash_root(),
        &deposit.proof,
        DEPOSIT_CONTRACT_TREE_DEPTH + 1, // Add 1 for the List length mix-in
        state.eth1_deposit_index,
        state.eth1_data.deposit_root,
    ) {
        return Err(invalid(DepositInvalid::BadMerkleProof {
            deposit_index: state.eth1_deposit_index,
            deposit_root: state.eth1_data.deposit_root,
        }));
    }

    // Deposits must be processed in order
    state.eth1_deposit_index.safe_add_assign(1)?;

    let amount = deposit.data.amount;
    match existing {
        None => {
            // Verify the deposit signature (proof of possession) which is not checked by the
            // deposit contract.
            if !signature_valid() {
                return Ok(());
            }
            // Add validator and balance entries
            let validator = get_validator_from_deposit(deposit, spec)?;
            state
                .validators
                .push(validator)
                .map_err(|_| invalid(DepositInvalid::RegistryFull))?;
            state
                .balances
                .push(amount)
                .map_err(|_| invalid(DepositInvalid::RegistryFull))?;
        }
        Some(validator_index) => {
            // Increase balance by deposit amount
            increase_balance(state, validator_index as u64, amount)?;
        }
    }
    Ok(())
}
