//! Reading the nodes through the standard REST API: each node's position, which heads are off
//! which nodes' chains, an epoch's participation from a state, and the canonical blocks.

use super::layout::{NodeEntry, TestnetLayout};
use super::rows::{BlockRow, NodeRow};
use anyhow::{anyhow, bail, Context, Result};
use beacon_api_client::BeaconNodeHttpClient;
use ssz::Decode;
use state_processing::per_epoch_processing::participation::target_participation;
use types::{BeaconState, ChainSpec, EthSpec, Hash256};

/// A node of the testnet and its API client.
pub struct Node {
    pub entry: NodeEntry,
    pub api: BeaconNodeHttpClient,
}

/// Read one node's position; a node whose API does not answer is `reachable: false`.
pub async fn poll_node(node: &Node, time: u64, wall_slot: u64) -> NodeRow {
    let api = &node.api;
    let (head, finality, peers, syncing, version) = tokio::join!(
        api.get_beacon_header("head"),
        api.get_finality_checkpoints("head"),
        api.get_peer_count(),
        api.get_node_syncing(),
        api.get_node_version(),
    );
    let mut row = NodeRow {
        time,
        wall_slot,
        name: node.entry.name.clone(),
        client: node.entry.client.clone(),
        ..NodeRow::default()
    };
    match head {
        Ok(head) => {
            row.reachable = true;
            row.head_slot = Some(head.header.message.slot);
            row.head_root = Some(head.root);
        }
        Err(e) => {
            row.error = Some(e.to_string());
            return row;
        }
    }
    if let Ok(f) = finality {
        row.justified_epoch = Some(f.current_justified.epoch);
        row.justified_root = Some(f.current_justified.root);
        row.finalized_epoch = Some(f.finalized.epoch);
        row.finalized_root = Some(f.finalized.root);
    }
    row.peers = peers.ok().map(|p| p.connected);
    if let Ok(s) = syncing {
        row.is_syncing = Some(s.is_syncing);
        row.sync_distance = Some(s.sync_distance);
    }
    row.version = version.ok();
    row
}

/// Whether `root` is on `api`'s canonical chain: `None` when the node could not say.
async fn on_canonical_chain(api: &BeaconNodeHttpClient, root: Hash256) -> Option<bool> {
    match api.get_beacon_header(&format!("{root:?}")).await {
        Ok(header) => Some(header.canonical),
        Err(e) if e.status() == Some(404) => Some(false),
        Err(_) => None,
    }
}

/// The pairs of synced nodes whose heads differ and neither of which has the other's head on
/// its canonical chain. A node one block behind another has its head on the other's chain,
/// so lag is not divergence; only two branches are.
pub async fn diverged_pairs(nodes: &[Node], rows: &[NodeRow]) -> Vec<(String, String)> {
    let synced: Vec<(&Node, Hash256)> = nodes
        .iter()
        .zip(rows)
        .filter(|(_, r)| r.reachable && r.is_syncing != Some(true))
        .filter_map(|(n, r)| Some((n, r.head_root?)))
        .collect();
    let mut out = Vec::new();
    for (i, (a, a_head)) in synced.iter().enumerate() {
        for (b, b_head) in &synced[i + 1..] {
            if a_head == b_head {
                continue;
            }
            let (a_on_b, b_on_a) = tokio::join!(
                on_canonical_chain(&b.api, *a_head),
                on_canonical_chain(&a.api, *b_head)
            );
            if a_on_b == Some(false) && b_on_a == Some(false) {
                out.push((a.entry.name.clone(), b.entry.name.clone()));
            }
        }
    }
    out
}

/// The newest canonical block at or before `slot` on `api` (`None`: none since `floor`).
async fn block_at_or_before(
    api: &BeaconNodeHttpClient,
    slot: u64,
    floor: u64,
) -> Result<Option<eth2_api_types::HeaderData>> {
    let mut slot = slot;
    loop {
        match api.get_beacon_header(&slot.to_string()).await {
            Ok(header) => return Ok(Some(header)),
            Err(e) if e.status() == Some(404) => {}
            Err(e) => return Err(e.into()),
        }
        if slot <= floor {
            return Ok(None);
        }
        slot -= 1;
    }
}

/// `epoch`'s participation (target-attesting balance, active balance) as the chain of `api`
/// recorded it: from the state of the last block before epoch `epoch + 2`, which holds every
/// attestation for `epoch` that could still be included.
pub async fn read_participation<E: EthSpec>(
    api: &BeaconNodeHttpClient,
    epoch: u64,
    spec: &ChainSpec,
) -> Result<(u64, u64)> {
    let spe = E::slots_per_epoch();
    let last_slot = (epoch + 2) * spe - 1;
    let header = block_at_or_before(api, last_slot, epoch * spe)
        .await?
        .ok_or_else(|| anyhow!("no block in epochs {epoch} and {}", epoch + 1))?;
    let state_root = header.header.message.state_root;
    let bytes = api
        .get_ssz_bytes(&format!("/eth/v2/debug/beacon/states/{state_root:?}"))
        .await
        .with_context(|| format!("reading the state of slot {}", header.header.message.slot))?;
    let state = BeaconState::<E>::from_ssz_bytes(&bytes).map_err(|e| {
        anyhow!(
            "the state of slot {} is not valid SSZ: {e:?}",
            header.header.message.slot
        )
    })?;
    let (attesting, active) = target_participation(&state, epoch, spec)
        .map_err(|e| anyhow!("participation of epoch {epoch}: {e:?}"))?;
    Ok((attesting, active))
}

/// The canonical blocks of slots `from..=to` on `api` (skipped slots have none).
pub async fn canonical_blocks(
    api: &BeaconNodeHttpClient,
    layout: &TestnetLayout,
    from: u64,
    to: u64,
) -> Result<Vec<BlockRow>> {
    let mut out = Vec::new();
    for slot in from..=to {
        match api.get_beacon_header(&slot.to_string()).await {
            Ok(h) if h.canonical && h.header.message.slot == slot => {
                let proposer = h.header.message.proposer_index;
                out.push(BlockRow {
                    slot,
                    root: h.root,
                    proposer_index: proposer,
                    client: layout.client_of_validator(proposer).map(String::from),
                });
            }
            Ok(_) => {}
            Err(e) if e.status() == Some(404) => {}
            Err(e) => bail!(e),
        }
    }
    Ok(out)
}
