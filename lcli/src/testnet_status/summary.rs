//! The report's summary, computed from its JSON lines alone (so it survives a restart of the
//! report and can be made again later with `lcli testnet-status DIR --summary`).

use super::rows::{AlertKind, AlertState, Row};
use std::collections::BTreeMap;
use std::fmt;

/// What a coordinator wants to know once the testnet stops.
#[derive(Debug, Default, PartialEq)]
pub struct Summary {
    /// The first and last wall-clock epochs polled.
    pub epochs: Option<(u64, u64)>,
    /// Participation of every epoch read, in epoch order.
    pub participation: BTreeMap<u64, f64>,
    /// The longest stretch, in slots, during which no node's finalized epoch advanced.
    pub longest_without_finality_slots: u64,
    /// The highest finalized epoch seen.
    pub finalized_epoch: Option<u64>,
    /// Alerts raised, by kind.
    pub alerts_raised: BTreeMap<AlertKind, u64>,
    /// Canonical blocks seen, by the proposer's client.
    pub blocks_by_client: BTreeMap<String, u64>,
    pub slots_per_epoch: u64,
}

impl Summary {
    /// Summarize `rows` (in the order they were written).
    pub fn from_rows(rows: &[Row], slots_per_epoch: u64) -> Self {
        let spe = slots_per_epoch.max(1);
        let mut summary = Summary {
            slots_per_epoch: spe,
            ..Summary::default()
        };
        let mut first_slot = None;
        let mut last_slot = 0;
        // The newest finalized epoch over all nodes, and the wall slot it last advanced.
        let mut finalized: Option<(u64, u64)> = None;
        let mut blocks = BTreeMap::new();
        for row in rows {
            match row {
                Row::Node(n) => {
                    first_slot.get_or_insert(n.wall_slot);
                    last_slot = last_slot.max(n.wall_slot);
                    if let (true, Some(epoch)) = (n.reachable, n.finalized_epoch) {
                        match finalized {
                            Some((best, _)) if epoch <= best => {}
                            _ => {
                                if let Some((_, since)) = finalized {
                                    summary.longest_without_finality_slots = summary
                                        .longest_without_finality_slots
                                        .max(n.wall_slot.saturating_sub(since));
                                }
                                finalized = Some((epoch, n.wall_slot));
                            }
                        }
                    }
                }
                Row::Epoch(e) => {
                    summary.participation.insert(e.epoch, e.participation);
                }
                Row::Alert(a) if a.state == AlertState::Raised => {
                    *summary.alerts_raised.entry(a.alert).or_default() += 1;
                }
                Row::Alert(_) => {}
                Row::Block(b) => {
                    blocks.insert(b.slot, b.client.clone().unwrap_or_else(|| "unknown".into()));
                }
            }
        }
        if let Some((_, since)) = finalized {
            summary.longest_without_finality_slots = summary
                .longest_without_finality_slots
                .max(last_slot.saturating_sub(since));
        }
        summary.finalized_epoch = finalized.map(|(e, _)| e);
        summary.epochs = first_slot.map(|first| (first / spe, last_slot / spe));
        for client in blocks.into_values() {
            *summary.blocks_by_client.entry(client).or_default() += 1;
        }
        summary
    }

