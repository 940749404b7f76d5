//! The API against a live harness chain, through warp's test client: the schema's JSON and
//! statuses for every `state_id` and `block_id` form, and bad input.

use beacon_chain::harness::{AttestationMode, BeaconChainHarness};
use beacon_chain::ChainStore;
use http_api::Context;
use serde_json::Value;
use std::sync::Arc;
use store::StoreConfig;
use types::{ChainSpec, EthSpec, MinimalEthSpec};

type E = MinimalEthSpec;

fn harness() -> BeaconChainHarness<E> {
    let store = Arc::new(
        ChainStore::<E>::open_ephemeral(StoreConfig::default(), Arc::new(ChainSpec::minimal()))
            .unwrap(),
    );
    let h = BeaconChainHarness::new(64, ChainSpec::minimal(), store).unwrap();
    // Five epochs, finalizing, with a skipped slot at 12.
    for slot in 1..=5 * E::slots_per_epoch() {
        h.advance_slot(slot, slot != 12, &|_| true, AttestationMode::Unaggregated)
            .unwrap();
    }
    h
}

async fn get(ctx: &Arc<Context<E>>, path: &str) -> (u16, Value) {
    let response = warp::test::request()
        .method("GET")
        .path(path)
        .reply(&http_api_routes(ctx.clone()))
        .await;
    let status = response.status().as_u16();
    let body = if response.body().is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(response.body()).unwrap_or(Value::Null)
    };
    (status, body)
}

