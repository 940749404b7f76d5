//! `lcli testnet-status DIR`: the live health report of a testnet that
//! `scripts/testnet/start.sh` launched. Every slot it reads each node through the standard
//! REST API, judges the network (see `health`), redraws one screen, and appends the same rows
//! as JSON lines; each epoch's participation is read from a state once all its attestations
//! could be included. Stopped (Ctrl-C, SIGTERM), it prints a summary of the whole run.
//! One report records: it holds a lock on the JSON lines file, and a second report started
//! beside it (the launcher runs a recording one) only shows, so no row is written twice.

mod health;
mod layout;
mod observe;
mod rows;
mod screen;
mod summary;

use anyhow::{Context, Result};
use beacon_api_client::BeaconNodeHttpClient;
use health::{Health, Thresholds};
use layout::TestnetLayout;
use observe::Node;
use rows::{EpochRow, NodeRow, Row};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use summary::Summary;
use types::{ChainSpec, EthSpec};

/// The command's options.
#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// The launcher's directory (the one holding nodes.json).
    pub dir: PathBuf,
    /// Poll once, print the screen and exit.
    #[arg(long)]
    pub once: bool,
    /// Print the summary of the JSON lines written so far and exit.
    #[arg(long, conflicts_with = "once")]
    pub summary: bool,
    /// The JSON lines file (default DIR/status.jsonl; appended to).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Only write the JSON lines (what the launcher runs in the background).
    #[arg(long)]
    pub quiet: bool,
    /// Slots two nodes may follow diverging heads before it is called a fork.
    #[arg(long, default_value_t = 4)]
    pub fork_slots: u64,
    /// Slots a node's head may stand still before it is called stalled.
    #[arg(long, default_value_t = 4)]
    pub stall_slots: u64,
    /// Epochs without a newly finalized epoch before "no finality".
    #[arg(long, default_value_t = 4)]
    pub no_finality_epochs: u64,
}

/// `lcli testnet-status`.
pub fn run(args: StatusArgs) -> Result<()> {
    let layout = TestnetLayout::load(&args.dir)?;
    let network = eth2_config::Eth2NetworkConfig::load_dir(&layout.testnet_dir)
        .with_context(|| format!("loading {}", layout.testnet_dir.display()))?;
    let spec = network.spec;
    let json = args
        .json
        .clone()
        .unwrap_or_else(|| args.dir.join("status.jsonl"));
    if args.summary {
        let summary = Summary::from_rows(&read_rows(&json)?, spec.slots_per_epoch);
        println!("{summary}");
        return Ok(());
    }
    let preset = spec
        .type_level_preset()
        .map_err(|e| anyhow::anyhow!("the config fits no preset: {e}"))?;
    crate::runtime()?.block_on(async move {
        crate::network::with_eth_spec!(preset, E, { watch::<E>(args, layout, spec, json).await })
    })
}

fn read_rows(path: &Path) -> Result<Vec<Row>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(rows::parse_rows(&text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Resolves at SIGINT or SIGTERM.
async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        _ => std::future::pending::<()>().await,
    }
}

/// Where the report is between polls.
struct Watch<'a> {
    layout: TestnetLayout,
    nodes: Vec<Node>,
    spec: &'a ChainSpec,
    health: Health,
    /// The JSON lines file, or `None` when another report records (this one only shows).
    json: Option<std::fs::File>,
    /// Why nothing is recorded, for the screen.
    viewer_note: Option<String>,
    /// The next epoch whose participation is to be read.
    next_epoch: u64,
    /// The last slot whose canonical block was recorded.
    last_block_slot: u64,
    /// The last participation read, and any trouble reading it (for the screen).
    last_epoch: Option<EpochRow>,
    note: Option<String>,
    /// What the nodes said at the last poll.
    last_rows: Vec<NodeRow>,
}

