//! The scenarios of consensus-specs v1.0.1 `tests/core/pyspec/eth2spec/test/phase0/unittests/
//! fork_choice` (test_on_block, test_on_attestation, test_on_tick, test_get_head), written as our
//! own tests, plus reorgs, ties, late blocks and queued attestations.
//!
//! Fork choice only reads a block's slot and parent and its post-state's checkpoints, so the
//! blocks here are bare and each post-state is an empty state carrying the checkpoints the
//! scenario needs. Full chains with real state transitions run in beacon_chain's tests.

use super::*;
use types::{Checkpoint, Eth1Data, Fork, MinimalEthSpec};

type E = MinimalEthSpec;
const SLOTS: u64 = 8; // minimal SLOTS_PER_EPOCH
const SAFE_SLOTS: u64 = 2; // minimal SAFE_SLOTS_TO_UPDATE_JUSTIFIED

fn root(n: u64) -> Hash256 {
    Hash256::left_padding_from(&n.to_be_bytes())
}

fn cp(epoch: Epoch, root: Hash256) -> Checkpoint {
    Checkpoint { epoch, root }
}

fn state(justified: Checkpoint, finalized: Checkpoint) -> BeaconState<E> {
    let mut state = BeaconState::<E>::empty(0, Fork::default(), Eth1Data::default());
    state.current_justified_checkpoint = justified;
    state.finalized_checkpoint = finalized;
    state
}

fn block(slot: Slot, parent: Hash256) -> BeaconBlock<E> {
    BeaconBlock {
        slot,
        parent_root: parent,
        ..Default::default()
    }
}

struct Scenario {
    fc: ForkChoice,
    genesis: Hash256,
}

impl Scenario {
    /// A store anchored at a genesis block `root(0)` with four validators of 32 ETH.
    fn new() -> Self {
        let genesis = root(0);
        let mut anchor_state = state(cp(0, genesis), cp(0, genesis));
        anchor_state.validators = vec![
            types::Validator {
                effective_balance: 32_000_000_000,
                exit_epoch: u64::MAX,
                ..Default::default()
            };
            4
        ]
        .try_into()
        .unwrap();
        let anchor = BeaconBlock::<E> {
            state_root: root(999),
            ..Default::default()
        };
        let fc = ForkChoice::from_anchor(
            &anchor,
            genesis,
            &anchor_state,
            root(999),
            &ChainSpec::minimal(),
        )
        .unwrap();
        Scenario { fc, genesis }
    }

    /// Add block `n` at `slot` on `parent`, its post-state justifying/finalizing as given.
    fn add(
        &mut self,
        n: u64,
        slot: Slot,
        parent: Hash256,
        justified: Checkpoint,
        finalized: Checkpoint,
    ) -> Result<Hash256, InvalidBlock> {
        self.fc
            .on_block(&block(slot, parent), root(n), &state(justified, finalized))?;
        Ok(root(n))
    }

    fn add_plain(&mut self, n: u64, slot: Slot, parent: Hash256) -> Hash256 {
        let g = cp(0, self.genesis);
        self.add(n, slot, parent, g, g).unwrap()
    }

    fn head(&mut self) -> Hash256 {
        let slot = self.fc.current_slot();
        self.fc
            .get_head(slot, |c| {
                Ok(JustifiedBalances {
                    checkpoint: *c,
                    balances: vec![32_000_000_000; 4],
                })
            })
            .unwrap()
    }

    fn attest(
        &mut self,
        validators: &[u64],
        slot: Slot,
        block_root: Hash256,
        target: Checkpoint,
    ) -> Result<(), InvalidAttestation> {
        let data = AttestationData {
            slot,
            index: 0,
            beacon_block_root: block_root,
            source: Checkpoint::default(),
            target,
        };
        self.fc.on_attestation(validators, &data, false)
    }
}

// ---- test_get_head.py ----

#[test]
fn genesis_head_is_the_anchor() {
    let mut s = Scenario::new();
    assert_eq!(s.head(), s.genesis);
}