    /// The epoch with the lowest participation, and that participation.
    pub fn worst_participation(&self) -> Option<(u64, f64)> {
        self.participation
            .iter()
            .map(|(e, p)| (*e, *p))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Testnet summary")?;
        match self.epochs {
            Some((first, last)) => writeln!(
                f,
                "  epochs observed:        {first}..={last} ({} epochs)",
                last - first + 1
            )?,
            None => writeln!(f, "  epochs observed:        none (no node was polled)")?,
        }
        match self.finalized_epoch {
            Some(e) => writeln!(f, "  newest finalized epoch: {e}")?,
            None => writeln!(f, "  newest finalized epoch: none")?,
        }
        match self.worst_participation() {
            Some((epoch, p)) => writeln!(
                f,
                "  participation:          worst {:.1} % (epoch {epoch}), over {} epochs read",
                p * 100.0,
                self.participation.len()
            )?,
            None => writeln!(f, "  participation:          no epoch read yet")?,
        }
        writeln!(
            f,
            "  longest without a newly finalized epoch: {} slots ({:.1} epochs)",
            self.longest_without_finality_slots,
            self.longest_without_finality_slots as f64 / self.slots_per_epoch as f64
        )?;
        let count = |kind| self.alerts_raised.get(&kind).copied().unwrap_or(0);
        writeln!(
            f,
            "  forks seen:             {} (finality conflicts: {})",
            count(AlertKind::Fork),
            count(AlertKind::FinalityConflict)
        )?;
        let blocks: Vec<String> = self
            .blocks_by_client
            .iter()
            .map(|(client, n)| format!("{client} {n}"))
            .collect();
        writeln!(
            f,
            "  blocks proposed:        {}",
            if blocks.is_empty() {
                "none seen".into()
            } else {
                blocks.join(", ")
            }
        )?;
        let alerts: Vec<String> = self
            .alerts_raised
            .iter()
            .map(|(kind, n)| {
                format!(
                    "{} {n}",
                    serde_json::to_value(kind)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default()
                )
            })
            .collect();
        write!(
            f,
            "  alerts raised:          {}",
            if alerts.is_empty() {
                "none".into()
            } else {
                alerts.join(", ")
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::rows::{AlertRow, BlockRow, EpochRow, NodeRow};
    use super::*;
    use types::Hash256;

    fn node(wall_slot: u64, finalized: u64) -> Row {
        Row::Node(Box::new(NodeRow {
            wall_slot,
            name: "a".into(),
            reachable: true,
            finalized_epoch: Some(finalized),
            ..NodeRow::default()
        }))
    }

    #[test]
    fn the_summary_counts_what_the_rows_say() {
        let epoch = |epoch, participation| {
            Row::Epoch(EpochRow {
                time: 0,
                epoch,
                participation,
                attesting_gwei: 0,
                active_gwei: 0,
                source: "a".into(),
                finalized_epoch: 0,
                finality_distance: 0,
            })
        };
        let block = |slot, client: &str| {
            Row::Block(BlockRow {
                slot,
                root: Hash256::ZERO,
                proposer_index: 0,
                client: Some(client.into()),
            })
        };
        let alert = |kind, state| {
            Row::Alert(AlertRow {
                time: 0,
                wall_slot: 0,
                alert: kind,
                state,
                nodes: vec![],
                message: String::new(),
            })
        };
        let rows = vec![
            node(16, 0),
            node(24, 1),
            epoch(1, 0.95),
            // Finality stands still from slot 24 to slot 64: 40 slots.
            node(40, 1),
            epoch(2, 0.5),
            alert(AlertKind::Fork, AlertState::Raised),
            alert(AlertKind::Fork, AlertState::Cleared),
            node(64, 3),
            node(72, 4),
            block(17, "fresnel"),
            block(18, "lodestar"),
            block(19, "fresnel"),
        ];
        let s = Summary::from_rows(&rows, 8);
        assert_eq!(s.epochs, Some((2, 9)));
        assert_eq!(s.finalized_epoch, Some(4));
        assert_eq!(s.longest_without_finality_slots, 40);
        assert_eq!(s.worst_participation(), Some((2, 0.5)));
        assert_eq!(s.alerts_raised.get(&AlertKind::Fork), Some(&1));
        assert_eq!(s.blocks_by_client.get("fresnel"), Some(&2));
        let text = s.to_string();
        assert!(text.contains("forks seen:             1"), "{text}");
        assert!(text.contains("worst 50.0 % (epoch 2)"), "{text}");
    }
}
