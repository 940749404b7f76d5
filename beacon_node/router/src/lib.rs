//! Between the libp2p service and the chain. The router takes the network's events and turns
//! them into work for the beacon processor (gossip to verify, requests to serve, blocks from
//! sync to import); the workers report each gossip outcome (ACCEPT, REJECT or IGNORE) back to
//! gossipsub, penalise peers whose messages the spec says to REJECT, and answer requests. The
//! router also checks each peer's Status against our chain (irrelevant peers are sent away),
//! drives sync (`beacon_sync`: it decides, the router carries out its requests and imports)
//! and chooses attestation subnets ([`subnets`]).

pub mod serving;
pub mod subnets;
mod sync_driver;

use beacon_chain::{AttestationError, BeaconChain, BlockError, GossipAction, OperationError};
use beacon_processor::{BatchHandler, QueueLengths, Work, WorkSender};
use beacon_sync::{PeerSyncInfo, SegmentOutcome, SyncManager};
use eth2_api_types::BeaconCommitteeSubscription;
use network::rpc::{GoodbyeReason, Request, Response, StatusMessage};
use network::{
    MessageAcceptance, MessageId, NetworkCommand, NetworkEvent, NetworkGlobals, NetworkHandles,
    NetworkSender, PeerAction, PeerId, PubsubMessage,
};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use types::signing::compute_fork_digest;
use types::{Attestation, EthSpec, Hash256, SignedAggregateAndProof, Slot};

/// Messages from the workers back to the router's task.
enum RouterMessage {
    /// Gossip mentioned a block we lack (an unknown parent, an attestation's head): fetch it
    /// from this peer. The peer has a chain reaching at least `slot`.
    Lookup {
        peer: PeerId,
        root: Hash256,
        slot: Slot,
    },
}

/// The chain's verdicts on sync's work. Their channel is unbounded but holds little: sync
/// has at most one segment and a bounded number of lookups with the chain at a time.
pub(crate) enum SyncResult {
    Segment {
        chain: u64,
        batch: u64,
        outcome: SegmentOutcome,
    },
    Lookup {
        root: Hash256,
        outcome: SegmentOutcome,
        parent: Option<Hash256>,
    },
    Backfill(beacon_sync::backfill::BackfillOutcome),
}

/// The node's Status (p2p-interface.md, Status): its fork, finality and head.
pub fn status_message<E: EthSpec>(chain: &BeaconChain<E>) -> StatusMessage {
    let head = chain.head();
    let finalized = chain.finalized_checkpoint();
    StatusMessage {
        fork_digest: compute_fork_digest(
            head.state.fork.current_version,
            chain.genesis_validators_root,
        ),
        // The genesis checkpoint's root is zero in the state, and so on the wire.
        finalized_root: if finalized.epoch == 0 {
            Hash256::ZERO
        } else {
            finalized.root
        },
        finalized_epoch: finalized.epoch,
        head_root: head.block_root,
        head_slot: head.slot(),
    }
}

/// What the REST API and the node's other parts use of the network.
pub struct RouterHandle<E: EthSpec> {
    pub network: NetworkSender<E>,
    pub globals: Arc<NetworkGlobals>,
    subscriptions: mpsc::Sender<Vec<BeaconCommitteeSubscription>>,
    pub task: tokio::task::JoinHandle<()>,
}

impl<E: EthSpec> RouterHandle<E> {
    /// Gossip a message this node produced or accepted through its API.
    pub fn publish(&self, message: PubsubMessage<E>) {
        self.network.send(NetworkCommand::Publish(message));
    }

    /// The validator client's committee subscriptions.
    pub fn subscribe(&self, subscriptions: Vec<BeaconCommitteeSubscription>) {
        if self.subscriptions.try_send(subscriptions).is_err() {
            tracing::warn!("Subscription queue full; subscriptions dropped");
        }
    }
}