#[test]
fn chain_no_attestations_head_is_the_tip() {
    let mut s = Scenario::new();
    s.fc.on_tick(2);
    let b1 = s.add_plain(1, 1, s.genesis);
    let b2 = s.add_plain(2, 2, b1);
    assert_eq!(s.head(), b2);
}

#[test]
fn split_tie_breaker_no_attestations_higher_root_wins() {
    let mut s = Scenario::new();
    s.fc.on_tick(1);
    let a = s.add_plain(10, 1, s.genesis);
    let b = s.add_plain(11, 1, s.genesis);
    assert_eq!(s.head(), a.max(b));
}

#[test]
fn shorter_chain_but_heavier_weight_wins() {
    let mut s = Scenario::new();
    s.fc.on_tick(10);
    let mut long = s.genesis;
    for slot in 1..=6 {
        long = s.add_plain(100 + slot, slot, long);
    }
    let short = s.add_plain(50, 2, s.genesis);
    assert_eq!(s.head(), long);
    s.attest(&[0], 2, short, cp(0, s.genesis)).unwrap();
    assert_eq!(s.head(), short);
}

#[test]
fn filtered_block_tree_ignores_a_heavy_branch_with_the_wrong_justification() {
    let mut s = Scenario::new();
    s.fc.on_tick(3 * SLOTS);
    // The canonical branch justifies epoch 1 at block 1 and carries it to slot 17.
    let j_root = s.add_plain(1, SLOTS, s.genesis);
    let j = cp(1, j_root);
    let g = cp(0, s.genesis);
    let tip = s.add(2, 2 * SLOTS + 1, j_root, j, g).unwrap();
    // A rival branch from genesis whose state never justified anything.
    let rival = s.add_plain(3, 2 * SLOTS + 2, s.genesis);
    s.attest(&[0, 1, 2], 2 * SLOTS + 2, rival, cp(2, s.genesis))
        .unwrap();
    // Slot 24 crosses an epoch boundary: best_justified becomes justified (if not already).
    s.fc.on_tick(3 * SLOTS + 1);
    assert_eq!(s.fc.justified_checkpoint(), j);
    assert_eq!(s.head(), tip, "the heavier rival is filtered out");
}

// ---- test_on_block.py ----

#[test]
fn on_block_basic_and_future_block() {
    let mut s = Scenario::new();
    s.fc.on_tick(1);
    let g = cp(0, s.genesis);
    // A block from a future slot is refused (its consideration is delayed).
    assert_eq!(
        s.add(1, 2, s.genesis, g, g),
        Err(InvalidBlock::FutureSlot {
            block_slot: 2,
            current_slot: 1
        })
    );
    s.add(1, 1, s.genesis, g, g).unwrap();
    s.fc.on_tick(2);
    s.add(2, 2, root(1), g, g).unwrap();
    assert!(s.fc.contains_block(&root(2)));
}

#[test]
fn on_block_bad_parent_root() {
    let mut s = Scenario::new();
    s.fc.on_tick(1);
    let g = cp(0, s.genesis);
    assert_eq!(
        s.add(1, 1, root(77), g, g),
        Err(InvalidBlock::UnknownParent {
            parent_root: root(77)
        })
    );
}

/// A store finalized at epoch 1, block `root(1)` (slot 8), for the before-finalized tests.
fn finalized_at_epoch_one() -> Scenario {
    let mut s = Scenario::new();
    s.fc.on_tick(3 * SLOTS);
    let g = cp(0, s.genesis);
    let f_root = s.add(1, SLOTS, s.genesis, g, g).unwrap();
    let b = s.add(2, 2 * SLOTS, f_root, cp(1, f_root), g).unwrap();
    s.add(3, 3 * SLOTS, b, cp(2, b), cp(1, f_root)).unwrap();
    assert_eq!(s.fc.finalized_checkpoint(), cp(1, f_root));
    s
}

