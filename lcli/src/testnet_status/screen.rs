//! The one screen of the health report, redrawn each slot.

use super::health::Health;
use super::layout::TestnetLayout;
use super::rows::{EpochRow, NodeRow};
use std::fmt::Write as _;
use std::io::IsTerminal;
use types::Hash256;

fn short(root: Option<Hash256>) -> String {
    root.map(|r| format!("{r:?}")[..10].to_string())
        .unwrap_or_else(|| "-".into())
}

fn num(v: Option<u64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
}

/// The screen as text.
#[allow(clippy::too_many_arguments)]
pub fn render(
    layout: &TestnetLayout,
    genesis_time: u64,
    wall_slot: u64,
    slots_per_epoch: u64,
    health: &Health,
    rows: &[NodeRow],
    last_epoch: Option<&EpochRow>,
    note: Option<&str>,
) -> String {
    let mut out = String::new();
    let up = rows.iter().filter(|r| r.reachable).count();
    let _ = writeln!(
        out,
        "Testnet {}   slot {wall_slot} (epoch {})   genesis {genesis_time}   nodes up {up}/{}",
        layout.testnet_dir.display(),
        wall_slot / slots_per_epoch.max(1),
        rows.len()
    );
    let _ = writeln!(
        out,
        "{:<12} {:<9} {:<22} {:>6} {:<11} {:>9} {:<11} {:>9} {:<11} {:>5}  SYNC",
        "NODE", "CLIENT", "VERSION", "HEAD", "HEAD ROOT", "JUSTIFIED", "", "FINALIZED", "", "PEERS"
    );
    for r in rows {
        let sync = match (r.reachable, r.is_syncing, r.sync_distance) {
            (false, _, _) => format!("DOWN ({})", r.error.as_deref().unwrap_or("no answer")),
            (true, Some(true), d) => format!("syncing, {} slots behind", num(d)),
            (true, Some(false), _) => "synced".into(),
            _ => "?".into(),
        };
        let version: String = r
            .version
            .as_deref()
            .unwrap_or("-")
            .chars()
            .take(22)
            .collect();
        let _ = writeln!(
            out,
            "{:<12} {:<9} {:<22} {:>6} {:<11} {:>9} {:<11} {:>9} {:<11} {:>5}  {sync}",
            r.name,
            r.client,
            version,
            num(r.head_slot),
            short(r.head_root),
            num(r.justified_epoch),
            short(r.justified_root),
            num(r.finalized_epoch),
            short(r.finalized_root),
            num(r.peers),
        );
    }
    match last_epoch {
        Some(e) => {
            let _ = writeln!(
                out,
                "Epoch {}: participation {:.1} % (from {}), finality distance {} epochs",
                e.epoch,
                e.participation * 100.0,
                e.source,
                e.finality_distance
            );
        }
        None => {
            let _ = writeln!(out, "Participation: no epoch complete yet");
        }
    }
    if let Some(note) = note {
        let _ = writeln!(out, "  ({note})");
    }
    if health.active().is_empty() {
        let _ = writeln!(out, "Alerts: none");
    } else {
        let _ = writeln!(out, "Alerts:");
        for alert in health.active() {
            let _ = writeln!(out, "  {}", alert.message);
        }
    }
    out
}

/// Show a rendered screen: redrawn in place on a terminal, appended otherwise.
pub fn draw(text: &str) {
    if std::io::stdout().is_terminal() {
        print!("\x1b[2J\x1b[H{text}");
    } else {
        println!("{text}");
    }
}
