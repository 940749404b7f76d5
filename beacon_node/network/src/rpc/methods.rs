//! The req/resp messages of phase 0 (p2p-interface.md v1.0.1, "Messages"), their protocol
//! ids and the size bounds a reader checks before it allocates anything.

use ssz_derive::{Decode, Encode};
use std::sync::Arc;
use types::typenum::U1024;
use types::{
    BitVector, Epoch, EthSpec, ForkDigest, Hash256, SignedBeaconBlock, Slot, VariableList,
};

/// `MAX_REQUEST_BLOCKS` (p2p-interface.md, Configuration).
pub const MAX_REQUEST_BLOCKS: u64 = 1024;
/// `MAX_CHUNK_SIZE`: the largest SSZ payload of one request or response chunk.
pub const MAX_CHUNK_SIZE: usize = 1 << 20;
/// The longest error message a response may carry (`ErrorMessage`: List[byte, 256]).
pub const MAX_ERROR_LEN: usize = 256;

/// The req/resp methods of phase 0, all at version 1 and encoding ssz_snappy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Status,
    Goodbye,
    Ping,
    MetaData,
    BlocksByRange,
    BlocksByRoot,
}

impl Method {
    pub const ALL: [Method; 6] = [
        Method::Status,
        Method::Goodbye,
        Method::Ping,
        Method::MetaData,
        Method::BlocksByRange,
        Method::BlocksByRoot,
    ];

    /// The name in the protocol id.
    pub fn name(self) -> &'static str {
        match self {
            Method::Status => "status",
            Method::Goodbye => "goodbye",
            Method::Ping => "ping",
            Method::MetaData => "metadata",
            Method::BlocksByRange => "beacon_blocks_by_range",
            Method::BlocksByRoot => "beacon_blocks_by_root",
        }
    }

    /// `/eth2/beacon_chain/req/<name>/1/ssz_snappy`.
    pub fn protocol_id(self) -> &'static str {
        match self {
            Method::Status => "/eth2/beacon_chain/req/status/1/ssz_snappy",
            Method::Goodbye => "/eth2/beacon_chain/req/goodbye/1/ssz_snappy",
            Method::Ping => "/eth2/beacon_chain/req/ping/1/ssz_snappy",
            Method::MetaData => "/eth2/beacon_chain/req/metadata/1/ssz_snappy",
            Method::BlocksByRange => "/eth2/beacon_chain/req/beacon_blocks_by_range/1/ssz_snappy",
            Method::BlocksByRoot => "/eth2/beacon_chain/req/beacon_blocks_by_root/1/ssz_snappy",
        }
    }

    /// The (min, max) SSZ length of the request body; None: the request has no body.
    pub fn request_bounds(self) -> Option<(usize, usize)> {
        match self {
            Method::Status => Some((STATUS_LEN, STATUS_LEN)),
            Method::Goodbye | Method::Ping => Some((8, 8)),
            Method::MetaData => None,
            Method::BlocksByRange => Some((24, 24)),
            Method::BlocksByRoot => Some((32, 32 * MAX_REQUEST_BLOCKS as usize)),
        }
    }

    /// The most response chunks a request of this method can have.
    pub fn max_response_chunks(self) -> u64 {
        match self {
            Method::Goodbye => 0,
            Method::Status | Method::Ping | Method::MetaData => 1,
            Method::BlocksByRange | Method::BlocksByRoot => MAX_REQUEST_BLOCKS,
        }
    }

    /// The (min, max) SSZ length of one successful response chunk.
    pub fn response_bounds<E: EthSpec>(self) -> (usize, usize) {
        match self {
            Method::Status => (STATUS_LEN, STATUS_LEN),
            Method::Goodbye | Method::Ping => (8, 8),
            Method::MetaData => (16, 16),
            Method::BlocksByRange | Method::BlocksByRoot => {
                (min_signed_block_len::<E>(), MAX_CHUNK_SIZE)
            }
        }
    }
}

const STATUS_LEN: usize = 4 + 32 + 8 + 32 + 8;

/// The SSZ length of the smallest `SignedBeaconBlock`: every list empty.
fn min_signed_block_len<E: EthSpec>() -> usize {
    use ssz::Encode;
    SignedBeaconBlock::<E>::default().as_ssz_bytes().len()
}

/// `Status` (p2p-interface.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Encode, Decode)]
pub struct StatusMessage {
    pub fork_digest: ForkDigest,
    pub finalized_root: Hash256,
    pub finalized_epoch: Epoch,
    pub head_root: Hash256,
    pub head_slot: Slot,
}