/// A gossip attestation waiting in the processor.
pub struct GossipAttestation<E: EthSpec> {
    message_id: MessageId,
    source: PeerId,
    attestation: Box<Attestation<E>>,
    subnet: u64,
}

/// A gossip aggregate waiting in the processor.
pub struct GossipAggregate<E: EthSpec> {
    message_id: MessageId,
    source: PeerId,
    aggregate: Box<SignedAggregateAndProof<E>>,
}

/// Verifies gossip attestations and aggregates in batches and reports the outcomes.
pub struct ChainHandler<E: EthSpec> {
    chain: Arc<BeaconChain<E>>,
    network: NetworkSender<E>,
    router: mpsc::Sender<RouterMessage>,
}

fn acceptance(action: GossipAction) -> MessageAcceptance {
    match action {
        GossipAction::Reject => MessageAcceptance::Reject,
        GossipAction::Ignore => MessageAcceptance::Ignore,
    }
}

impl<E: EthSpec> ChainHandler<E> {
    fn report(
        &self,
        message_id: MessageId,
        source: PeerId,
        outcome: MessageAcceptance,
        topic: &'static str,
    ) {
        let label = match outcome {
            MessageAcceptance::Accept => "accept",
            MessageAcceptance::Reject => "reject",
            MessageAcceptance::Ignore => "ignore",
        };
        metrics::gossip_outcome(topic, label);
        if outcome == MessageAcceptance::Reject {
            self.network.send(NetworkCommand::ReportPeer {
                peer: source,
                action: PeerAction::LowTolerance,
                reason: "gossip message rejected",
            });
        }
        self.network.send(NetworkCommand::ValidationResult {
            message_id,
            source,
            acceptance: outcome,
        });
    }

    fn attestation_outcome(
        &self,
        message_id: MessageId,
        source: PeerId,
        slot: Slot,
        result: Result<(), AttestationError>,
        topic: &'static str,
    ) {
        match result {
            Ok(()) => self.report(message_id, source, MessageAcceptance::Accept, topic),
            Err(e) => {
                if let AttestationError::UnknownHeadBlock(root) = e {
                    let _ = self.router.try_send(RouterMessage::Lookup {
                        peer: source,
                        root,
                        slot,
                    });
                }
                tracing::trace!(%source, error = %e, topic, "Attestation not accepted");
                self.report(message_id, source, acceptance(e.gossip_action()), topic)
            }
        }
    }
}

impl<E: EthSpec> BatchHandler for ChainHandler<E> {
    type Attestation = GossipAttestation<E>;
    type Aggregate = GossipAggregate<E>;

    fn attestations(&self, batch: Vec<GossipAttestation<E>>) {
        let (meta, items): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|a| {
                let slot = a.attestation.data.slot;
                (
                    (a.message_id, a.source, slot),
                    (*a.attestation, Some(a.subnet)),
                )
            })
            .unzip();
        let results = self.chain.batch_process_unaggregated_attestations(items);
        for ((message_id, source, slot), result) in meta.into_iter().zip(results) {
            self.attestation_outcome(
                message_id,
                source,
                slot,
                result.map(|_| ()),
                "beacon_attestation",
            );
        }
    }

    fn aggregates(&self, batch: Vec<GossipAggregate<E>>) {
        let (meta, items): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|a| {
                let slot = a.aggregate.message.aggregate.data.slot;
                ((a.message_id, a.source, slot), *a.aggregate)
            })
            .unzip();
        let results = self.chain.batch_process_aggregated_attestations(items);
        for ((message_id, source, slot), result) in meta.into_iter().zip(results) {
            self.attestation_outcome(
                message_id,
                source,
                slot,
                result.map(|_| ()),
                "beacon_aggregate_and_proof",
            );
        }
    }
}

