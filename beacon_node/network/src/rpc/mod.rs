//! Req/resp (p2p-interface.md v1.0.1, "The Req/Resp domain"): the messages and the
//! ssz_snappy codec. Each method runs on its own libp2p request-response behaviour, so a
//! stream negotiates exactly the protocol of its request.

pub mod codec;
mod methods;

pub use codec::Eth2Codec;
pub use methods::*;
