//! The beacon node's libp2p service (p2p-interface.md v1.0.1): TCP with Noise and yamux or
//! mplex, gossipsub 1.1 on every phase 0 topic, the ssz_snappy req/resp protocols, discv5
//! discovery, and a peer manager with scores, bans and rate limits. It knows nothing of the
//! chain: the router (beacon_node/router) turns its events into work and answers through
//! [`NetworkSender`].
//!
//! - `identity`: the node key, the ENR (kept on disk, its sequence number only rising);
//! - `rpc`: req/resp messages and the codec;
//! - `gossip`, `topics`, `pubsub`: gossipsub's configuration, topics and messages;
//! - `discovery`: discv5;
//! - `peer_manager`: what is known of each peer, scores, bans, rate limits;
//! - `service`: the swarm and its task.

pub mod config;
pub mod discovery;
pub mod gossip;
pub mod identity;
mod metrics;
pub mod peer_manager;
pub mod pubsub;
pub mod rpc;
pub mod service;
pub mod topics;

pub use config::NetworkConfig;
pub use discv5::Enr;
pub use identity::{EnrFields, EnrForkId, IdentityError, NodeIdentity, NODE_KEY_FILENAME};
pub use libp2p::gossipsub::{MessageAcceptance, MessageId};
pub use libp2p::{Multiaddr, PeerId};
pub use peer_manager::{ConnectionState, Direction, PeerAction};
pub use pubsub::PubsubMessage;
pub use service::{
    AppRequestId, ChainFacts, InboundId, NetworkCommand, NetworkEvent, NetworkGlobals,
    NetworkHandles, NetworkSender, NetworkService, PeerSummary, StatusProvider,
};

/// Whether `text` is a valid libp2p peer id (base58 multihash, as the API prints them).
pub fn is_valid_peer_id(text: &str) -> bool {
    text.parse::<libp2p_identity::PeerId>().is_ok()
}
