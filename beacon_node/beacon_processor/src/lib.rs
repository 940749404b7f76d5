//! The work queue between the network and the chain.
//!
//! Work arrives on one bounded channel and waits in a bounded queue per kind. A manager task
//! hands it to workers on tokio's blocking pool, at most one per core, always taking the most
//! urgent kind first: gossip blocks, then aggregates, then unaggregated attestations, then
//! exits and slashings, then blocks from sync, then requests from peers, then API work.
//! Attestations and aggregates are taken in batches so that their signatures can be checked
//! together. A full queue drops the newest work of its kind (attestations: the oldest, since
//! fresh ones matter more) and counts it; nothing grows without bound.
//!
//! The queue knows nothing of the chain: attestations and aggregates go to a
//! [`BatchHandler`], every other job is a closure.

use metrics::{IntCounterVec, IntGauge};
use std::collections::VecDeque;
use std::sync::{Arc, LazyLock};
use tokio::sync::mpsc;

/// A job: runs once on a blocking worker.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// What processes attestations and aggregates in batches.
pub trait BatchHandler: Send + Sync + 'static {
    type Attestation: Send + 'static;
    type Aggregate: Send + 'static;
    /// Verify and apply a batch of unaggregated attestations (and report each outcome).
    fn attestations(&self, batch: Vec<Self::Attestation>);
    /// Verify and apply a batch of aggregates.
    fn aggregates(&self, batch: Vec<Self::Aggregate>);
}

/// One piece of work.
pub enum Work<H: BatchHandler> {
    GossipBlock(Job),
    GossipAggregate(H::Aggregate),
    GossipAttestation(H::Attestation),
    /// Exits and slashings.
    GossipOperation(Job),
    /// Blocks from sync or lookups.
    ChainSegment(Job),
    /// Serving a peer's request.
    RpcRequest(Job),
    /// Anything else (the REST API, housekeeping).
    Api(Job),
}

impl<H: BatchHandler> Work<H> {
    fn kind(&self) -> &'static str {
        match self {
            Work::GossipBlock(_) => "gossip_block",
            Work::GossipAggregate(_) => "gossip_aggregate",
            Work::GossipAttestation(_) => "gossip_attestation",
            Work::GossipOperation(_) => "gossip_operation",
            Work::ChainSegment(_) => "chain_segment",
            Work::RpcRequest(_) => "rpc_request",
            Work::Api(_) => "api",
        }
    }
}

/// How much waits, per kind.
#[derive(Debug, Clone, Copy)]
pub struct QueueLengths {
    pub blocks: usize,
    pub aggregates: usize,
    pub attestations: usize,
    pub operations: usize,
    pub chain_segments: usize,
    pub rpc_requests: usize,
    pub api: usize,
    /// The most attestations or aggregates verified as one batch.
    pub max_batch: usize,
}

impl Default for QueueLengths {
    fn default() -> Self {
        QueueLengths {
            blocks: 1024,
            aggregates: 4096,
            attestations: 16_384,
            operations: 4096,
            chain_segments: 64,
            rpc_requests: 1024,
            api: 1024,
            max_batch: 64,
        }
    }
}

static QUEUED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    metrics::int_counter_vec(
        "beacon_processor_work_total",
        "Work received by the beacon processor, by kind and outcome (queued, dropped)",
        &["kind", "outcome"],
    )
});
static BATCHES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    metrics::int_counter_vec(
        "beacon_processor_batch_items_total",
        "Attestations and aggregates processed, by kind and whether they went in a batch of more than one",
        &["kind", "batched"],
    )
});
static QUEUE_TOTAL: LazyLock<IntGauge> = LazyLock::new(|| {
    metrics::int_gauge(
        "beacon_processor_queue_length",
        "Work waiting in the beacon processor's queues",
    )
});
static WORKERS_BUSY: LazyLock<IntGauge> = LazyLock::new(|| {
    metrics::int_gauge(
        "beacon_processor_workers_busy",
        "Beacon processor workers running a job",
    )
});

