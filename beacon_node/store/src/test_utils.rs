//! A minimal-preset chain of empty blocks written the way the beacon chain writes it: every
//! state passed through on the way to a block, then the block and its post-state, one batch
//! per block. Replay skips signatures, so the blocks need no keys.

use crate::{HotColdDB, Split, StoreConfig, StoreOp};
use state_processing::genesis::interop_genesis_state;
use state_processing::helpers::accessors::get_beacon_proposer_index;
use state_processing::per_block_processing::{process_block, VerifySignatures};
use state_processing::process_slots;
use std::collections::HashMap;
use std::sync::Arc;
use tree_hash::TreeHash;
use types::{
    BeaconBlock, BeaconBlockBody, BeaconState, ChainSpec, Hash256, MinimalEthSpec, SignatureBytes,
    SignedBeaconBlock, Slot,
};

pub(crate) type E = MinimalEthSpec;

pub(crate) fn spec() -> Arc<ChainSpec> {
    Arc::new(ChainSpec::minimal())
}

/// Restore points every two epochs of the minimal preset.
pub(crate) fn config() -> StoreConfig {
    StoreConfig {
        slots_per_restore_point: 16,
        flush_every_ms: 500,
        cache_mib: 8,
    }
}

/// The genesis state of 64 interop validators (memoised: tests clone it).
pub(crate) fn genesis_state() -> BeaconState<E> {
    static GENESIS: std::sync::OnceLock<BeaconState<E>> = std::sync::OnceLock::new();
    GENESIS
        .get_or_init(|| interop_genesis_state::<E>(64, 0, &spec()).unwrap())
        .clone()
}

/// Every block and state written, to compare what the database gives back.
pub(crate) struct TestChain {
    pub spec: Arc<ChainSpec>,
    pub blocks: HashMap<Hash256, SignedBeaconBlock<E>>,
    /// Every state written, by state root.
    pub states: HashMap<Hash256, BeaconState<E>>,
    pub genesis_block: Hash256,
    /// The state to build on for blocks whose post-state is not it (a checkpoint anchor
    /// advanced to its epoch boundary).
    pub build_on: HashMap<Hash256, Hash256>,
}

impl TestChain {
    /// Genesis written and anchored.
    pub fn genesis(db: &HotColdDB<E>) -> Self {
        let mut state = genesis_state();
        let state_root = state.update_tree_hash_cache();
        let block = SignedBeaconBlock {
            message: BeaconBlock {
                state_root,
                ..Default::default()
            },
            signature: SignatureBytes::default(),
        };
        let root = block.message.tree_hash_root();
        db.do_atomically(vec![
            StoreOp::PutBlock(root, Arc::new(block.clone())),
            StoreOp::PutState(state_root, Arc::new(state.clone())),
        ])
        .unwrap();
        db.init_anchor(Split {
            slot: 0,
            state_root,
            block_root: root,
        })
        .unwrap();
        TestChain {
            spec: spec(),
            blocks: HashMap::from([(root, block)]),
            states: HashMap::from([(state_root, state)]),
            genesis_block: root,
            build_on: HashMap::new(),
        }
    }

    /// A database started from a checkpoint: `block` and `state` (its post-state, possibly
    /// advanced through empty slots), written and anchored.
    pub fn from_anchor(
        db: &HotColdDB<E>,
        block: SignedBeaconBlock<E>,
        mut state: BeaconState<E>,
    ) -> Self {
        let state_root = state.update_tree_hash_cache();
        let root = block.message.tree_hash_root();
        db.do_atomically(vec![
            StoreOp::PutBlock(root, Arc::new(block.clone())),
            StoreOp::PutState(state_root, Arc::new(state.clone())),
        ])
        .unwrap();
        db.init_anchor(Split {
            slot: block.message.slot,
            state_root,
            block_root: root,
        })
        .unwrap();
        TestChain {
            spec: spec(),
            blocks: HashMap::from([(root, block)]),
            states: HashMap::from([(state_root, state)]),
            genesis_block: root,
            build_on: HashMap::from([(root, state_root)]),
        }
    }

    /// The block `root`.
    pub fn block(&self, root: Hash256) -> &SignedBeaconBlock<E> {
        &self.blocks[&root]
    }

    /// The post-state of block `root` (or the state to build on after it).
    pub fn post_state(&self, root: Hash256) -> &BeaconState<E> {
        let state_root = self
            .build_on
            .get(&root)
            .copied()
            .unwrap_or(self.block(root).message.state_root);
        &self.states[&state_root]
    }

    /// The latest block at or before `slot` on the chain ending at `head`.
    pub fn block_at(&self, head: Hash256, slot: Slot) -> Hash256 {
        let mut root = head;
        while self.block(root).message.slot > slot {
            root = self.block(root).message.parent_root;
        }
        root
    }

