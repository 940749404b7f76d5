//! Gossip topics (p2p-interface.md v1.0.1, "Topics and messages"):
//! `/eth2/<fork_digest>/<name>/ssz_snappy`.

use libp2p::gossipsub::{IdentTopic, TopicHash};
use types::ForkDigest;

/// `ATTESTATION_SUBNET_COUNT`.
pub const ATTESTATION_SUBNET_COUNT: u64 = 64;

/// What a topic carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GossipKind {
    BeaconBlock,
    BeaconAggregateAndProof,
    Attestation(u64),
    VoluntaryExit,
    ProposerSlashing,
    AttesterSlashing,
}

impl GossipKind {
    /// The topics every node subscribes to (attestation subnets are chosen separately).
    pub const CORE: [GossipKind; 5] = [
        GossipKind::BeaconBlock,
        GossipKind::BeaconAggregateAndProof,
        GossipKind::VoluntaryExit,
        GossipKind::ProposerSlashing,
        GossipKind::AttesterSlashing,
    ];

    fn name(&self) -> String {
        match self {
            GossipKind::BeaconBlock => "beacon_block".into(),
            GossipKind::BeaconAggregateAndProof => "beacon_aggregate_and_proof".into(),
            GossipKind::Attestation(subnet) => format!("beacon_attestation_{subnet}"),
            GossipKind::VoluntaryExit => "voluntary_exit".into(),
            GossipKind::ProposerSlashing => "proposer_slashing".into(),
            GossipKind::AttesterSlashing => "attester_slashing".into(),
        }
    }

    /// A label for metrics (subnets share one).
    pub fn label(&self) -> &'static str {
        match self {
            GossipKind::BeaconBlock => "beacon_block",
            GossipKind::BeaconAggregateAndProof => "beacon_aggregate_and_proof",
            GossipKind::Attestation(_) => "beacon_attestation",
            GossipKind::VoluntaryExit => "voluntary_exit",
            GossipKind::ProposerSlashing => "proposer_slashing",
            GossipKind::AttesterSlashing => "attester_slashing",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "beacon_block" => GossipKind::BeaconBlock,
            "beacon_aggregate_and_proof" => GossipKind::BeaconAggregateAndProof,
            "voluntary_exit" => GossipKind::VoluntaryExit,
            "proposer_slashing" => GossipKind::ProposerSlashing,
            "attester_slashing" => GossipKind::AttesterSlashing,
            other => {
                let subnet: u64 = other.strip_prefix("beacon_attestation_")?.parse().ok()?;
                if subnet >= ATTESTATION_SUBNET_COUNT {
                    return None;
                }
                GossipKind::Attestation(subnet)
            }
        })
    }
}

/// A topic: a kind on a fork.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GossipTopic {
    pub fork_digest: ForkDigest,
    pub kind: GossipKind,
}

impl GossipTopic {
    pub fn new(fork_digest: ForkDigest, kind: GossipKind) -> Self {
        GossipTopic { fork_digest, kind }
    }

    /// `/eth2/<fork_digest>/<name>/ssz_snappy`.
    pub fn topic_string(&self) -> String {
        format!(
            "/eth2/{}/{}/ssz_snappy",
            hex::encode(self.fork_digest),
            self.kind.name()
        )
    }

    pub fn ident(&self) -> IdentTopic {
        IdentTopic::new(self.topic_string())
    }

    pub fn hash(&self) -> TopicHash {
        self.ident().hash()
    }

    /// Parse a topic; None for anything that is not a phase 0 topic with ssz_snappy.
    pub fn parse(topic: &str) -> Option<Self> {
        let rest = topic.strip_prefix("/eth2/")?;
        let mut parts = rest.split('/');
        let digest = parts.next()?;
        let name = parts.next()?;
        if parts.next()? != "ssz_snappy" || parts.next().is_some() {
            return None;
        }
        let digest_bytes = hex::decode(digest).ok()?;
        let fork_digest: ForkDigest = digest_bytes.try_into().ok()?;
        Some(GossipTopic {
            fork_digest,
            kind: GossipKind::from_name(name)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_round_trip_and_junk_is_refused() {
        let digest = [0xb5, 0x30, 0x3f, 0x2a];
        for kind in GossipKind::CORE
            .into_iter()
            .chain([GossipKind::Attestation(0), GossipKind::Attestation(63)])
        {
            let topic = GossipTopic::new(digest, kind);
            assert_eq!(GossipTopic::parse(&topic.topic_string()), Some(topic));
        }
        assert_eq!(
            GossipTopic::new(digest, GossipKind::BeaconBlock).topic_string(),
            "/eth2/b5303f2a/beacon_block/ssz_snappy"
        );
        for junk in [
            "/eth2/b5303f2a/beacon_attestation_64/ssz_snappy",
            "/eth2/b5303f2a/beacon_block/ssz",
            "/eth2/b5303f/beacon_block/ssz_snappy",
            "/eth2/b5303f2a/blob/ssz_snappy",
            "/eth2/b5303f2a/beacon_block/ssz_snappy/x",
            "beacon_block",
        ] {
            assert_eq!(GossipTopic::parse(junk), None, "{junk}");
        }
    }
}