#[test]
fn on_block_before_finalized_is_refused() {
    let mut s = finalized_at_epoch_one();
    let g = cp(0, s.genesis);
    // At the finalized slot or before it.
    assert_eq!(
        s.add(9, SLOTS, s.genesis, g, g),
        Err(InvalidBlock::NotAfterFinalizedSlot {
            block_slot: SLOTS,
            finalized_slot: SLOTS
        })
    );
}

#[test]
fn on_block_not_in_finalized_chain_is_refused() {
    let mut s = finalized_at_epoch_one();
    let g = cp(0, s.genesis);
    // A fork from genesis, after the finalized slot but not descending from the finalized block.
    let err = s.add(9, SLOTS + 3, s.genesis, g, g).unwrap_err();
    assert!(matches!(err, InvalidBlock::NotDescendantOfFinalized { .. }));
}

#[test]
fn on_block_finalized_skip_slots_descendant_is_accepted() {
    // The finalized checkpoint's epoch start is a skipped slot: the block at or before it is
    // the ancestor that must match.
    let mut s = Scenario::new();
    s.fc.on_tick(4 * SLOTS);
    let g = cp(0, s.genesis);
    let f_root = s.add(1, SLOTS - 2, s.genesis, g, g).unwrap();
    // Checkpoint (1, f_root): the epoch-1 start slot 8 was skipped, so its root is block 1's.
    let b = s.add(2, 2 * SLOTS + 1, f_root, cp(1, f_root), g).unwrap();
    let c = s.add(3, 3 * SLOTS, b, cp(2, b), cp(1, f_root)).unwrap();
    assert_eq!(s.fc.finalized_checkpoint(), cp(1, f_root));
    s.add(4, 3 * SLOTS + 1, c, cp(2, b), cp(1, f_root)).unwrap();
}

#[test]
fn on_block_update_justified_checkpoint_within_safe_slots() {
    let mut s = Scenario::new();
    s.fc.on_tick(2 * SLOTS); // slot 16: first slot of epoch 2, within the safe slots
    let g = cp(0, s.genesis);
    let j_root = s.add(1, SLOTS, s.genesis, g, g).unwrap();
    s.add(2, 2 * SLOTS, j_root, cp(1, j_root), g).unwrap();
    assert_eq!(s.fc.justified_checkpoint(), cp(1, j_root));
    assert_eq!(s.fc.best_justified_checkpoint(), cp(1, j_root));
}

#[test]
fn on_block_outside_safe_slots_and_multiple_better_justified() {
    let mut s = Scenario::new();
    s.fc.on_tick(3 * SLOTS);
    let g = cp(0, s.genesis);
    // Store justified: (1, a) on branch A.
    let a = s.add(1, SLOTS, s.genesis, g, g).unwrap();
    s.add(2, 2 * SLOTS, a, cp(1, a), g).unwrap();
    assert_eq!(s.fc.justified_checkpoint(), cp(1, a));

    // Past the safe slots of epoch 3, two blocks on a branch not descending from (1, a)
    // justify epoch 2 at block c.
    s.fc.on_tick(3 * SLOTS + SAFE_SLOTS);
    let c = s.add(3, SLOTS + 1, s.genesis, g, g).unwrap();
    s.add(4, 3 * SLOTS, c, cp(2, c), g).unwrap();
    let d = s.add(5, 3 * SLOTS + 1, c, cp(2, c), g).unwrap();
    let _ = d;
    // Not adopted yet: the store's justified stays, the better one waits as best_justified.
    assert_eq!(s.fc.justified_checkpoint(), cp(1, a));
    assert_eq!(s.fc.best_justified_checkpoint(), cp(2, c));
    // test_on_tick: update_justified_single — at the next epoch start it is adopted.
    s.fc.on_tick(4 * SLOTS);
    assert_eq!(s.fc.justified_checkpoint(), cp(2, c));
}