async fn watch<E: EthSpec>(
    args: StatusArgs,
    layout: TestnetLayout,
    spec: ChainSpec,
    json_path: PathBuf,
) -> Result<()> {
    let sps = spec.seconds_per_slot.max(1);
    let spe = E::slots_per_epoch();
    let timeout = Duration::from_secs(sps.clamp(2, 6));
    let nodes = layout
        .nodes
        .iter()
        .map(|entry| {
            Ok(Node {
                api: BeaconNodeHttpClient::new(&entry.http, timeout)
                    .with_context(|| format!("node {}: bad REST URL {}", entry.name, entry.http))?,
                entry: entry.clone(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Resume after what an earlier run of the report wrote.
    let previous = read_rows(&json_path)?;
    let next_epoch = previous
        .iter()
        .filter_map(|r| match r {
            Row::Epoch(e) => Some(e.epoch + 1),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let last_block_slot = previous
        .iter()
        .filter_map(|r| match r {
            Row::Block(b) => Some(b.slot),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let json = open_json_lines(&json_path)?;
    let viewer_note = json.is_none().then(|| {
        format!(
            "another report is recording to {} (this one only shows)",
            json_path.display()
        )
    });
    // What the screen shows until this report reads an epoch itself.
    let last_epoch = previous.iter().rev().find_map(|r| match r {
        Row::Epoch(e) => Some(e.clone()),
        _ => None,
    });
    let thresholds = Thresholds {
        fork_slots: args.fork_slots,
        stall_slots: args.stall_slots,
        no_finality_epochs: args.no_finality_epochs,
        ..Thresholds::default()
    };
    let mut w = Watch {
        health: Health::new(thresholds, spe),
        layout,
        nodes,
        spec: &spec,
        json,
        viewer_note,
        next_epoch,
        last_block_slot,
        last_epoch,
        note: None,
        last_rows: Vec::new(),
    };
    let stop = stop_signal();
    tokio::pin!(stop);
    let genesis_time = tokio::select! {
        t = wait_for_genesis_time(&args.dir, &w.nodes) => t,
        _ = &mut stop => return finish(&args, &json_path, spe),
    };
    loop {
        let now = unix_now();
        let wall_slot = now.saturating_sub(genesis_time) / sps;
        w.poll::<E>(now, wall_slot).await?;
        if !args.quiet {
            screen::draw(&screen::render(
                &w.layout,
                genesis_time,
                wall_slot,
                spe,
                &w.health,
                &w.last_rows,
                w.last_epoch.as_ref(),
                w.note.as_deref().or(w.viewer_note.as_deref()),
            ));
        }
        if args.once {
            return Ok(());
        }
        // The next poll halfway into the next slot: its block has usually arrived by then.
        let next = genesis_time + (wall_slot + 1) * sps + sps / 2;
        let wait = Duration::from_secs(next.saturating_sub(unix_now()).max(1));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = &mut stop => return finish(&args, &json_path, spe),
        }
    }
}

/// The genesis time from nodes.json (the launcher adds it once genesis is known) or from a
/// node; waits, re-reading, until one of them knows it.
async fn wait_for_genesis_time(dir: &Path, nodes: &[Node]) -> u64 {
    let mut said = false;
    loop {
        if let Ok(Some(t)) = TestnetLayout::load(dir).map(|l| l.genesis_time) {
            return t;
        }
        for node in nodes {
            if let Ok(g) = node.api.get_beacon_genesis().await {
                return g.genesis_time;
            }
        }
        if !said {
            eprintln!("waiting for genesis: no node knows it yet");
            said = true;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The JSON lines file opened for appending and locked, or `None` if another report holds
/// the lock (the lock goes with the process, however it ends).
fn open_json_lines(path: &Path) -> Result<Option<std::fs::File>> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", path.display()))
        }
    }
}

/// Print (and keep in DIR/summary.txt) the summary of everything in the JSON lines.
fn finish(args: &StatusArgs, json: &Path, slots_per_epoch: u64) -> Result<()> {
    let summary = Summary::from_rows(&read_rows(json)?, slots_per_epoch);
    println!("{summary}");
    let path = args.dir.join("summary.txt");
    std::fs::write(&path, format!("{summary}\n"))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

impl Watch<'_> {
    fn write(&mut self, row: &Row) -> Result<()> {
        let Some(json) = self.json.as_mut() else {
            return Ok(());
        };
        let line = serde_json::to_string(row)?;
        writeln!(json, "{line}").context("writing the JSON lines")
    }

    /// One round: every node, divergence, alerts, then participation and blocks if due.
    async fn poll<E: EthSpec>(&mut self, now: u64, wall_slot: u64) -> Result<()> {
        let rows: Vec<NodeRow> = futures::future::join_all(
            self.nodes
                .iter()
                .map(|n| observe::poll_node(n, now, wall_slot)),
        )
        .await;
        let diverged = observe::diverged_pairs(&self.nodes, &rows).await;
        for row in &rows {
            self.write(&Row::Node(Box::new(row.clone())))?;
        }
        self.read_participation::<E>(now, wall_slot, &rows).await?;
        for change in self.health.assess(now, wall_slot, &rows, &diverged) {
            self.write(&Row::Alert(change))?;
        }
        self.record_blocks(&rows).await?;
        self.last_rows = rows;
        Ok(())
    }

    /// The node to read states and blocks from: a synced Fresnel node if there is one.
    fn reference<'n>(&'n self, rows: &[NodeRow], min_head: u64) -> Option<&'n Node> {
        let usable = |r: &NodeRow| {
            r.reachable && r.is_syncing != Some(true) && r.head_slot.unwrap_or(0) >= min_head
        };
        let candidates = || self.nodes.iter().zip(rows).filter(|(_, r)| usable(r));
        candidates()
            .find(|(n, _)| n.entry.client == "fresnel")
            .or_else(|| candidates().next())
            .map(|(n, _)| n)
    }

    async fn read_participation<E: EthSpec>(
        &mut self,
        now: u64,
        wall_slot: u64,
        rows: &[NodeRow],
    ) -> Result<()> {
        let spe = E::slots_per_epoch();
        let epoch = self.next_epoch;
        // Due once the last slot that may include the epoch's attestations has passed.
        if wall_slot <= (epoch + 2) * spe {
            return Ok(());
        }
        let Some(node) = self.reference(rows, (epoch + 2) * spe - 1) else {
            self.note = Some(format!(
                "participation of epoch {epoch}: no synced node to read it from yet"
            ));
            return Ok(());
        };
        match observe::read_participation::<E>(&node.api, epoch, self.spec).await {
            Ok((attesting, active)) => {
                let finalized = rows
                    .iter()
                    .filter(|r| r.reachable)
                    .filter_map(|r| r.finalized_epoch)
                    .max()
                    .unwrap_or(0);
                let row = EpochRow {
                    time: now,
                    epoch,
                    participation: attesting as f64 / active.max(1) as f64,
                    attesting_gwei: attesting,
                    active_gwei: active,
                    source: node.entry.name.clone(),
                    finalized_epoch: finalized,
                    finality_distance: (wall_slot / spe).saturating_sub(finalized),
                };
                self.health.observe_epoch(&row);
                self.write(&Row::Epoch(row.clone()))?;
                self.last_epoch = Some(row);
                self.note = None;
                self.next_epoch += 1;
            }
            Err(e) => {
                // An epoch that stays unreadable (e.g. pruned) is skipped after a while.
                if wall_slot / spe > epoch + 8 {
                    self.next_epoch += 1;
                }
                self.note = Some(format!("participation of epoch {epoch}: {e:#}"));
            }
        }
        Ok(())
    }

    /// Record the canonical blocks up to two slots behind the head (young blocks may reorg).
    async fn record_blocks(&mut self, rows: &[NodeRow]) -> Result<()> {
        let Some(node) = self.reference(rows, 0) else {
            return Ok(());
        };
        let head = rows
            .iter()
            .zip(&self.nodes)
            .find(|(_, n)| std::ptr::eq(*n, node))
            .and_then(|(r, _)| r.head_slot)
            .unwrap_or(0);
        let to = head.saturating_sub(2);
        let from = self.last_block_slot + 1;
        if from > to {
            return Ok(());
        }
        // Bounded per poll so a report started late catches up without missing slots.
        let to = to.min(from + 63);
        if let Ok(blocks) = observe::canonical_blocks(&node.api, &self.layout, from, to).await {
            for block in blocks {
                self.write(&Row::Block(block))?;
            }
            self.last_block_slot = to;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_report_records_to_a_json_lines_file() {
        let path =
            std::env::temp_dir().join(format!("fresnel-status-lock-{}.jsonl", std::process::id()));
        let recorder = open_json_lines(&path).unwrap();
        assert!(recorder.is_some(), "the first report records");
        assert!(
            open_json_lines(&path).unwrap().is_none(),
            "a second report beside it only shows"
        );
        drop(recorder);
        assert!(
            open_json_lines(&path).unwrap().is_some(),
            "once the recorder is gone, the next report records"
        );
        std::fs::remove_file(&path).unwrap();
    }
}
