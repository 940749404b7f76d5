//! A hostile peer against a real `fresnel bn` (with its `fresnel vc`, 64 interop validators,
//! minimal preset) on 127.0.0.1. The peer is a libp2p swarm written here: it answers Status,
//! Ping and MetaData properly (so it is not sent away for being mute), then
//! - writes junk on a blocks_by_range stream and a length prefix of 1 GiB on another;
//! - gossips a beacon_block that is not SSZ and a block whose signature is wrong;
//! - floods pings past the rate limit.
//!
//! The node must penalise it and disconnect it, ban it when it comes back and misbehaves
//! again (a new connection is then closed at once), and keep finalizing throughout.

mod common;

use common::{get_json, EventStream, Guard};
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, StreamExt};
use libp2p::gossipsub::{self, IdentTopic};
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, PeerId, StreamProtocol};
use network::rpc::{Eth2Codec, Method, Request, Response};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;
use types::MinimalEthSpec as E;

const LIVENESS_BOUND: Duration = Duration::from_secs(90);

/// Raw bytes out, whatever comes back in: for writing junk on a protocol.
#[derive(Clone, Default)]
struct RawCodec;

impl request_response::Codec for RawCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;
    async fn read_request<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        io.take(1 << 16).read_to_end(&mut buf).await?;
        Ok(buf)
    }
    async fn read_response<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        io.take(1 << 16).read_to_end(&mut buf).await?;
        Ok(buf)
    }
    async fn write_request<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Vec<u8>,
    ) -> std::io::Result<()> {
        io.write_all(&req).await?;
        io.flush().await
    }
    async fn write_response<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Vec<u8>,
    ) -> std::io::Result<()> {
        io.write_all(&res).await?;
        io.flush().await
    }
}

#[derive(NetworkBehaviour)]
struct EvilBehaviour {
    gossipsub: gossipsub::Behaviour<network::gossip::SnappyTransform>,
    status: request_response::Behaviour<Eth2Codec<E>>,
    metadata: request_response::Behaviour<Eth2Codec<E>>,
    ping: request_response::Behaviour<Eth2Codec<E>>,
    goodbye: request_response::Behaviour<Eth2Codec<E>>,
    junk: request_response::Behaviour<RawCodec>,
}

fn rpc(method: Method) -> request_response::Behaviour<Eth2Codec<E>> {
    common::rpc_behaviour(method)
}

fn evil_swarm() -> libp2p::Swarm<EvilBehaviour> {
    libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            libp2p::tcp::Config::default(),
            libp2p::noise::Config::new,
            libp2p::yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|_| EvilBehaviour {
            gossipsub: gossipsub::Behaviour::new_with_transform(
                gossipsub::MessageAuthenticity::Anonymous,
                network::gossip::config(2).unwrap(),
                network::gossip::SnappyTransform,
            )
            .unwrap(),
            status: rpc(Method::Status),
            metadata: rpc(Method::MetaData),
            ping: rpc(Method::Ping),
            goodbye: rpc(Method::Goodbye),
            junk: request_response::Behaviour::with_codec(
                RawCodec,
                [(
                    StreamProtocol::new(Method::BlocksByRange.protocol_id()),
                    ProtocolSupport::Outbound,
                )],
                request_response::Config::default(),
            ),
        })
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
        .build()
}

/// What the node did to the hostile peer.
#[derive(Debug, Default)]
struct Seen {
    /// Status requests the node sent (and we answered with its own status).
    statuses: usize,
    /// Goodbye reasons the node sent.
    goodbyes: Vec<u64>,
}

