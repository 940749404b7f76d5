//! Answering peers' block requests from the hot and cold database (p2p-interface.md,
//! BeaconBlocksByRange and BeaconBlocksByRoot). A node started from a checkpoint answers
//! only what it has: slots before its anchor are simply absent from the response.

use beacon_chain::BeaconChain;
use network::rpc::{
    BlocksByRangeRequest, BlocksByRootRequest, ErrorCode, Response, MAX_REQUEST_BLOCKS,
};
use std::sync::Arc;
use types::{EthSpec, Hash256, Slot};

/// The canonical block root at `slot` (the latest block at or before it), if known.
fn canonical_root_at<E: EthSpec>(chain: &BeaconChain<E>, slot: Slot) -> Option<Hash256> {
    let head = chain.head();
    if slot >= head.slot() {
        return Some(head.block_root);
    }
    if head.state.slot - slot <= E::slots_per_historical_root() {
        return head.state.get_block_root_at_slot(slot).ok();
    }
    chain.store.get_cold_block_root(slot).ok().flatten()
}

/// The canonical blocks of `request`'s slots, in slot order, each once.
pub fn blocks_by_range<E: EthSpec>(
    chain: &BeaconChain<E>,
    request: &BlocksByRangeRequest,
) -> Response<E> {
    let head_slot = chain.head_slot();
    let count = request.count.min(MAX_REQUEST_BLOCKS);
    let mut blocks = Vec::new();
    let mut previous: Option<Hash256> = match request.start_slot.checked_sub(1) {
        Some(before) if before <= head_slot => canonical_root_at(chain, before),
        _ => None,
    };
    for i in 0..count {
        let Some(slot) = i
            .checked_mul(request.step)
            .and_then(|offset| request.start_slot.checked_add(offset))
        else {
            break;
        };
        if slot > head_slot {
            break;
        }
        let Some(root) = canonical_root_at(chain, slot) else {
            continue;
        };
        // A skipped slot repeats the previous slot's root; a block proposed at this slot
        // has a new one. With step > 1 the previous root is of an earlier requested slot, so
        // check the block's own slot.
        if previous == Some(root) {
            continue;
        }
        previous = Some(root);
        match chain.get_block(&root) {
            Ok(Some(block)) if block.message.slot == slot => blocks.push(Arc::new(block)),
            Ok(_) => {}
            Err(e) => {
                return Response::Error {
                    code: ErrorCode::ServerError,
                    message: format!("database: {e}"),
                    blocks,
                }
            }
        }
    }
    Response::Blocks(blocks)
}

/// The blocks of `roots` that the node has, in the order asked.
pub fn blocks_by_root<E: EthSpec>(
    chain: &BeaconChain<E>,
    roots: &BlocksByRootRequest,
) -> Response<E> {
    let mut blocks = Vec::new();
    for root in roots.iter() {
        match chain.get_block(root) {
            Ok(Some(block)) => blocks.push(Arc::new(block)),
            Ok(None) => {}
            Err(e) => {
                return Response::Error {
                    code: ErrorCode::ServerError,
                    message: format!("database: {e}"),
                    blocks,
                }
            }
        }
    }
    Response::Blocks(blocks)
}
