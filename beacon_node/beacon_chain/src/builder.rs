//! Starting a chain: from a genesis state (or any anchor block and state), or resuming from the
//! database exactly where it stopped.

use crate::beacon_chain::{
    BeaconChain, CanonicalHead, CHAIN_INFO_KEY, FORK_CHOICE_TREE_KEY, FORK_CHOICE_VOTES_KEY,
    OP_POOL_KEY,
};
use crate::errors::BeaconChainError;
use crate::ChainStore;
use fork_choice::ForkChoice;
use operation_pool::PersistedOperationPool;
use slot_clock::SlotClock;
use ssz::{Decode, Encode};
use ssz_derive::{Decode, Encode};
use state_processing::helpers::accessors::fill_pubkey_cache;
use std::sync::Arc;
use store::{DBColumn, Split, StoreOp};
use tree_hash::TreeHash;
use types::{
    BeaconBlock, BeaconBlockBody, BeaconState, ChainSpec, EthSpec, Hash256, SignatureBytes,
    SignedBeaconBlock,
};

/// What the chain records about its own start, to resume without its inputs.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct ChainInfo {
    pub genesis_block_root: Hash256,
    pub genesis_state_root: Hash256,
    pub genesis_time: u64,
    pub genesis_validators_root: Hash256,
}

/// The genesis block (beacon-chain.md, "Genesis block"): an empty block whose state root is
/// the genesis state's, with an empty signature.
pub fn genesis_block<E: EthSpec>(genesis_state_root: Hash256) -> SignedBeaconBlock<E> {
    SignedBeaconBlock {
        message: BeaconBlock {
            slot: 0,
            proposer_index: 0,
            parent_root: Hash256::ZERO,
            state_root: genesis_state_root,
            body: BeaconBlockBody::default(),
        },
        signature: SignatureBytes::default(),
    }
}

impl<E: EthSpec> BeaconChain<E> {
    /// A new chain from `genesis_state`, written to an empty database.
    pub fn from_genesis(
        store: Arc<ChainStore<E>>,
        spec: Arc<ChainSpec>,
        slot_clock: Arc<dyn SlotClock>,
        mut genesis_state: BeaconState<E>,
    ) -> Result<Self, BeaconChainError> {
        let state_root = genesis_state.update_tree_hash_cache();
        let block = genesis_block::<E>(state_root);
        Self::from_anchor(store, spec, slot_clock, block, genesis_state)
    }

    /// A new chain starting at `anchor_block` with its post-state (genesis, or a finalized
    /// checkpoint: fork choice's `get_forkchoice_store(anchor_state, anchor_block)`).
    pub fn from_anchor(
        store: Arc<ChainStore<E>>,
        spec: Arc<ChainSpec>,
        slot_clock: Arc<dyn SlotClock>,
        anchor_block: SignedBeaconBlock<E>,
        mut anchor_state: BeaconState<E>,
    ) -> Result<Self, BeaconChainError> {
        if store
            .get_item(DBColumn::ForkChoice, CHAIN_INFO_KEY)?
            .is_some()
        {
            return Err(BeaconChainError::Inconsistent(
                "the database already holds a chain; resume it or remove the datadir".into(),
            ));
        }
        let state_root = anchor_state.update_tree_hash_cache();
        let block_root = anchor_block.message.tree_hash_root();
        let fork_choice = ForkChoice::from_anchor(
            &anchor_block.message,
            block_root,
            &anchor_state,
            state_root,
            &spec,
        )?;
        fill_pubkey_cache(&anchor_state);
        let info = ChainInfo {
            genesis_block_root: block_root,
            genesis_state_root: state_root,
            genesis_time: anchor_state.genesis_time,
            genesis_validators_root: anchor_state.genesis_validators_root,
        };
        let block = Arc::new(anchor_block);
        let state = Arc::new(anchor_state);
        store.do_atomically(vec![
            StoreOp::PutBlock(block_root, block.clone()),
            StoreOp::PutState(state_root, state.clone()),
            StoreOp::PutItem(
                DBColumn::ForkChoice,
                FORK_CHOICE_TREE_KEY.to_vec(),
                fork_choice.persist_tree(),
            ),
            StoreOp::PutItem(
                DBColumn::ForkChoice,
                FORK_CHOICE_VOTES_KEY.to_vec(),
                fork_choice.persist_votes(),
            ),
            StoreOp::PutItem(
                DBColumn::ForkChoice,
                CHAIN_INFO_KEY.to_vec(),
                info.as_ssz_bytes(),
            ),
        ])?;
        store.init_anchor(Split {
            slot: block.message.slot,
            state_root,
            block_root,
        })?;
        tracing::info!(
            slot = block.message.slot,
            root = ?block_root,
            validators = state.validators.len(),
            "Chain initialised from anchor"
        );
        let head = CanonicalHead {
            block_root,
            block,
            state_root,
            state,
        };
        Ok(Self::from_parts(
            spec,
            store,
            slot_clock,
            fork_choice,
            head,
            info.genesis_block_root,
            info.genesis_state_root,
            info.genesis_time,
            info.genesis_validators_root,
        ))
    }

