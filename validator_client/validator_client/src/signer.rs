//! The signer: the validators' keys behind slashing protection. Every block and attestation is
//! checked against the slashing protection database, and the record committed durably, before
//! its signature is made; nothing else in the client touches a secret key.

use crate::keystores::ValidatorKey;
use bls::SecretKey;
use slashing_protection::{NotSafe, Safe, SlashingDatabase};
use state_processing::validator::is_aggregator;
use std::collections::HashMap;
use std::sync::Arc;
use tree_hash::TreeHash;
use types::signing::{compute_domain, compute_signing_root};
use types::{
    AggregateAndProof, Attestation, AttestationData, BeaconBlock, BitList, ChainSpec, Domain,
    DomainType, Epoch, EthSpec, Fork, Hash256, PublicKeyBytes, SignatureBytes,
    SignedAggregateAndProof, SignedBeaconBlock, Slot,
};

/// Why a message was not signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("no key for validator {0}")]
    UnknownValidator(PublicKeyBytes),
    #[error("slashing protection refused: {0}")]
    NotSafe(#[from] NotSafe),
    #[error(
        "the attestation duty's committee position {position} is outside its committee of {length}"
    )]
    BadCommitteePosition { position: u64, length: u64 },
    #[error("the signing task failed: {0}")]
    Task(String),
}

/// The keys, the slashing protection database and the chain's signing context.
pub struct Signer<E: EthSpec> {
    keys: HashMap<PublicKeyBytes, SecretKey>,
    slashing_protection: Arc<SlashingDatabase>,
    fork: Fork,
    genesis_validators_root: Hash256,
    spec: ChainSpec,
    _phantom: std::marker::PhantomData<E>,
}

impl<E: EthSpec> Signer<E> {
    /// A signer of `keys` for the chain of `genesis_validators_root` at `fork`.
    pub fn new(
        keys: Vec<ValidatorKey>,
        slashing_protection: Arc<SlashingDatabase>,
        fork: Fork,
        genesis_validators_root: Hash256,
        spec: ChainSpec,
    ) -> Self {
        Signer {
            keys: keys.into_iter().map(|k| (k.pubkey, k.secret)).collect(),
            slashing_protection,
            fork,
            genesis_validators_root,
            spec,
            _phantom: std::marker::PhantomData,
        }
    }

    /// The validators this signer holds keys for.
    pub fn pubkeys(&self) -> Vec<PublicKeyBytes> {
        let mut keys: Vec<_> = self.keys.keys().copied().collect();
        keys.sort_by_key(|k| k.to_string());
        keys
    }

    /// How many validators.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// `get_domain` (beacon-chain.md) without a state: the fork version in force at `epoch`.
    fn domain(&self, domain_type: DomainType, epoch: Epoch) -> Domain {
        let version = if epoch < self.fork.epoch {
            self.fork.previous_version
        } else {
            self.fork.current_version
        };
        compute_domain(domain_type, version, self.genesis_validators_root)
    }

    fn sign_root(
        &self,
        pubkey: &PublicKeyBytes,
        root: Hash256,
    ) -> Result<SignatureBytes, SignError> {
        let key = self
            .keys
            .get(pubkey)
            .ok_or(SignError::UnknownValidator(*pubkey))?;
        Ok(SignatureBytes::from(&key.sign(root.as_slice())))
    }

    fn sign_object<T: TreeHash>(
        &self,
        pubkey: &PublicKeyBytes,
        object: &T,
        domain_type: DomainType,
        epoch: Epoch,
    ) -> Result<SignatureBytes, SignError> {
        let root = compute_signing_root(object, self.domain(domain_type, epoch));
        self.sign_root(pubkey, root)
    }

    /// `get_epoch_signature` (validator.md, Block proposal): the RANDAO reveal.
    pub fn randao_reveal(
        &self,
        pubkey: &PublicKeyBytes,
        epoch: Epoch,
    ) -> Result<SignatureBytes, SignError> {
        self.sign_object(pubkey, &epoch, self.spec.domain_randao, epoch)
    }

    /// `get_block_signature` (validator.md, Signature), after slashing protection let it pass.
    pub fn sign_block(
        &self,
        pubkey: &PublicKeyBytes,
        block: BeaconBlock<E>,
    ) -> Result<SignedBeaconBlock<E>, SignError> {
        let epoch = block.slot / E::slots_per_epoch();
        let domain = self.domain(self.spec.domain_beacon_proposer, epoch);
        let root = compute_signing_root(&block, domain);
        self.check(
            self.slashing_protection
                .check_and_insert_block_proposal(pubkey, block.slot, root),
        )?;
        let signature = self.sign_root(pubkey, root)?;
        Ok(SignedBeaconBlock {
            message: block,
            signature,
        })
    }

