//! The libp2p service: one task owning the swarm (TCP, Noise, yamux or mplex; gossipsub,
//! identify, ping and the six req/resp protocols), discovery and the peer database. The rest
//! of the node talks to it through a bounded command channel ([`NetworkSender`]) and hears
//! from it through a bounded event channel ([`NetworkEvent`]); it never waits on either, so a
//! slow chain cannot stall the swarm (a full event channel drops the message, with a metric
//! and an IGNORE, and answers the request with an error).

use crate::config::NetworkConfig;
use crate::discovery::Discovery;
use crate::gossip::{self, SnappyTransform};
use crate::identity::{enr_peer_id, enr_tcp_multiaddr, EnrFields, EnrForkId, NodeIdentity};
use crate::metrics;
use crate::peer_manager::{ConnectionState, Direction, PeerAction, PeerDb, RateLimiter, Verdict};
use crate::pubsub::PubsubMessage;
use crate::rpc::{
    ErrorCode, Eth2Codec, GoodbyeReason, MetaData, Method, Request, Response, StatusMessage,
};
use crate::topics::{GossipKind, GossipTopic, ATTESTATION_SUBNET_COUNT};
use futures::StreamExt;
use libp2p::core::muxing::StreamMuxerBox;
use libp2p::core::transport::Boxed;
use libp2p::core::upgrade::{SelectUpgrade, Version};
use libp2p::gossipsub::{self, MessageAcceptance, MessageId};
use libp2p::request_response::{self, OutboundRequestId, ProtocolSupport, ResponseChannel};
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{
    connection_limits, identify, noise, ping, tcp, yamux, Multiaddr, PeerId, StreamProtocol, Swarm,
    Transport,
};
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use types::EthSpec;

/// Events waiting for the router; past this, gossip is ignored and requests refused.
const EVENT_CHANNEL: usize = 8192;
/// Commands waiting for the service.
const COMMAND_CHANNEL: usize = 8192;
/// Inbound requests waiting for their answer from the chain, across all peers.
const MAX_PENDING_INBOUND: usize = 512;
/// How often peers are pinged and the peer set is looked after.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// Requests allowed per peer and period: (capacity, period); block requests count blocks.
const STATUS_QUOTA: (f64, Duration) = (5.0, Duration::from_secs(15));
const PING_QUOTA: (f64, Duration) = (5.0, Duration::from_secs(10));
const METADATA_QUOTA: (f64, Duration) = (5.0, Duration::from_secs(10));
const GOODBYE_QUOTA: (f64, Duration) = (2.0, Duration::from_secs(10));
const BLOCKS_QUOTA: (f64, Duration) = (2048.0, Duration::from_secs(10));

type Rpc<E> = request_response::Behaviour<Eth2Codec<E>>;

#[derive(NetworkBehaviour)]
#[behaviour(prelude = "libp2p::swarm::derive_prelude")]
pub struct Behaviour<E: EthSpec> {
    limits: connection_limits::Behaviour,
    gossipsub: gossipsub::Behaviour<SnappyTransform>,
    identify: identify::Behaviour,
    ping: ping::Behaviour,
    status: Rpc<E>,
    goodbye: Rpc<E>,
    rpc_ping: Rpc<E>,
    metadata: Rpc<E>,
    blocks_by_range: Rpc<E>,
    blocks_by_root: Rpc<E>,
}

impl<E: EthSpec> Behaviour<E> {
    fn rpc(&mut self, method: Method) -> &mut Rpc<E> {
        match method {
            Method::Status => &mut self.status,
            Method::Goodbye => &mut self.goodbye,
            Method::Ping => &mut self.rpc_ping,
            Method::MetaData => &mut self.metadata,
            Method::BlocksByRange => &mut self.blocks_by_range,
            Method::BlocksByRoot => &mut self.blocks_by_root,
        }
    }
}

/// Identifies an inbound request whose answer comes from the router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InboundId(u64);

/// The router's own id for a request it asked the service to send.
pub type AppRequestId = u64;

/// What the service tells the rest of the node.
#[derive(Debug)]
pub enum NetworkEvent<E: EthSpec> {
    PeerConnected(PeerId),
    PeerDisconnected(PeerId),
    /// A peer's Status (at connection, or when it sent one).
    Status {
        peer: PeerId,
        status: StatusMessage,
    },
    /// A gossip message waiting for validation; answer with
    /// [`NetworkCommand::ValidationResult`].
    Gossip {
        message_id: MessageId,
        source: PeerId,
        message: PubsubMessage<E>,
    },
    /// A block request to answer with [`NetworkCommand::Respond`].
    Request {
        peer: PeerId,
        id: InboundId,
        request: Request,
    },
    /// The answer to a request the router sent.
    Response {
        peer: PeerId,
        id: AppRequestId,
        response: Response<E>,
    },
    RequestFailed {
        peer: PeerId,
        id: AppRequestId,
        error: String,
    },
}

/// What the rest of the node asks of the service.
#[derive(Debug)]
pub enum NetworkCommand<E: EthSpec> {
    Publish(PubsubMessage<E>),
    ValidationResult {
        message_id: MessageId,
        source: PeerId,
        acceptance: MessageAcceptance,
    },
    SendRequest {
        peer: PeerId,
        id: AppRequestId,
        request: Request,
    },
    Respond {
        id: InboundId,
        response: Response<E>,
    },
    ReportPeer {
        peer: PeerId,
        action: PeerAction,
        reason: &'static str,
    },
    Goodbye {
        peer: PeerId,
        reason: GoodbyeReason,
    },
    /// Ask `peer` for a fresh Status (its answer arrives as a `NetworkEvent::Status`).
    RefreshStatus {
        peer: PeerId,
    },
    /// Subscribe to an attestation subnet until `until`; `long_lived` ones are advertised
    /// in the ENR and metadata.
    SubscribeSubnet {
        subnet: u64,
        until: Instant,
        long_lived: bool,
    },
}