/// A FIFO or LIFO queue with a bound.
struct BoundedQueue<T> {
    items: VecDeque<T>,
    max: usize,
    /// LIFO: the newest first, and a full queue drops the oldest.
    lifo: bool,
}

impl<T> BoundedQueue<T> {
    fn new(max: usize, lifo: bool) -> Self {
        BoundedQueue {
            items: VecDeque::new(),
            max,
            lifo,
        }
    }

    /// False if something was dropped.
    fn push(&mut self, item: T) -> bool {
        if self.items.len() < self.max {
            self.items.push_back(item);
            return true;
        }
        if self.lifo {
            self.items.pop_front();
            self.items.push_back(item);
        }
        false
    }

    fn pop(&mut self) -> Option<T> {
        if self.lifo {
            self.items.pop_back()
        } else {
            self.items.pop_front()
        }
    }

    fn pop_batch(&mut self, max: usize) -> Vec<T> {
        let n = self.items.len().min(max);
        (0..n).filter_map(|_| self.pop()).collect()
    }

    fn len(&self) -> usize {
        self.items.len()
    }
}

/// A handle to send work; cheap to clone.
pub struct WorkSender<H: BatchHandler> {
    tx: mpsc::Sender<Work<H>>,
}

impl<H: BatchHandler> Clone for WorkSender<H> {
    fn clone(&self) -> Self {
        WorkSender {
            tx: self.tx.clone(),
        }
    }
}

impl<H: BatchHandler> WorkSender<H> {
    /// Queue work; false (and counted) when the processor cannot take it now.
    pub fn send(&self, work: Work<H>) -> bool {
        let kind = work.kind();
        match self.tx.try_send(work) {
            Ok(()) => true,
            Err(_) => {
                QUEUED.with_label_values(&[kind, "dropped"]).inc();
                false
            }
        }
    }
}

/// The manager's state: the queues and how many workers are out.
struct Manager<H: BatchHandler> {
    handler: Arc<H>,
    lengths: QueueLengths,
    blocks: BoundedQueue<Job>,
    aggregates: BoundedQueue<H::Aggregate>,
    attestations: BoundedQueue<H::Attestation>,
    operations: BoundedQueue<Job>,
    chain_segments: BoundedQueue<Job>,
    rpc_requests: BoundedQueue<Job>,
    api: BoundedQueue<Job>,
    max_workers: usize,
    busy: usize,
}

/// What a worker runs.
enum Task<H: BatchHandler> {
    Job(Job),
    Attestations(Vec<H::Attestation>),
    Aggregates(Vec<H::Aggregate>),
}

impl<H: BatchHandler> Manager<H> {
    fn new(handler: Arc<H>, max_workers: usize, lengths: QueueLengths) -> Self {
        Manager {
            handler,
            lengths,
            blocks: BoundedQueue::new(lengths.blocks, false),
            aggregates: BoundedQueue::new(lengths.aggregates, true),
            attestations: BoundedQueue::new(lengths.attestations, true),
            operations: BoundedQueue::new(lengths.operations, false),
            chain_segments: BoundedQueue::new(lengths.chain_segments, false),
            rpc_requests: BoundedQueue::new(lengths.rpc_requests, false),
            api: BoundedQueue::new(lengths.api, false),
            max_workers: max_workers.max(1),
            busy: 0,
        }
    }

    fn enqueue(&mut self, work: Work<H>) {
        let kind = work.kind();
        let accepted = match work {
            Work::GossipBlock(job) => self.blocks.push(job),
            Work::GossipAggregate(a) => self.aggregates.push(a),
            Work::GossipAttestation(a) => self.attestations.push(a),
            Work::GossipOperation(job) => self.operations.push(job),
            Work::ChainSegment(job) => self.chain_segments.push(job),
            Work::RpcRequest(job) => self.rpc_requests.push(job),
            Work::Api(job) => self.api.push(job),
        };
        let outcome = if accepted { "queued" } else { "dropped" };
        QUEUED.with_label_values(&[kind, outcome]).inc();
        if !accepted {
            tracing::debug!(kind, "Beacon processor queue full; work dropped");
        }
    }