/// `MetaData` (p2p-interface.md, phase 0).
#[derive(Debug, Clone, PartialEq, Eq, Default, Encode, Decode)]
pub struct MetaData {
    pub seq_number: u64,
    pub attnets: BitVector<types::typenum::U64>,
}

/// `BeaconBlocksByRange` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct BlocksByRangeRequest {
    pub start_slot: Slot,
    pub count: u64,
    pub step: u64,
}

/// `BeaconBlocksByRoot` request: `List[Root, MAX_REQUEST_BLOCKS]`.
pub type BlocksByRootRequest = VariableList<Hash256, U1024>;

/// Goodbye reasons (p2p-interface.md, Goodbye), with the ones clients commonly add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoodbyeReason {
    ClientShutdown,
    IrrelevantNetwork,
    Fault,
    TooManyPeers,
    BadScore,
    Banned,
    Other(u64),
}

impl From<u64> for GoodbyeReason {
    fn from(code: u64) -> Self {
        match code {
            1 => GoodbyeReason::ClientShutdown,
            2 => GoodbyeReason::IrrelevantNetwork,
            3 => GoodbyeReason::Fault,
            129 => GoodbyeReason::TooManyPeers,
            250 => GoodbyeReason::BadScore,
            251 => GoodbyeReason::Banned,
            other => GoodbyeReason::Other(other),
        }
    }
}

impl From<GoodbyeReason> for u64 {
    fn from(reason: GoodbyeReason) -> u64 {
        match reason {
            GoodbyeReason::ClientShutdown => 1,
            GoodbyeReason::IrrelevantNetwork => 2,
            GoodbyeReason::Fault => 3,
            GoodbyeReason::TooManyPeers => 129,
            GoodbyeReason::BadScore => 250,
            GoodbyeReason::Banned => 251,
            GoodbyeReason::Other(code) => code,
        }
    }
}

/// A request, as sent or received.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Status(StatusMessage),
    Goodbye(u64),
    Ping(u64),
    MetaData,
    BlocksByRange(BlocksByRangeRequest),
    BlocksByRoot(BlocksByRootRequest),
    /// An inbound request that could not be read (bad encoding, bounds, timeout): kept as
    /// a request so that the service answers it with InvalidRequest and penalises the peer
    /// (libp2p would otherwise drop the stream without a word).
    Invalid {
        method: Method,
        reason: String,
    },
}

impl Request {
    pub fn method(&self) -> Method {
        match self {
            Request::Status(_) => Method::Status,
            Request::Goodbye(_) => Method::Goodbye,
            Request::Ping(_) => Method::Ping,
            Request::MetaData => Method::MetaData,
            Request::BlocksByRange(_) => Method::BlocksByRange,
            Request::BlocksByRoot(_) => Method::BlocksByRoot,
            Request::Invalid { method, .. } => *method,
        }
    }

    /// How many response chunks this request allows.
    pub fn expected_chunks(&self) -> u64 {
        match self {
            Request::BlocksByRange(r) => r.count.min(MAX_REQUEST_BLOCKS),
            Request::BlocksByRoot(roots) => roots.len() as u64,
            Request::Invalid { .. } => 0,
            other => other.method().max_response_chunks(),
        }
    }
}

/// Response codes (p2p-interface.md, "Responding side").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    ServerError,
    ResourceUnavailable,
    Unknown(u8),
}

impl ErrorCode {
    pub fn as_u8(self) -> u8 {
        match self {
            ErrorCode::InvalidRequest => 1,
            ErrorCode::ServerError => 2,
            ErrorCode::ResourceUnavailable => 3,
            ErrorCode::Unknown(c) => c,
        }
    }
    pub fn from_u8(code: u8) -> Self {
        match code {
            1 => ErrorCode::InvalidRequest,
            2 => ErrorCode::ServerError,
            3 => ErrorCode::ResourceUnavailable,
            c => ErrorCode::Unknown(c),
        }
    }
}

/// A whole response: its chunks, or the error the responder ended with (after any chunks it
/// had sent).
#[derive(Debug, Clone, PartialEq)]
pub enum Response<E: EthSpec> {
    Status(StatusMessage),
    Pong(u64),
    MetaData(MetaData),
    Blocks(Vec<Arc<SignedBeaconBlock<E>>>),
    /// Goodbye has no response.
    Nothing,
    Error {
        code: ErrorCode,
        message: String,
        /// Blocks received before the error chunk.
        blocks: Vec<Arc<SignedBeaconBlock<E>>>,
    },
}

impl<E: EthSpec> Response<E> {
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        Response::Error {
            code,
            message: message.into(),
            blocks: Vec::new(),
        }
    }
}
