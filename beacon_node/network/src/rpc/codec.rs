//! The `ssz_snappy` encoding of req/resp (p2p-interface.md v1.0.1, "Encoding strategies"):
//! a request is `uvarint(ssz length) ‖ snappy frames`; a response is a sequence of chunks,
//! each `result byte ‖ uvarint(ssz length) ‖ snappy frames`.
//!
//! Everything read from a peer is bounded before it is allocated: the declared length must
//! lie within the type's SSZ bounds, no frame may be larger than the framing format allows,
//! and the compressed bytes read for one payload may not exceed what snappy could produce for
//! the declared length. Time is bounded too: TTFB_TIMEOUT to the first byte of a response,
//! RESP_TIMEOUT for each chunk after that.

use super::methods::*;
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;
use ssz::{Decode, Encode};
use std::io::{self, ErrorKind};
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;
use types::{EthSpec, SignedBeaconBlock};

/// `TTFB_TIMEOUT`: the first byte of a response within 5 s.
pub const TTFB_TIMEOUT: Duration = Duration::from_secs(5);
/// `RESP_TIMEOUT`: each response chunk within 10 s.
pub const RESP_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest decompressed chunk of the snappy framing format.
const MAX_FRAME_DATA: usize = 65_536;
const STREAM_IDENTIFIER: &[u8] = b"\xff\x06\x00\x00sNaPpY";

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, message.into())
}

/// `payload` as snappy frames.
pub fn snappy_frame(payload: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = snap::write::FrameEncoder::new(Vec::with_capacity(payload.len() / 2 + 32));
    io::Write::write_all(&mut encoder, payload)?;
    encoder
        .into_inner()
        .map_err(|e| io::Error::other(e.to_string()))
}

/// Read snappy frames from `io` until `length` bytes are decompressed, checking every frame
/// against the bounds before reading it. Returns the decompressed payload.
pub async fn read_snappy_frames<T: AsyncRead + Unpin>(
    io: &mut T,
    length: usize,
) -> io::Result<Vec<u8>> {
    // The framed input, re-checked by snap's decoder (CRCs) once complete.
    let mut framed = Vec::with_capacity(STREAM_IDENTIFIER.len() + 8 + length.min(MAX_FRAME_DATA));
    let mut decompressed = 0usize;
    let mut seen_identifier = false;
    // A sane encoder needs one frame per 64 KiB; allow a little padding besides.
    let max_frames = length / MAX_FRAME_DATA + 1 + 8;
    let mut frames = 0usize;
    while decompressed < length || !seen_identifier {
        frames += 1;
        if frames > max_frames + 1 {
            return Err(invalid("too many snappy frames for the declared length"));
        }
        let mut header = [0u8; 4];
        io.read_exact(&mut header).await?;
        let kind = header[0];
        let len = u32::from_le_bytes([header[1], header[2], header[3], 0]) as usize;
        match kind {
            0xff => {
                if len != 6 {
                    return Err(invalid("bad snappy stream identifier"));
                }
            }
            0x00 | 0x01 => {
                if !seen_identifier {
                    return Err(invalid("snappy data before the stream identifier"));
                }
                // 4 bytes of CRC, then at most what compression of 64 KiB can give.
                let max = 4 + snap::raw::max_compress_len(MAX_FRAME_DATA);
                if len < 4 || len > max {
                    return Err(invalid(format!("snappy frame of {len} bytes")));
                }
            }
            0x02..=0x7f => return Err(invalid("reserved unskippable snappy frame")),
            _ => {
                // Padding and skippable frames: bounded like data frames.
                if len > MAX_FRAME_DATA {
                    return Err(invalid("oversized skippable snappy frame"));
                }
            }
        }
        let start = framed.len();
        framed.extend_from_slice(&header);
        framed.resize(start + 4 + len, 0);
        io.read_exact(&mut framed[start + 4..]).await?;
        let body = &framed[start + 4..];
        match kind {
            0xff => {
                if body != &STREAM_IDENTIFIER[4..] {
                    return Err(invalid("bad snappy stream identifier"));
                }
                seen_identifier = true;
            }
            0x00 => {
                let n = snap::raw::decompress_len(&body[4..])
                    .map_err(|e| invalid(format!("snappy: {e}")))?;
                if n > MAX_FRAME_DATA {
                    return Err(invalid("snappy frame decompresses beyond 64 KiB"));
                }
                decompressed += n;
            }
            0x01 => decompressed += len - 4,
            _ => {}
        }
        if decompressed > length {
            return Err(invalid(format!(
                "snappy payload longer than the declared {length} bytes"
            )));
        }
    }
    let mut out = Vec::with_capacity(length);
    let mut decoder = snap::read::FrameDecoder::new(framed.as_slice());
    io::Read::read_to_end(&mut decoder, &mut out).map_err(|e| invalid(format!("snappy: {e}")))?;
    if out.len() != length {
        return Err(invalid("snappy payload does not match its declared length"));
    }
    Ok(out)
}