    /// The root of the state at `slot` on the chain ending at `head` (`slot` at or before the
    /// head's slot, or after it if those states were written).
    pub fn state_root_at(&self, head: Hash256, slot: Slot) -> Hash256 {
        let block = self.block_at(head, slot);
        *self
            .states
            .iter()
            .find(|(root, s)| {
                s.slot == slot && crate::summary::latest_block_root(**root, s) == block
            })
            .unwrap_or_else(|| panic!("no state at slot {slot} on this chain"))
            .0
    }

    /// The states a block at `slot` on `parent` passes through, with the block and its
    /// post-state, as the batch the chain writes (not yet written). Returns the batch and the
    /// block root.
    pub fn make_block(
        &mut self,
        parent: Hash256,
        slot: Slot,
        graffiti: u8,
    ) -> (Vec<StoreOp<E>>, Hash256) {
        let mut state = self.post_state(parent).clone();
        let mut ops = Vec::new();
        while state.slot + 1 < slot {
            let next = state.slot + 1;
            process_slots(&mut state, next, &self.spec).unwrap();
            let root = state.update_tree_hash_cache();
            ops.push(StoreOp::PutState(root, Arc::new(state.clone())));
            self.states.insert(root, state.clone());
        }
        process_slots(&mut state, slot, &self.spec).unwrap();
        let mut block = BeaconBlock::<E> {
            slot,
            proposer_index: get_beacon_proposer_index(&state, &self.spec).unwrap(),
            parent_root: parent,
            state_root: Hash256::ZERO,
            body: BeaconBlockBody {
                eth1_data: state.eth1_data,
                graffiti: Hash256::repeat_byte(graffiti),
                ..Default::default()
            },
        };
        process_block(&mut state, &block, VerifySignatures::None, &self.spec).unwrap();
        let state_root = state.update_tree_hash_cache();
        block.state_root = state_root;
        let signed = SignedBeaconBlock {
            message: block,
            signature: SignatureBytes::default(),
        };
        let root = signed.message.tree_hash_root();
        ops.push(StoreOp::PutBlock(root, Arc::new(signed.clone())));
        ops.push(StoreOp::PutState(state_root, Arc::new(state.clone())));
        self.states.insert(state_root, state);
        self.blocks.insert(root, signed);
        (ops, root)
    }

    /// A block at `slot` on `parent`, written with the states before it in one batch.
    pub fn add_block(
        &mut self,
        db: &HotColdDB<E>,
        parent: Hash256,
        slot: Slot,
        graffiti: u8,
    ) -> Hash256 {
        let (ops, root) = self.make_block(parent, slot, graffiti);
        db.do_atomically(ops).unwrap();
        root
    }

    /// Blocks at `slots` in a line from `from`; returns the last.
    pub fn extend(
        &mut self,
        db: &HotColdDB<E>,
        from: Hash256,
        slots: impl IntoIterator<Item = Slot>,
    ) -> Hash256 {
        slots
            .into_iter()
            .fold(from, |head, slot| self.add_block(db, head, slot, 0))
    }

    /// The empty-slot states after block `from` up to `slot` (inclusive), written the way the
    /// chain writes them when it advances a head with no block (one batch).
    pub fn advance(&mut self, db: &HotColdDB<E>, from: Hash256, slot: Slot) -> Vec<Hash256> {
        let mut state = self.post_state(from).clone();
        let mut ops = Vec::new();
        let mut roots = Vec::new();
        while state.slot < slot {
            let next = state.slot + 1;
            process_slots(&mut state, next, &self.spec).unwrap();
            let root = state.update_tree_hash_cache();
            ops.push(StoreOp::PutState(root, Arc::new(state.clone())));
            self.states.insert(root, state.clone());
            roots.push(root);
        }
        db.do_atomically(ops).unwrap();
        roots
    }
}

/// Load state `root` and check its root (hashed from scratch).
pub(crate) fn assert_loads(db: &HotColdDB<E>, root: Hash256) -> BeaconState<E> {
    let state = db
        .get_state(&root)
        .unwrap()
        .unwrap_or_else(|| panic!("state {root:?} missing"));
    assert_eq!(state.tree_hash_root(), root, "state at slot {}", state.slot);
    state
}

/// `open` again until the database's file lock is free, for at most 10 s. sled's I/O threads
/// can hold the lock for a moment after the last handle of a database is dropped, so a test
/// that reopens a database at once sometimes met "could not acquire lock" under load. A
/// node never reopens a database within one process.
pub fn open_when_unlocked<T>(
    mut open: impl FnMut() -> Result<T, crate::StoreError>,
) -> Result<T, crate::StoreError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match open() {
            Err(crate::StoreError::Engine(e))
                if e.contains("could not acquire lock") && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}