#[test]
fn on_block_outside_safe_slots_but_descendant_updates_justified() {
    let mut s = Scenario::new();
    s.fc.on_tick(2 * SLOTS);
    let g = cp(0, s.genesis);
    let a = s.add(1, SLOTS, s.genesis, g, g).unwrap();
    let b = s.add(2, 2 * SLOTS, a, cp(1, a), g).unwrap();
    s.fc.on_tick(3 * SLOTS + SAFE_SLOTS + 1);
    // (2, b) descends from the store's justified (1, a): taken at once despite the late slot.
    s.add(3, 3 * SLOTS, b, cp(2, b), g).unwrap();
    assert_eq!(s.fc.justified_checkpoint(), cp(2, b));
}

#[test]
fn on_block_outside_safe_slots_but_finality_updates_justified() {
    let mut s = Scenario::new();
    s.fc.on_tick(3 * SLOTS);
    let g = cp(0, s.genesis);
    // Store justified (1, a) on branch A.
    let a = s.add(1, SLOTS, s.genesis, g, g).unwrap();
    s.add(2, 2 * SLOTS, a, cp(1, a), g).unwrap();
    // Late in epoch 3, branch B (from genesis) finalizes (1, x) and justifies (2, y): the new
    // finalized checkpoint conflicts with the store's justified, so justified follows B.
    s.fc.on_tick(3 * SLOTS + SAFE_SLOTS + 1);
    let x = s.add(3, SLOTS + 1, s.genesis, g, g).unwrap();
    let y = s.add(4, 2 * SLOTS + 1, x, cp(1, x), g).unwrap();
    s.add(5, 3 * SLOTS + 1, y, cp(2, y), cp(1, x)).unwrap();
    assert_eq!(s.fc.finalized_checkpoint(), cp(1, x));
    assert_eq!(s.fc.justified_checkpoint(), cp(2, y));
}

// ---- test_on_tick.py ----

#[test]
fn on_tick_no_new_justified_epoch_leaves_justified_alone() {
    let mut s = Scenario::new();
    let before = s.fc.justified_checkpoint();
    s.fc.on_tick(SLOTS);
    assert_eq!(s.fc.justified_checkpoint(), before);
}

#[test]
fn on_tick_new_justified_not_later_is_not_adopted() {
    let mut s = Scenario::new();
    s.fc.on_tick(2 * SLOTS);
    let g = cp(0, s.genesis);
    let a = s.add(1, SLOTS, s.genesis, g, g).unwrap();
    s.add(2, 2 * SLOTS, a, cp(1, a), g).unwrap();
    assert_eq!(s.fc.justified_checkpoint(), cp(1, a));
    // best_justified equals justified: the next epoch start changes nothing.
    s.fc.on_tick(3 * SLOTS);
    assert_eq!(s.fc.justified_checkpoint(), cp(1, a));
}

#[test]
fn on_tick_adopts_best_justified_even_when_jumping_over_the_epoch_start() {
    let mut t = Scenario::new();
    let g = cp(0, t.genesis);
    t.fc.on_tick(3 * SLOTS);
    let a = t.add(1, SLOTS, t.genesis, g, g).unwrap();
    t.add(2, 2 * SLOTS, a, cp(1, a), g).unwrap();
    t.fc.on_tick(3 * SLOTS + SAFE_SLOTS);
    let c = t.add(3, SLOTS + 1, t.genesis, g, g).unwrap();
    t.add(4, 3 * SLOTS, c, cp(2, c), g).unwrap();
    assert_eq!(t.fc.justified_checkpoint(), cp(1, a));
    t.fc.on_tick(5 * SLOTS + 3); // jumps over slot 32
    assert_eq!(t.fc.justified_checkpoint(), cp(2, c));
}

