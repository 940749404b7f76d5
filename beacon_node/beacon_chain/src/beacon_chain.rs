//! `BeaconChain`: the fork choice, the database, the caches and the canonical head, and the
//! reads everything else builds on. Import, verification and production live in their own
//! modules as further `impl` blocks.

use crate::caches::{CachedState, EpochShuffling, ShufflingCache, StateCache};
use crate::errors::BeaconChainError;
use crate::events::{ChainEvent, EventHandler};
use crate::observed::ObservedByPeriod;
use crate::operation_verification::ObservedOperations;
use crate::pending::{PendingMessage, PendingQueue};
use crate::ChainStore;
use fork_choice::{ForkChoice, JustifiedBalances};
use operation_pool::OperationPool;
use slot_clock::SlotClock;
use ssz::Encode;
use state_processing::process_slots;
use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{mpsc, Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use store::{DBColumn, StoreOp};
use types::beacon_state::PubkeyCache;
use types::{BeaconState, ChainSpec, Checkpoint, Epoch, EthSpec, Hash256, SignedBeaconBlock, Slot};

/// Database keys of the chain's own items (the ForkChoice column).
pub(crate) const FORK_CHOICE_TREE_KEY: &[u8] = b"fork_choice_tree";
pub(crate) const FORK_CHOICE_VOTES_KEY: &[u8] = b"fork_choice_votes";
pub(crate) const CHAIN_INFO_KEY: &[u8] = b"chain_info";
pub(crate) const OP_POOL_KEY: &[u8] = b"op_pool";

/// How many recent post-states stay in memory.
const STATE_CACHE_SIZE: usize = 8;
/// Shufflings kept: a few epochs on a few branches.
const SHUFFLING_CACHE_SIZE: usize = 16;
/// Remembered invalid blocks (their descendants are rejected without work).
const INVALID_BLOCKS_LIMIT: usize = 1024;

/// The head of the canonical chain: block, post-state and roots.
#[derive(Debug, Clone)]
pub struct CanonicalHead<E: EthSpec> {
    pub block_root: Hash256,
    pub block: Arc<SignedBeaconBlock<E>>,
    pub state_root: Hash256,
    pub state: Arc<BeaconState<E>>,
}

impl<E: EthSpec> CanonicalHead<E> {
    /// The head block's slot.
    pub fn slot(&self) -> Slot {
        self.block.message.slot
    }
}

/// Gossip's memory of what it has seen, for the duplicate rules.
#[derive(Debug)]
pub(crate) struct Observed {
    /// (slot, proposer index) of blocks with a valid proposer signature.
    pub block_producers: ObservedByPeriod<u64>,
    /// (target epoch, validator) of valid unaggregated attestations.
    pub attesters: ObservedByPeriod<u64>,
    /// (target epoch, aggregator) of valid aggregates.
    pub aggregators: ObservedByPeriod<u64>,
    /// (slot, hash_tree_root(aggregate)) of valid aggregates.
    pub aggregates: ObservedByPeriod<Hash256>,
}

impl Observed {
    fn new(slots_per_epoch: u64) -> Self {
        Observed {
            block_producers: ObservedByPeriod::new(2 * slots_per_epoch),
            attesters: ObservedByPeriod::new(2),
            aggregators: ObservedByPeriod::new(2),
            aggregates: ObservedByPeriod::new(2 * slots_per_epoch),
        }
    }
}

/// The chain: everything a node knows and decides about blocks and attestations.
pub struct BeaconChain<E: EthSpec> {
    pub spec: Arc<ChainSpec>,
    pub store: Arc<ChainStore<E>>,
    pub slot_clock: Arc<dyn SlotClock>,
    pub op_pool: OperationPool<E>,
    pub events: EventHandler<E>,
    pub genesis_block_root: Hash256,
    pub genesis_state_root: Hash256,
    pub genesis_time: u64,
    pub genesis_validators_root: Hash256,
    pub(crate) fork_choice: RwLock<ForkChoice>,
    pub(crate) head: RwLock<CanonicalHead<E>>,
    pub(crate) state_cache: Mutex<StateCache<E>>,
    pub(crate) shufflings: Mutex<ShufflingCache>,
    /// The head state advanced to a later slot, for the head it was advanced from.
    pub(crate) advanced_head: Mutex<Option<(Hash256, Arc<BeaconState<E>>)>>,
    pub(crate) observed: Mutex<Observed>,
    pub(crate) invalid_blocks: Mutex<HashSet<Hash256>>,
    /// One block import at a time: fork choice, the database and the head change together.
    pub(crate) import_lock: Mutex<()>,
    /// Decompressed keys shared by every state the chain loads.
    pub(crate) pubkeys: Arc<PubkeyCache>,
    /// Blocks and attestations waiting for a block not seen yet.
    pub(crate) pending: Mutex<PendingQueue<E>>,
    /// Exits and slashings seen, for their first-seen rules.
    pub(crate) observed_operations: Mutex<ObservedOperations>,
    /// The finalized epoch whose migration (and events) are done. Fork choice's own finalized
    /// checkpoint moves inside `on_block`, before the head is recomputed, so it cannot tell
    /// the head update that finality is new.
    pub(crate) finalization_handled: Mutex<Epoch>,
    /// The eth1 follower's votes and deposits for block production (set once at start).
    pub(crate) eth1: std::sync::OnceLock<Arc<dyn crate::Eth1Source<E>>>,
    /// Where new finality goes when migrations run on their own thread
    /// ([`BeaconChain::spawn_migrator`]); unset, the head update migrates inline.
    pub(crate) migrator: std::sync::OnceLock<mpsc::Sender<Checkpoint>>,
}

/// A poisoned lock means a thread panicked while holding it; the data is still the last
/// consistent value written (every critical section here leaves it consistent), so carry on.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
pub(crate) fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}
pub(crate) fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

