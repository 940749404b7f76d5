use super::*;

fn root(n: u8) -> Hash256 {
    Hash256::repeat_byte(n)
}

fn cp(epoch: Epoch, root: Hash256) -> Checkpoint {
    Checkpoint { epoch, root }
}

/// A checkpoint of `epoch` at the anchor block `root(1)` (roots only matter past genesis).
fn c(epoch: Epoch) -> Checkpoint {
    cp(epoch, root(1))
}

/// A tree: 1 (anchor) <- 2 <- 3, and 2 <- 4 (a fork at slot 3).
fn forked() -> ProtoArray {
    let mut a = ProtoArray::new(0, root(1), c(0), c(0));
    a.on_block(1, root(2), root(1), c(0), c(0)).unwrap();
    a.on_block(2, root(3), root(2), c(0), c(0)).unwrap();
    a.on_block(3, root(4), root(2), c(0), c(0)).unwrap();
    a
}

#[test]
fn with_no_votes_the_higher_root_wins_the_tie() {
    let mut a = forked();
    assert_eq!(a.find_head(cp(0, root(1)), c(0), &[]).unwrap(), root(4));
    let mut b = ProtoArray::new(0, root(1), c(0), c(0));
    b.on_block(1, root(9), root(1), c(0), c(0)).unwrap();
    b.on_block(1, root(5), root(1), c(0), c(0)).unwrap();
    assert_eq!(b.find_head(cp(0, root(1)), c(0), &[]).unwrap(), root(9));
}

#[test]
fn the_head_follows_attestation_weight_and_moves_with_votes() {
    let mut a = forked();
    let balances = vec![10, 10, 10];
    a.process_attestation(0, root(3), 1);
    assert_eq!(
        a.find_head(cp(0, root(1)), c(0), &balances).unwrap(),
        root(3)
    );
    assert_eq!(a.get_node(&root(3)).unwrap().weight, 10);
    assert_eq!(a.get_node(&root(2)).unwrap().weight, 10);

    // Two votes for 4 outweigh one for 3: a reorg.
    a.process_attestation(1, root(4), 1);
    a.process_attestation(2, root(4), 1);
    assert_eq!(
        a.find_head(cp(0, root(1)), c(0), &balances).unwrap(),
        root(4)
    );

    // Validator 1 and 2 move to 3 in a later epoch: back again; weights stay exact.
    a.process_attestation(1, root(3), 2);
    a.process_attestation(2, root(3), 2);
    assert_eq!(
        a.find_head(cp(0, root(1)), c(0), &balances).unwrap(),
        root(3)
    );
    assert_eq!(a.get_node(&root(3)).unwrap().weight, 30);
    assert_eq!(a.get_node(&root(4)).unwrap().weight, 0);
    assert_eq!(a.get_node(&root(1)).unwrap().weight, 30);
}

#[test]
fn an_older_vote_never_replaces_a_newer_one() {
    let mut a = forked();
    a.process_attestation(0, root(3), 5);
    a.process_attestation(0, root(4), 4);
    a.process_attestation(0, root(4), 5);
    assert_eq!(a.find_head(cp(0, root(1)), c(0), &[10]).unwrap(), root(3));
}

#[test]
fn balance_changes_move_weight_without_new_votes() {
    let mut a = forked();
    a.process_attestation(0, root(3), 1);
    a.process_attestation(1, root(4), 1);
    assert_eq!(
        a.find_head(cp(0, root(1)), c(0), &[20, 10]).unwrap(),
        root(3)
    );
    assert_eq!(
        a.find_head(cp(0, root(1)), c(0), &[5, 10]).unwrap(),
        root(4)
    );
    assert_eq!(a.get_node(&root(2)).unwrap().weight, 15);
    // A validator that disappears from the balances takes its weight with it.
    assert_eq!(a.find_head(cp(0, root(1)), c(0), &[5]).unwrap(), root(3));
    assert_eq!(a.get_node(&root(4)).unwrap().weight, 0);
}

#[test]
fn a_leaf_that_disagrees_with_the_store_checkpoints_is_filtered_out() {
    let mut a = ProtoArray::new(0, root(1), c(0), c(0));
    // Block 2's state justified epoch 1; block 3's did not.
    a.on_block(1, root(2), root(1), c(1), c(0)).unwrap();
    a.on_block(1, root(3), root(1), c(0), c(0)).unwrap();
    a.process_attestation(0, root(3), 1);
    // With the store at genesis every leaf is viable: weight decides.
    assert_eq!(a.find_head(cp(0, root(1)), c(0), &[10]).unwrap(), root(3));
    // Once the store's justified epoch is 1, only block 2's branch is viable, despite the weight.
    assert_eq!(a.find_head(cp(1, root(1)), c(0), &[10]).unwrap(), root(2));
}

#[test]
fn a_leaf_justifying_the_same_epoch_at_another_root_is_filtered_out() {
    // filter_block_tree compares whole checkpoints: the epoch agreeing is not enough.
    let mut a = ProtoArray::new(0, root(1), c(0), c(0));
    a.on_block(1, root(2), root(1), cp(1, root(1)), c(0))
        .unwrap();
    a.on_block(1, root(3), root(1), cp(1, root(9)), c(0))
        .unwrap();
    a.process_attestation(0, root(3), 1);
    assert_eq!(a.find_head(cp(1, root(1)), c(0), &[10]).unwrap(), root(2));
}

