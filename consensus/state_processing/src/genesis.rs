//! beacon-chain.md, "Genesis": `initialize_beacon_state_from_eth1`, `is_valid_genesis_state`,
//! and the interop ("mocked start") genesis every client builds the same way.

use crate::helpers::accessors::get_active_validator_count;
use crate::helpers::misc::compute_domain;
use crate::helpers::GENESIS_EPOCH;
use crate::per_block_processing::deposit::apply_deposit;
use crate::per_block_processing::signature_sets::deposit_signature_set;
use crate::per_block_processing::BlockProcessingError;
use merkle_proof::{DepositTree, MerkleError};
use rayon::prelude::*;
use safe_arith::{ArithError, SafeArith};
use std::collections::HashMap;
use tree_hash::TreeHash;
use types::signing::compute_signing_root;
use types::{
    BeaconBlockBody, BeaconBlockHeader, BeaconState, ChainSpec, Deposit, DepositData, Eth1Data,
    EthSpec, FixedVector, Fork, Hash256, PublicKeyBytes, SignatureBytes, Validator, VariableList,
};

/// Why a genesis state could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenesisError {
    #[error("deposit {index} is invalid: {error}")]
    Deposit {
        index: usize,
        error: BlockProcessingError,
    },
    #[error("deposit tree: {0:?}")]
    DepositTree(MerkleError),
    #[error("deposit proof does not have DEPOSIT_CONTRACT_TREE_DEPTH + 1 hashes")]
    ProofLength,
    #[error("arithmetic error: {0:?}")]
    Arith(ArithError),
    #[error("{0} validators exceed the registry limit")]
    TooManyValidators(u64),
}

impl From<ArithError> for GenesisError {
    fn from(e: ArithError) -> Self {
        GenesisError::Arith(e)
    }
}

/// How many deposits between two progress lines while building a genesis state.
const PROGRESS_INTERVAL: usize = 4096;

/// `initialize_beacon_state_from_eth1` (beacon-chain.md, Genesis).
pub fn initialize_beacon_state_from_eth1<E: EthSpec>(
    eth1_block_hash: Hash256,
    eth1_timestamp: u64,
    deposits: &[Deposit],
    spec: &ChainSpec,
) -> Result<BeaconState<E>, GenesisError> {
    let fork = Fork {
        previous_version: spec.genesis_fork_version,
        current_version: spec.genesis_fork_version,
        epoch: GENESIS_EPOCH,
    };
    let eth1_data = Eth1Data {
        deposit_root: Hash256::ZERO,
        deposit_count: deposits.len() as u64,
        block_hash: eth1_block_hash,
    };
    let mut state = BeaconState::<E>::empty(
        eth1_timestamp.safe_add(spec.genesis_delay)?,
        fork,
        eth1_data,
    );
    state.latest_block_header = BeaconBlockHeader {
        body_root: BeaconBlockBody::<E>::default().tree_hash_root(),
        ..BeaconBlockHeader::default()
    };
    state.randao_mixes = FixedVector::from_elem(eth1_block_hash);

    let signature_valid = verify_deposit_signatures(deposits, spec);

    // Each deposit is proven against the root of the deposit list up to and including it.
    let mut tree = DepositTree::new();
    let mut index_of_pubkey: HashMap<PublicKeyBytes, usize> =
        HashMap::with_capacity(deposits.len());
    let total = deposits.len();
    tracing::info!(deposits = total, "building genesis state from deposits");
    for (index, (deposit, signature_valid)) in deposits.iter().zip(signature_valid).enumerate() {
        if index > 0 && index % PROGRESS_INTERVAL == 0 {
            tracing::info!(processed = index, total, "genesis: processing deposits");
        }
        tree.push_leaf(deposit.data.tree_hash_root())
            .map_err(GenesisError::DepositTree)?;
        state.eth1_data.deposit_root = tree.root();
        let existing = index_of_pubkey.get(&deposit.data.pubkey).copied();
        let registry_len = state.validators.len();
        apply_deposit(
            &mut state,
            deposit,
            index,
            existing,
            || signature_valid,
            spec,
        )
        .map_err(|error| GenesisError::Deposit { index, error })?;
        if existing.is_none() && state.validators.len() > registry_len {
            index_of_pubkey.insert(deposit.data.pubkey, registry_len);
        }
    }

    // Process activations
    for (validator, balance) in state.validators.iter_mut().zip(state.balances.iter()) {
        let rounded = balance.safe_sub(balance.safe_rem(spec.effective_balance_increment)?)?;
        validator.effective_balance = rounded.min(spec.max_effective_balance);
        if validator.effective_balance == spec.max_effective_balance {
            validator.activation_eligibility_epoch = GENESIS_EPOCH;
            validator.activation_epoch = GENESIS_EPOCH;
        }
    }
    state.genesis_validators_root = state.validators.tree_hash_root();
    Ok(state)
}

