//! The event stream over a real socket: a block imported after subscribing arrives as
//! `block` and `head` events with the schema's fields; an unknown topic is a 400.

use beacon_chain::harness::{AttestationMode, BeaconChainHarness};
use beacon_chain::ChainStore;
use http_api::Context;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use store::StoreConfig;
use types::{ChainSpec, MinimalEthSpec};

type E = MinimalEthSpec;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_and_head_events_arrive_on_the_stream() {
    let h = Arc::new(
        tokio::task::spawn_blocking(|| {
            let store = Arc::new(
                ChainStore::<E>::open_ephemeral(
                    StoreConfig::default(),
                    Arc::new(ChainSpec::minimal()),
                )
                .unwrap(),
            );
            BeaconChainHarness::<E>::new(64, ChainSpec::minimal(), store).unwrap()
        })
        .await
        .unwrap(),
    );
    let ctx = Arc::new(Context {
        chain: Some(h.chain.clone()),
        version: "test".into(),
        shutdown: http_api::ShutdownSignal::never(),
        identity: None,
        network: None,
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (addr, server) = http_api::serve(ctx, "127.0.0.1:0".parse().unwrap(), async move {
        let _ = stopped.await;
    })
    .unwrap();
    tokio::spawn(server);

    let harness = h.clone();
    let lines = tokio::task::spawn_blocking(move || {
        // An unknown topic first, alone and in a comma-separated list.
        for query in ["topics=nope", "topics=head,nope", "topics="] {
            let mut bad = TcpStream::connect(addr).unwrap();
            write!(
                bad,
                "GET /eth/v1/events?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut reply = String::new();
            bad.read_to_string(&mut reply).unwrap();
            assert!(reply.starts_with("HTTP/1.1 400"), "{query}: {reply}");
        }

        let mut stream = TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "GET /eth/v1/events?topics=head&topics=block HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        .unwrap();
        let mut reader = BufReader::new(stream);
        // The status line and headers: once they arrive the subscription exists.
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
        }
        harness
            .advance_slot(1, true, &|_| true, AttestationMode::Unaggregated)
            .unwrap();
        let mut seen = Vec::new();
        // Until both events and their data lines have arrived.
        let complete = |seen: &[String]| {
            ["event:block", "event:head"].iter().all(|name| {
                seen.iter()
                    .position(|l| l.contains(name))
                    .is_some_and(|i| seen.get(i + 1).is_some_and(|d| d.starts_with("data:")))
            })
        };
        while !complete(&seen) {
            line.clear();
            if reader.read_line(&mut line).unwrap() == 0 {
                break;
            }
            let compact: String = line.split_whitespace().collect();
            if compact.starts_with("event:") || compact.starts_with("data:") {
                seen.push(compact);
            }
        }
        seen
    })
    .await
    .unwrap();
    let _ = stop.send(());
    let head_data = lines
        .iter()
        .skip_while(|l| !l.contains("event:head"))
        .nth(1)
        .expect("head data");
    assert!(head_data.contains("\"slot\":\"1\""), "{head_data}");
    assert!(
        head_data.contains("current_duty_dependent_root"),
        "{head_data}"
    );
    assert!(lines
        .iter()
        .any(|l| l.starts_with("data:") && l.contains("\"block\":\"0x")));
}
