//! Where block production gets its eth1 vote and deposits (validator.md, "Eth1 Data"): the
//! node's eth1 follower, wired in by the client. Without one, a block votes the state's own
//! eth1 data, which needs no deposits the node lacks.

use types::{BeaconState, ChainSpec, Deposit, Eth1Data, EthSpec};

/// A source of eth1 votes and deposits for block proposals.
pub trait Eth1Source<E: EthSpec>: Send + Sync {
    /// The eth1 vote of a block on `state` (already advanced to the block's slot) and the
    /// deposits the block must include once that vote is counted, with proofs; an error says
    /// why the source cannot tell (e.g. it lacks deposits the state expects).
    fn eth1_data_and_deposits(
        &self,
        state: &BeaconState<E>,
        spec: &ChainSpec,
    ) -> Result<(Eth1Data, Vec<Deposit>), String>;
}