    /// The chain's own record of its start, from the database.
    pub fn stored_chain_info(store: &ChainStore<E>) -> Result<ChainInfo, BeaconChainError> {
        let bytes = store
            .get_item(DBColumn::ForkChoice, CHAIN_INFO_KEY)?
            .ok_or_else(|| BeaconChainError::Inconsistent("no chain in the database".into()))?;
        ChainInfo::from_ssz_bytes(&bytes)
            .map_err(|e| BeaconChainError::Inconsistent(format!("chain info: {e:?}")))
    }

    /// True if the database holds a chain to resume.
    pub fn exists_in_store(store: &ChainStore<E>) -> Result<bool, BeaconChainError> {
        Ok(store
            .get_item(DBColumn::ForkChoice, CHAIN_INFO_KEY)?
            .is_some())
    }

    /// The chain as the database left it: fork choice from its snapshot, the head recomputed.
    /// Nothing is re-imported.
    pub fn resume(
        store: Arc<ChainStore<E>>,
        spec: Arc<ChainSpec>,
        slot_clock: Arc<dyn SlotClock>,
    ) -> Result<Self, BeaconChainError> {
        let info = Self::stored_chain_info(&store)?;
        let fork_choice = Self::load_fork_choice(&store, &spec)?
            .ok_or_else(|| BeaconChainError::Inconsistent("fork choice snapshot missing".into()))?;
        let head_root = fork_choice.cached_head();
        let head_root = if fork_choice.contains_block(&head_root) {
            head_root
        } else {
            fork_choice.justified_checkpoint().root
        };
        let block = Arc::new(
            store
                .get_block(&head_root)?
                .ok_or(BeaconChainError::MissingBlock(head_root))?,
        );
        let state_root = block.message.state_root;
        let state = store
            .get_state(&state_root)?
            .ok_or(BeaconChainError::MissingState {
                block_root: head_root,
                state_root,
            })?;
        fill_pubkey_cache(&state);
        let head = CanonicalHead {
            block_root: head_root,
            block,
            state_root,
            state: Arc::new(state),
        };
        let chain = Self::from_parts(
            spec,
            store,
            slot_clock,
            fork_choice,
            head,
            info.genesis_block_root,
            info.genesis_state_root,
            info.genesis_time,
            info.genesis_validators_root,
        );
        chain.recompute_head()?;
        if let Err(e) = chain.catch_up_finalization() {
            // The node can run with the split behind; the next finality migrates again.
            tracing::warn!(error = %e, "Could not migrate finalized history at start-up");
        }
        chain.restore_op_pool();
        tracing::info!(
            head_slot = chain.head_slot(),
            justified = chain.justified_checkpoint().epoch,
            finalized = chain.finalized_checkpoint().epoch,
            "Chain resumed from the database"
        );
        Ok(chain)
    }

