//! The messages of the gossip topics, decoded from and encoded to SSZ.

use crate::topics::GossipKind;
use ssz::{Decode, Encode};
use std::sync::Arc;
use types::{
    Attestation, AttesterSlashing, EthSpec, ProposerSlashing, SignedAggregateAndProof,
    SignedBeaconBlock, SignedVoluntaryExit,
};

#[derive(Debug, Clone, PartialEq)]
pub enum PubsubMessage<E: EthSpec> {
    BeaconBlock(Arc<SignedBeaconBlock<E>>),
    AggregateAndProof(Box<SignedAggregateAndProof<E>>),
    Attestation(u64, Box<Attestation<E>>),
    VoluntaryExit(Box<SignedVoluntaryExit>),
    ProposerSlashing(Box<ProposerSlashing>),
    AttesterSlashing(Box<AttesterSlashing<E>>),
}

impl<E: EthSpec> PubsubMessage<E> {
    pub fn kind(&self) -> GossipKind {
        match self {
            PubsubMessage::BeaconBlock(_) => GossipKind::BeaconBlock,
            PubsubMessage::AggregateAndProof(_) => GossipKind::BeaconAggregateAndProof,
            PubsubMessage::Attestation(subnet, _) => GossipKind::Attestation(*subnet),
            PubsubMessage::VoluntaryExit(_) => GossipKind::VoluntaryExit,
            PubsubMessage::ProposerSlashing(_) => GossipKind::ProposerSlashing,
            PubsubMessage::AttesterSlashing(_) => GossipKind::AttesterSlashing,
        }
    }

    /// Decode the (decompressed) payload of a message on a topic of `kind`.
    pub fn decode(kind: GossipKind, data: &[u8]) -> Result<Self, String> {
        let e = |e: ssz::DecodeError| format!("{}: invalid SSZ: {e:?}", kind.label());
        Ok(match kind {
            GossipKind::BeaconBlock => PubsubMessage::BeaconBlock(Arc::new(
                SignedBeaconBlock::from_ssz_bytes(data).map_err(e)?,
            )),
            GossipKind::BeaconAggregateAndProof => PubsubMessage::AggregateAndProof(Box::new(
                SignedAggregateAndProof::from_ssz_bytes(data).map_err(e)?,
            )),
            GossipKind::Attestation(subnet) => PubsubMessage::Attestation(
                subnet,
                Box::new(Attestation::from_ssz_bytes(data).map_err(e)?),
            ),
            GossipKind::VoluntaryExit => PubsubMessage::VoluntaryExit(Box::new(
                SignedVoluntaryExit::from_ssz_bytes(data).map_err(e)?,
            )),
            GossipKind::ProposerSlashing => PubsubMessage::ProposerSlashing(Box::new(
                ProposerSlashing::from_ssz_bytes(data).map_err(e)?,
            )),
            GossipKind::AttesterSlashing => PubsubMessage::AttesterSlashing(Box::new(
                AttesterSlashing::from_ssz_bytes(data).map_err(e)?,
            )),
        })
    }

    /// The SSZ payload (compression is the transport's).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            PubsubMessage::BeaconBlock(b) => b.as_ssz_bytes(),
            PubsubMessage::AggregateAndProof(a) => a.as_ssz_bytes(),
            PubsubMessage::Attestation(_, a) => a.as_ssz_bytes(),
            PubsubMessage::VoluntaryExit(x) => x.as_ssz_bytes(),
            PubsubMessage::ProposerSlashing(x) => x.as_ssz_bytes(),
            PubsubMessage::AttesterSlashing(x) => x.as_ssz_bytes(),
        }
    }
}