    /// `get_attestation_signature` (validator.md, Aggregate signature), after slashing
    /// protection let it pass: an attestation with the validator's one bit set.
    pub fn sign_attestation(
        &self,
        pubkey: &PublicKeyBytes,
        data: AttestationData,
        committee_length: u64,
        committee_position: u64,
    ) -> Result<Attestation<E>, SignError> {
        let bad_position = SignError::BadCommitteePosition {
            position: committee_position,
            length: committee_length,
        };
        let mut bits = BitList::with_capacity(committee_length as usize).map_err(|_| {
            SignError::BadCommitteePosition {
                position: committee_position,
                length: committee_length,
            }
        })?;
        bits.set(committee_position as usize, true)
            .map_err(|_| bad_position)?;
        let domain = self.domain(self.spec.domain_beacon_attester, data.target.epoch);
        let root = compute_signing_root(&data, domain);
        self.check(self.slashing_protection.check_and_insert_attestation(
            pubkey,
            data.source.epoch,
            data.target.epoch,
            root,
        ))?;
        let signature = self.sign_root(pubkey, root)?;
        Ok(Attestation {
            aggregation_bits: bits,
            data,
            signature,
        })
    }

    /// `get_slot_signature` (validator.md, Aggregation selection): the selection proof.
    pub fn selection_proof(
        &self,
        pubkey: &PublicKeyBytes,
        slot: Slot,
    ) -> Result<SignatureBytes, SignError> {
        let epoch = slot / E::slots_per_epoch();
        self.sign_object(pubkey, &slot, self.spec.domain_selection_proof, epoch)
    }

    /// `is_aggregator` (validator.md, Aggregation selection) for a selection proof.
    pub fn is_aggregator(&self, committee_length: u64, selection_proof: &SignatureBytes) -> bool {
        is_aggregator(committee_length as usize, selection_proof, &self.spec)
    }

    /// `get_aggregate_and_proof` and `get_aggregate_and_proof_signature` (validator.md,
    /// Broadcast aggregate).
    pub fn sign_aggregate_and_proof(
        &self,
        pubkey: &PublicKeyBytes,
        aggregator_index: u64,
        aggregate: Attestation<E>,
        selection_proof: SignatureBytes,
    ) -> Result<SignedAggregateAndProof<E>, SignError> {
        let epoch = aggregate.data.slot / E::slots_per_epoch();
        let message = AggregateAndProof {
            aggregator_index,
            aggregate,
            selection_proof,
        };
        let signature = self.sign_object(
            pubkey,
            &message,
            self.spec.domain_aggregate_and_proof,
            epoch,
        )?;
        Ok(SignedAggregateAndProof { message, signature })
    }

    fn check(&self, outcome: Result<Safe, NotSafe>) -> Result<(), SignError> {
        outcome.map(|_| ()).map_err(SignError::NotSafe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::{Checkpoint, MinimalEthSpec};

    fn signer() -> Signer<MinimalEthSpec> {
        let secret = SecretKey::deserialize(&[7u8; 32]).unwrap();
        let pubkey = secret.public_key().compress();
        let db = Arc::new(SlashingDatabase::open_in_memory(Hash256::ZERO).unwrap());
        db.register_validator(&pubkey).unwrap();
        let spec = ChainSpec::minimal();
        let fork = Fork {
            previous_version: spec.genesis_fork_version,
            current_version: spec.genesis_fork_version,
            epoch: 0,
        };
        Signer::new(
            vec![ValidatorKey {
                pubkey,
                secret,
                keystore: Default::default(),
            }],
            db,
            fork,
            Hash256::ZERO,
            spec,
        )
    }

    fn data(source: Epoch, target: Epoch, root: u8) -> AttestationData {
        AttestationData {
            slot: target * 8,
            index: 0,
            beacon_block_root: Hash256::repeat_byte(root),
            source: Checkpoint {
                epoch: source,
                root: Hash256::ZERO,
            },
            target: Checkpoint {
                epoch: target,
                root: Hash256::ZERO,
            },
        }
    }

    #[test]
    fn a_second_vote_for_a_target_is_refused_and_the_same_vote_is_not() {
        let signer = signer();
        let pubkey = signer.pubkeys()[0];
        let first = signer
            .sign_attestation(&pubkey, data(0, 1, 1), 4, 2)
            .unwrap();
        assert!(first.aggregation_bits.get(2).unwrap());
        assert!(signer
            .sign_attestation(&pubkey, data(0, 1, 1), 4, 2)
            .is_ok());
        let err = signer
            .sign_attestation(&pubkey, data(0, 1, 2), 4, 2)
            .unwrap_err();
        assert!(
            matches!(err, SignError::NotSafe(NotSafe::DoubleVote { .. })),
            "{err}"
        );
    }

    #[test]
    fn a_second_block_at_a_slot_is_refused() {
        let signer = signer();
        let pubkey = signer.pubkeys()[0];
        let mut block = BeaconBlock::<MinimalEthSpec> {
            slot: 3,
            ..Default::default()
        };
        signer.sign_block(&pubkey, block.clone()).unwrap();
        block.state_root = Hash256::repeat_byte(1);
        let err = signer.sign_block(&pubkey, block).unwrap_err();
        assert!(
            matches!(err, SignError::NotSafe(NotSafe::DoubleBlockProposal { .. })),
            "{err}"
        );
    }

    #[test]
    fn a_position_outside_the_committee_is_an_error() {
        let signer = signer();
        let pubkey = signer.pubkeys()[0];
        assert!(matches!(
            signer.sign_attestation(&pubkey, data(0, 1, 1), 4, 4),
            Err(SignError::BadCommitteePosition { .. })
        ));
    }
}