/// Read `uvarint(length) ‖ frames` with the length within `bounds`.
async fn read_payload<T: AsyncRead + Unpin + Send>(
    io: &mut T,
    (min, max): (usize, usize),
) -> io::Result<Vec<u8>> {
    let length = unsigned_varint::aio::read_usize(&mut *io)
        .await
        .map_err(|e| match e {
            unsigned_varint::io::ReadError::Io(e) => e,
            other => invalid(format!("length prefix: {other}")),
        })?;
    if length < min || length > max {
        return Err(invalid(format!(
            "declared length {length} outside [{min}, {max}]"
        )));
    }
    read_snappy_frames(io, length).await
}

fn encode_payload(ssz: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(ssz.len() / 2 + 16);
    let mut buf = unsigned_varint::encode::usize_buffer();
    out.extend_from_slice(unsigned_varint::encode::usize(ssz.len(), &mut buf));
    out.extend_from_slice(&snappy_frame(ssz)?);
    Ok(out)
}

fn decode_ssz<T: Decode>(bytes: &[u8]) -> io::Result<T> {
    T::from_ssz_bytes(bytes).map_err(|e| invalid(format!("ssz: {e:?}")))
}

/// Encode a request's body (nothing for MetaData).
pub fn encode_request(request: &Request) -> io::Result<Vec<u8>> {
    let ssz = match request {
        Request::Status(s) => s.as_ssz_bytes(),
        Request::Goodbye(code) | Request::Ping(code) => code.as_ssz_bytes(),
        Request::MetaData => return Ok(Vec::new()),
        Request::BlocksByRange(r) => r.as_ssz_bytes(),
        Request::BlocksByRoot(roots) => roots.as_ssz_bytes(),
        Request::Invalid { .. } => return Err(invalid("an invalid request is never sent")),
    };
    encode_payload(&ssz)
}

/// Decode a request of `method` from `io`.
pub async fn read_request<T: AsyncRead + Unpin + Send>(
    method: Method,
    io: &mut T,
) -> io::Result<Request> {
    let Some(bounds) = method.request_bounds() else {
        return Ok(Request::MetaData);
    };
    let bytes = read_payload(io, bounds).await?;
    Ok(match method {
        Method::Status => Request::Status(decode_ssz(&bytes)?),
        Method::Goodbye => Request::Goodbye(decode_ssz(&bytes)?),
        Method::Ping => Request::Ping(decode_ssz(&bytes)?),
        Method::MetaData => Request::MetaData,
        Method::BlocksByRange => Request::BlocksByRange(decode_ssz(&bytes)?),
        Method::BlocksByRoot => Request::BlocksByRoot(decode_ssz(&bytes)?),
    })
}

/// One success chunk.
fn success_chunk(ssz: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = vec![0u8];
    out.extend_from_slice(&encode_payload(ssz)?);
    Ok(out)
}

/// An error chunk: the code, then the message as `List[byte, 256]`.
fn error_chunk(code: ErrorCode, message: &str) -> io::Result<Vec<u8>> {
    let mut bytes = message.as_bytes().to_vec();
    bytes.truncate(MAX_ERROR_LEN);
    let mut out = vec![code.as_u8()];
    out.extend_from_slice(&encode_payload(&bytes)?);
    Ok(out)
}

/// Encode a response as its chunks, each on its own.
pub fn encode_response_chunks<E: EthSpec>(response: &Response<E>) -> io::Result<Vec<Vec<u8>>> {
    match response {
        Response::Status(s) => Ok(vec![success_chunk(&s.as_ssz_bytes())?]),
        Response::Pong(seq) => Ok(vec![success_chunk(&seq.as_ssz_bytes())?]),
        Response::MetaData(m) => Ok(vec![success_chunk(&m.as_ssz_bytes())?]),
        Response::Blocks(blocks) => blocks
            .iter()
            .map(|block| success_chunk(&block.as_ssz_bytes()))
            .collect(),
        Response::Nothing => Ok(Vec::new()),
        Response::Error {
            code,
            message,
            blocks,
        } => {
            let mut chunks = blocks
                .iter()
                .map(|block| success_chunk(&block.as_ssz_bytes()))
                .collect::<io::Result<Vec<_>>>()?;
            chunks.push(error_chunk(*code, message)?);
            Ok(chunks)
        }
    }
}

/// Encode a whole response as one byte string (its chunks in order).
pub fn encode_response<E: EthSpec>(response: &Response<E>) -> io::Result<Vec<u8>> {
    Ok(encode_response_chunks(response)?.concat())
}

/// Write a response chunk by chunk, each with its own writes, so that no write holds the end
/// of one chunk and the start of the next. Over mplex every write is a frame, and Lodestar
/// 1.5.1 decompresses whatever one frame brings as the current chunk: a frame that also held
/// the next chunk fails there as "too much bytes read".
pub async fn write_response_chunks<E: EthSpec, T: AsyncWrite + Unpin + Send>(
    response: &Response<E>,
    io: &mut T,
) -> io::Result<()> {
    for chunk in encode_response_chunks(response)? {
        io.write_all(&chunk).await?;
        io.flush().await?;
    }
    Ok(())
}

