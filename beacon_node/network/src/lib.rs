//! The beacon node's peer-to-peer side. So far its identity only: the node key, the libp2p
//! peer id and the ENR that `GET /eth/v1/node/identity` reports and that discovery and
//! gossip will use (p2p-interface.md). Peers, gossip and req/resp are the networking issue.

mod identity;

pub use identity::{EnrForkId, IdentityError, NodeIdentity, NODE_KEY_FILENAME};

/// Whether `text` is a valid libp2p peer id (base58 multihash, as the API prints them).
pub fn is_valid_peer_id(text: &str) -> bool {
    text.parse::<libp2p_identity::PeerId>().is_ok()
}