    /// The most urgent work, if any.
    fn next_task(&mut self) -> Option<Task<H>> {
        if let Some(job) = self.blocks.pop() {
            return Some(Task::Job(job));
        }
        if self.aggregates.len() > 0 {
            let batch = self.aggregates.pop_batch(self.lengths.max_batch);
            return Some(Task::Aggregates(batch));
        }
        if self.attestations.len() > 0 {
            let batch = self.attestations.pop_batch(self.lengths.max_batch);
            return Some(Task::Attestations(batch));
        }
        for queue in [
            &mut self.operations,
            &mut self.chain_segments,
            &mut self.rpc_requests,
            &mut self.api,
        ] {
            if let Some(job) = queue.pop() {
                return Some(Task::Job(job));
            }
        }
        None
    }

    fn queued(&self) -> usize {
        self.blocks.len()
            + self.aggregates.len()
            + self.attestations.len()
            + self.operations.len()
            + self.chain_segments.len()
            + self.rpc_requests.len()
            + self.api.len()
    }
}

fn run_task<H: BatchHandler>(handler: &H, task: Task<H>) {
    match task {
        Task::Job(job) => job(),
        Task::Attestations(batch) => {
            let batched = if batch.len() > 1 { "true" } else { "false" };
            BATCHES
                .with_label_values(&["attestation", batched])
                .inc_by(batch.len() as u64);
            handler.attestations(batch)
        }
        Task::Aggregates(batch) => {
            let batched = if batch.len() > 1 { "true" } else { "false" };
            BATCHES
                .with_label_values(&["aggregate", batched])
                .inc_by(batch.len() as u64);
            handler.aggregates(batch)
        }
    }
}

/// Start the processor (inside a tokio runtime): `max_workers` blocking workers at most.
/// The manager stops when every [`WorkSender`] is dropped and the queues are empty.
pub fn spawn<H: BatchHandler>(
    handler: Arc<H>,
    max_workers: usize,
    lengths: QueueLengths,
) -> WorkSender<H> {
    // The inbound channel is small: the queues behind it hold the backlog.
    let (tx, mut rx) = mpsc::channel::<Work<H>>(1024);
    let mut manager = Manager::new(handler, max_workers, lengths);
    tokio::spawn(async move {
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<()>();
        let mut open = true;
        loop {
            // Hand out work while workers are free.
            while manager.busy < manager.max_workers {
                let Some(task) = manager.next_task() else {
                    break;
                };
                manager.busy += 1;
                WORKERS_BUSY.set(manager.busy as i64);
                let handler = manager.handler.clone();
                let done = done_tx.clone();
                tokio::task::spawn_blocking(move || {
                    // A panicking job must not take a worker slot with it.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        run_task(&*handler, task)
                    }));
                    let _ = done.send(());
                });
            }
            QUEUE_TOTAL.set(manager.queued() as i64);
            if !open && manager.busy == 0 && manager.queued() == 0 {
                break;
            }
            tokio::select! {
                work = rx.recv(), if open => match work {
                    Some(work) => {
                        manager.enqueue(work);
                        // Take whatever else is already waiting before scheduling, so that
                        // priorities and batches see all of it.
                        while let Ok(work) = rx.try_recv() {
                            manager.enqueue(work);
                        }
                    }
                    None => open = false,
                },
                Some(()) = done_rx.recv() => {
                    manager.busy = manager.busy.saturating_sub(1);
                    WORKERS_BUSY.set(manager.busy as i64);
                }
            }
        }
    });
    WorkSender { tx }
}

#[cfg(test)]
mod tests;