#[test]
fn justified_balances_needed_names_the_checkpoint_get_head_will_ask_for() {
    let mut t = Scenario::new();
    let g = cp(0, t.genesis);
    // The anchor's balances are held: nothing to fetch.
    assert_eq!(t.fc.justified_balances_needed(1), None);
    t.fc.on_tick(3 * SLOTS);
    let a = t.add(1, SLOTS, t.genesis, g, g).unwrap();
    t.add(2, 2 * SLOTS, a, cp(1, a), g).unwrap();
    // (1, a) became justified inside on_block: its balances are new.
    assert_eq!(t.fc.justified_balances_needed(3 * SLOTS), Some(cp(1, a)));
    t.head();
    assert_eq!(t.fc.justified_balances_needed(3 * SLOTS), None);
    // A better justified checkpoint waits as best_justified until the next epoch start.
    t.fc.on_tick(3 * SLOTS + SAFE_SLOTS);
    let c = t.add(3, SLOTS + 1, t.genesis, g, g).unwrap();
    t.add(4, 3 * SLOTS, c, cp(2, c), g).unwrap();
    assert_eq!(
        t.fc.justified_balances_needed(3 * SLOTS + SAFE_SLOTS + 1),
        None
    );
    assert_eq!(
        t.fc.justified_balances_needed(5 * SLOTS + 3),
        Some(cp(2, c))
    );
    // And get_head asks for exactly that one.
    let mut asked = None;
    t.fc.get_head(5 * SLOTS + 3, |checkpoint| {
        asked = Some(*checkpoint);
        Ok(JustifiedBalances {
            checkpoint: *checkpoint,
            balances: vec![32_000_000_000; 4],
        })
    })
    .unwrap();
    assert_eq!(asked, Some(cp(2, c)));
}

// ---- test_on_attestation.py ----

fn attestation_scenario() -> (Scenario, Hash256) {
    let mut s = Scenario::new();
    s.fc.on_tick(SLOTS + 2);
    let b1 = s.add_plain(1, 1, s.genesis);
    (s, b1)
}

#[test]
fn on_attestation_current_epoch() {
    let (mut s, b1) = attestation_scenario();
    let b9 = s.add_plain(9, SLOTS + 1, b1);
    s.attest(&[0], SLOTS + 1, b9, cp(1, b1)).unwrap();
    assert_eq!(s.fc.latest_message(0), Some((1, b9)));
}

#[test]
fn on_attestation_previous_epoch() {
    let (mut s, b1) = attestation_scenario();
    s.attest(&[0], 1, b1, cp(0, s.genesis)).unwrap();
    assert_eq!(s.fc.latest_message(0), Some((0, b1)));
}

#[test]
fn on_attestation_past_epoch_is_refused() {
    let (mut s, b1) = attestation_scenario();
    s.fc.on_tick(3 * SLOTS);
    assert_eq!(
        s.attest(&[0], 1, b1, cp(0, s.genesis)),
        Err(InvalidAttestation::TargetEpochNotCurrentOrPrevious {
            target_epoch: 0,
            current_epoch: 3
        })
    );
}

#[test]
fn on_attestation_future_epoch_is_refused() {
    let (mut s, b1) = attestation_scenario();
    let err = s.attest(&[0], 2 * SLOTS, b1, cp(2, b1)).unwrap_err();
    assert!(matches!(
        err,
        InvalidAttestation::TargetEpochNotCurrentOrPrevious { .. }
    ));
}

#[test]
fn on_attestation_mismatched_target_and_slot_is_refused() {
    let (mut s, b1) = attestation_scenario();
    assert_eq!(
        s.attest(&[0], SLOTS + 1, b1, cp(0, s.genesis)),
        Err(InvalidAttestation::TargetEpochSlotMismatch {
            target_epoch: 0,
            slot: SLOTS + 1
        })
    );
}

#[test]
fn on_attestation_target_block_not_in_store_is_refused() {
    let (mut s, b1) = attestation_scenario();
    assert_eq!(
        s.attest(&[0], SLOTS + 1, b1, cp(1, root(55))),
        Err(InvalidAttestation::UnknownTargetRoot(root(55)))
    );
}