/// The proof-of-possession result of each deposit. They are independent of the state, so they
/// are checked up front (see [`verify_deposit_data_signatures`]).
fn verify_deposit_signatures(deposits: &[Deposit], spec: &ChainSpec) -> Vec<bool> {
    let datas: Vec<&DepositData> = deposits.iter().map(|d| &d.data).collect();
    verify_deposit_data_signatures(&datas, spec)
}

/// Whether each deposit's signature is its pubkey's proof of possession (`process_deposit`'s
/// `bls.Verify`): in parallel chunks, each chunk as one batch, falling back to single checks
/// only in a chunk that holds an invalid signature.
pub fn verify_deposit_data_signatures(datas: &[&DepositData], spec: &ChainSpec) -> Vec<bool> {
    const CHUNK: usize = 128;
    datas
        .par_chunks(CHUNK)
        .flat_map_iter(|chunk| {
            let sets: Vec<_> = chunk
                .iter()
                .map(|d| deposit_signature_set(d, spec).ok())
                .collect();
            let decoded: Vec<_> = sets.iter().flatten().collect();
            if decoded.len() == chunk.len() && bls::verify_signature_sets(decoded.into_iter()) {
                vec![true; chunk.len()]
            } else {
                sets.iter()
                    .map(|set| set.as_ref().is_some_and(|s| s.verify()))
                    .collect()
            }
        })
        .collect()
}

/// `is_valid_genesis_state` (beacon-chain.md, Genesis).
pub fn is_valid_genesis_state<E: EthSpec>(state: &BeaconState<E>, spec: &ChainSpec) -> bool {
    state.genesis_time >= spec.min_genesis_time
        && get_active_validator_count(state, GENESIS_EPOCH)
            >= spec.min_genesis_active_validator_count
}

/// The deposit data of an interop validator: full balance, BLS (0x00) withdrawal credentials
/// `BLS_WITHDRAWAL_PREFIX ‖ sha256(pubkey)[1:]`, signed with the genesis deposit domain.
pub fn interop_deposit_data(index: u64, spec: &ChainSpec) -> DepositData {
    let secret = eth2_interop_keypairs::interop_secret_key(index);
    let pubkey = secret.public_key().compress();
    let mut withdrawal_credentials = ethereum_hashing::hash_fixed(pubkey.as_bytes());
    withdrawal_credentials[0] = spec.bls_withdrawal_prefix;
    let mut data = DepositData {
        pubkey,
        withdrawal_credentials: Hash256::from(withdrawal_credentials),
        amount: spec.max_effective_balance,
        signature: SignatureBytes::empty(),
    };
    let domain = compute_domain(
        spec.domain_deposit,
        spec.genesis_fork_version,
        Hash256::ZERO,
    );
    let signing_root = compute_signing_root(&data.as_deposit_message(), domain);
    data.signature = SignatureBytes::from_array(secret.sign(signing_root.as_slice()).serialize());
    data
}

/// Deposits with proofs for a list of deposit data, each proven against the tree of the
/// deposits up to and including it (as genesis processes them).
pub fn deposits_with_proofs(datas: Vec<DepositData>) -> Result<Vec<Deposit>, GenesisError> {
    let mut tree = DepositTree::new();
    let mut deposits = Vec::with_capacity(datas.len());
    for data in datas {
        // O(depth) per deposit: the proof against the tree that ends with this deposit.
        let branch = tree
            .push_leaf_and_proof(data.tree_hash_root())
            .map_err(GenesisError::DepositTree)?;
        let proof = FixedVector::new(branch).map_err(|_| GenesisError::ProofLength)?;
        deposits.push(Deposit { proof, data });
    }
    Ok(deposits)
}

/// The interop genesis state: `validator_count` interop validators,
/// `initialize_beacon_state_from_eth1(0x42 × 32, 2**40, deposits)`, then `genesis_time` set
/// (no `is_valid_genesis_state` check), exactly as other clients build it.
pub fn interop_genesis_state<E: EthSpec>(
    validator_count: u64,
    genesis_time: u64,
    spec: &ChainSpec,
) -> Result<BeaconState<E>, GenesisError> {
    tracing::info!(validators = validator_count, "signing interop deposits");
    let datas = (0..validator_count)
        .into_par_iter()
        .map(|i| interop_deposit_data(i, spec))
        .collect();
    let deposits = deposits_with_proofs(datas)?;
    let eth1_block_hash = Hash256::repeat_byte(0x42);
    let mut state =
        initialize_beacon_state_from_eth1::<E>(eth1_block_hash, 1 << 40, &deposits, spec)?;
    state.genesis_time = genesis_time;
    Ok(state)
}

