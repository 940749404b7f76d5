//! beacon-chain.md, "Genesis": `initialize_beacon_state_from_eth1`, `is_valid_genesis_state`,
//! and the interop ("mocked start") genesis every client builds the same way.

use crate::helpers::accessors::get_active_validator_indices;
use crate::helpers::misc::compute_domain;
use crate::helpers::GENESIS_EPOCH;
use crate::per_block_processing::deposit::apply_deposit;
use crate::per_block_processing::signature_sets::deposit_signature_set;
use crate::per_block_processing::BlockProcessingError;
use rayon::prelude::*;
use std::collections::HashMap;
use merkle_proof::{DepositTree, MerkleError};
use safe_arith::{ArithError, SafeArith};
use tree_hash::TreeHash;
use types::signing::compute_signing_root;
use types::{
    BeaconBlockBody, BeaconBlockHeader, BeaconState, ChainSpec, Deposit, DepositData, Eth1Data,
    EthSpec, FixedVector, Fork, Hash256, PublicKeyBytes, SignatureBytes,
};

/// Why a genesis state could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenesisError {
    #[error("deposit {index} is invalid: {error}")]
    Deposit { index: usize, error: BlockProcessingError },
    #[error("deposit tree: {0:?}")]
    DepositTree(MerkleError),
    #[error("deposit proof does not have DEPOSIT_CONTRACT_TREE_DEPTH + 1 hashes")]
    ProofLength,
    #[error("arithmetic error: {0:?}")]
    Arith(ArithError),
}

impl From<ArithError> for GenesisError {
    fn from(e: ArithError) -> Self {
        GenesisError::Arith(e)
    }
}

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
    let mut state = BeaconState::<E>::empty(eth1_timestamp.safe_add(spec.genesis_delay)?, fork, eth1_data);
    state.latest_block_header = BeaconBlockHeader {
        body_root: BeaconBlockBody::<E>::default().tree_hash_root(),
        ..BeaconBlockHeader::default()
    };
    state.randao_mixes = FixedVector::from_elem(eth1_block_hash);

    // Proofs of possession are independent of the state: check them all in parallel first.
    let signature_valid: Vec<bool> = deposits
        .par_iter()
        .map(|d| deposit_signature_set(&d.data, spec).is_ok_and(|set| set.verify()))
        .collect();

    // Each deposit is proven against the root of the deposit list up to and including it.
    let mut tree = DepositTree::new();
    let mut index_of_pubkey: HashMap<PublicKeyBytes, usize> = HashMap::with_capacity(deposits.len());
    for (index, (deposit, signature_valid)) in deposits.iter().zip(signature_valid).enumerate() {
        tree.push_leaf(deposit.data.tree_hash_root()).map_err(GenesisError::DepositTree)?;
        state.eth1_data.deposit_root = tree.root();
        let existing = index_of_pubkey.get(&deposit.data.pubkey).copied();
        let registry_len = state.validators.len();
        apply_deposit(&mut state, deposit, index, existing, || signature_valid, spec)
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

/// `is_valid_genesis_state` (beacon-chain.md, Genesis).
pub fn is_valid_genesis_state<E: EthSpec>(state: &BeaconState<E>, spec: &ChainSpec) -> bool {
    state.genesis_time >= spec.min_genesis_time
        && get_active_validator_indices(state, GENESIS_EPOCH).len() as u64 >= spec.min_genesis_active_validator_count
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
    let domain = compute_domain(spec.domain_deposit, spec.genesis_fork_version, Hash256::ZERO);
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
        let branch = tree.push_leaf_and_proof(data.tree_hash_root()).map_err(GenesisError::DepositTree)?;
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
    let datas = (0..validator_count)
        .into_par_iter()
        .map(|i| interop_deposit_data(i, spec))
        .collect();
    let deposits = deposits_with_proofs(datas)?;
    let eth1_block_hash = Hash256::repeat_byte(0x42);
    let mut state = initialize_beacon_state_from_eth1::<E>(eth1_block_hash, 1 << 40, &deposits, spec)?;
    state.genesis_time = genesis_time;
    Ok(state)
}

