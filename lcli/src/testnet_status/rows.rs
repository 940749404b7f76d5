//! The rows of the health report, as written to the JSON lines file (one object per line,
//! tagged by `kind`) and read back for the summary.

use serde::{Deserialize, Serialize};
use types::Hash256;

/// One line of the report's JSON lines file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Row {
    Node(Box<NodeRow>),
    Epoch(EpochRow),
    Alert(AlertRow),
    Block(BlockRow),
}

/// What one beacon node said at one poll.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeRow {
    /// Unix seconds of the poll.
    pub time: u64,
    /// The wall clock's slot at the poll.
    pub wall_slot: u64,
    pub name: String,
    pub client: String,
    /// Whether the REST API answered.
    pub reachable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_slot: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_root: Option<Hash256>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justified_epoch: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justified_root: Option<Hash256>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalized_epoch: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalized_root: Option<Hash256>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peers: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_syncing: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_distance: Option<u64>,
    /// Why the node could not be read, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One epoch's participation, read once every attestation for it could be included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRow {
    pub time: u64,
    pub epoch: u64,
    /// Target-attesting balance over active balance (the justification test's ratio).
    pub participation: f64,
    pub attesting_gwei: u64,
    pub active_gwei: u64,
    /// The node whose state it was read from.
    pub source: String,
    /// The highest finalized epoch among the nodes when the row was written.
    pub finalized_epoch: u64,
    /// The wall clock's epoch minus `finalized_epoch` (2 on a healthy chain).
    pub finality_distance: u64,
}

/// What a coordinator must act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Two nodes finalized different roots at one epoch: a consensus fault.
    FinalityConflict,
    /// Two nodes have followed heads that are not on each other's chain for too long.
    Fork,
    /// A node's REST API does not answer.
    Down,
    /// A node's head has not moved for too long.
    Stalled,
    /// The last epoch's participation was below 2/3: it cannot be justified.
    LowParticipation,
    /// Nothing was finalized for too many epochs.
    NoFinality,
}

/// An alert raised or cleared (rows are written on change, not at every poll).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRow {
    pub time: u64,
    pub wall_slot: u64,
    pub alert: AlertKind,
    /// `raised` or `cleared`.
    pub state: AlertState,
    pub nodes: Vec<String>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    Raised,
    Cleared,
}

/// A canonical block, for the count of blocks proposed per client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockRow {
    pub slot: u64,
    pub root: Hash256,
    pub proposer_index: u64,
    /// The client of the validator client holding the proposer's key, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
}

/// Parse a JSON lines file's text; lines that are not rows (a torn last line after a kill)
/// are skipped rather than failing the whole summary.
pub fn parse_rows(text: &str) -> Vec<Row> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_as_tagged_json_lines() {
        let rows = vec![
            Row::Node(Box::new(NodeRow {
                time: 1,
                wall_slot: 2,
                name: "fresnel-1".into(),
                client: "fresnel".into(),
                reachable: true,
                head_slot: Some(2),
                head_root: Some(Hash256::repeat_byte(1)),
                ..NodeRow::default()
            })),
            Row::Alert(AlertRow {
                time: 1,
                wall_slot: 2,
                alert: AlertKind::Fork,
                state: AlertState::Raised,
                nodes: vec!["a".into(), "b".into()],
                message: "m".into(),
            }),
        ];
        let text: String = rows
            .iter()
            .map(|r| serde_json::to_string(r).unwrap() + "\n")
            .collect();
        assert!(text.contains(r#""kind":"node""#), "{text}");
        assert!(
            text.contains(r#""alert":"fork","state":"raised""#),
            "{text}"
        );
        // A torn last line is skipped.
        assert_eq!(parse_rows(&(text + "{\"kind\":\"no")), rows);
    }
}