/// A cloneable, non-blocking handle to the service.
pub struct NetworkSender<E: EthSpec> {
    tx: mpsc::Sender<NetworkCommand<E>>,
}

impl<E: EthSpec> Clone for NetworkSender<E> {
    fn clone(&self) -> Self {
        NetworkSender {
            tx: self.tx.clone(),
        }
    }
}

impl<E: EthSpec> NetworkSender<E> {
    /// Queue a command; a full queue drops it (logged), never blocks the caller.
    pub fn send(&self, command: NetworkCommand<E>) {
        if let Err(e) = self.tx.try_send(command) {
            tracing::warn!(error = %e, "Network command queue full; command dropped");
        }
    }
}

/// A peer as the REST API shows it.
#[derive(Debug, Clone)]
pub struct PeerSummary {
    pub peer_id: PeerId,
    pub state: ConnectionState,
    pub direction: Direction,
    pub address: Option<Multiaddr>,
    pub agent: Option<String>,
    pub score: f64,
    pub status: Option<StatusMessage>,
}

/// What the rest of the node can read of the network at any time.
#[derive(Debug)]
pub struct NetworkGlobals {
    pub peer_id: PeerId,
    enr: RwLock<discv5::Enr>,
    listen_addresses: RwLock<Vec<Multiaddr>>,
    peers: RwLock<Vec<PeerSummary>>,
    metadata: RwLock<MetaData>,
    /// Set by sync: the node is fetching blocks to catch up.
    syncing: std::sync::atomic::AtomicBool,
}