/// A genesis-like state of `count` interop validators, all active from epoch 0 with full
/// balances, built directly instead of through deposits (benchmarks and large simulations,
/// where signing hundreds of thousands of deposits would dominate). Not a spec genesis: no
/// deposit root, no eth1 data.
pub fn interop_active_state<E: EthSpec>(
    count: u64,
    genesis_time: u64,
    spec: &ChainSpec,
) -> Result<BeaconState<E>, GenesisError> {
    let validators: Vec<Validator> = (0..count)
        .into_par_iter()
        .map(|i| {
            let pubkey = eth2_interop_keypairs::interop_keypair(i).1.compress();
            let mut credentials = ethereum_hashing::hash_fixed(pubkey.as_bytes());
            credentials[0] = spec.bls_withdrawal_prefix;
            Validator {
                pubkey,
                withdrawal_credentials: Hash256::from(credentials),
                effective_balance: spec.max_effective_balance,
                slashed: false,
                activation_eligibility_epoch: GENESIS_EPOCH,
                activation_epoch: GENESIS_EPOCH,
                exit_epoch: crate::helpers::FAR_FUTURE_EPOCH,
                withdrawable_epoch: crate::helpers::FAR_FUTURE_EPOCH,
            }
        })
        .collect();
    let fork = Fork {
        previous_version: spec.genesis_fork_version,
        current_version: spec.genesis_fork_version,
        epoch: GENESIS_EPOCH,
    };
    let mut state = BeaconState::<E>::empty(genesis_time, fork, Eth1Data::default());
    state.latest_block_header.body_root = BeaconBlockBody::<E>::default().tree_hash_root();
    state.balances = VariableList::new(vec![spec.max_effective_balance; count as usize])
        .map_err(|_| GenesisError::TooManyValidators(count))?;
    state.validators =
        VariableList::new(validators).map_err(|_| GenesisError::TooManyValidators(count))?;
    state.genesis_validators_root = state.validators.tree_hash_root();
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::MinimalEthSpec;

    #[test]
    fn one_bad_signature_in_a_batch_invalidates_only_that_deposit() {
        let spec = ChainSpec::minimal();
        let mut datas: Vec<DepositData> = (0..5).map(|i| interop_deposit_data(i, &spec)).collect();
        // Validator 2 signs for someone else's message: a valid point, a wrong signature.
        datas[2].signature = datas[3].signature;
        // Validator 4's signature bytes don't decode at all.
        datas[4].signature = SignatureBytes::from_array([0xff; 96]);
        let deposits = deposits_with_proofs(datas).expect("proofs");
        let valid = verify_deposit_signatures(&deposits, &spec);
        assert_eq!(valid, vec![true, true, false, true, false]);

        // Genesis skips the two invalid deposits but still counts them.
        let state =
            initialize_beacon_state_from_eth1::<MinimalEthSpec>(Hash256::ZERO, 0, &deposits, &spec)
                .expect("genesis");
        assert_eq!(state.validators.len(), 3);
        assert_eq!(state.eth1_deposit_index, 5);
    }

    #[test]
    fn a_repeated_pubkey_tops_up_the_first_validator() {
        let spec = ChainSpec::minimal();
        let first = interop_deposit_data(0, &spec);
        let mut top_up = first.clone();
        top_up.amount = spec.effective_balance_increment;
        let deposits = deposits_with_proofs(vec![first, top_up]).expect("proofs");
        let state =
            initialize_beacon_state_from_eth1::<MinimalEthSpec>(Hash256::ZERO, 0, &deposits, &spec)
                .expect("genesis");
        assert_eq!(state.validators.len(), 1);
        assert_eq!(
            state.balances[0],
            spec.max_effective_balance + spec.effective_balance_increment
        );
        assert_eq!(
            state.validators[0].effective_balance,
            spec.max_effective_balance
        );
    }

    #[test]
    fn interop_genesis_is_valid_and_active() {
        let spec = ChainSpec::minimal();
        let state = interop_genesis_state::<MinimalEthSpec>(16, 1234, &spec).expect("genesis");
        assert_eq!(state.genesis_time, 1234);
        assert_eq!(state.validators.len(), 16);
        assert!(state
            .validators
            .iter()
            .all(|v| v.activation_epoch == GENESIS_EPOCH));
        assert_eq!(state.eth1_data.block_hash, Hash256::repeat_byte(0x42));
        assert_eq!(
            state.genesis_validators_root,
            state.validators.tree_hash_root()
        );
    }
}