#[test]
fn on_attestation_beacon_block_not_in_store_is_refused() {
    let (mut s, b1) = attestation_scenario();
    assert_eq!(
        s.attest(&[0], SLOTS + 1, root(56), cp(1, b1)),
        Err(InvalidAttestation::UnknownHeadBlock(root(56)))
    );
}

#[test]
fn on_attestation_future_block_is_refused() {
    let (mut s, b1) = attestation_scenario();
    let b2 = s.add_plain(2, SLOTS + 2, b1);
    assert_eq!(
        s.attest(&[0], SLOTS + 1, b2, cp(1, b1)),
        Err(InvalidAttestation::AttestsToFutureBlock {
            block_slot: SLOTS + 2,
            attestation_slot: SLOTS + 1
        })
    );
}

#[test]
fn on_attestation_inconsistent_target_and_head_is_refused() {
    let (mut s, b1) = attestation_scenario();
    let other = s.add_plain(2, 2, s.genesis);
    let head = s.add_plain(3, SLOTS + 1, other);
    let err = s.attest(&[0], SLOTS + 1, head, cp(1, b1)).unwrap_err();
    assert_eq!(
        err,
        InvalidAttestation::InvalidTarget {
            target: b1,
            ancestor: Some(other)
        }
    );
}

#[test]
fn on_attestation_target_checkpoint_over_skip_slots() {
    // The target epoch's start slot was skipped: the target root is the block before it.
    let (mut s, b1) = attestation_scenario();
    let b = s.add_plain(2, SLOTS + 2, b1);
    s.attest(&[0], SLOTS + 2, b, cp(1, b1))
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn on_attestation_same_slot_is_queued_until_the_next_slot() {
    let (mut s, b1) = attestation_scenario();
    let b = s.add_plain(2, SLOTS + 2, b1);
    s.attest(&[0], SLOTS + 2, b, cp(1, b1)).unwrap();
    assert_eq!(s.fc.latest_message(0), None, "not before the next slot");
    assert_eq!(s.fc.queued_attestations().len(), 1);
    s.fc.on_tick(SLOTS + 3);
    assert_eq!(s.fc.latest_message(0), Some((1, b)));
    assert!(s.fc.queued_attestations().is_empty());
}

// ---- beyond the spec's unit tests ----

#[test]
fn reorg_follows_attestation_weight_and_back() {
    let mut s = Scenario::new();
    s.fc.on_tick(5);
    let a = s.add_plain(1, 1, s.genesis);
    let a2 = s.add_plain(2, 2, a);
    let b = s.add_plain(3, 3, s.genesis);
    s.attest(&[0], 3, a2, cp(0, s.genesis)).unwrap();
    assert_eq!(s.head(), a2);
    s.attest(&[1, 2], 3, b, cp(0, s.genesis)).unwrap();
    assert_eq!(s.head(), b);
    // Later votes from 1 and 2 return to A.
    s.fc.on_tick(SLOTS + 2);
    let a3 = s.add_plain(4, SLOTS + 1, a2);
    s.attest(&[1, 2], SLOTS + 1, a3, cp(1, a2)).unwrap();
    assert_eq!(s.head(), a3);
}

#[test]
fn a_late_block_joins_without_stealing_the_head() {
    let mut s = Scenario::new();
    s.fc.on_tick(6);
    let a = s.add_plain(1, 1, s.genesis);
    let a5 = s.add_plain(5, 5, a);
    s.attest(&[0, 1], 5, a5, cp(0, s.genesis)).unwrap();
    assert_eq!(s.head(), a5);
    // A block for slot 2 arrives late on a side branch: known, but not the head.
    let late = s.add_plain(2, 2, s.genesis);
    assert!(s.fc.contains_block(&late));
    assert_eq!(s.head(), a5);
}

#[test]
fn an_older_vote_does_not_replace_a_newer_one() {
    let (mut s, b1) = attestation_scenario();
    let b9 = s.add_plain(9, SLOTS + 1, b1);
    s.attest(&[0], SLOTS + 1, b9, cp(1, b1)).unwrap();
    s.attest(&[0], 1, b1, cp(0, s.genesis)).unwrap();
    assert_eq!(s.fc.latest_message(0), Some((1, b9)));
}

#[test]
fn block_attestations_skip_the_epoch_window() {
    let (mut s, b1) = attestation_scenario();
    s.fc.on_tick(4 * SLOTS);
    let data = AttestationData {
        slot: 1,
        index: 0,
        beacon_block_root: b1,
        source: Checkpoint::default(),
        target: cp(0, s.genesis),
    };
    s.fc.on_attestation(&[3], &data, true).unwrap();
    assert_eq!(s.fc.latest_message(3), Some((0, b1)));
}

#[test]
fn justified_balances_are_fetched_only_when_justified_changes() {
    let mut s = Scenario::new();
    s.fc.on_tick(2 * SLOTS);
    let g = cp(0, s.genesis);
    let a = s.add(1, SLOTS, s.genesis, g, g).unwrap();
    s.add(2, 2 * SLOTS, a, cp(1, a), g).unwrap();
    let mut calls = Vec::new();
    for _ in 0..3 {
        s.fc.get_head(2 * SLOTS, |c| {
            calls.push(*c);
            Ok(JustifiedBalances {
                checkpoint: *c,
                balances: vec![1; 4],
            })
        })
        .unwrap();
    }
    assert_eq!(calls, vec![cp(1, a)]);
    let err =
        s.fc.clone()
            .get_head(2 * SLOTS, |_| Err("state pruned".into()));
    assert!(
        err.is_ok(),
        "balances are cached, the closure is not called"
    );
}

#[test]
fn persisted_fork_choice_round_trips_and_finds_the_same_head() {
    let mut s = Scenario::new();
    s.fc.on_tick(SLOTS + 3);
    let a = s.add_plain(1, 1, s.genesis);
    let b = s.add_plain(2, 2, s.genesis);
    let a2 = s.add_plain(3, SLOTS + 2, a);
    s.attest(&[0, 1], SLOTS + 2, a2, cp(1, a)).unwrap();
    s.attest(&[2], 2, b, cp(0, s.genesis)).unwrap();
    let head = s.head();
    let tree = s.fc.persist_tree();
    let votes = s.fc.persist_votes();
    let mut restored =
        ForkChoice::from_persisted::<E>(&tree, Some(&votes), &ChainSpec::minimal()).unwrap();
    let restored_head = restored
        .get_head(SLOTS + 3, |c| {
            Ok(JustifiedBalances {
                checkpoint: *c,
                balances: vec![32_000_000_000; 4],
            })
        })
        .unwrap();
    assert_eq!(restored_head, head);
    assert_eq!(restored.proto_array.nodes(), s.fc.proto_array.nodes());
    // Garbage never panics.
    assert!(ForkChoice::from_persisted::<E>(&[1, 2, 3], None, &ChainSpec::minimal()).is_err());
    assert!(
        ForkChoice::from_persisted::<E>(&tree[..tree.len() - 1], None, &ChainSpec::minimal())
            .is_err()
    );
}

#[test]
fn abandoned_blocks_are_forks_off_the_finalized_chain() {
    let s = finalized_at_epoch_one();
    let g = cp(0, s.genesis);
    // root(1) finalized at slot 8; add a fork from genesis before it was finalized? Blocks
    // can no longer join there, so build the fork into a fresh store first.
    let mut t = Scenario::new();
    t.fc.on_tick(3 * SLOTS);
    let f = t.add(1, SLOTS, t.genesis, g, g).unwrap();
    let fork = t.add(7, 3, t.genesis, g, g).unwrap();
    let b = t.add(2, 2 * SLOTS, f, cp(1, f), g).unwrap();
    t.add(3, 3 * SLOTS, b, cp(2, b), cp(1, f)).unwrap();
    assert_eq!(t.fc.abandoned_blocks(), vec![fork]);
    assert!(s.fc.abandoned_blocks().is_empty());
}