impl NetworkGlobals {
    pub fn local_enr(&self) -> discv5::Enr {
        self.enr.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
    pub fn listen_addresses(&self) -> Vec<Multiaddr> {
        self.listen_addresses
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
    /// Every known peer (connected or recently seen).
    pub fn peers(&self) -> Vec<PeerSummary> {
        self.peers.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
    pub fn connected_peers(&self) -> usize {
        self.peers()
            .iter()
            .filter(|p| p.state == ConnectionState::Connected)
            .count()
    }
    /// Whether sync is catching up with peers (what `/eth/v1/node/syncing` reports).
    pub fn is_syncing(&self) -> bool {
        self.syncing.load(std::sync::atomic::Ordering::Relaxed)
    }
    pub fn set_syncing(&self, syncing: bool) {
        self.syncing
            .store(syncing, std::sync::atomic::Ordering::Relaxed);
    }
    pub fn metadata(&self) -> MetaData {
        self.metadata
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Gives the service the node's current Status (the chain's head and finality).
pub type StatusProvider = Arc<dyn Fn() -> StatusMessage + Send + Sync>;

/// What starting the service returns.
pub struct NetworkHandles<E: EthSpec> {
    pub sender: NetworkSender<E>,
    pub events: mpsc::Receiver<NetworkEvent<E>>,
    pub globals: Arc<NetworkGlobals>,
    pub task: tokio::task::JoinHandle<()>,
}

/// The chain facts the service needs.
#[derive(Debug, Clone)]
pub struct ChainFacts {
    pub fork_id: EnrForkId,
    pub seconds_per_slot: u64,
    pub slots_per_epoch: u64,
}

pub struct NetworkService<E: EthSpec> {
    swarm: Swarm<Behaviour<E>>,
    config: NetworkConfig,
    facts: ChainFacts,
    identity: NodeIdentity,
    discovery: Option<Discovery>,
    peers: PeerDb,
    limiter: RateLimiter,
    globals: Arc<NetworkGlobals>,
    status: StatusProvider,
    events: mpsc::Sender<NetworkEvent<E>>,
    commands: mpsc::Receiver<NetworkCommand<E>>,
    pending_inbound: HashMap<InboundId, (PeerId, Method, ResponseChannel<Response<E>>)>,
    next_inbound: u64,
    /// Our requests in flight, by method and id: each method's behaviour numbers its own
    /// requests from 1, so an id alone names one request per method (keyed by id alone,
    /// a Status answer was once taken for a range request's failure and a range answer
    /// dropped, stalling sync until its deadline).
    outbound: HashMap<(Method, OutboundRequestId), (PeerId, Option<AppRequestId>)>,
    subnets: HashMap<u64, (Instant, bool)>,
    metadata: MetaData,
    /// Peers sent a goodbye, to disconnect once it has had time to leave.
    disconnect_after_goodbye: Vec<(PeerId, Instant)>,
    /// The "no nodes to discover from" hint was logged.
    warned_no_discovery_peers: bool,
    shutdown: watch::Receiver<bool>,
}

/// One turn of the service loop.
enum Step<E: EthSpec> {
    Swarm(Box<SwarmEvent<BehaviourEvent<E>>>),
    Command(NetworkCommand<E>),
    Discovered(crate::discovery::QueryResult),
    Heartbeat,
    Tick,
    Discover,
}

async fn recv_discovery(
    discovery: &mut Option<Discovery>,
) -> Option<crate::discovery::QueryResult> {
    match discovery {
        Some(d) => d.results.recv().await,
        None => std::future::pending().await,
    }
}

fn transport(
    keypair: &libp2p::identity::Keypair,
) -> Result<Boxed<(PeerId, StreamMuxerBox)>, String> {
    let noise = noise::Config::new(keypair).map_err(|e| format!("noise: {e}"))?;
    let mut mplex = libp2p_mplex::Config::default();
    mplex.set_max_buffer_size(256);
    mplex.set_max_buffer_behaviour(libp2p_mplex::MaxBufferBehaviour::Block);
    Ok(
        tcp::tokio::Transport::new(tcp::Config::default().nodelay(true))
            .upgrade(Version::V1)
            .authenticate(noise)
            .multiplex(SelectUpgrade::new(yamux::Config::default(), mplex))
            .timeout(Duration::from_secs(10))
            .boxed(),
    )
}

/// A dial of a static peer that does nothing while we are connected to it or dialling it:
/// a second connection would be refused by one side or the other (one per peer), and when
/// the two sides refuse different ones, requests sent on the survivor can go unanswered.
fn static_peer_dial(addr: &Multiaddr) -> DialOpts {
    let peer = addr.iter().find_map(|p| match p {
        libp2p::multiaddr::Protocol::P2p(id) => Some(id),
        _ => None,
    });
    match peer {
        Some(peer) => DialOpts::peer_id(peer)
            .addresses(vec![addr.clone()])
            .condition(PeerCondition::DisconnectedAndNotDialing)
            .build(),
        None => DialOpts::unknown_peer_id().address(addr.clone()).build(),
    }
}

fn rpc_behaviour<E: EthSpec>(method: Method) -> Rpc<E> {
    let protocol = StreamProtocol::new(method.protocol_id());
    // The whole exchange: TTFB plus a chunk every RESP_TIMEOUT for block requests.
    let timeout = match method {
        Method::BlocksByRange | Method::BlocksByRoot => Duration::from_secs(30),
        _ => Duration::from_secs(15),
    };
    request_response::Behaviour::with_codec(
        Eth2Codec::new(method),
        [(protocol, ProtocolSupport::Full)],
        request_response::Config::default()
            .with_request_timeout(timeout)
            .with_max_concurrent_streams(64),
    )
}

impl<E: EthSpec> NetworkService<E> {
    /// Start listening and discovering; the service runs on its own task until `shutdown`.
    pub async fn start(
        config: NetworkConfig,
        facts: ChainFacts,
        status: StatusProvider,
        shutdown: watch::Receiver<bool>,
    ) -> Result<NetworkHandles<E>, String> {
        let fields = EnrFields {
            ip: config.advertised_ip(),
            tcp: Some(config.enr_tcp_port.unwrap_or(config.tcp_port)),
            udp: (!config.disable_discovery)
                .then(|| config.enr_udp_port.unwrap_or(config.discovery_port)),
            fork_id: facts.fork_id,
            attnets: [0; 8],
        };
        let identity = NodeIdentity::load_or_create(&config.network_dir, &fields)
            .map_err(|e| e.to_string())?;
        let keypair = identity.keypair.clone();
        let peer_id = identity.peer_id;

        let mut gossipsub = gossipsub::Behaviour::new_with_transform(
            gossipsub::MessageAuthenticity::Anonymous,
            gossip::config(facts.seconds_per_slot)?,
            SnappyTransform,
        )
        .map_err(|e| format!("gossipsub: {e}"))?;
        gossipsub
            .with_peer_score(
                gossip::score_params(facts.seconds_per_slot, facts.slots_per_epoch),
                gossip::score_thresholds(),
            )
            .map_err(|e| format!("gossipsub scoring: {e}"))?;
        let slot = Duration::from_secs(facts.seconds_per_slot.max(1));
        let digest = facts.fork_id.fork_digest;
        for kind in GossipKind::CORE {
            let topic = GossipTopic::new(digest, kind);
            let weight = match kind {
                GossipKind::BeaconBlock => 0.5,
                GossipKind::BeaconAggregateAndProof => 0.5,
                _ => 0.05,
            };
            gossipsub
                .subscribe(&topic.ident())
                .map_err(|e| format!("subscribing to {}: {e:?}", topic.topic_string()))?;
            let _ = gossipsub.set_topic_params(
                topic.ident(),
                gossip::topic_score_params(weight, slot, facts.slots_per_epoch),
            );
        }

        let behaviour = Behaviour {
            limits: connection_limits::Behaviour::new(
                connection_limits::ConnectionLimits::default()
                    .with_max_established_per_peer(Some(1))
                    .with_max_pending_incoming(Some(32))
                    .with_max_established(Some((config.target_peers * 12 / 10 + 4) as u32)),
            ),
            gossipsub,
            identify: identify::Behaviour::new(
                identify::Config::new("eth2/1.0.0".into(), keypair.public())
                    .with_agent_version(config.agent_version.clone()),
            ),
            ping: ping::Behaviour::new(ping::Config::new()),
            status: rpc_behaviour(Method::Status),
            goodbye: rpc_behaviour(Method::Goodbye),
            rpc_ping: rpc_behaviour(Method::Ping),
            metadata: rpc_behaviour(Method::MetaData),
            blocks_by_range: rpc_behaviour(Method::BlocksByRange),
            blocks_by_root: rpc_behaviour(Method::BlocksByRoot),
        };
        let transport = transport(&keypair)?;
        let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
            .with_tokio()
            .with_other_transport(|_| transport)
            .map_err(|e| format!("transport: {e}"))?
            .with_behaviour(|_| behaviour)
            .map_err(|e| format!("behaviour: {e}"))?
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
            .build();

        let mut listen = Multiaddr::from(config.listen_address);
        listen.push(libp2p::multiaddr::Protocol::Tcp(config.tcp_port));
        swarm
            .listen_on(listen.clone())
            .map_err(|e| format!("listening on {listen}: {e}"))?;

        let discovery = if config.disable_discovery {
            None
        } else {
            let udp_ip = if config.listen_address.is_unspecified() {
                Ipv4Addr::UNSPECIFIED
            } else {
                config.listen_address
            };
            Some(
                Discovery::start(
                    identity.enr.clone(),
                    identity.enr_key(),
                    udp_ip,
                    config.discovery_port,
                    &config.boot_nodes,
                    digest,
                )
                .await?,
            )
        };
        for addr in &config.static_peers {
            if let Err(e) = swarm.dial(static_peer_dial(addr)) {
                tracing::warn!(%addr, error = %e, "Could not dial a static peer");
            }
        }

        let metadata = MetaData {
            seq_number: identity.enr.seq(),
            attnets: Default::default(),
        };
        let globals = Arc::new(NetworkGlobals {
            peer_id,
            enr: RwLock::new(identity.enr.clone()),
            listen_addresses: RwLock::new(Vec::new()),
            peers: RwLock::new(Vec::new()),
            metadata: RwLock::new(metadata.clone()),
            syncing: std::sync::atomic::AtomicBool::new(false),
        });
        metrics::PEERS.set(0);
        let (events_tx, events) = mpsc::channel(EVENT_CHANNEL);
        let (commands_tx, commands) = mpsc::channel(COMMAND_CHANNEL);
        tracing::info!(%peer_id, enr = %identity.enr.to_base64(), "Network identity");
        let mut service = NetworkService {
            swarm,
            config,
            facts,
            identity,
            discovery,
            peers: PeerDb::default(),
            limiter: RateLimiter::default(),
            globals: globals.clone(),
            status,
            events: events_tx,
            commands,
            pending_inbound: HashMap::new(),
            next_inbound: 0,
            outbound: HashMap::new(),
            subnets: HashMap::new(),
            metadata,
            disconnect_after_goodbye: Vec::new(),
            warned_no_discovery_peers: false,
            shutdown,
        };
        if service.config.subscribe_all_subnets {
            let forever = Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600);
            for subnet in 0..ATTESTATION_SUBNET_COUNT {
                service.subscribe_subnet(subnet, forever, true);
            }
            service.update_attnets();
        }
        let task = tokio::spawn(async move { service.run().await });
        Ok(NetworkHandles {
            sender: NetworkSender { tx: commands_tx },
            events,
            globals,
            task,
        })
    }

    async fn run(mut self) {
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        let mut subnet_tick = tokio::time::interval(Duration::from_secs(1));
        // Look for peers soon after start, then as the heartbeat finds too few.
        let mut discovery_tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            let step = tokio::select! {
                event = self.swarm.select_next_some() => Step::Swarm(Box::new(event)),
                Some(command) = self.commands.recv() => Step::Command(command),
                Some(result) = recv_discovery(&mut self.discovery) => Step::Discovered(result),
                _ = heartbeat.tick() => Step::Heartbeat,
                _ = subnet_tick.tick() => Step::Tick,
                _ = discovery_tick.tick() => Step::Discover,
                _ = self.shutdown.wait_for(|stop| *stop) => break,
            };
            match step {
                Step::Swarm(event) => self.on_swarm_event(*event),
                Step::Command(command) => self.on_command(command),
                Step::Discovered(result) => self.on_discovered(result),
                Step::Heartbeat => self.heartbeat(),
                Step::Tick => self.expire_subnets(),
                Step::Discover => self.maybe_discover(),
            }
        }
        // Tell every peer we are leaving; the connections close with the process.
        let connected = self.peers.connected_ids();
        for peer in connected {
            self.swarm.behaviour_mut().goodbye.send_request(
                &peer,
                Request::Goodbye(GoodbyeReason::ClientShutdown.into()),
            );
        }
        // Give the goodbyes a moment to leave (bounded; nothing waits on their answer).
        let deadline = tokio::time::sleep(Duration::from_millis(300));
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = self.swarm.select_next_some() => {}
                _ = &mut deadline => break,
            }
        }
        tracing::debug!("Network service stopped");
    }

