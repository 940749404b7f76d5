//! A validator's slot through the API only: duties, a produced block signed and published,
//! attestation data signed and submitted, the aggregate fetched and published; and bad
//! requests answered with 400 and a message.

use beacon_chain::harness::BeaconChainHarness;
use beacon_chain::ChainStore;
use http_api::Context;
use serde_json::{json, Value};
use state_processing::helpers::accessors::get_domain;
use std::sync::Arc;
use store::StoreConfig;
use types::signing::compute_signing_root;
use types::{
    AggregateAndProof, Attestation, AttestationData, BeaconBlock, BitList, ChainSpec,
    MinimalEthSpec, SignatureBytes, SignedAggregateAndProof, SignedBeaconBlock,
};

type E = MinimalEthSpec;

async fn request(
    ctx: &Arc<Context<E>>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = warp::test::request().method(method).path(path);
    if let Some(body) = body {
        req = req.header("content-type", "application/json").json(&body);
    }
    let response = req.reply(&http_api::routes(ctx.clone())).await;
    let status = response.status().as_u16();
    let body = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_slot_through_the_api() {
    let h = tokio::task::spawn_blocking(|| {
        let store = Arc::new(
            ChainStore::<E>::open_ephemeral(StoreConfig::default(), Arc::new(ChainSpec::minimal()))
                .unwrap(),
        );
        BeaconChainHarness::<E>::new(64, ChainSpec::minimal(), store).unwrap()
    })
    .await
    .unwrap();
    let ctx = Arc::new(Context {
        chain: Some(h.chain.clone()),
        version: "test".into(),
        shutdown: http_api::ShutdownSignal::never(),
        identity: None,
        network: None,
    });
    let spec = h.spec.clone();
    let slot = 1;
    h.set_slot(slot).unwrap();

    // Proposer duties of epoch 0, then the block for slot 1.
    let (status, duties) = request(&ctx, "GET", "/eth/v1/validator/duties/proposer/0", None).await;
    assert_eq!(status, 200, "{duties}");
    assert_eq!(duties["data"].as_array().unwrap().len(), 8);
    assert_eq!(
        duties["dependent_root"],
        format!("{:?}", h.chain.genesis_block_root)
    );
    let proposer: u64 = duties["data"][1]["validator_index"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let state = h.chain.head().state;
    let reveal = h.randao_reveal(&state, proposer);
    let (status, produced) = request(
        &ctx,
        "GET",
        &format!("/eth/v1/validator/blocks/{slot}?randao_reveal={reveal}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{produced}");
    let block: BeaconBlock<E> = serde_json::from_value(produced["data"].clone()).unwrap();
    let signed: SignedBeaconBlock<E> = h.sign_block(block, &state);
    let (status, body) = request(
        &ctx,
        "POST",
        "/eth/v1/beacon/blocks",
        Some(serde_json::to_value(&signed).unwrap()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(h.chain.head_slot(), slot);
    // The same block again is fine; a properly signed block with a wrong state root is a 400.
    let (status, _) = request(
        &ctx,
        "POST",
        "/eth/v1/beacon/blocks",
        Some(serde_json::to_value(&signed).unwrap()),
    )
    .await;
    assert_eq!(status, 200);
    {
        let next = h.make_block(h.chain.head_block_root(), slot + 1).unwrap();
        let mut message = next.message;
        message.state_root = Default::default();
        let head_state = h.chain.head().state;
        let bad = h.sign_block(message, &head_state);
        h.clock.set_slot(slot + 1);
        let (status, body) = request(
            &ctx,
            "POST",
            "/eth/v1/beacon/blocks",
            Some(serde_json::to_value(&bad).unwrap()),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["message"].as_str().unwrap().contains("state_root"),
            "{body}"
        );
        h.clock.set_slot(slot);
    }

    // Attester duties for everyone; each attests with the data the node gives.
    let indices: Vec<String> = (0..64).map(|i: u64| i.to_string()).collect();
    let (status, duties) = request(
        &ctx,
        "POST",
        "/eth/v1/validator/duties/attester/0",
        Some(json!(indices)),
    )
    .await;
    assert_eq!(status, 200, "{duties}");
    let duties = duties["data"].as_array().unwrap().clone();
    assert_eq!(duties.len(), 64);
    let state = h.chain.head().state;
    let mut attestations = Vec::new();
    let mut first_data = None;
    for duty in duties
        .iter()
        .filter(|d| d["slot"].as_str().and_then(|s| s.parse::<u64>().ok()) == Some(slot))
    {
        let index = duty["committee_index"].as_str().unwrap();
        let (status, data) = request(
            &ctx,
            "GET",
            &format!("/eth/v1/validator/attestation_data?slot={slot}&committee_index={index}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{data}");
        let data: AttestationData = serde_json::from_value(data["data"].clone()).unwrap();
        first_data.get_or_insert(data);
        let validator: u64 = duty["validator_index"].as_str().unwrap().parse().unwrap();
        let length: usize = duty["committee_length"].as_str().unwrap().parse().unwrap();
        let position: usize = duty["validator_committee_index"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let domain = get_domain(&state, spec.domain_beacon_attester, Some(0));
        let root = compute_signing_root(&data, domain);
        let mut bits = BitList::with_capacity(length).unwrap();
        bits.set(position, true).unwrap();
        attestations.push(Attestation::<E> {
            aggregation_bits: bits,
            data,
            signature: SignatureBytes::from(&h.keys[validator as usize].sign(root.as_slice())),
        });
    }
    assert!(!attestations.is_empty());
    let (status, body) = request(
        &ctx,
        "POST",
        "/eth/v1/beacon/pool/attestations",
        Some(serde_json::to_value(&attestations).unwrap()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // One that breaks a rule (its target epoch is not its slot's): 400 naming its index;
    // the repeat of an accepted one is not a failure.
    let mut forged = attestations[0].clone();
    forged.data.target.epoch = 1;
    let resubmitted = vec![attestations[0].clone(), forged];
    let (status, body) = request(
        &ctx,
        "POST",
        "/eth/v1/beacon/pool/attestations",
        Some(serde_json::to_value(&resubmitted).unwrap()),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["failures"][0]["index"], 1, "{body}");

    // The aggregate of the first committee, as an aggregator would fetch and publish it.
    let data = first_data.unwrap();
    let data_root = tree_hash::TreeHash::tree_hash_root(&data);
    let (status, aggregate) = request(
        &ctx,
        "GET",
        &format!("/eth/v1/validator/aggregate_attestation?attestation_data_root={data_root:?}&slot={slot}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{aggregate}");
    let aggregate: Attestation<E> = serde_json::from_value(aggregate["data"].clone()).unwrap();
    let committee =
        state_processing::helpers::accessors::get_beacon_committee(&state, slot, data.index, &spec)
            .unwrap();
    let aggregator = h.select_aggregator(&state, &committee, slot).unwrap();
    let signed: SignedAggregateAndProof<E> = h.sign_aggregate_as(&state, aggregator, aggregate);
    let _: &AggregateAndProof<E> = &signed.message;
    let (status, body) = request(
        &ctx,
        "POST",
        "/eth/v1/validator/aggregate_and_proofs",
        Some(serde_json::to_value(vec![signed]).unwrap()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = request(
        &ctx,
        "POST",
        "/eth/v1/validator/beacon_committee_subscriptions",
        Some(json!([])),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bad_requests_are_400_with_a_message() {
    let store = Arc::new(
        ChainStore::<E>::open_ephemeral(StoreConfig::default(), Arc::new(ChainSpec::minimal()))
            .unwrap(),
    );
    let h = BeaconChainHarness::<E>::new(16, ChainSpec::minimal(), store).unwrap();
    let ctx = Arc::new(Context {
        chain: Some(h.chain.clone()),
        version: "test".into(),
        shutdown: http_api::ShutdownSignal::never(),
        identity: None,
        network: None,
    });
    for (method, path, body) in [
        ("GET", "/eth/v1/validator/duties/proposer/x", None),
        ("GET", "/eth/v1/validator/duties/proposer/99", None),
        (
            "POST",
            "/eth/v1/validator/duties/attester/0",
            Some(json!({"not": "a list"})),
        ),
        (
            "POST",
            "/eth/v1/validator/duties/attester/0",
            Some(json!(["one"])),
        ),
        ("GET", "/eth/v1/validator/blocks/1?randao_reveal=0x12", None),
        ("GET", "/eth/v1/validator/attestation_data?slot=1", None),
        ("POST", "/eth/v1/beacon/blocks", Some(json!({"message": 1}))),
        (
            "POST",
            "/eth/v1/beacon/pool/attestations",
            Some(json!([{"aggregation_bits": "zz"}])),
        ),
    ] {
        let (status, reply) = request(&ctx, method, path, body).await;
        assert_eq!(status, 400, "{method} {path}: {reply}");
        assert_eq!(reply["code"], 400, "{reply}");
        assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // An oversized body, on every route that takes one.
    let huge = "x".repeat(11 * 1024 * 1024);
    for path in [
        "/eth/v1/beacon/blocks",
        "/eth/v1/beacon/pool/attestations",
        "/eth/v1/beacon/pool/attester_slashings",
        "/eth/v1/beacon/pool/proposer_slashings",
        "/eth/v1/beacon/pool/voluntary_exits",
        "/eth/v1/validator/duties/attester/0",
        "/eth/v1/validator/aggregate_and_proofs",
        "/eth/v1/validator/beacon_committee_subscriptions",
    ] {
        let response = warp::test::request()
            .method("POST")
            .path(path)
            .header("content-type", "application/json")
            .body(huge.clone())
            .reply(&http_api::routes(ctx.clone()))
            .await;
        assert_eq!(response.status().as_u16(), 400, "{path}");
        let reply: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(reply["message"], "request body too large", "{path}");
    }
}