impl<E: EthSpec> BeaconChain<E> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_parts(
        spec: Arc<ChainSpec>,
        store: Arc<ChainStore<E>>,
        slot_clock: Arc<dyn SlotClock>,
        fork_choice: ForkChoice,
        head: CanonicalHead<E>,
        genesis_block_root: Hash256,
        genesis_state_root: Hash256,
        genesis_time: u64,
        genesis_validators_root: Hash256,
    ) -> Self {
        let pubkeys = head.state.caches.pubkeys.clone();
        let finalized_epoch = fork_choice.finalized_checkpoint().epoch;
        let mut state_cache = StateCache::new(STATE_CACHE_SIZE);
        state_cache.insert(
            head.block_root,
            CachedState {
                state_root: head.state_root,
                state: head.state.clone(),
            },
        );
        BeaconChain {
            spec,
            store,
            slot_clock,
            op_pool: OperationPool::new(),
            events: EventHandler::default(),
            genesis_block_root,
            genesis_state_root,
            genesis_time,
            genesis_validators_root,
            fork_choice: RwLock::new(fork_choice),
            head: RwLock::new(head),
            state_cache: Mutex::new(state_cache),
            shufflings: Mutex::new(ShufflingCache::new(SHUFFLING_CACHE_SIZE)),
            advanced_head: Mutex::new(None),
            observed: Mutex::new(Observed::new(E::slots_per_epoch())),
            invalid_blocks: Mutex::new(HashSet::new()),
            import_lock: Mutex::new(()),
            pubkeys,
            pending: Mutex::new(PendingQueue::default()),
            observed_operations: Mutex::new(ObservedOperations::default()),
            finalization_handled: Mutex::new(finalized_epoch),
            eth1: std::sync::OnceLock::new(),
            migrator: std::sync::OnceLock::new(),
        }
    }

    /// Use `source` for block proposals' eth1 votes and deposits (once; later calls are
    /// ignored and return false).
    pub fn set_eth1_source(&self, source: Arc<dyn crate::Eth1Source<E>>) -> bool {
        self.eth1.set(source).is_ok()
    }

    /// The current slot by the clock.
    pub fn current_slot(&self) -> Result<Slot, BeaconChainError> {
        self.slot_clock.now().ok_or(BeaconChainError::SlotClock)
    }

    /// The canonical head (cheap: Arcs).
    pub fn head(&self) -> CanonicalHead<E> {
        read(&self.head).clone()
    }

    /// The head block's root.
    pub fn head_block_root(&self) -> Hash256 {
        read(&self.head).block_root
    }

    /// Fork choice, for reading.
    pub fn fork_choice(&self) -> RwLockReadGuard<'_, ForkChoice> {
        read(&self.fork_choice)
    }

    /// The store's finalized checkpoint (fork choice's view).
    pub fn finalized_checkpoint(&self) -> Checkpoint {
        self.fork_choice().finalized_checkpoint()
    }

    /// The store's justified checkpoint (fork choice's view).
    pub fn justified_checkpoint(&self) -> Checkpoint {
        self.fork_choice().justified_checkpoint()
    }

    /// A block from the database.
    pub fn get_block(
        &self,
        root: &Hash256,
    ) -> Result<Option<SignedBeaconBlock<E>>, BeaconChainError> {
        Ok(self.store.get_block(root)?)
    }

    /// True if the block is known invalid.
    pub fn is_known_invalid(&self, root: &Hash256) -> bool {
        lock(&self.invalid_blocks).contains(root)
    }

    pub(crate) fn mark_invalid(&self, root: Hash256) {
        let mut invalid = lock(&self.invalid_blocks);
        if invalid.len() >= INVALID_BLOCKS_LIMIT {
            invalid.clear();
        }
        invalid.insert(root);
    }

    /// Give a state loaded from the database the chain's shared key cache.
    pub(crate) fn adopt_state(&self, mut state: BeaconState<E>) -> BeaconState<E> {
        state.caches.pubkeys = self.pubkeys.clone();
        state
    }

    /// The post-state of block `block_root`: from memory if recent, else from the database.
    pub fn get_block_state(
        &self,
        block_root: &Hash256,
    ) -> Result<CachedState<E>, BeaconChainError> {
        if let Some(cached) = lock(&self.state_cache).get(block_root) {
            return Ok(cached.clone());
        }
        let block = self
            .store
            .get_block(block_root)?
            .ok_or(BeaconChainError::MissingBlock(*block_root))?;
        let state_root = block.message.state_root;
        let state = self
            .store
            .get_state(&state_root)?
            .ok_or(BeaconChainError::MissingState {
                block_root: *block_root,
                state_root,
            })?;
        let cached = CachedState {
            state_root,
            state: Arc::new(self.adopt_state(state)),
        };
        lock(&self.state_cache).insert(*block_root, cached.clone());
        Ok(cached)
    }

    /// `state` advanced through empty slots to `slot` (`process_slots`), or `state` itself
    /// when it is already there: the one way the chain moves a state forward outside block
    /// import (which records every state it passes).
    pub fn advance_state<'a>(
        &self,
        state: &'a BeaconState<E>,
        slot: Slot,
    ) -> Result<Cow<'a, BeaconState<E>>, BeaconChainError> {
        if state.slot >= slot {
            return Ok(Cow::Borrowed(state));
        }
        let mut advanced = state.clone();
        process_slots(&mut advanced, slot, &self.spec)?;
        Ok(Cow::Owned(advanced))
    }

    /// The head's block root and its state advanced to `slot` (the head state itself when
    /// it is already there), kept for the head it was advanced from: operations and duties
    /// of a new epoch ask for it again and again before the epoch's first block arrives, and
    /// each would otherwise copy the head state and run the epoch transition.
    pub fn head_state_advanced_to(
        &self,
        slot: Slot,
    ) -> Result<(Hash256, Arc<BeaconState<E>>), BeaconChainError> {
        let head = self.head();
        if head.state.slot >= slot {
            return Ok((head.block_root, head.state));
        }
        if let Some((root, state)) = lock(&self.advanced_head).as_ref() {
            if *root == head.block_root && state.slot == slot {
                return Ok((head.block_root, state.clone()));
            }
        }
        let advanced = Arc::new(self.advance_state(&head.state, slot)?.into_owned());
        *lock(&self.advanced_head) = Some((head.block_root, advanced.clone()));
        Ok((head.block_root, advanced))
    }

    /// The block that decided the shuffling of `epoch` for a branch whose latest block is
    /// `block_root` with post-state `state`: the last block before the epoch's first slot.
    fn shuffling_decision_root(
        block_root: Hash256,
        state: &BeaconState<E>,
        epoch: Epoch,
    ) -> Hash256 {
        let epoch_start = epoch.saturating_mul(E::slots_per_epoch());
        match epoch_start.checked_sub(1) {
            Some(last) if state.slot > last => {
                state.get_block_root_at_slot(last).unwrap_or(block_root)
            }
            _ => block_root,
        }
    }

    /// The shuffling of `epoch` on the branch whose latest block is `block_root` with
    /// post-state `state` (at or before the epoch): from the cache, or computed from `state`
    /// advanced to the epoch's first slot.
    pub fn shuffling_at(
        &self,
        block_root: Hash256,
        state: &BeaconState<E>,
        epoch: Epoch,
    ) -> Result<Arc<EpochShuffling>, BeaconChainError> {
        if state.current_epoch() > epoch {
            return Err(BeaconChainError::ShufflingFromLaterState {
                epoch,
                state_epoch: state.current_epoch(),
            });
        }
        let key = (
            epoch,
            Self::shuffling_decision_root(block_root, state, epoch),
        );
        if let Some(shuffling) = lock(&self.shufflings).get(&key) {
            return Ok(shuffling.clone());
        }
        let epoch_start = epoch.saturating_mul(E::slots_per_epoch());
        let advanced = self.advance_state(state, epoch_start)?;
        let shuffling = Arc::new(EpochShuffling::from_state(&advanced, &self.spec)?);
        lock(&self.shufflings).insert(key, shuffling.clone());
        Ok(shuffling)
    }

    /// The shuffling of the target checkpoint's epoch on its branch: what attestation
    /// verification reads from `store.checkpoint_states[target]` (fork-choice.md,
    /// `store_target_checkpoint_state`), without loading a state when it is cached.
    pub fn checkpoint_shuffling(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<Arc<EpochShuffling>, BeaconChainError> {
        let epoch_start = checkpoint.epoch.saturating_mul(E::slots_per_epoch());
        let decision_root = match epoch_start.checked_sub(1) {
            None => Some(checkpoint.root),
            Some(last) => self.fork_choice().get_ancestor(&checkpoint.root, last),
        };
        if let Some(root) = decision_root {
            if let Some(shuffling) = lock(&self.shufflings).get(&(checkpoint.epoch, root)) {
                return Ok(shuffling.clone());
            }
        }
        let base = self.get_block_state(&checkpoint.root)?;
        self.shuffling_at(checkpoint.root, &base.state, checkpoint.epoch)
    }

    /// The balances fork choice weighs votes with: those of the justified checkpoint's state
    /// (the block's post-state advanced to the epoch's first slot).
    pub(crate) fn justified_balances(
        &self,
        checkpoint: &Checkpoint,
    ) -> Result<JustifiedBalances, BeaconChainError> {
        let base = self.get_block_state(&checkpoint.root)?;
        let epoch_start = checkpoint.epoch.saturating_mul(E::slots_per_epoch());
        let state = self.advance_state(&base.state, epoch_start)?;
        Ok(JustifiedBalances::from_state(*checkpoint, &state))
    }

    /// The proposer expected at `slot` on the branch of `parent_root` (whose post-state is
    /// `parent_state`).
    pub(crate) fn expected_proposer(
        &self,
        parent_root: Hash256,
        parent_state: &BeaconState<E>,
        slot: Slot,
    ) -> Result<u64, BeaconChainError> {
        let shuffling = self.shuffling_at(parent_root, parent_state, Self::epoch_of(slot))?;
        shuffling
            .proposer::<E>(slot)
            .ok_or(BeaconChainError::SlotNotInShuffling {
                slot,
                epoch: shuffling.epoch,
            })
    }

    /// `get_ancestor` on fork choice's tree.
    pub fn get_ancestor(&self, root: &Hash256, slot: Slot) -> Option<Hash256> {
        self.fork_choice().get_ancestor(root, slot)
    }

    /// The epoch of `slot`.
    pub fn epoch_of(slot: Slot) -> Epoch {
        slot / E::slots_per_epoch()
    }

    /// Run fork choice's `get_head` now and, if the head moved, switch to it: new head state,
    /// events (head, chain_reorg, finalized_checkpoint), and on new finality the database
    /// migration and pruning.
    ///
    /// Serialised with block import (its lock), so that a head computed from an older fork
    /// choice can never overwrite one an import has just set.
    pub fn recompute_head(&self) -> Result<Hash256, BeaconChainError> {
        let _import = lock(&self.import_lock);
        self.recompute_head_with(None)
    }

    /// `recompute_head`, given a block the caller already holds (the one just imported, the
    /// likely new head) so it need not be read back from the database.
    pub(crate) fn recompute_head_with(
        &self,
        known: Option<(Hash256, &Arc<SignedBeaconBlock<E>>)>,
    ) -> Result<Hash256, BeaconChainError> {
        let current_slot = self.current_slot()?;
        // New justified balances may need a state from the database and an epoch
        // transition: get them before taking fork choice's write lock, which every
        // attestation from the network waits on.
        let needed = self.fork_choice().justified_balances_needed(current_slot);
        let mut prefetched = needed.map(|checkpoint| self.justified_balances(&checkpoint));
        let new_head_root = {
            let mut fc = write(&self.fork_choice);
            fc.get_head(current_slot, |checkpoint| match prefetched.take() {
                Some(Ok(balances)) if balances.checkpoint == *checkpoint => Ok(balances),
                _ => self
                    .justified_balances(checkpoint)
                    .map_err(|e| e.to_string()),
            })?
        };
        let old_head = self.head();
        if new_head_root != old_head.block_root {
            let known = known
                .filter(|(root, _)| *root == new_head_root)
                .map(|(_, block)| block.clone());
            self.switch_head(&old_head, new_head_root, known)?;
        }
        let new_finalized = self.finalized_checkpoint();
        if new_finalized.epoch > *lock(&self.finalization_handled) {
            let sent = self
                .migrator
                .get()
                .is_some_and(|migrator| migrator.send(new_finalized).is_ok());
            if !sent {
                self.finalize_if_new(new_finalized)?;
            }
        }
        Ok(new_head_root)
    }

    /// `on_finalization` unless that epoch's migration is done. The caller holds
    /// `import_lock` (the database, fork choice and the head change together).
    fn finalize_if_new(&self, finalized: Checkpoint) -> Result<(), BeaconChainError> {
        // Held through the migration: one migration at a time, and a failed one is retried
        // at the next head update.
        let mut handled = lock(&self.finalization_handled);
        if finalized.epoch > *handled {
            self.on_finalization(finalized)?;
            *handled = finalized.epoch;
        }
        Ok(())
    }

    /// From now on, run finality's database migration and pruning on a thread of their own,
    /// so the import that finalizes returns without waiting for them. Migrations stay
    /// serialised with imports (the thread takes `import_lock`), so the database and fork
    /// choice reach the disk together as before: a kill at any moment leaves a migration
    /// that `catch_up_finalization` finishes at the next start. The thread ends with the
    /// chain.
    pub fn spawn_migrator(self: &Arc<Self>) -> std::io::Result<()> {
        let (sender, receiver) = mpsc::channel::<Checkpoint>();
        let chain = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("migrator".into())
            .spawn(move || {
                while let Ok(mut finalized) = receiver.recv() {
                    // Several finalities queued behind a long migration: the latest covers all.
                    while let Ok(newer) = receiver.try_recv() {
                        finalized = newer;
                    }
                    let Some(chain) = chain.upgrade() else {
                        return;
                    };
                    let _import = lock(&chain.import_lock);
                    if let Err(e) = chain.finalize_if_new(finalized) {
                        tracing::warn!(
                            epoch = finalized.epoch,
                            error = %e,
                            "Finality migration failed; retried at the next head update"
                        );
                    }
                }
            })?;
        // A second call leaves the first thread in charge; this one's channel closes and
        // its thread ends.
        let _ = self.migrator.set(sender);
        Ok(())
    }

    fn switch_head(
        &self,
        old_head: &CanonicalHead<E>,
        new_head_root: Hash256,
        known_block: Option<Arc<SignedBeaconBlock<E>>>,
    ) -> Result<(), BeaconChainError> {
        let block = match known_block {
            Some(block) => block,
            None => Arc::new(
                self.store
                    .get_block(&new_head_root)?
                    .ok_or(BeaconChainError::MissingBlock(new_head_root))?,
            ),
        };
        let cached = self.get_block_state(&new_head_root)?;
        let new_head = CanonicalHead {
            block_root: new_head_root,
            block,
            state_root: cached.state_root,
            state: cached.state,
        };
        let is_reorg = new_head.block.message.parent_root != old_head.block_root
            && !self
                .fork_choice()
                .is_descendant(&old_head.block_root, &new_head_root);
        let slot = new_head.slot();
        let epoch_transition = Self::epoch_of(slot) > Self::epoch_of(old_head.slot());
        if is_reorg {
            let common = self.common_ancestor_slot(&old_head.block_root, &new_head_root);
            let depth = old_head.slot().saturating_sub(common);
            tracing::info!(
                old_head = ?old_head.block_root,
                new_head = ?new_head_root,
                depth,
                "Chain reorg"
            );
            self.events.send(ChainEvent::ChainReorg {
                slot,
                depth,
                old_head_block: old_head.block_root,
                new_head_block: new_head_root,
                old_head_state: old_head.state_root,
                new_head_state: new_head.state_root,
                epoch: Self::epoch_of(slot),
            });
        }
        let epoch = Self::epoch_of(slot);
        let dependent_root = |epoch: Epoch| -> Hash256 {
            match epoch.saturating_mul(E::slots_per_epoch()).checked_sub(1) {
                None => self.genesis_block_root,
                Some(s) if s >= new_head.state.slot => new_head_root,
                Some(s) => new_head
                    .state
                    .get_block_root_at_slot(s)
                    .unwrap_or(self.genesis_block_root),
            }
        };
        self.events.send(ChainEvent::Head {
            slot,
            block: new_head_root,
            state: new_head.state_root,
            epoch_transition,
            previous_duty_dependent_root: if epoch == 0 {
                self.genesis_block_root
            } else {
                dependent_root(epoch - 1)
            },
            current_duty_dependent_root: dependent_root(epoch),
        });
        *write(&self.head) = new_head;
        Ok(())
    }

    /// The slot of the latest block both roots descend from (fork choice's tree).
    fn common_ancestor_slot(&self, a: &Hash256, b: &Hash256) -> Slot {
        let fc = self.fork_choice();
        let (Some(mut slot_a), Some(slot_b)) = (fc.block_slot(a), fc.block_slot(b)) else {
            return 0;
        };
        slot_a = slot_a.min(slot_b);
        loop {
            let (Some(x), Some(y)) = (fc.get_ancestor(a, slot_a), fc.get_ancestor(b, slot_a))
            else {
                return 0;
            };
            if x == y {
                return fc.block_slot(&x).unwrap_or(0);
            }
            match fc.block_slot(&x).zip(fc.block_slot(&y)) {
                Some((sx, sy)) if sx.min(sy) > 0 => slot_a = sx.min(sy) - 1,
                _ => return 0,
            }
        }
    }

    /// After a crash between a block's write (fork choice with it) and the migration its
    /// finality called for, the store's split lags fork choice's finalized block: migrate at
    /// start-up rather than at the next finality.
    pub(crate) fn catch_up_finalization(&self) -> Result<(), BeaconChainError> {
        let finalized = self.finalized_checkpoint();
        if finalized.epoch == 0 || self.store.split().block_root == finalized.root {
            return Ok(());
        }
        let _handled = lock(&self.finalization_handled);
        tracing::info!(
            epoch = finalized.epoch,
            "Finishing the migration of finalized history interrupted by the last shutdown"
        );
        self.on_finalization(finalized)
    }

    /// New finality: move finalized history to the cold database (deleting abandoned forks),
    /// prune fork choice and the pools, announce it.
    fn on_finalization(&self, finalized: Checkpoint) -> Result<(), BeaconChainError> {
        let abandoned = self.fork_choice().abandoned_blocks();
        let finalized_block = self
            .store
            .get_block(&finalized.root)?
            .ok_or(BeaconChainError::MissingBlock(finalized.root))?;
        let finalized_state_root = finalized_block.message.state_root;
        self.store
            .migrate_to_cold(finalized.root, finalized_state_root, &abandoned)?;
        {
            let mut fc = write(&self.fork_choice);
            fc.prune()?;
            // The pruned tree must reach the disk with the migration it mirrors.
            self.write_fork_choice(&fc)?;
        }
        let abandoned: HashSet<Hash256> = abandoned.into_iter().collect();
        lock(&self.state_cache).retain(|root, _| !abandoned.contains(root));
        let head_state = self.head().state;
        self.op_pool.prune(&head_state, &self.spec);
        let finalized_epoch = finalized.epoch;
        let finalized_slot = finalized_epoch.saturating_mul(E::slots_per_epoch());
        lock(&self.observed)
            .block_producers
            .prune_below(finalized_slot);
        tracing::info!(
            epoch = finalized_epoch,
            root = ?finalized.root,
            abandoned = abandoned.len(),
            "Finalized"
        );
        self.events.send(ChainEvent::FinalizedCheckpoint {
            block: finalized.root,
            state: finalized_state_root,
            epoch: finalized_epoch,
        });
        Ok(())
    }

    /// Forget which blocks, attestations and aggregates gossip has seen, so the same messages
    /// verify in full again (benchmarks measure verification this way; a node never calls it).
    #[doc(hidden)]
    pub fn clear_gossip_observations(&self) {
        *lock(&self.observed) = Observed::new(E::slots_per_epoch());
    }

    /// Roots of blocks that queued messages wait for: what networking should fetch.
    pub fn missing_block_roots(&self) -> Vec<Hash256> {
        lock(&self.pending).missing_roots()
    }

    /// Hold a message until block `root` is imported.
    pub(crate) fn queue_pending(&self, root: Hash256, message: PendingMessage<E>) {
        if !lock(&self.pending).push(root, message) {
            tracing::debug!(?root, "Pending queue full for this block; message dropped");
        }
    }

    /// Block `root` was imported: verify and apply everything that waited for it.
    pub(crate) fn process_pending(&self, root: Hash256) {
        let waiting = lock(&self.pending).take(&root);
        for message in waiting {
            let outcome = match message {
                PendingMessage::Block(block) => self
                    .process_block(block)
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                PendingMessage::Attestation(a, subnet) => self
                    .process_unaggregated_attestation(*a, subnet)
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                PendingMessage::Aggregate(a) => self
                    .process_aggregated_attestation(*a)
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
            };
            if let Err(error) = outcome {
                tracing::debug!(?root, %error, "A message that waited for a block was not accepted");
            }
        }
    }

    /// Advance fork choice's clock (and apply attestations queued for this slot).
    pub fn on_tick(&self) -> Result<(), BeaconChainError> {
        let slot = self.current_slot()?;
        write(&self.fork_choice).on_tick(slot);
        Ok(())
    }

    /// Write the fork-choice votes (epoch boundaries and shutdown; see fork_choice's
    /// persistence docs) and flush the database.
    pub fn persist_fork_choice(&self) -> Result<(), BeaconChainError> {
        let fc = self.fork_choice();
        self.write_fork_choice(&fc)
    }

    /// Write the operation pool (epoch boundaries and shutdown), flushed, so operations
    /// received but not yet in a block survive a restart.
    pub fn persist_op_pool(&self) -> Result<(), BeaconChainError> {
        let bytes = self.op_pool.to_persisted().as_ssz_bytes();
        self.store
            .put_item_durable(DBColumn::ForkChoice, OP_POOL_KEY, bytes)?;
        Ok(())
    }

    /// Tree and votes in one batch, flushed.
    fn write_fork_choice(&self, fc: &ForkChoice) -> Result<(), BeaconChainError> {
        self.store.do_atomically_durable(vec![
            StoreOp::PutItem(
                DBColumn::ForkChoice,
                FORK_CHOICE_TREE_KEY.to_vec(),
                fc.persist_tree(),
            ),
            StoreOp::PutItem(
                DBColumn::ForkChoice,
                FORK_CHOICE_VOTES_KEY.to_vec(),
                fc.persist_votes(),
            ),
        ])?;
        Ok(())
    }
}
