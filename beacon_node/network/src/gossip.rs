//! Gossipsub as p2p-interface.md v1.0.1 configures it: anonymous messages (StrictNoSign), raw
//! snappy payloads bounded by GOSSIP_MAX_SIZE before decompression, the message id over the
//! decompressed data, the eth2 mesh parameters, and the phase 0 peer-scoring parameters.

use libp2p::gossipsub::{
    self, DataTransform, Message, MessageId, PeerScoreParams, PeerScoreThresholds, RawMessage,
    TopicHash, TopicScoreParams, ValidationMode,
};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// `GOSSIP_MAX_SIZE`: the largest decompressed gossip payload (1 MiB).
pub const GOSSIP_MAX_SIZE: usize = 1 << 20;
/// `MESSAGE_DOMAIN_VALID_SNAPPY`.
pub const MESSAGE_DOMAIN_VALID_SNAPPY: [u8; 4] = [1, 0, 0, 0];
/// The largest RPC frame gossipsub accepts: js-gossipsub answers many IWANTs in one frame, and
/// an oversized frame kills the stream without a word, so leave room for several messages.
const MAX_TRANSMIT_SIZE: usize = 10 * GOSSIP_MAX_SIZE;

/// Raw snappy on the wire; the decompressed length is checked before decompressing.
#[derive(Debug, Clone, Copy, Default)]
pub struct SnappyTransform;

impl DataTransform for SnappyTransform {
    fn inbound_transform(&self, raw: RawMessage) -> Result<Message, std::io::Error> {
        let data = decompress_gossip(&raw.data)?;
        Ok(Message {
            source: raw.source,
            data,
            sequence_number: raw.sequence_number,
            topic: raw.topic,
        })
    }

    fn outbound_transform(&self, _: &TopicHash, data: Vec<u8>) -> Result<Vec<u8>, std::io::Error> {
        if data.len() > GOSSIP_MAX_SIZE {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "message larger than GOSSIP_MAX_SIZE",
            ));
        }
        snap::raw::Encoder::new()
            .compress_vec(&data)
            .map_err(|e| std::io::Error::other(e.to_string()))
    }
}

/// Decompress a gossip payload, refusing one that would exceed GOSSIP_MAX_SIZE.
pub fn decompress_gossip(data: &[u8]) -> Result<Vec<u8>, std::io::Error> {
    let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
    let len = snap::raw::decompress_len(data).map_err(|e| invalid(format!("snappy: {e}")))?;
    if len > GOSSIP_MAX_SIZE {
        return Err(invalid(format!(
            "decompressed length {len} exceeds GOSSIP_MAX_SIZE"
        )));
    }
    snap::raw::Decoder::new()
        .decompress_vec(data)
        .map_err(|e| invalid(format!("snappy: {e}")))
}

/// `message-id`: `SHA256(MESSAGE_DOMAIN_VALID_SNAPPY ‖ snappy_decompress(data))[:20]`.
/// Payloads that fail to decompress never reach here (the transform drops them).
pub fn message_id(message: &Message) -> MessageId {
    let mut hasher = Sha256::new();
    hasher.update(MESSAGE_DOMAIN_VALID_SNAPPY);
    hasher.update(&message.data);
    MessageId::from(hasher.finalize()[..20].to_vec())
}

/// The gossipsub configuration with the eth2 mesh parameters.
pub fn config(seconds_per_slot: u64) -> Result<gossipsub::Config, String> {
    let slot = Duration::from_secs(seconds_per_slot.max(1));
    gossipsub::ConfigBuilder::default()
        .max_transmit_size(MAX_TRANSMIT_SIZE)
        .heartbeat_interval(Duration::from_millis(700))
        .mesh_n(8)
        .mesh_n_low(6)
        .mesh_n_high(12)
        .gossip_lazy(6)
        .fanout_ttl(Duration::from_secs(60))
        .history_length(6)
        .history_gossip(3)
        // seen_ttl: 550 heartbeats (the spec's SLOTS_PER_EPOCH * 2 slots, rounded as
        // clients do).
        .duplicate_cache_time(Duration::from_millis(700 * 550))
        .validate_messages()
        .validation_mode(ValidationMode::Anonymous)
        .message_id_fn(message_id)
        .max_ihave_messages_heartbeat(50)
        .max_control_messages_sent(5_000)
        .max_control_message_size(MAX_TRANSMIT_SIZE)
        .iwant_followup_time(slot.min(Duration::from_secs(3)))
        .flood_publish(true)
        .build()
        .map_err(|e| e.to_string())
}

