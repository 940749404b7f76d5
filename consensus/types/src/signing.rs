//! Signing helpers of beacon-chain.md ("Misc"): fork data roots, domains and signing roots.

use crate::{Domain, DomainType, ForkData, Hash256, Root, SigningData, Version};
use tree_hash::TreeHash;

/// `compute_fork_data_root` (beacon-chain.md, Misc).
pub fn compute_fork_data_root(current_version: Version, genesis_validators_root: Root) -> Root {
    ForkData {
        current_version,
        genesis_validators_root,
    }
    .tree_hash_root()
}

/// `compute_fork_digest` (beacon-chain.md, Misc).
pub fn compute_fork_digest(current_version: Version, genesis_validators_root: Root) -> [u8; 4] {
    let root = compute_fork_data_root(current_version, genesis_validators_root);
    let mut digest = [0u8; 4];
    digest.copy_from_slice(&root[..4]);
    digest
}

/// `compute_domain` (beacon-chain.md, Misc).
pub fn compute_domain(
    domain_type: DomainType,
    fork_version: Version,
    genesis_validators_root: Root,
) -> Domain {
    let fork_data_root = compute_fork_data_root(fork_version, genesis_validators_root);
    let mut domain = [0u8; 32];
    domain[..4].copy_from_slice(&domain_type);
    domain[4..].copy_from_slice(&fork_data_root[..28]);
    Hash256::from(domain)
}

/// `compute_signing_root` (beacon-chain.md, Misc).
pub fn compute_signing_root<T: TreeHash + ?Sized>(object: &T, domain: Domain) -> Root {
    SigningData {
        object_root: object.tree_hash_root(),
        domain,
    }
    .tree_hash_root()
}
