use super::*;
use futures::executor::block_on;
use types::{Hash256, MinimalEthSpec, VariableList};

type E = MinimalEthSpec;

fn status() -> StatusMessage {
    StatusMessage {
        fork_digest: [1, 2, 3, 4],
        finalized_root: Hash256::repeat_byte(5),
        finalized_epoch: 6,
        head_root: Hash256::repeat_byte(7),
        head_slot: 8,
    }
}

fn block(slot: u64) -> Arc<SignedBeaconBlock<E>> {
    let mut block = SignedBeaconBlock::<E>::default();
    block.message.slot = slot;
    Arc::new(block)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

#[test]
fn requests_round_trip() {
    let requests = [
        Request::Status(status()),
        Request::Goodbye(3),
        Request::Ping(9),
        Request::MetaData,
        Request::BlocksByRange(BlocksByRangeRequest {
            start_slot: 1,
            count: 64,
            step: 1,
        }),
        Request::BlocksByRoot(VariableList::new(vec![Hash256::repeat_byte(1); 3]).unwrap()),
    ];
    for request in requests {
        let bytes = encode_request(&request).unwrap();
        let decoded = block_on(read_request(request.method(), &mut bytes.as_slice())).unwrap();
        assert_eq!(decoded, request);
    }
}

#[test]
fn responses_round_trip_with_every_chunk() {
    let rt = runtime();
    let blocks: Vec<_> = (1..=5).map(block).collect();
    let request = Request::BlocksByRange(BlocksByRangeRequest {
        start_slot: 1,
        count: 5,
        step: 1,
    });
    let bytes = encode_response::<E>(&Response::Blocks(blocks.clone())).unwrap();
    let decoded = rt
        .block_on(read_response::<E, _>(&request, &mut bytes.as_slice()))
        .unwrap();
    assert_eq!(decoded, Response::Blocks(blocks.clone()));

    let bytes = encode_response::<E>(&Response::Status(status())).unwrap();
    let decoded = rt
        .block_on(read_response::<E, _>(
            &Request::Status(status()),
            &mut bytes.as_slice(),
        ))
        .unwrap();
    assert_eq!(decoded, Response::Status(status()));

    // An error after two blocks keeps the blocks and the message.
    let error = Response::<E>::Error {
        code: ErrorCode::ResourceUnavailable,
        message: "pruned".into(),
        blocks: blocks[..2].to_vec(),
    };
    let bytes = encode_response(&error).unwrap();
    let decoded = rt
        .block_on(read_response::<E, _>(&request, &mut bytes.as_slice()))
        .unwrap();
    assert_eq!(decoded, error);
}

#[test]
fn more_chunks_than_requested_is_an_error() {
    let rt = runtime();
    let bytes = encode_response::<E>(&Response::Blocks((1..=3).map(block).collect())).unwrap();
    let request = Request::BlocksByRange(BlocksByRangeRequest {
        start_slot: 1,
        count: 2,
        step: 1,
    });
    let err = rt
        .block_on(read_response::<E, _>(&request, &mut bytes.as_slice()))
        .unwrap_err();
    assert!(err.to_string().contains("more response chunks"), "{err}");
}

#[test]
fn lengths_outside_the_type_bounds_are_refused_before_reading() {
    // A status request that declares 1 GiB: refused on the prefix alone.
    let mut bytes = Vec::new();
    let mut buf = unsigned_varint::encode::usize_buffer();
    bytes.extend_from_slice(unsigned_varint::encode::usize(1 << 30, &mut buf));
    let err = block_on(read_request(Method::Status, &mut bytes.as_slice())).unwrap_err();
    assert!(err.to_string().contains("outside"), "{err}");

    // A block response chunk over MAX_CHUNK_SIZE.
    let mut bytes = vec![0u8];
    bytes.extend_from_slice(unsigned_varint::encode::usize(MAX_CHUNK_SIZE + 1, &mut buf));
    let rt = runtime();
    let request = Request::BlocksByRoot(VariableList::new(vec![Hash256::ZERO]).unwrap());
    let err = rt
        .block_on(read_response::<E, _>(&request, &mut bytes.as_slice()))
        .unwrap_err();
    assert!(err.to_string().contains("outside"), "{err}");
}

#[test]
fn ssz_that_lies_about_its_length_and_junk_snappy_are_errors() {
    // The prefix says 84 bytes (a Status) but the frames hold 40.
    let mut bytes = Vec::new();
    let mut buf = unsigned_varint::encode::usize_buffer();
    bytes.extend_from_slice(unsigned_varint::encode::usize(84, &mut buf));
    bytes.extend_from_slice(&snappy_frame(&[0u8; 40]).unwrap());
    assert!(block_on(read_request(Method::Status, &mut bytes.as_slice())).is_err());

    // Frames that decompress past the declared length.
    let mut bytes = Vec::new();
    bytes.extend_from_slice(unsigned_varint::encode::usize(84, &mut buf));
    bytes.extend_from_slice(&snappy_frame(&[0u8; 200]).unwrap());
    let err = block_on(read_request(Method::Status, &mut bytes.as_slice())).unwrap_err();
    assert!(err.to_string().contains("longer"), "{err}");

    // Not snappy at all.
    let mut bytes = Vec::new();
    bytes.extend_from_slice(unsigned_varint::encode::usize(84, &mut buf));
    bytes.extend_from_slice(&[0x00, 0x10, 0x00, 0x00]);
    bytes.extend_from_slice(&[0xab; 16]);
    assert!(block_on(read_request(Method::Status, &mut bytes.as_slice())).is_err());

    // A frame header announcing 16 MiB is refused without reading it.
    let mut bytes = Vec::new();
    bytes.extend_from_slice(unsigned_varint::encode::usize(84, &mut buf));
    bytes.extend_from_slice(STREAM_IDENTIFIER);
    bytes.extend_from_slice(&[0x00, 0xff, 0xff, 0xff]);
    let err = block_on(read_request(Method::Status, &mut bytes.as_slice())).unwrap_err();
    assert!(err.to_string().contains("snappy frame of"), "{err}");

    // A corrupted CRC.
    let mut bytes = encode_request(&Request::Status(status())).unwrap();
    let crc_at = 1 + STREAM_IDENTIFIER.len() + 4;
    bytes[crc_at] ^= 1;
    assert!(block_on(read_request(Method::Status, &mut bytes.as_slice())).is_err());
}

#[test]
fn a_silent_responder_times_out() {
    let rt = runtime();
    rt.block_on(async {
        tokio::time::pause();
        // A reader that never yields a byte.
        struct Never;
        impl AsyncRead for Never {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
                _: &mut [u8],
            ) -> std::task::Poll<io::Result<usize>> {
                std::task::Poll::Pending
            }
        }
        let err = read_response::<E, _>(&Request::Ping(1), &mut Never)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);
    });
}