/// The peer-scoring thresholds both Lighthouse and Lodestar use in phase 0.
pub fn score_thresholds() -> PeerScoreThresholds {
    PeerScoreThresholds {
        gossip_threshold: -4000.0,
        publish_threshold: -8000.0,
        graylist_threshold: -16000.0,
        accept_px_threshold: 100.0,
        opportunistic_graft_threshold: 5.0,
    }
}

/// Peer-score parameters: the phase 0 shape (behaviour penalty, IP colocation, per-topic
/// invalid-message penalties), with mesh-delivery penalties off so that a small network whose
/// topics carry few messages does not score honest peers down.
pub fn score_params(seconds_per_slot: u64, slots_per_epoch: u64) -> PeerScoreParams {
    let slot = Duration::from_secs(seconds_per_slot.max(1));
    let epoch = slot * slots_per_epoch.max(1) as u32;
    let decay_interval = slot;
    let decay_to_zero: f64 = 0.01;
    let decay = |over: Duration| -> f64 {
        let ticks = over.as_secs_f64() / decay_interval.as_secs_f64();
        decay_to_zero.powf(1.0 / ticks.max(1.0))
    };
    PeerScoreParams {
        topic_score_cap: 53.75,
        app_specific_weight: 1.0,
        ip_colocation_factor_weight: -53.75,
        // Test networks run every node on one address.
        ip_colocation_factor_threshold: 64.0,
        behaviour_penalty_weight: -15.92,
        behaviour_penalty_threshold: 6.0,
        behaviour_penalty_decay: decay(epoch * 10),
        decay_interval,
        decay_to_zero,
        retain_score: epoch * 100,
        ..Default::default()
    }
}

/// Per-topic parameters: invalid messages weigh heavily everywhere; first deliveries earn a
/// little; no mesh-delivery requirement.
pub fn topic_score_params(weight: f64, slot: Duration, slots_per_epoch: u64) -> TopicScoreParams {
    let epoch = slot * slots_per_epoch.max(1) as u32;
    let decay = |over: Duration| -> f64 {
        let ticks = over.as_secs_f64() / slot.as_secs_f64();
        0.01f64.powf(1.0 / ticks.max(1.0))
    };
    TopicScoreParams {
        topic_weight: weight,
        time_in_mesh_weight: 0.0324,
        time_in_mesh_quantum: slot,
        time_in_mesh_cap: 300.0,
        first_message_deliveries_weight: 1.0,
        first_message_deliveries_decay: decay(epoch * 20),
        first_message_deliveries_cap: 23.0,
        mesh_message_deliveries_weight: 0.0,
        mesh_message_deliveries_threshold: 0.0,
        mesh_message_deliveries_cap: 0.0,
        mesh_message_deliveries_decay: 0.5,
        mesh_message_deliveries_window: Duration::from_secs(2),
        mesh_message_deliveries_activation: epoch * 4,
        mesh_failure_penalty_weight: 0.0,
        mesh_failure_penalty_decay: 0.5,
        invalid_message_deliveries_weight: -214.0 / weight.max(0.01),
        invalid_message_deliveries_decay: decay(epoch * 50),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_and_invalid_payloads_are_refused_before_decompressing() {
        let ok = snap::raw::Encoder::new()
            .compress_vec(&[7u8; 1000])
            .unwrap();
        assert_eq!(decompress_gossip(&ok).unwrap(), vec![7u8; 1000]);
        // 2 MiB of zeros compresses to ~100 KiB: refused on its declared length.
        let big = snap::raw::Encoder::new()
            .compress_vec(&vec![0u8; 2 * GOSSIP_MAX_SIZE])
            .unwrap();
        assert!(big.len() < GOSSIP_MAX_SIZE);
        let err = decompress_gossip(&big).unwrap_err();
        assert!(err.to_string().contains("GOSSIP_MAX_SIZE"), "{err}");
        assert!(decompress_gossip(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
        assert!(SnappyTransform
            .outbound_transform(&TopicHash::from_raw("t"), vec![0u8; GOSSIP_MAX_SIZE + 1])
            .is_err());
    }

    #[test]
    fn the_message_id_hashes_the_domain_and_the_decompressed_data() {
        let message = Message {
            source: None,
            data: b"hello".to_vec(),
            sequence_number: None,
            topic: TopicHash::from_raw("t"),
        };
        let mut expected = Sha256::new();
        expected.update([1, 0, 0, 0]);
        expected.update(b"hello");
        assert_eq!(message_id(&message).0, expected.finalize()[..20].to_vec());
        assert!(config(6).is_ok());
        score_params(6, 32).validate().unwrap();
        topic_score_params(0.5, Duration::from_secs(6), 32)
            .validate()
            .unwrap();
    }
}
