//! `state_id` and `block_id` path parameters: `head`, `genesis`, `finalized`, `justified`
//! (states only), a slot, or a `0x` root; and how each resolves on the canonical chain.

use crate::error::ApiError;
use beacon_chain::BeaconChain;
use std::str::FromStr;
use std::sync::Arc;
use types::{BeaconState, EthSpec, Hash256, SignedBeaconBlock, Slot};

/// A `state_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateId {
    Head,
    Genesis,
    Finalized,
    Justified,
    Slot(Slot),
    Root(Hash256),
}

/// A `block_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockId {
    Head,
    Genesis,
    Finalized,
    Slot(Slot),
    Root(Hash256),
}

/// A root as the API writes it: `0x` and exactly 64 hex digits.
fn parse_root(s: &str) -> Option<Hash256> {
    let digits = s.strip_prefix("0x")?;
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(digits, &mut bytes).ok()?;
    Some(Hash256::from(bytes))
}

impl FromStr for StateId {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "head" => Ok(StateId::Head),
            "genesis" => Ok(StateId::Genesis),
            "finalized" => Ok(StateId::Finalized),
            "justified" => Ok(StateId::Justified),
            _ if s.starts_with("0x") => parse_root(s)
                .map(StateId::Root)
                .ok_or_else(|| ApiError::bad_request(format!("invalid state ID: {s}"))),
            _ => s
                .parse::<Slot>()
                .map(StateId::Slot)
                .map_err(|_| ApiError::bad_request(format!("invalid state ID: {s}"))),
        }
    }
}

impl FromStr for BlockId {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "head" => Ok(BlockId::Head),
            "genesis" => Ok(BlockId::Genesis),
            "finalized" => Ok(BlockId::Finalized),
            _ if s.starts_with("0x") => parse_root(s)
                .map(BlockId::Root)
                .ok_or_else(|| ApiError::bad_request(format!("invalid block ID: {s}"))),
            _ => s
                .parse::<Slot>()
                .map(BlockId::Slot)
                .map_err(|_| ApiError::bad_request(format!("invalid block ID: {s}"))),
        }
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::server_error(e.to_string())
}

/// The canonical state root at `slot`, if the node has it.
pub fn canonical_state_root<E: EthSpec>(
    chain: &BeaconChain<E>,
    slot: Slot,
) -> Result<Option<Hash256>, ApiError> {
    let head = chain.head();
    let head_slot = head.state.slot;
    if slot == head_slot {
        return Ok(Some(head.state_root));
    }
    if slot > head_slot {
        return Ok(None);
    }
    if head_slot - slot <= E::slots_per_historical_root() {
        return Ok(head.state.get_state_root_at_slot(slot).ok());
    }
    chain.store.get_cold_state_root(slot).map_err(internal)
}

/// The canonical block root at `slot`, and whether a block was proposed at exactly that slot.
pub fn canonical_block_root<E: EthSpec>(
    chain: &BeaconChain<E>,
    slot: Slot,
) -> Result<Option<(Hash256, bool)>, ApiError> {
    let head = chain.head();
    let head_slot = head.slot();
    if slot > head.state.slot {
        return Ok(None);
    }
    let root_at = |s: Slot| -> Result<Option<Hash256>, ApiError> {
        if s >= head_slot {
            return Ok(Some(head.block_root));
        }
        if head.state.slot - s <= E::slots_per_historical_root() {
            return Ok(head.state.get_block_root_at_slot(s).ok());
        }
        chain.store.get_cold_block_root(s).map_err(internal)
    };
    let Some(root) = root_at(slot)? else {
        return Ok(None);
    };
    let proposed_here = if slot == 0 {
        true
    } else {
        root_at(slot - 1)? != Some(root)
    };
    Ok(Some((root, proposed_here)))
}