/// Read the response to `request`: up to its expected number of chunks, until the responder
/// closes the stream or sends an error chunk.
pub async fn read_response<E: EthSpec, T: AsyncRead + Unpin + Send>(
    request: &Request,
    io: &mut T,
) -> io::Result<Response<E>> {
    let method = request.method();
    let max_chunks = request.expected_chunks();
    let mut blocks: Vec<Arc<SignedBeaconBlock<E>>> = Vec::new();
    let mut chunks = 0u64;
    loop {
        let timeout = if chunks == 0 {
            TTFB_TIMEOUT
        } else {
            RESP_TIMEOUT
        };
        let chunk = tokio::time::timeout(
            timeout,
            read_chunk::<E, T>(method, io, chunks >= max_chunks),
        )
        .await
        .map_err(|_| io::Error::new(ErrorKind::TimedOut, "response timed out"))??;
        match chunk {
            Chunk::End => break,
            Chunk::Error(code, message) => {
                return Ok(Response::Error {
                    code,
                    message,
                    blocks,
                })
            }
            Chunk::Success(bytes) => {
                chunks += 1;
                match method {
                    Method::Status => return Ok(Response::Status(decode_ssz(&bytes)?)),
                    Method::Ping => return Ok(Response::Pong(decode_ssz(&bytes)?)),
                    Method::MetaData => return Ok(Response::MetaData(decode_ssz(&bytes)?)),
                    Method::Goodbye => return Ok(Response::Nothing),
                    Method::BlocksByRange | Method::BlocksByRoot => {
                        blocks.push(Arc::new(decode_ssz(&bytes)?));
                    }
                }
            }
        }
    }
    match method {
        Method::BlocksByRange | Method::BlocksByRoot => Ok(Response::Blocks(blocks)),
        Method::Goodbye => Ok(Response::Nothing),
        _ => Err(io::Error::new(
            ErrorKind::UnexpectedEof,
            "stream closed without a response",
        )),
    }
}

enum Chunk {
    End,
    Success(Vec<u8>),
    Error(ErrorCode, String),
}

/// One chunk, or the end of the stream. `full`: every chunk the request allows has arrived,
/// so anything but the end (or an error) is a protocol violation.
async fn read_chunk<E: EthSpec, T: AsyncRead + Unpin + Send>(
    method: Method,
    io: &mut T,
    full: bool,
) -> io::Result<Chunk> {
    let mut code = [0u8; 1];
    if io.read(&mut code).await? == 0 {
        return Ok(Chunk::End);
    }
    if code[0] == 0 {
        if full {
            return Err(invalid("more response chunks than the request allows"));
        }
        let bytes = read_payload(io, method.response_bounds::<E>()).await?;
        return Ok(Chunk::Success(bytes));
    }
    let bytes = read_payload(io, (0, MAX_ERROR_LEN)).await?;
    Ok(Chunk::Error(
        ErrorCode::from_u8(code[0]),
        String::from_utf8_lossy(&bytes).into_owned(),
    ))
}

/// The libp2p request-response codec of one method.
pub struct Eth2Codec<E> {
    method: Method,
    /// The last request sent on this codec's outbound streams (the codec is cloned per
    /// stream, so this is that stream's request): its type fixes how many chunks to accept.
    sent: Option<Request>,
    _phantom: PhantomData<fn() -> E>,
}

impl<E> Clone for Eth2Codec<E> {
    fn clone(&self) -> Self {
        Eth2Codec {
            method: self.method,
            sent: None,
            _phantom: PhantomData,
        }
    }
}

impl<E> Eth2Codec<E> {
    pub fn new(method: Method) -> Self {
        Eth2Codec {
            method,
            sent: None,
            _phantom: PhantomData,
        }
    }
}

impl<E: EthSpec> libp2p::request_response::Codec for Eth2Codec<E> {
    type Protocol = StreamProtocol;
    type Request = Request;
    type Response = Response<E>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Request>
    where
        T: AsyncRead + Unpin + Send,
    {
        let method = self.method;
        match tokio::time::timeout(RESP_TIMEOUT, read_request(method, io)).await {
            Ok(Ok(request)) => Ok(request),
            // Malformed: answered with InvalidRequest (see `Request::Invalid`).
            Ok(Err(e))
                if e.kind() == ErrorKind::InvalidData || e.kind() == ErrorKind::UnexpectedEof =>
            {
                Ok(Request::Invalid {
                    method,
                    reason: e.to_string(),
                })
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Ok(Request::Invalid {
                method,
                reason: "the request did not arrive within RESP_TIMEOUT".into(),
            }),
        }
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Response<E>>
    where
        T: AsyncRead + Unpin + Send,
    {
        // The request-response handler reads the response with the codec instance that wrote
        // the request, so `sent` is this stream's request.
        let request = self.sent.take().unwrap_or(match self.method {
            Method::MetaData => Request::MetaData,
            Method::Goodbye => Request::Goodbye(0),
            _ => Request::Ping(0),
        });
        read_response(&request, io).await
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Request,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let bytes = encode_request(&req)?;
        self.sent = Some(req);
        io.write_all(&bytes).await?;
        io.flush().await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Response<E>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_response_chunks(&res, io).await
    }
}

#[cfg(test)]
mod tests;