    /// Refill the operation pool from its stored copy. A copy that cannot be read costs only
    /// the operations in it (peers and validator clients send new ones), so the node starts
    /// with an empty pool and says so rather than refusing to start.
    fn restore_op_pool(&self) {
        let bytes = match self.store.get_item(DBColumn::ForkChoice, OP_POOL_KEY) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "Could not read the stored operation pool; starting with an empty one");
                return;
            }
        };
        match PersistedOperationPool::<E>::from_ssz_bytes(&bytes) {
            Ok(persisted) => {
                let counts = self.op_pool.restore(persisted);
                self.op_pool.prune(&self.head().state, &self.spec);
                tracing::info!(
                    restored = counts.kept,
                    refused = counts.refused,
                    attestations = self.op_pool.num_attestations(),
                    "Operation pool restored"
                );
            }
            Err(e) => tracing::warn!(
                error = ?e,
                bytes = bytes.len(),
                "The stored operation pool is corrupt; starting with an empty one"
            ),
        }
    }

    fn load_fork_choice(
        store: &ChainStore<E>,
        spec: &ChainSpec,
    ) -> Result<Option<ForkChoice>, BeaconChainError> {
        let Some(tree) = store.get_item(DBColumn::ForkChoice, FORK_CHOICE_TREE_KEY)? else {
            return Ok(None);
        };
        let votes = store.get_item(DBColumn::ForkChoice, FORK_CHOICE_VOTES_KEY)?;
        let fc = ForkChoice::from_persisted::<E>(&tree, votes.as_deref(), spec)
            .map_err(|e| BeaconChainError::Inconsistent(e.to_string()))?;
        Ok(Some(fc))
    }

    /// Fork choice as the database has it (after a failed write).
    pub(crate) fn load_fork_choice_from_store(
        &self,
    ) -> Result<Option<ForkChoice>, BeaconChainError> {
        Self::load_fork_choice(&self.store, &self.spec)
    }
}

#[cfg(test)]
mod tests {
    use crate::beacon_chain::lock;
    use crate::harness::{AttestationMode, BeaconChainHarness};
    use crate::ChainStore;
    use std::sync::Arc;
    use store::StoreConfig;
    use types::{ChainSpec, EthSpec, MinimalEthSpec};

    type E = MinimalEthSpec;

    fn disk_store(path: &std::path::Path) -> Arc<ChainStore<E>> {
        let spec = Arc::new(ChainSpec::minimal());
        Arc::new(ChainStore::<E>::open(path, StoreConfig::default(), spec).unwrap())
    }

    #[test]
    fn a_migration_lost_in_a_crash_runs_when_the_chain_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let spe = E::slots_per_epoch();
        let last = 5 * spe;
        let finalized = {
            let h = BeaconChainHarness::<E>::new(64, ChainSpec::minimal(), disk_store(dir.path()))
                .unwrap();
            // As if the node died after every block's write, before the migration it called for.
            *lock(&h.chain.finalization_handled) = u64::MAX;
            for slot in 1..=last {
                h.advance_slot(slot, true, &|_| true, AttestationMode::Unaggregated)
                    .unwrap();
            }
            h.chain.persist_fork_choice().unwrap();
            let finalized = h.chain.finalized_checkpoint();
            assert!(finalized.epoch >= 2, "{finalized:?}");
            assert_ne!(h.chain.store.split().block_root, finalized.root);
            finalized
        };
        let h =
            BeaconChainHarness::<E>::resume(64, ChainSpec::minimal(), disk_store(dir.path()), last)
                .unwrap();
        assert_eq!(h.chain.store.split().block_root, finalized.root);
        assert_eq!(h.chain.store.split().slot, finalized.epoch * spe);
        // The chain goes on and migrates at its next finality as usual.
        for slot in last + 1..=last + 2 * spe {
            h.advance_slot(slot, true, &|_| true, AttestationMode::Unaggregated)
                .unwrap();
        }
        let now = h.chain.finalized_checkpoint();
        assert!(now.epoch > finalized.epoch);
        assert_eq!(h.chain.store.split().block_root, now.root);
    }
}
