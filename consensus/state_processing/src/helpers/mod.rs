//! Spec helper functions, under the headings of beacon-chain.md ("Helper functions").

pub mod accessors;
pub mod math;
pub mod misc;
pub mod mutators;
pub mod predicates;

/// `FAR_FUTURE_EPOCH` (beacon-chain.md, Constants).
pub const FAR_FUTURE_EPOCH: u64 = u64::MAX;
/// `BASE_REWARDS_PER_EPOCH` (beacon-chain.md, Constants).
pub const BASE_REWARDS_PER_EPOCH: u64 = 4;
/// `DEPOSIT_CONTRACT_TREE_DEPTH` (beacon-chain.md, Constants).
pub const DEPOSIT_CONTRACT_TREE_DEPTH: usize = 32;
/// `GENESIS_EPOCH` (beacon-chain.md, Constants).
pub const GENESIS_EPOCH: u64 = 0;
/// `GENESIS_SLOT` (beacon-chain.md, Constants).
pub const GENESIS_SLOT: u64 = 0;