#[test]
fn unknown_parent_and_unknown_justified_block_are_errors() {
    let mut a = forked();
    assert_eq!(
        a.on_block(5, root(7), root(8), c(0), c(0)),
        Err(ProtoArrayError::UnknownBlock(root(8)))
    );
    assert_eq!(
        a.find_head(cp(0, root(8)), c(0), &[]),
        Err(ProtoArrayError::UnknownJustifiedBlock(root(8)))
    );
    // A duplicate block is ignored.
    a.on_block(2, root(3), root(2), c(0), c(0)).unwrap();
    assert_eq!(a.len(), 4);
}

#[test]
fn get_ancestor_walks_to_the_block_at_or_before_the_slot() {
    let a = forked();
    assert_eq!(a.get_ancestor(&root(3), 2), Some(root(3)));
    assert_eq!(a.get_ancestor(&root(3), 1), Some(root(2)));
    assert_eq!(a.get_ancestor(&root(4), 2), Some(root(2)));
    assert_eq!(a.get_ancestor(&root(4), 0), Some(root(1)));
    assert_eq!(a.get_ancestor(&root(9), 0), None);
}

#[test]
fn pruning_keeps_the_finalized_subtree_and_the_head() {
    let mut a = ProtoArray::new(0, root(1), c(0), c(0));
    a.on_block(1, root(2), root(1), c(0), c(0)).unwrap();
    a.on_block(1, root(3), root(1), c(0), c(0)).unwrap(); // abandoned fork
    a.on_block(2, root(4), root(2), c(0), c(0)).unwrap();
    a.on_block(3, root(5), root(4), c(0), c(0)).unwrap();
    a.process_attestation(0, root(5), 1);
    assert_eq!(a.find_head(cp(0, root(1)), c(0), &[10]).unwrap(), root(5));

    // Below the threshold nothing happens.
    a.maybe_prune(root(2), 10).unwrap();
    assert_eq!(a.len(), 5);

    a.maybe_prune(root(2), 1).unwrap();
    assert_eq!(a.len(), 3);
    assert!(!a.contains_block(&root(1)) && !a.contains_block(&root(3)));
    assert_eq!(a.get_node(&root(4)).unwrap().parent, Some(0));
    assert_eq!(a.find_head(cp(0, root(2)), c(0), &[10]).unwrap(), root(5));
    // Votes keep working after the re-index.
    a.on_block(3, root(6), root(4), c(0), c(0)).unwrap();
    a.process_attestation(1, root(6), 1);
    a.process_attestation(2, root(6), 1);
    assert_eq!(
        a.find_head(cp(0, root(2)), c(0), &[10, 10, 10]).unwrap(),
        root(6)
    );
}

#[test]
fn weights_equal_a_full_recount_after_random_votes() {
    // Cross-check the delta bookkeeping against a recount from the latest messages.
    let mut a = ProtoArray::new(0, root(0), c(0), c(0));
    let parents = [0u8, 0, 1, 1, 2, 3, 3, 5, 7, 4];
    for (i, p) in parents.iter().enumerate() {
        let n = i as u8 + 1;
        a.on_block(n as u64, root(n), root(*p), c(0), c(0)).unwrap();
    }
    let mut seed = 7u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    let validators = 20usize;
    // The spec's latest messages: (epoch, root), replaced only by a strictly later epoch.
    let mut latest: Vec<Option<(u64, Hash256)>> = vec![None; validators];
    for epoch in 1..30u64 {
        for _ in 0..8 {
            let v = (next() % validators as u64) as usize;
            let target = root((next() % 11) as u8);
            a.process_attestation(v, target, epoch);
            if latest[v].is_none_or(|(e, _)| epoch > e) {
                latest[v] = Some((epoch, target));
            }
        }
        let balances: Vec<u64> = (0..validators).map(|_| 1 + next() % 32).collect();
        let head = a.find_head(cp(0, root(0)), c(0), &balances).unwrap();
        // The spec's get_head, naively: from the justified block, descend to the child with
        // the most weight, ties to the higher root, until a leaf.
        let mut naive = 0usize;
        loop {
            let best = (0..a.nodes.len())
                .filter(|&c| a.nodes[c].parent == Some(naive))
                .max_by_key(|&c| (a.nodes[c].weight, a.nodes[c].root));
            match best {
                Some(c) => naive = c,
                None => break,
            }
        }
        assert_eq!(head, a.nodes[naive].root, "head at epoch {epoch}");
        for n in 0..=10u8 {
            // Node n's weight is the balance of votes for n or any descendant of n.
            let is_descendant_vote = |r: Hash256| {
                let mut cur = a.get_node(&r);
                while let Some(node) = cur {
                    if node.root == root(n) {
                        return true;
                    }
                    cur = node.parent.and_then(|p| a.nodes.get(p));
                }
                false
            };
            let recount: u64 = latest
                .iter()
                .zip(&balances)
                .filter(|(vote, _)| vote.is_some_and(|(_, r)| is_descendant_vote(r)))
                .map(|(_, b)| *b)
                .sum();
            assert_eq!(
                a.get_node(&root(n)).unwrap().weight,
                recount,
                "node {n}, epoch {epoch}"
            );
        }
    }
}