mod metrics {
    use std::sync::LazyLock;
    static GOSSIP_OUTCOMES: LazyLock<::metrics::IntCounterVec> = LazyLock::new(|| {
        ::metrics::int_counter_vec(
            "gossip_validation_total",
            "Gossip messages validated by the chain, by topic and outcome (accept, reject, ignore)",
            &["topic", "outcome"],
        )
    });
    pub fn gossip_outcome(topic: &str, outcome: &str) {
        GOSSIP_OUTCOMES.with_label_values(&[topic, outcome]).inc();
    }
}

struct Router<E: EthSpec> {
    chain: Arc<BeaconChain<E>>,
    network: NetworkSender<E>,
    globals: Arc<NetworkGlobals>,
    processor: WorkSender<ChainHandler<E>>,
    handler: Arc<ChainHandler<E>>,
    sync: SyncManager<E>,
    sync_results: mpsc::UnboundedSender<SyncResult>,
    subnets: subnets::SubnetService,
    messages: mpsc::Sender<RouterMessage>,
}

/// Start the router and the beacon processor in front of `chain`, on the network `handles`.
pub fn spawn<E: EthSpec>(
    chain: Arc<BeaconChain<E>>,
    handles: NetworkHandles<E>,
    mut shutdown: watch::Receiver<bool>,
) -> RouterHandle<E> {
    let NetworkHandles {
        sender: network,
        mut events,
        globals,
        task: network_task,
    } = handles;
    let (messages, mut messages_rx) = mpsc::channel(1024);
    let (sync_results, mut sync_results_rx) = mpsc::unbounded_channel();
    let (subscriptions, mut subscriptions_rx) =
        mpsc::channel::<Vec<BeaconCommitteeSubscription>>(256);
    let handler = Arc::new(ChainHandler {
        chain: chain.clone(),
        network: network.clone(),
        router: messages.clone(),
    });
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let processor = beacon_processor::spawn(handler.clone(), workers, QueueLengths::default());
    let mut router = Router {
        chain,
        network: network.clone(),
        globals: globals.clone(),
        processor,
        handler,
        sync: SyncManager::default(),
        sync_results,
        subnets: subnets::SubnetService::default(),
        messages,
    };
    match router.chain.backfill_info() {
        Ok(Some(info)) => router.sync.start_backfill(info.oldest_block_slot),
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(error = %e, "Could not read how far block history reaches; no backfill")
        }
    }
    let task = tokio::spawn(async move {
        let mut sync_tick = tokio::time::interval(std::time::Duration::from_secs(1));
        sync_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                Some(event) = events.recv() => router.on_network_event(event),
                Some(message) = messages_rx.recv() => router.on_message(message),
                Some(result) = sync_results_rx.recv() => router.on_sync_result(result),
                Some(subs) = subscriptions_rx.recv() => router.on_subscriptions(subs),
                _ = sync_tick.tick() => router.on_sync_tick(),
                _ = shutdown.wait_for(|stop| *stop) => break,
                else => break,
            }
        }
        let _ = network_task.await;
    });
    RouterHandle {
        network,
        globals,
        subscriptions,
        task,
    }
}

impl<E: EthSpec> Router<E> {
    fn on_network_event(&mut self, event: NetworkEvent<E>) {
        match event {
            NetworkEvent::PeerConnected(_) => {}
            NetworkEvent::PeerDisconnected(peer) => {
                let local = self.local_status();
                self.sync.peer_disconnected(&peer, &local);
                self.run_sync_actions();
            }
            NetworkEvent::Status { peer, status } => self.on_status(peer, status),
            NetworkEvent::Gossip {
                message_id,
                source,
                message,
            } => self.on_gossip(message_id, source, message),
            NetworkEvent::Request { peer, id, request } => {
                let chain = self.chain.clone();
                let network = self.network.clone();
                let queued = self.processor.send(Work::RpcRequest(Box::new(move || {
                    let response = match &request {
                        Request::BlocksByRange(r) => serving::blocks_by_range(&chain, r),
                        Request::BlocksByRoot(roots) => serving::blocks_by_root(&chain, roots),
                        _ => Response::error(network::rpc::ErrorCode::InvalidRequest, "unexpected"),
                    };
                    tracing::trace!(%peer, ?request, "Served a block request");
                    network.send(NetworkCommand::Respond { id, response });
                })));
                if !queued {
                    self.network.send(NetworkCommand::Respond {
                        id,
                        response: Response::error(network::rpc::ErrorCode::ServerError, "busy"),
                    });
                }
            }
            NetworkEvent::Response { peer, id, response } => self.on_response(peer, id, response),
            NetworkEvent::RequestFailed { peer, id, error } => {
                if self.sync.owns_request(id) {
                    tracing::debug!(%peer, %error, "Sync request failed");
                    let local = self.local_status();
                    self.sync.on_request_failed(peer, id, &local);
                    self.run_sync_actions();
                }
            }
        }
    }