/// Drive the swarm, answering the node's Status (with its own), MetaData, Ping and Goodbye,
/// until `until` is true of an event; panics after the liveness bound.
async fn drive(
    swarm: &mut libp2p::Swarm<EvilBehaviour>,
    seen: &mut Seen,
    mut until: impl FnMut(&SwarmEvent<EvilBehaviourEvent>, &Seen) -> bool,
) {
    let deadline = tokio::time::sleep(LIVENESS_BOUND);
    tokio::pin!(deadline);
    loop {
        let event = tokio::select! {
            event = swarm.select_next_some() => event,
            _ = &mut deadline => panic!("nothing expected happened within the liveness bound: {seen:?}"),
        };
        use request_response::{Event, Message};
        let behaviour = swarm.behaviour_mut();
        match event {
            SwarmEvent::Behaviour(EvilBehaviourEvent::Status(Event::Message {
                message:
                    Message::Request {
                        request, channel, ..
                    },
                ..
            })) => {
                seen.statuses += 1;
                let response = match request {
                    Request::Status(status) => Response::Status(status),
                    _ => Response::Nothing,
                };
                let _ = behaviour.status.send_response(channel, response);
            }
            SwarmEvent::Behaviour(EvilBehaviourEvent::Metadata(Event::Message {
                message: Message::Request { channel, .. },
                ..
            })) => {
                let _ = behaviour
                    .metadata
                    .send_response(channel, Response::MetaData(Default::default()));
            }
            SwarmEvent::Behaviour(EvilBehaviourEvent::Ping(Event::Message {
                message: Message::Request { channel, .. },
                ..
            })) => {
                let _ = behaviour.ping.send_response(channel, Response::Pong(0));
            }
            SwarmEvent::Behaviour(EvilBehaviourEvent::Goodbye(Event::Message {
                message:
                    Message::Request {
                        request, channel, ..
                    },
                ..
            })) => {
                if let Request::Goodbye(reason) = request {
                    seen.goodbyes.push(reason);
                }
                let _ = behaviour.goodbye.send_response(channel, Response::Nothing);
            }
            other => {
                if until(&other, seen) {
                    return;
                }
            }
        }
    }
}

fn is_closed(event: &SwarmEvent<EvilBehaviourEvent>) -> bool {
    matches!(event, SwarmEvent::ConnectionClosed { .. })
}

/// Connect and wait until the node has sent its Status and announced its topics.
async fn connect(swarm: &mut libp2p::Swarm<EvilBehaviour>, seen: &mut Seen, addr: &Multiaddr) {
    swarm.dial(addr.clone()).unwrap();
    let statuses = seen.statuses;
    let mut subscribed = false;
    drive(swarm, seen, |event, seen| {
        if let SwarmEvent::Behaviour(EvilBehaviourEvent::Gossipsub(
            gossipsub::Event::Subscribed { .. },
        )) = event
        {
            subscribed = true;
        }
        assert!(
            !is_closed(event),
            "the node closed the connection: {seen:?}"
        );
        subscribed && seen.statuses > statuses
    })
    .await;
}

#[test]
fn a_hostile_peer_is_penalised_disconnected_and_banned_while_the_chain_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    common::write_minimal_testnet(&dir.join("testnet"), 2);
    common::write_interop_keystores(&dir.join("validators"), &dir.join("secrets"), 0..64);
    let http_port = common::free_port();
    let p2p_port = common::free_port();
    let log = std::fs::File::create(dir.join("bn.log")).unwrap();
    let genesis_time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut bn = Command::new(env!("CARGO_BIN_EXE_fresnel"))
        .args(["bn", "--testnet-dir"])
        .arg(dir.join("testnet"))
        .args([
            "--interop-validators",
            "64",
            "--genesis-time",
            &genesis_time.to_string(),
            "--listen-address",
            "127.0.0.1",
            "--port",
            &p2p_port.to_string(),
            "--disable-discovery",
            "--http-port",
            &http_port.to_string(),
            "--log-level",
            "info,network=debug",
            "--datadir",
        ])
        .arg(dir.join("beacon"))
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    common::wait_for_api(&mut bn);
    let bn = Guard(bn);
    let api = SocketAddr::from(([127, 0, 0, 1], http_port));
    let vc = Guard(
        Command::new(env!("CARGO_BIN_EXE_fresnel"))
            .args(["vc", "--testnet-dir"])
            .arg(dir.join("testnet"))
            .args(["--beacon-nodes", &format!("http://{api}")])
            .arg("--validators-dir")
            .arg(dir.join("validators"))
            .arg("--secrets-dir")
            .arg(dir.join("secrets"))
            .arg("--init-slashing-protection")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let outcome = std::panic::catch_unwind(|| hostile_peer(api, p2p_port));
    drop((vc, bn));
    if let Err(panic) = outcome {
        common::print_log_tails(dir, &["bn.log".into()], 60, "attestation subnet");
        std::panic::resume_unwind(panic);
    }
}

