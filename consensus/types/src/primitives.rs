//! Custom types of beacon-chain.md ("Custom types"), as plain aliases over integers and byte arrays.

/// A 32-byte root (SSZ `Bytes32`); alloy's `B256`, the type `tree_hash` itself uses.
pub type Hash256 = alloy_primitives::B256;
/// `Root`: a Merkle root.
pub type Root = Hash256;
/// `Slot`.
pub type Slot = u64;
/// `Epoch`.
pub type Epoch = u64;
/// `CommitteeIndex`.
pub type CommitteeIndex = u64;
/// `ValidatorIndex`.
pub type ValidatorIndex = u64;
/// `Gwei`.
pub type Gwei = u64;
/// `Version`: a fork version.
pub type Version = [u8; 4];
/// `DomainType`.
pub type DomainType = [u8; 4];
/// `ForkDigest`.
pub type ForkDigest = [u8; 4];
/// `Domain`: a 32-byte signature domain.
pub type Domain = Hash256;
/// The 32-byte graffiti of a block body.
pub type Graffiti = Hash256;