fn http_api_routes(
    ctx: Arc<Context<E>>,
) -> impl warp::Filter<Extract = (impl warp::Reply,), Error = std::convert::Infallible> + Clone {
    http_api::routes(ctx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beacon_reads_answer_every_id_form() {
    let h = tokio::task::spawn_blocking(harness).await.unwrap();
    let chain = h.chain.clone();
    let ctx = Arc::new(Context {
        chain: Some(chain.clone()),
        version: "Fresnel/test".into(),
        shutdown: http_api::ShutdownSignal::never(),
        identity: None,
        network: None,
    });

    let (status, genesis) = get(&ctx, "/eth/v1/beacon/genesis").await;
    assert_eq!(status, 200);
    assert_eq!(genesis["data"]["genesis_time"], "1600000000");
    assert_eq!(genesis["data"]["genesis_fork_version"], "0x00000001");

    let head = chain.head();
    let head_root = format!("{:?}", head.state_root);
    for (id, expected_status) in [
        ("head", 200),
        ("genesis", 200),
        ("finalized", 200),
        ("justified", 200),
        ("16", 200),
        ("12", 200),
        (head_root.as_str(), 200),
        ("99999", 404),
        (
            "0x0000000000000000000000000000000000000000000000000000000000000001",
            404,
        ),
        ("nonsense", 400),
    ] {
        let (status, body) = get(&ctx, &format!("/eth/v1/beacon/states/{id}/root")).await;
        assert_eq!(status, expected_status, "state {id}: {body}");
        if status != 200 {
            assert_eq!(body["code"], expected_status, "{body}");
            assert!(body["message"].is_string());
        }
    }
    let (_, root) = get(&ctx, "/eth/v1/beacon/states/head/root").await;
    assert_eq!(root["data"]["root"], head_root);

    let (status, finality) = get(&ctx, "/eth/v1/beacon/states/head/finality_checkpoints").await;
    assert_eq!(status, 200);
    assert_eq!(finality["data"]["finalized"]["epoch"], "3");
    let (status, fork) = get(&ctx, "/eth/v1/beacon/states/finalized/fork").await;
    assert_eq!(status, 200);
    assert_eq!(fork["data"]["current_version"], "0x00000001");

    for (id, expected_status) in [
        ("head", 200),
        ("genesis", 200),
        ("finalized", 200),
        ("11", 200),
        ("12", 404),
        ("x", 400),
    ] {
        let (status, body) = get(&ctx, &format!("/eth/v1/beacon/headers/{id}")).await;
        assert_eq!(status, expected_status, "header {id}: {body}");
    }
    let (_, header) = get(&ctx, "/eth/v1/beacon/headers/11").await;
    assert_eq!(header["data"]["canonical"], true);
    assert_eq!(header["data"]["header"]["message"]["slot"], "11");

    let (status, headers) = get(&ctx, "/eth/v1/beacon/headers").await;
    assert_eq!(status, 200);
    assert_eq!(headers["data"][0]["root"], format!("{:?}", head.block_root));
    let (status, at_11) = get(&ctx, "/eth/v1/beacon/headers?slot=11").await;
    assert_eq!(status, 200);
    assert_eq!(at_11["data"].as_array().unwrap().len(), 1);
    let parent = at_11["data"][0]["root"].as_str().unwrap().to_string();
    let (status, children) = get(
        &ctx,
        &format!("/eth/v1/beacon/headers?parent_root={parent}"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        children["data"][0]["header"]["message"]["slot"], "13",
        "slot 12 was skipped"
    );
    let (status, _) = get(&ctx, "/eth/v1/beacon/headers?slot=x").await;
    assert_eq!(status, 400);

    let (status, block) = get(&ctx, "/eth/v1/beacon/blocks/head").await;
    assert_eq!(status, 200);
    assert_eq!(
        block["data"]["message"]["slot"],
        (5 * E::slots_per_epoch()).to_string()
    );
    let (_, root) = get(&ctx, "/eth/v1/beacon/blocks/head/root").await;
    assert_eq!(root["data"]["root"], format!("{:?}", head.block_root));
    let (status, atts) = get(&ctx, "/eth/v1/beacon/blocks/head/attestations").await;
    assert_eq!(status, 200);
    assert!(!atts["data"].as_array().unwrap().is_empty());

    // Validators, balances, committees.
    let (status, validators) = get(&ctx, "/eth/v1/beacon/states/head/validators").await;
    assert_eq!(status, 200);
    assert_eq!(validators["data"].as_array().unwrap().len(), 64);
    assert_eq!(validators["data"][3]["status"], "active_ongoing");
    let pubkey = validators["data"][5]["validator"]["pubkey"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, one) = get(
        &ctx,
        &format!("/eth/v1/beacon/states/head/validators/{pubkey}"),
    )
    .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["data"]["index"], "5");
    let (status, _) = get(&ctx, "/eth/v1/beacon/states/head/validators/640").await;
    assert_eq!(status, 404);
    let (status, some) = get(
        &ctx,
        &format!("/eth/v1/beacon/states/head/validators?id=1,{pubkey}&status=active"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(some["data"].as_array().unwrap().len(), 2);
    let (status, balances) = get(
        &ctx,
        "/eth/v1/beacon/states/genesis/validator_balances?id=0,2",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(balances["data"][1]["balance"], "32000000000");
    let (status, committees) = get(&ctx, "/eth/v1/beacon/states/head/committees?slot=41").await;
    assert_eq!(status, 200, "{committees}");
    let total: usize = committees["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["validators"].as_array().unwrap().len())
        .sum();
    assert_eq!(total, 8, "64 validators over 8 slots");
    let (status, _) = get(&ctx, "/eth/v1/beacon/states/head/committees?epoch=99").await;
    assert_eq!(status, 400);

    // Config.
    let (status, spec) = get(&ctx, "/eth/v1/config/spec").await;
    assert_eq!(status, 200);
    assert_eq!(spec["data"]["SLOTS_PER_EPOCH"], "8");
    assert_eq!(spec["data"]["GENESIS_FORK_VERSION"], "0x00000001");
    let (status, schedule) = get(&ctx, "/eth/v1/config/fork_schedule").await;
    assert_eq!(status, 200);
    assert_eq!(schedule["data"][0]["epoch"], "0");
    let (status, contract) = get(&ctx, "/eth/v1/config/deposit_contract").await;
    assert_eq!(status, 200);
    assert!(contract["data"]["address"]
        .as_str()
        .unwrap()
        .starts_with("0x"));

    // Pools.
    for pool in [
        "attestations",
        "attester_slashings",
        "proposer_slashings",
        "voluntary_exits",
    ] {
        let (status, body) = get(&ctx, &format!("/eth/v1/beacon/pool/{pool}")).await;
        assert_eq!(status, 200, "{pool}");
        assert!(body["data"].is_array());
    }

    // Debug: the head state as JSON and as SSZ, and the fork-choice leaves.
    let (status, state) = get(&ctx, "/eth/v1/debug/beacon/states/head").await;
    assert_eq!(status, 200);
    assert_eq!(
        state["data"]["slot"],
        (5 * E::slots_per_epoch()).to_string()
    );
    let response = warp::test::request()
        .method("GET")
        .path("/eth/v1/debug/beacon/states/finalized")
        .header("accept", "application/octet-stream")
        .reply(&http_api_routes(ctx.clone()))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let decoded = <types::BeaconState<E> as ssz::Decode>::from_ssz_bytes(response.body()).unwrap();
    assert_eq!(decoded.slot, 3 * E::slots_per_epoch());
    let (status, heads) = get(&ctx, "/eth/v1/debug/beacon/heads").await;
    assert_eq!(status, 200);
    assert_eq!(heads["data"][0]["root"], format!("{:?}", head.block_root));

    let (status, syncing) = get(&ctx, "/eth/v1/node/syncing").await;
    assert_eq!(status, 200);
    assert_eq!(syncing["data"]["is_syncing"], false);
    let (status, _) = get(&ctx, "/eth/v1/node/health").await;
    assert_eq!(status, 200);
    let (status, body) = get(&ctx, "/eth/v1/nowhere").await;
    assert_eq!((status, body["code"].clone()), (404, Value::from(404)));
}

#[tokio::test]
async fn before_genesis_the_api_says_503() {
    let ctx = Arc::new(Context::<E> {
        chain: None,
        version: "Fresnel/test".into(),
        shutdown: http_api::ShutdownSignal::never(),
        identity: None,
        network: None,
    });
    let (status, body) = get(&ctx, "/eth/v1/beacon/genesis").await;
    assert_eq!(status, 503);
    assert_eq!(body["code"], 503);
    let (status, _) = get(&ctx, "/eth/v1/node/health").await;
    assert_eq!(status, 503);
    let (status, version) = get(&ctx, "/eth/v1/node/version").await;
    assert_eq!(status, 200);
    assert_eq!(version["data"]["version"], "Fresnel/test");
}

/// A request that says `Connection: close` gets `Connection: close` back (pooling clients such
/// as Lodestar's validator client otherwise reuse the socket hyper closes); others get nothing.
#[tokio::test]
async fn connection_close_is_answered_in_kind() {
    let ctx = Arc::new(Context::<E> {
        chain: None,
        version: "Fresnel/test".into(),
        shutdown: http_api::ShutdownSignal::never(),
        identity: None,
        network: None,
    });
    for (connection, expected) in [
        (Some("close"), Some("close")),
        (Some("Keep-Alive, Close"), Some("close")),
        (Some("keep-alive"), None),
        (None, None),
    ] {
        let mut request = warp::test::request()
            .method("GET")
            .path("/eth/v1/node/version");
        if let Some(value) = connection {
            request = request.header("connection", value);
        }
        let response = request.reply(&http_api_routes(ctx.clone())).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            response
                .headers()
                .get("connection")
                .map(|v| v.to_str().unwrap()),
            expected,
            "request Connection: {connection:?}"
        );
    }
}

/// Duties of epochs before the head's previous one come from the stored canonical states
/// (epoch 1 is finalized, so cold; epoch 2 hot, across the skipped slot 12): the proposers are
/// those of the blocks on chain, the committees those the states give, and the dependent root
/// the block before the epoch (proposers) or before the previous epoch (attesters).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duties_of_past_epochs_match_the_chain() {
    let h = tokio::task::spawn_blocking(harness).await.unwrap();
    let ctx = Arc::new(Context {
        chain: Some(h.chain.clone()),
        version: "Fresnel/test".into(),
        shutdown: http_api::ShutdownSignal::never(),
        identity: None,
        network: None,
    });
    let routes = http_api_routes(ctx.clone());
    let block_root_at = |slot: u64| {
        let ctx = ctx.clone();
        async move {
            let (status, root) = get(&ctx, &format!("/eth/v1/beacon/blocks/{slot}/root")).await;
            assert_eq!(status, 200, "{root}");
            root["data"]["root"].clone()
        }
    };
    let spe = E::slots_per_epoch();
    for epoch in [1u64, 2] {
        let start = epoch * spe;
        let (status, duties) =
            get(&ctx, &format!("/eth/v1/validator/duties/proposer/{epoch}")).await;
        assert_eq!(status, 200, "epoch {epoch}: {duties}");
        assert_eq!(duties["dependent_root"], block_root_at(start - 1).await);
        let duties = duties["data"].as_array().unwrap();
        assert_eq!(duties.len() as u64, spe);
        for duty in duties {
            let slot: u64 = duty["slot"].as_str().unwrap().parse().unwrap();
            if slot == 12 {
                continue; // skipped: no block to compare with
            }
            let (status, header) = get(&ctx, &format!("/eth/v1/beacon/headers/{slot}")).await;
            assert_eq!(status, 200, "{header}");
            assert_eq!(
                duty["validator_index"], header["data"]["header"]["message"]["proposer_index"],
                "slot {slot}"
            );
        }

        let response = warp::test::request()
            .method("POST")
            .path(&format!("/eth/v1/validator/duties/attester/{epoch}"))
            .header("content-type", "application/json")
            .json(&(0..64).map(|i: u64| i.to_string()).collect::<Vec<_>>())
            .reply(&routes)
            .await;
        assert_eq!(response.status().as_u16(), 200);
        let duties: Value = serde_json::from_slice(response.body()).unwrap();
        let expected_dependent = if epoch == 1 {
            let (_, genesis) = get(&ctx, "/eth/v1/beacon/blocks/genesis/root").await;
            genesis["data"]["root"].clone()
        } else {
            block_root_at(start - spe - 1).await
        };
        assert_eq!(duties["dependent_root"], expected_dependent);
        let duties = duties["data"].as_array().unwrap();
        assert_eq!(duties.len(), 64, "every validator attests once per epoch");
        let (status, committees) = get(
            &ctx,
            &format!("/eth/v1/beacon/states/{start}/committees?epoch={epoch}"),
        )
        .await;
        assert_eq!(status, 200, "{committees}");
        for duty in duties {
            let committee = committees["data"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["slot"] == duty["slot"] && c["index"] == duty["committee_index"])
                .expect("the duty's committee exists");
            let position: usize = duty["validator_committee_index"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(committee["validators"][position], duty["validator_index"]);
        }
    }
}