impl StateId {
    /// The state's root.
    pub fn root<E: EthSpec>(&self, chain: &BeaconChain<E>) -> Result<Hash256, ApiError> {
        let slot = match self {
            StateId::Head => return Ok(chain.head().state_root),
            StateId::Genesis => return Ok(chain.genesis_state_root),
            StateId::Root(root) => return Ok(*root),
            StateId::Finalized => chain.finalized_checkpoint().epoch * E::slots_per_epoch(),
            StateId::Justified => chain.justified_checkpoint().epoch * E::slots_per_epoch(),
            StateId::Slot(slot) => *slot,
        };
        canonical_state_root(chain, slot)?
            .ok_or_else(|| ApiError::not_found(format!("no state at slot {slot}")))
    }

    /// The state and its root.
    pub fn state<E: EthSpec>(
        &self,
        chain: &BeaconChain<E>,
    ) -> Result<(Hash256, Arc<BeaconState<E>>), ApiError> {
        let head = chain.head();
        let root = self.root(chain)?;
        if root == head.state_root {
            return Ok((root, head.state));
        }
        let state = chain
            .store
            .get_state(&root)
            .map_err(internal)?
            .ok_or_else(|| ApiError::not_found(format!("state {root:?} not found")))?;
        Ok((root, Arc::new(state)))
    }
}

impl BlockId {
    /// The block's root.
    pub fn root<E: EthSpec>(&self, chain: &BeaconChain<E>) -> Result<Hash256, ApiError> {
        match self {
            BlockId::Head => Ok(chain.head_block_root()),
            BlockId::Genesis => Ok(chain.genesis_block_root),
            BlockId::Finalized => Ok(chain.finalized_checkpoint().root),
            BlockId::Root(root) => Ok(*root),
            BlockId::Slot(slot) => match canonical_block_root(chain, *slot)? {
                Some((root, true)) => Ok(root),
                _ => match chain.backfill_info() {
                    Ok(Some(info)) if *slot < info.oldest_block_slot => {
                        Err(ApiError::not_found(format!(
                            "block history before slot {} is not here yet (backfill from peers is under way)",
                            info.oldest_block_slot
                        )))
                    }
                    _ => Err(ApiError::not_found(format!("no block at slot {slot}"))),
                },
            },
        }
    }

    /// The block and its root.
    pub fn block<E: EthSpec>(
        &self,
        chain: &BeaconChain<E>,
    ) -> Result<(Hash256, SignedBeaconBlock<E>), ApiError> {
        let root = self.root(chain)?;
        let block = chain
            .get_block(&root)
            .map_err(internal)?
            .ok_or_else(|| ApiError::not_found(format!("block {root:?} not found")))?;
        Ok((root, block))
    }

    /// True if the block is on the canonical chain.
    pub fn is_canonical<E: EthSpec>(
        chain: &BeaconChain<E>,
        root: Hash256,
        slot: Slot,
    ) -> Result<bool, ApiError> {
        Ok(canonical_block_root(chain, slot)?.map(|(r, _)| r) == Some(root))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_and_bad_ones_are_400() {
        assert_eq!("head".parse::<StateId>().unwrap(), StateId::Head);
        assert_eq!("justified".parse::<StateId>().unwrap(), StateId::Justified);
        assert_eq!("12".parse::<StateId>().unwrap(), StateId::Slot(12));
        let root = format!("0x{}", "ab".repeat(32));
        assert_eq!(
            root.parse::<BlockId>().unwrap(),
            BlockId::Root(Hash256::repeat_byte(0xab))
        );
        let too_long = format!("0x{}", "ab".repeat(33));
        let odd = format!("0x{}", "a".repeat(63));
        let not_hex = format!("0x{}", "g".repeat(64));
        for bad in [
            "",
            "-1",
            "0x12",
            "justified_",
            "0xzz",
            "1.5",
            &too_long,
            &odd,
            &not_hex,
        ] {
            let e = bad.parse::<StateId>().unwrap_err();
            assert_eq!(e.status.as_u16(), 400, "{bad}");
        }
        assert!("justified".parse::<BlockId>().is_err());
    }
}