#[test]
fn a_malformed_inbound_request_becomes_an_invalid_request_to_answer() {
    use libp2p::request_response::Codec;
    let rt = runtime();
    let mut codec = Eth2Codec::<E>::new(Method::BlocksByRange);
    let protocol = StreamProtocol::new(Method::BlocksByRange.protocol_id());
    let junk = b"\x18garbage, not snappy frames".to_vec();
    let request = rt
        .block_on(codec.read_request(&protocol, &mut junk.as_slice()))
        .unwrap();
    assert!(
        matches!(&request, Request::Invalid { method: Method::BlocksByRange, reason } if reason.contains("snappy")),
        "{request:?}"
    );
    assert_eq!(request.expected_chunks(), 0);
    assert!(encode_request(&request).is_err(), "never sent");
    // A stream closed before the body is the same.
    let request = rt
        .block_on(codec.read_request(&protocol, &mut [0x18u8].as_slice()))
        .unwrap();
    assert!(matches!(request, Request::Invalid { .. }), "{request:?}");
}

/// Records each write as a segment, as mplex makes each write a frame.
#[derive(Default)]
struct FrameRecorder {
    frames: Vec<Vec<u8>>,
}

impl futures::AsyncWrite for FrameRecorder {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        // At most 8 KiB a frame, as rust-libp2p's mplex splits writes.
        let n = buf.len().min(8 * 1024);
        self.frames.push(buf[..n].to_vec());
        std::task::Poll::Ready(Ok(n))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_close(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// Lodestar 1.5.1 reads a response chunk from whole frames and fails if a frame runs into the
/// next chunk: every chunk must end where a frame ends.
#[test]
fn every_response_chunk_ends_a_frame() {
    let mut big = SignedBeaconBlock::<E>::default();
    big.message.body.graffiti = Hash256::repeat_byte(9);
    let blocks: Vec<_> = (1..=4).map(block).chain([Arc::new(big)]).collect();
    let responses = [
        Response::Blocks(blocks.clone()),
        Response::Error {
            code: ErrorCode::ResourceUnavailable,
            message: "gone".into(),
            blocks,
        },
    ];
    for response in responses {
        let chunks = encode_response_chunks::<E>(&response).unwrap();
        let mut recorder = FrameRecorder::default();
        block_on(write_response_chunks(&response, &mut recorder)).unwrap();
        assert_eq!(recorder.frames.concat(), chunks.concat());
        let mut frame_ends = std::collections::BTreeSet::new();
        let mut at = 0;
        for frame in &recorder.frames {
            at += frame.len();
            frame_ends.insert(at);
        }
        let mut at = 0;
        for chunk in &chunks {
            at += chunk.len();
            assert!(
                frame_ends.contains(&at),
                "a chunk ends inside a frame at {at}"
            );
        }
    }
}