    /// The spec's relevance rules, then sync.
    fn on_status(&mut self, peer: PeerId, status: StatusMessage) {
        let ours = status_message(&self.chain);
        if status.fork_digest != ours.fork_digest {
            self.network.send(NetworkCommand::Goodbye {
                peer,
                reason: GoodbyeReason::IrrelevantNetwork,
            });
            return;
        }
        // A finalized checkpoint at or before ours must be on our chain.
        if status.finalized_epoch <= ours.finalized_epoch && status.finalized_epoch > 0 {
            let slot = status.finalized_epoch.saturating_mul(E::slots_per_epoch());
            let ours_then = if status.finalized_epoch == ours.finalized_epoch {
                Some(ours.finalized_root)
            } else {
                self.chain.store.get_cold_block_root(slot).ok().flatten()
            };
            if ours_then.is_some_and(|root| root != status.finalized_root) {
                tracing::debug!(%peer, epoch = status.finalized_epoch, "Peer finalized another chain");
                self.network.send(NetworkCommand::Goodbye {
                    peer,
                    reason: GoodbyeReason::IrrelevantNetwork,
                });
                return;
            }
        }
        let info = PeerSyncInfo {
            head_slot: status.head_slot,
            head_root: status.head_root,
            finalized_epoch: status.finalized_epoch,
            finalized_root: status.finalized_root,
        };
        let local = self.local_status();
        self.sync.add_peer(peer, info, &local);
        // A peer within range sync's tolerance of us is left to gossip, which a quiet network
        // may never send: its head is looked up by root (a no-op while a range chain runs).
        if status.head_slot > local.head_slot
            && !self.chain.fork_choice().contains_block(&status.head_root)
        {
            self.sync
                .search_block(status.head_root, peer, status.head_slot, &local);
        }
        self.run_sync_actions();
    }

    fn on_response(&mut self, peer: PeerId, id: u64, response: Response<E>) {
        if !self.sync.owns_request(id) {
            return;
        }
        let local = self.local_status();
        match response {
            Response::Blocks(blocks) => self.sync.on_blocks_response(peer, id, blocks, &local),
            Response::Error { code, message, .. } => {
                // A partial answer ending in an error is not an answer: retry elsewhere.
                tracing::debug!(%peer, ?code, %message, "Peer answered a sync request with an error");
                self.sync.on_request_failed(peer, id, &local);
            }
            _ => self.sync.on_request_failed(peer, id, &local),
        }
        self.run_sync_actions();
    }

    fn on_message(&mut self, message: RouterMessage) {
        match message {
            RouterMessage::Lookup { peer, root, slot } => {
                if self.chain.fork_choice().contains_block(&root) {
                    return;
                }
                let local = self.local_status();
                self.sync.search_block(root, peer, slot, &local);
                self.run_sync_actions();
            }
        }
    }

    fn on_subscriptions(&mut self, subscriptions: Vec<BeaconCommitteeSubscription>) {
        let current_slot = self.chain.current_slot().unwrap_or(0);
        let slot_duration = self.chain.slot_clock.slot_duration();
        for command in self.subnets.on_subscriptions::<E>(
            &subscriptions,
            current_slot,
            slot_duration,
            &self.chain.spec,
        ) {
            self.network.send(command);
        }
    }

