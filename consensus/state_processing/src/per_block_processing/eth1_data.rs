//! beacon-chain.md (v1.0.1), "Eth1 data": `process_eth1_data`.

use super::errors::BlockProcessingError;
use safe_arith::SafeArith;
use types::{BeaconBlockBody, BeaconState, EthSpec};

/// `process_eth1_data` (beacon-chain.md, Eth1 data): record the vote; adopt the voted data once
/// more than half of the voting period's slots voted for it.
pub fn process_eth1_data<E: EthSpec>(
    state: &mut BeaconState<E>,
    body: &BeaconBlockBody<E>,
) -> Result<(), BlockProcessingError> {
    state
        .eth1_data_votes
        .push(body.eth1_data)
        .map_err(|_| BlockProcessingError::Eth1DataVotesFull)?;
    let votes = state
        .eth1_data_votes
        .iter()
        .filter(|vote| **vote == body.eth1_data)
        .count() as u64;
    // EPOCHS_PER_ETH1_VOTING_PERIOD * SLOTS_PER_EPOCH
    if votes.safe_mul(2)? > E::slots_per_eth1_voting_period() {
        state.eth1_data = body.eth1_data;
    }
    Ok(())
}