    fn publish_peers(&self) {
        let now = Instant::now();
        let summaries = self
            .peers
            .iter()
            .map(|(id, info)| PeerSummary {
                peer_id: *id,
                state: info.state,
                direction: info.direction,
                address: info.address.clone(),
                agent: info.agent.clone(),
                score: info.score(now),
                status: info.status,
            })
            .collect();
        *self
            .globals
            .peers
            .write()
            .unwrap_or_else(|e| e.into_inner()) = summaries;
        let connected = self.peers.connected_count();
        metrics::PEERS.set(connected as i64);
    }

    fn emit(&self, event: NetworkEvent<E>) -> bool {
        match self.events.try_send(event) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!("The node is not keeping up with the network; event dropped");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent<E>>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(%address, "Listening for libp2p peers");
                self.globals
                    .listen_addresses
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(address);
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                endpoint,
                num_established,
                ..
            } => {
                if self.peers.is_banned(&peer_id) {
                    tracing::debug!(peer = %peer_id, "Banned peer connected; disconnecting");
                    self.goodbye(peer_id, GoodbyeReason::Banned);
                    return;
                }
                if num_established.get() > 1 {
                    return;
                }
                let direction = if endpoint.is_dialer() {
                    Direction::Outbound
                } else {
                    Direction::Inbound
                };
                let address = endpoint.get_remote_address().clone();
                tracing::debug!(peer = %peer_id, %address, ?direction, "Peer connected");
                self.peers.connected(peer_id, direction, Some(address));
                if self.peers.connected_count() > self.max_peers()
                    && direction == Direction::Inbound
                {
                    self.goodbye(peer_id, GoodbyeReason::TooManyPeers);
                    return;
                }
                // Status in both directions, as soon as the connection is up; metadata too.
                let status = (self.status)();
                self.send_request(peer_id, None, Request::Status(status));
                self.send_request(peer_id, None, Request::MetaData);
                self.emit(NetworkEvent::PeerConnected(peer_id));
                self.publish_peers();
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established,
                cause,
                ..
            } => {
                if num_established > 0 {
                    return;
                }
                tracing::debug!(peer = %peer_id, cause = ?cause.map(|c| c.to_string()), "Peer disconnected");
                self.peers.disconnected(&peer_id);
                self.limiter.forget(&peer_id);
                self.emit(NetworkEvent::PeerDisconnected(peer_id));
                self.publish_peers();
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                tracing::debug!(peer = ?peer_id, %error, "Dial failed");
            }
            SwarmEvent::IncomingConnectionError { error, .. } => {
                tracing::debug!(%error, "Incoming connection failed");
            }
            SwarmEvent::Behaviour(event) => self.on_behaviour_event(event),
            _ => {}
        }
    }

    fn max_peers(&self) -> usize {
        self.config.target_peers * 11 / 10 + 1
    }

    fn on_behaviour_event(&mut self, event: BehaviourEvent<E>) {
        match event {
            BehaviourEvent::Gossipsub(event) => self.on_gossip(event),
            BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }) => {
                if let Some(peer) = self.peers.get_mut(&peer_id) {
                    peer.agent = Some(info.agent_version);
                }
                self.publish_peers();
            }
            BehaviourEvent::Identify(_) | BehaviourEvent::Ping(_) | BehaviourEvent::Limits(_) => {}
            BehaviourEvent::Status(e) => self.on_rpc(Method::Status, e),
            BehaviourEvent::Goodbye(e) => self.on_rpc(Method::Goodbye, e),
            BehaviourEvent::RpcPing(e) => self.on_rpc(Method::Ping, e),
            BehaviourEvent::Metadata(e) => self.on_rpc(Method::MetaData, e),
            BehaviourEvent::BlocksByRange(e) => self.on_rpc(Method::BlocksByRange, e),
            BehaviourEvent::BlocksByRoot(e) => self.on_rpc(Method::BlocksByRoot, e),
        }
    }

    fn on_gossip(&mut self, event: gossipsub::Event) {
        let gossipsub::Event::Message {
            propagation_source,
            message_id,
            message,
        } = event
        else {
            return;
        };
        let topic = GossipTopic::parse(message.topic.as_str());
        let Some(topic) = topic.filter(|t| t.fork_digest == self.facts.fork_id.fork_digest) else {
            // Not a topic we subscribed to in this form: refuse it.
            self.validation_result(&message_id, &propagation_source, MessageAcceptance::Reject);
            return;
        };
        match PubsubMessage::<E>::decode(topic.kind, &message.data) {
            Ok(decoded) => {
                let delivered = self.emit(NetworkEvent::Gossip {
                    message_id: message_id.clone(),
                    source: propagation_source,
                    message: decoded,
                });
                if !delivered {
                    metrics::observe_gossip(topic.kind.label(), "dropped");
                    self.validation_result(
                        &message_id,
                        &propagation_source,
                        MessageAcceptance::Ignore,
                    );
                }
            }
            Err(error) => {
                tracing::debug!(peer = %propagation_source, %error, "Undecodable gossip");
                metrics::observe_gossip(topic.kind.label(), "undecodable");
                self.validation_result(&message_id, &propagation_source, MessageAcceptance::Reject);
                self.report(
                    propagation_source,
                    PeerAction::LowTolerance,
                    "undecodable gossip",
                );
            }
        }
    }

    fn validation_result(
        &mut self,
        id: &MessageId,
        source: &PeerId,
        acceptance: MessageAcceptance,
    ) {
        self.swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(id, source, acceptance);
    }

    fn on_rpc(&mut self, method: Method, event: request_response::Event<Request, Response<E>>) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => self.on_inbound_request(peer, method, request, channel),
                request_response::Message::Response {
                    request_id,
                    response,
                } => self.on_response(peer, request_id, method, response),
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                let app_id = self
                    .outbound
                    .remove(&(method, request_id))
                    .and_then(|(_, id)| id);
                metrics::observe_rpc(method.name(), "outbound", "failed");
                tracing::debug!(%peer, method = method.name(), %error, "Request failed");
                let action = match error {
                    request_response::OutboundFailure::Timeout => Some(PeerAction::MidTolerance),
                    request_response::OutboundFailure::Io(_) => Some(PeerAction::LowTolerance),
                    request_response::OutboundFailure::UnsupportedProtocols => {
                        Some(PeerAction::LowTolerance)
                    }
                    _ => None,
                };
                // A peer that does not answer a goodbye is leaving anyway.
                if method != Method::Goodbye {
                    if let Some(action) = action {
                        self.report(peer, action, "failed request");
                    }
                }
                if let Some(id) = app_id {
                    self.emit(NetworkEvent::RequestFailed {
                        peer,
                        id,
                        error: error.to_string(),
                    });
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                metrics::observe_rpc(method.name(), "inbound", "failed");
                tracing::debug!(%peer, method = method.name(), %error, "Inbound request failed");
                if let request_response::InboundFailure::Io(e) = &error {
                    if e.kind() == std::io::ErrorKind::InvalidData {
                        self.report(peer, PeerAction::LowTolerance, "malformed request");
                    }
                }
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn on_inbound_request(
        &mut self,
        peer: PeerId,
        method: Method,
        request: Request,
        channel: ResponseChannel<Response<E>>,
    ) {
        let (cost, (capacity, period)) = match &request {
            Request::Status(_) => (1.0, STATUS_QUOTA),
            Request::Ping(_) => (1.0, PING_QUOTA),
            Request::MetaData => (1.0, METADATA_QUOTA),
            Request::Goodbye(_) => (1.0, GOODBYE_QUOTA),
            Request::BlocksByRange(_) | Request::BlocksByRoot(_) => {
                (request.expected_chunks().max(1) as f64, BLOCKS_QUOTA)
            }
            Request::Invalid { .. } => (0.0, STATUS_QUOTA),
        };
        let key = method as u8;
        if !self.limiter.allow(peer, key, cost, capacity, period) {
            metrics::observe_rpc(method.name(), "inbound", "rate_limited");
            self.report(
                peer,
                PeerAction::HighTolerance,
                "over the request rate limit",
            );
            self.respond(
                channel,
                Response::error(ErrorCode::ResourceUnavailable, "rate limited: slow down"),
            );
            return;
        }
        metrics::observe_rpc(method.name(), "inbound", "received");
        match request {
            Request::Invalid { reason, .. } => {
                tracing::debug!(%peer, method = method.name(), %reason, "Malformed request");
                metrics::observe_rpc(method.name(), "inbound", "malformed");
                self.respond(channel, Response::error(ErrorCode::InvalidRequest, reason));
                self.report(peer, PeerAction::LowTolerance, "malformed request");
            }
            Request::Status(status) => {
                let ours = (self.status)();
                self.respond(channel, Response::Status(ours));
                self.on_status(peer, status);
            }
            Request::Ping(seq) => {
                self.respond(channel, Response::Pong(self.metadata.seq_number));
                self.on_pong(peer, seq);
            }
            Request::MetaData => {
                let metadata = self.metadata.clone();
                self.respond(channel, Response::MetaData(metadata));
            }
            Request::Goodbye(code) => {
                tracing::debug!(%peer, reason = ?GoodbyeReason::from(code), "Peer said goodbye");
                self.respond(channel, Response::Nothing);
                self.peers.disconnecting(&peer);
                let _ = self.swarm.disconnect_peer_id(peer);
            }
            Request::BlocksByRange(ref r) if r.count == 0 || r.step == 0 => {
                self.respond(
                    channel,
                    Response::error(ErrorCode::InvalidRequest, "count and step must be positive"),
                );
                self.report(peer, PeerAction::LowTolerance, "invalid blocks_by_range");
            }
            Request::BlocksByRange(ref r) if r.count > crate::rpc::MAX_REQUEST_BLOCKS => {
                self.respond(
                    channel,
                    Response::error(ErrorCode::InvalidRequest, "count above MAX_REQUEST_BLOCKS"),
                );
                self.report(peer, PeerAction::LowTolerance, "invalid blocks_by_range");
            }
            request @ (Request::BlocksByRange(_) | Request::BlocksByRoot(_)) => {
                if self.pending_inbound.len() >= MAX_PENDING_INBOUND {
                    self.respond(
                        channel,
                        Response::error(ErrorCode::ServerError, "busy: try again later"),
                    );
                    return;
                }
                let id = InboundId(self.next_inbound);
                self.next_inbound += 1;
                tracing::debug!(%peer, id = id.0, ?request, "Block request received");
                if self.emit(NetworkEvent::Request { peer, id, request }) {
                    self.pending_inbound.insert(id, (peer, method, channel));
                } else {
                    self.respond(
                        channel,
                        Response::error(ErrorCode::ServerError, "busy: try again later"),
                    );
                }
            }
        }
    }

    fn respond(&mut self, channel: ResponseChannel<Response<E>>, response: Response<E>) {
        // The channel carries its own stream: any behaviour sends on it. An error means the
        // stream is gone (the peer left or timed out), and there is no one to answer.
        let _ = self
            .swarm
            .behaviour_mut()
            .status
            .send_response(channel, response);
    }

    fn on_response(
        &mut self,
        peer: PeerId,
        request_id: OutboundRequestId,
        method: Method,
        response: Response<E>,
    ) {
        let app_id = self
            .outbound
            .remove(&(method, request_id))
            .and_then(|(_, id)| id);
        let outcome = if matches!(response, Response::Error { .. }) {
            "error"
        } else {
            "ok"
        };
        metrics::observe_rpc(method.name(), "outbound", outcome);
        match (&response, app_id) {
            (Response::Status(status), None) => self.on_status(peer, *status),
            (Response::Pong(seq), None) => self.on_pong(peer, *seq),
            (Response::MetaData(metadata), None) => {
                if let Some(info) = self.peers.get_mut(&peer) {
                    info.metadata = Some(metadata.clone());
                }
            }
            (Response::Error { code, message, .. }, None) => {
                tracing::debug!(%peer, method = method.name(), ?code, %message, "Peer answered with an error");
            }
            (_, Some(id)) => {
                self.emit(NetworkEvent::Response { peer, id, response });
            }
            _ => {}
        }
    }

    fn on_status(&mut self, peer: PeerId, status: StatusMessage) {
        if let Some(info) = self.peers.get_mut(&peer) {
            info.status = Some(status);
        }
        // A peer on another fork is irrelevant, whatever else it says.
        if status.fork_digest != self.facts.fork_id.fork_digest {
            tracing::debug!(%peer, their_digest = %hex::encode(status.fork_digest), "Peer is on another fork");
            self.goodbye(peer, GoodbyeReason::IrrelevantNetwork);
            return;
        }
        self.emit(NetworkEvent::Status { peer, status });
        self.publish_peers();
    }

    fn on_pong(&mut self, peer: PeerId, seq: u64) {
        let known = self
            .peers
            .get(&peer)
            .and_then(|p| p.metadata.as_ref().map(|m| m.seq_number));
        if known.is_none_or(|k| seq > k) {
            self.send_request(peer, None, Request::MetaData);
        }
    }

    fn send_request(&mut self, peer: PeerId, app_id: Option<AppRequestId>, request: Request) {
        let method = request.method();
        let id = self
            .swarm
            .behaviour_mut()
            .rpc(method)
            .send_request(&peer, request);
        metrics::observe_rpc(method.name(), "outbound", "sent");
        self.outbound.insert((method, id), (peer, app_id));
    }

    fn on_command(&mut self, command: NetworkCommand<E>) {
        match command {
            NetworkCommand::Publish(message) => {
                let topic = GossipTopic::new(self.facts.fork_id.fork_digest, message.kind());
                let data = message.encode();
                match self
                    .swarm
                    .behaviour_mut()
                    .gossipsub
                    .publish(topic.hash(), data)
                {
                    Ok(_) => metrics::observe_published(topic.kind.label(), "ok"),
                    // Nobody on the topic yet (a small network, a subnet without peers).
                    Err(gossipsub::PublishError::NoPeersSubscribedToTopic) => {
                        metrics::observe_published(topic.kind.label(), "no_peers");
                        tracing::trace!(topic = %topic.topic_string(), "No peers to publish to");
                    }
                    Err(e) => {
                        metrics::observe_published(topic.kind.label(), "failed");
                        tracing::debug!(topic = %topic.topic_string(), error = %e, "Could not publish");
                    }
                }
            }
            NetworkCommand::ValidationResult {
                message_id,
                source,
                acceptance,
            } => self.validation_result(&message_id, &source, acceptance),
            NetworkCommand::SendRequest { peer, id, request } => {
                if self.peers.is_connected(&peer) {
                    self.send_request(peer, Some(id), request);
                } else {
                    self.emit(NetworkEvent::RequestFailed {
                        peer,
                        id,
                        error: "not connected".into(),
                    });
                }
            }
            NetworkCommand::RefreshStatus { peer } => {
                if self.peers.is_connected(&peer) {
                    let status = (self.status)();
                    self.send_request(peer, None, Request::Status(status));
                }
            }
            NetworkCommand::Respond { id, response } => {
                if let Some((peer, _, channel)) = self.pending_inbound.remove(&id) {
                    tracing::debug!(%peer, id = id.0, "Block request answered");
                    self.respond(channel, response);
                }
            }
            NetworkCommand::ReportPeer {
                peer,
                action,
                reason,
            } => self.report(peer, action, reason),
            NetworkCommand::Goodbye { peer, reason } => self.goodbye(peer, reason),
            NetworkCommand::SubscribeSubnet {
                subnet,
                until,
                long_lived,
            } => {
                if subnet < ATTESTATION_SUBNET_COUNT {
                    self.subscribe_subnet(subnet, until, long_lived);
                    if long_lived {
                        self.update_attnets();
                    }
                }
            }
        }
    }

    fn report(&mut self, peer: PeerId, action: PeerAction, reason: &'static str) {
        let verdict = self.peers.penalize(&peer, action);
        tracing::debug!(%peer, ?action, reason, score = self.peers.score(&peer), "Peer penalised");
        match verdict {
            Verdict::Keep => {}
            Verdict::Disconnect => self.goodbye(peer, GoodbyeReason::BadScore),
            Verdict::Ban => {
                tracing::info!(%peer, reason, "Peer banned");
                self.goodbye(peer, GoodbyeReason::Banned);
            }
        }
        self.publish_peers();
    }

    /// Send a Goodbye and disconnect (at once: the goodbye is a courtesy).
    fn goodbye(&mut self, peer: PeerId, reason: GoodbyeReason) {
        tracing::debug!(%peer, ?reason, "Sending goodbye");
        if reason == GoodbyeReason::Banned {
            self.peers.ban(peer);
            self.swarm.behaviour_mut().gossipsub.blacklist_peer(&peer);
        }
        self.swarm
            .behaviour_mut()
            .goodbye
            .send_request(&peer, Request::Goodbye(reason.into()));
        self.peers.disconnecting(&peer);
        // Let the goodbye go first; the idle connection closes after it, or on the heartbeat.
        self.disconnect_after_goodbye
            .push((peer, Instant::now() + Duration::from_millis(500)));
    }

    fn subscribe_subnet(&mut self, subnet: u64, until: Instant, long_lived: bool) {
        let entry = self.subnets.entry(subnet).or_insert((until, long_lived));
        entry.0 = entry.0.max(until);
        entry.1 |= long_lived;
        let topic = GossipTopic::new(
            self.facts.fork_id.fork_digest,
            GossipKind::Attestation(subnet),
        );
        if let Ok(true) = self
            .swarm
            .behaviour_mut()
            .gossipsub
            .subscribe(&topic.ident())
        {
            let slot = Duration::from_secs(self.facts.seconds_per_slot.max(1));
            let _ = self.swarm.behaviour_mut().gossipsub.set_topic_params(
                topic.ident(),
                gossip::topic_score_params(0.015, slot, self.facts.slots_per_epoch),
            );
            tracing::debug!(subnet, long_lived, "Subscribed to an attestation subnet");
        }
    }

    fn expire_subnets(&mut self) {
        let now = Instant::now();
        let expired: Vec<(u64, bool)> = self
            .subnets
            .iter()
            .filter(|(_, (until, _))| *until <= now)
            .map(|(s, (_, long))| (*s, *long))
            .collect();
        let mut attnets_changed = false;
        for (subnet, long_lived) in expired {
            self.subnets.remove(&subnet);
            attnets_changed |= long_lived;
            let topic = GossipTopic::new(
                self.facts.fork_id.fork_digest,
                GossipKind::Attestation(subnet),
            );
            self.swarm
                .behaviour_mut()
                .gossipsub
                .unsubscribe(&topic.ident());
        }
        if attnets_changed {
            self.update_attnets();
        }
        let due: Vec<PeerId> = self
            .disconnect_after_goodbye
            .iter()
            .filter(|(_, at)| *at <= now)
            .map(|(p, _)| *p)
            .collect();
        self.disconnect_after_goodbye.retain(|(_, at)| *at > now);
        for peer in due {
            let _ = self.swarm.disconnect_peer_id(peer);
        }
    }

    /// The long-lived subnets in the ENR and metadata (a new sequence number for both).
    fn update_attnets(&mut self) {
        let mut bits = [0u8; 8];
        let mut attnets = types::BitVector::<types::typenum::U64>::new();
        for (subnet, (_, long_lived)) in &self.subnets {
            if *long_lived {
                bits[(*subnet / 8) as usize] |= 1 << (subnet % 8);
                let _ = attnets.set(*subnet as usize, true);
            }
        }
        if attnets == self.metadata.attnets {
            return;
        }
        let mut fields = EnrFields {
            ip: self.identity.enr.ip4(),
            tcp: self.identity.enr.tcp4(),
            udp: self.identity.enr.udp4(),
            fork_id: self.facts.fork_id,
            attnets: bits,
        };
        if let Some(discovery) = &self.discovery {
            if let Err(e) = discovery.set_attnets(bits) {
                tracing::warn!(error = %e, "Could not update the ENR's attnets");
            }
            let enr = discovery.local_enr();
            fields.ip = enr.ip4();
        }
        match self.identity.update_enr(&self.config.network_dir, &fields) {
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "Could not store the ENR"),
        }
        let enr = match &self.discovery {
            Some(d) => d.local_enr(),
            None => self.identity.enr.clone(),
        };
        // The metadata's sequence number rises with every change, as the ENR's does.
        self.metadata = MetaData {
            seq_number: enr.seq().max(self.metadata.seq_number.saturating_add(1)),
            attnets,
        };
        *self
            .globals
            .metadata
            .write()
            .unwrap_or_else(|e| e.into_inner()) = self.metadata.clone();
        *self.globals.enr.write().unwrap_or_else(|e| e.into_inner()) = enr;
    }

    fn heartbeat(&mut self) {
        let connected = self.peers.connected_ids();
        let seq = self.metadata.seq_number;
        let mut min_score = 0.0f64;
        for peer in connected {
            self.send_request(peer, None, Request::Ping(seq));
            min_score = min_score.min(self.peers.score(&peer));
            // Peers gossipsub has graylisted are no use to us either.
            if let Some(score) = self.swarm.behaviour().gossipsub.peer_score(&peer) {
                if score < gossip::score_thresholds().graylist_threshold {
                    self.goodbye(peer, GoodbyeReason::BadScore);
                }
            }
        }
        metrics::PEER_SCORE_MIN.set(min_score);
        if let Some(d) = &self.discovery {
            metrics::DISCOVERY_TABLE.set(d.table_size() as i64);
        }
        // Static peers are redialled when they drop.
        for addr in self.config.static_peers.clone() {
            let peer = addr.iter().find_map(|p| match p {
                libp2p::multiaddr::Protocol::P2p(id) => Some(id),
                _ => None,
            });
            if peer.is_none_or(|p| !self.peers.is_connected(&p)) {
                let _ = self.swarm.dial(static_peer_dial(&addr));
            }
        }
        self.publish_peers();
    }

    fn maybe_discover(&mut self) {
        let connected = self.peers.connected_count();
        let target = self.config.target_peers;
        let Some(discovery) = self.discovery.as_mut() else {
            return;
        };
        // An empty routing table has nobody to ask (no boot nodes, or none answered yet).
        if discovery.table_size() == 0 {
            if connected == 0 && !self.warned_no_discovery_peers {
                self.warned_no_discovery_peers = true;
                tracing::info!("Discovery knows no nodes yet: give --boot-nodes (or a network with boot_enr.yaml) to find peers");
            }
            return;
        }
        if connected < target {
            discovery.query(None, (target - connected).max(4));
        }
        // Subnets we serve with too few peers.
        let digest = self.facts.fork_id.fork_digest;
        for subnet in self.subnets.keys() {
            let topic = GossipTopic::new(digest, GossipKind::Attestation(*subnet)).hash();
            let peers = self.swarm.behaviour().gossipsub.mesh_peers(&topic).count();
            if peers < 2 {
                let discovery = self.discovery.as_mut().expect("checked above");
                if !discovery.query(Some(*subnet), 4) {
                    break;
                }
            }
        }
    }

    fn on_discovered(&mut self, result: crate::discovery::QueryResult) {
        if let Some(d) = self.discovery.as_mut() {
            d.query_done();
        }
        let local = self.globals.peer_id;
        for enr in result.enrs {
            let Some(peer) = enr_peer_id(&enr) else {
                continue;
            };
            if peer == local || self.peers.is_connected(&peer) || self.peers.is_banned(&peer) {
                continue;
            }
            if self.peers.connected_count() >= self.config.target_peers && result.subnet.is_none() {
                break;
            }
            if let Some(addr) = enr_tcp_multiaddr(&enr) {
                tracing::debug!(%peer, %addr, subnet = ?result.subnet, "Dialling a discovered peer");
                if let Err(e) = self.swarm.dial(addr) {
                    tracing::debug!(%peer, error = %e, "Dial refused");
                }
            }
        }
    }
}