fn hostile_peer(api: SocketAddr, p2p_port: u16) {
    let mut events = EventStream::open(api, "head,finalized_checkpoint", LIVENESS_BOUND);
    events.wait_for_head();
    let identity = get_json(api, "/eth/v1/node/identity");
    let node: PeerId = identity["data"]["peer_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let addr: Multiaddr = format!("/ip4/127.0.0.1/tcp/{p2p_port}/p2p/{node}")
        .parse()
        .unwrap();
    let digest_topic = |name: &str| -> IdentTopic {
        let digest = common::fork_digest(api);
        IdentTopic::new(format!("/eth2/{}/{name}/ssz_snappy", hex::encode(digest)))
    };
    let block_topic = digest_topic("beacon_block");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut swarm = evil_swarm();
        swarm
            .behaviour_mut()
            .gossipsub
            .subscribe(&block_topic)
            .unwrap();
        let mut seen = Seen::default();

        // 1. Junk on req/resp: a body that is not snappy frames, a length prefix of 1 GiB,
        //    a status request on the blocks protocol. Each is answered with InvalidRequest and
        //    costs the peer; three take it past the disconnect threshold.
        connect(&mut swarm, &mut seen, &addr).await;
        swarm
            .behaviour_mut()
            .junk
            .send_request(&node, b"\x18garbage, not snappy frames".to_vec());
        let mut huge = Vec::new();
        let mut buf = unsigned_varint::encode::usize_buffer();
        huge.extend_from_slice(unsigned_varint::encode::usize(1 << 30, &mut buf));
        swarm.behaviour_mut().junk.send_request(&node, huge);
        // A Status body (84 bytes) where a BlocksByRange one (24) belongs.
        let status = network::rpc::codec::encode_request(&Request::Status(Default::default()));
        swarm
            .behaviour_mut()
            .junk
            .send_request(&node, status.unwrap());
        drive(&mut swarm, &mut seen, |event, _| is_closed(event)).await;
        eprintln!("disconnected after junk requests: {seen:?}");
        assert!(
            seen.goodbyes.contains(&250),
            "a bad-score goodbye: {seen:?}"
        );
        let peer = get_json(
            api,
            &format!("/eth/v1/node/peers/{}", swarm.local_peer_id()),
        );
        assert_ne!(peer["data"]["state"], "connected", "{peer}");

        // 2. Back, with gossip that is not SSZ: rejected, and the peer banned.
        connect(&mut swarm, &mut seen, &addr).await;
        for i in 0..6u8 {
            let junk = vec![0xde, 0xad, i];
            swarm
                .behaviour_mut()
                .gossipsub
                .publish(block_topic.clone(), junk)
                .unwrap();
        }
        drive(&mut swarm, &mut seen, |event, _| is_closed(event)).await;
        eprintln!("disconnected after junk gossip: {seen:?}");
        assert!(seen.goodbyes.contains(&251), "a ban goodbye: {seen:?}");

        // 3. Banned: a new connection is closed without a Status.
        let statuses = seen.statuses;
        swarm.dial(addr.clone()).unwrap();
        drive(&mut swarm, &mut seen, |event, _| is_closed(event)).await;
        assert_eq!(
            seen.statuses, statuses,
            "a banned peer gets no Status: {seen:?}"
        );
    });

    // 4. Meanwhile the chain goes on.
    let finalized = events.wait_for_finalized(3);
    eprintln!("finalized epoch {finalized} with a hostile peer around");
}
