use super::*;
use std::sync::Mutex;

#[derive(Default)]
struct Recorder {
    log: Mutex<Vec<String>>,
}

impl BatchHandler for Recorder {
    type Attestation = u32;
    type Aggregate = u32;
    fn attestations(&self, batch: Vec<u32>) {
        self.log
            .lock()
            .unwrap()
            .push(format!("attestations {batch:?}"));
    }
    fn aggregates(&self, batch: Vec<u32>) {
        self.log
            .lock()
            .unwrap()
            .push(format!("aggregates {batch:?}"));
    }
}

fn manager(lengths: QueueLengths) -> Manager<Recorder> {
    Manager::new(Arc::new(Recorder::default()), 1, lengths)
}

fn job(log: &Arc<Mutex<Vec<String>>>, name: &str) -> Job {
    let log = log.clone();
    let name = name.to_string();
    Box::new(move || log.lock().unwrap().push(name))
}

#[test]
fn the_most_urgent_work_goes_first_and_attestations_go_in_batches() {
    let mut m = manager(QueueLengths {
        max_batch: 3,
        ..Default::default()
    });
    let log = Arc::new(Mutex::new(Vec::new()));
    m.enqueue(Work::Api(job(&log, "api")));
    m.enqueue(Work::RpcRequest(job(&log, "rpc")));
    m.enqueue(Work::GossipOperation(job(&log, "exit")));
    for i in 0..5 {
        m.enqueue(Work::GossipAttestation(i));
    }
    m.enqueue(Work::GossipAggregate(100));
    m.enqueue(Work::ChainSegment(job(&log, "segment")));
    m.enqueue(Work::GossipBlock(job(&log, "block")));
    let handler = m.handler.clone();
    while let Some(task) = m.next_task() {
        match task {
            Task::Job(j) => j(),
            other => {
                run_task(&*handler, other);
                let last = handler.log.lock().unwrap().pop().unwrap();
                log.lock().unwrap().push(last);
            }
        }
    }
    assert_eq!(
        *log.lock().unwrap(),
        vec![
            "block",
            "aggregates [100]",
            // Newest first (LIFO), three at a time.
            "attestations [4, 3, 2]",
            "attestations [1, 0]",
            "exit",
            "segment",
            "rpc",
            "api",
        ]
    );
}

#[test]
fn full_queues_drop_work_and_attestation_queues_keep_the_newest() {
    let mut m = manager(QueueLengths {
        attestations: 2,
        blocks: 1,
        ..Default::default()
    });
    let log = Arc::new(Mutex::new(Vec::new()));
    m.enqueue(Work::GossipBlock(job(&log, "first")));
    m.enqueue(Work::GossipBlock(job(&log, "second")));
    for i in 0..4 {
        m.enqueue(Work::GossipAttestation(i));
    }
    assert_eq!(m.queued(), 3);
    match m.next_task() {
        Some(Task::Job(j)) => j(),
        _ => panic!("a block first"),
    }
    assert_eq!(*log.lock().unwrap(), vec!["first"]);
    match m.next_task() {
        Some(Task::Attestations(batch)) => assert_eq!(batch, vec![3, 2]),
        _ => panic!("then the two newest attestations"),
    }
    assert!(m.next_task().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_queued_job_runs_and_a_panic_costs_no_worker() {
    let handler = Arc::new(Recorder::default());
    let sender = spawn(handler.clone(), 2, QueueLengths::default());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    assert!(sender.send(Work::Api(Box::new(|| panic!("a broken job")))));
    for i in 0..50u32 {
        let tx = tx.clone();
        assert!(sender.send(Work::RpcRequest(Box::new(move || {
            tx.send(i).unwrap();
        }))));
    }
    let mut seen = Vec::new();
    while seen.len() < 50 {
        seen.push(rx.recv().await.unwrap());
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..50).collect::<Vec<_>>());
}