    fn on_gossip(&mut self, message_id: MessageId, source: PeerId, message: PubsubMessage<E>) {
        let handler = self.handler.clone();
        let fallback_id = message_id.clone();
        let work = match message {
            PubsubMessage::BeaconBlock(block) => {
                let chain = self.chain.clone();
                let messages = self.messages.clone();
                let slot = block.message.slot;
                Work::GossipBlock(Box::new(move || {
                    let id = message_id.clone();
                    let mut accepted = false;
                    let result = chain.process_gossip_block_then(block, |_| {
                        accepted = true;
                        handler.report(id, source, MessageAcceptance::Accept, "beacon_block");
                    });
                    match result {
                        Ok(_) => {}
                        Err(BlockError::ParentUnknown(parent)) => {
                            handler.report(
                                message_id,
                                source,
                                MessageAcceptance::Ignore,
                                "beacon_block",
                            );
                            let _ = messages.try_send(RouterMessage::Lookup {
                                peer: source,
                                root: parent,
                                slot,
                            });
                        }
                        Err(e) if !accepted => {
                            tracing::debug!(%source, error = %e, "Gossip block not accepted");
                            handler.report(
                                message_id,
                                source,
                                acceptance(e.gossip_action()),
                                "beacon_block",
                            );
                        }
                        // Failed after it was accepted and forwarded (the state transition):
                        // the peer still earns its penalty.
                        Err(e) => {
                            tracing::warn!(%source, error = %e, "Gossip block failed import");
                            if e.gossip_action() == GossipAction::Reject {
                                handler.network.send(NetworkCommand::ReportPeer {
                                    peer: source,
                                    action: PeerAction::LowTolerance,
                                    reason: "invalid block",
                                });
                            }
                        }
                    }
                }))
            }
            PubsubMessage::AggregateAndProof(aggregate) => Work::GossipAggregate(GossipAggregate {
                message_id,
                source,
                aggregate,
            }),
            PubsubMessage::Attestation(subnet, attestation) => {
                Work::GossipAttestation(GossipAttestation {
                    message_id,
                    source,
                    attestation,
                    subnet,
                })
            }
            PubsubMessage::VoluntaryExit(exit) => {
                let chain = self.chain.clone();
                operation_work(handler, message_id, source, "voluntary_exit", move || {
                    chain.process_voluntary_exit(*exit)
                })
            }
            PubsubMessage::ProposerSlashing(slashing) => {
                let chain = self.chain.clone();
                operation_work(
                    handler,
                    message_id,
                    source,
                    "proposer_slashing",
                    move || chain.process_proposer_slashing(*slashing),
                )
            }
            PubsubMessage::AttesterSlashing(slashing) => {
                let chain = self.chain.clone();
                operation_work(
                    handler,
                    message_id,
                    source,
                    "attester_slashing",
                    move || chain.process_attester_slashing(*slashing),
                )
            }
        };
        if !self.processor.send(work) {
            // The processor is full: the message is ignored, not held.
            tracing::debug!("Beacon processor full; gossip ignored");
            self.network.send(NetworkCommand::ValidationResult {
                message_id: fallback_id,
                source,
                acceptance: MessageAcceptance::Ignore,
            });
        }
    }
}

fn operation_work<E: EthSpec>(
    handler: Arc<ChainHandler<E>>,
    message_id: MessageId,
    source: PeerId,
    topic: &'static str,
    process: impl FnOnce() -> Result<(), OperationError> + Send + 'static,
) -> Work<ChainHandler<E>> {
    Work::GossipOperation(Box::new(move || {
        let outcome = match process() {
            Ok(()) => MessageAcceptance::Accept,
            Err(e) => acceptance(e.gossip_action()),
        };
        handler.report(message_id, source, outcome, topic);
    }))
}
