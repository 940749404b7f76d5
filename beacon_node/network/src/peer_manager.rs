//! What the node knows of each peer: connection state and direction, address, agent, the
//! peer's Status and MetaData, and a score that falls with misbehaviour and recovers with
//! time. A peer whose score falls below the disconnect threshold is sent away; below the ban
//! threshold it is banned for a while. Bans outlive disconnections; they expire.

use crate::rpc::{MetaData, StatusMessage};
use libp2p::{Multiaddr, PeerId};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Below this the peer is disconnected.
pub const DISCONNECT_SCORE: f64 = -20.0;
/// Below this the peer is banned.
pub const BAN_SCORE: f64 = -50.0;
/// How long a ban lasts.
pub const BAN_DURATION: Duration = Duration::from_secs(30 * 60);
/// Scores halve every this long (towards zero).
const SCORE_HALF_LIFE: Duration = Duration::from_secs(600);
/// How many disconnected peers are remembered (for the API and their bans).
const MAX_DISCONNECTED: usize = 500;

/// How bad a fault is: the score it costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerAction {
    /// Malicious or broken beyond doubt: banned at once.
    Fatal,
    /// A few of these get a peer banned.
    LowTolerance,
    /// Tens of these.
    MidTolerance,
    /// Hundreds of these (slow answers, a missed ping).
    HighTolerance,
}

impl PeerAction {
    fn penalty(self) -> f64 {
        match self {
            PeerAction::Fatal => 1000.0,
            PeerAction::LowTolerance => 10.0,
            PeerAction::MidTolerance => 5.0,
            PeerAction::HighTolerance => 1.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    Connected,
    Disconnecting,
    Disconnected,
}

impl ConnectionState {
    /// The Beacon API's `state` value.
    pub fn as_api_str(self) -> &'static str {
        match self {
            ConnectionState::Connected => "connected",
            ConnectionState::Disconnecting => "disconnecting",
            ConnectionState::Disconnected => "disconnected",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub fn as_api_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PeerInfo {
    pub state: ConnectionState,
    pub direction: Direction,
    pub address: Option<Multiaddr>,
    pub agent: Option<String>,
    pub status: Option<StatusMessage>,
    pub metadata: Option<MetaData>,
    score: f64,
    score_updated: Instant,
    pub last_seen: Instant,
}

impl PeerInfo {
    fn new(direction: Direction, address: Option<Multiaddr>, now: Instant) -> Self {
        PeerInfo {
            state: ConnectionState::Connected,
            direction,
            address,
            agent: None,
            status: None,
            metadata: None,
            score: 0.0,
            score_updated: now,
            last_seen: now,
        }
    }

    /// The score, decayed to `now`.
    pub fn score(&self, now: Instant) -> f64 {
        let elapsed = now
            .saturating_duration_since(self.score_updated)
            .as_secs_f64();
        self.score * 0.5f64.powf(elapsed / SCORE_HALF_LIFE.as_secs_f64())
    }
}

/// What the service should do after a penalty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    Disconnect,
    Ban,
}

#[derive(Debug, Default)]
pub struct PeerDb {
    peers: HashMap<PeerId, PeerInfo>,
    bans: HashMap<PeerId, Instant>,
}

impl PeerDb {
    pub fn connected(&mut self, peer: PeerId, direction: Direction, address: Option<Multiaddr>) {
        let now = Instant::now();
        match self.peers.get_mut(&peer) {
            Some(info) => {
                info.state = ConnectionState::Connected;
                info.direction = direction;
                info.address = address.or(info.address.take());
                info.last_seen = now;
            }
            None => {
                self.peers
                    .insert(peer, PeerInfo::new(direction, address, now));
            }
        }
    }

    pub fn disconnecting(&mut self, peer: &PeerId) {
        if let Some(info) = self.peers.get_mut(peer) {
            info.state = ConnectionState::Disconnecting;
        }
    }

    pub fn disconnected(&mut self, peer: &PeerId) {
        if let Some(info) = self.peers.get_mut(peer) {
            info.state = ConnectionState::Disconnected;
            info.last_seen = Instant::now();
        }
        self.forget_old_disconnected();
    }

    fn forget_old_disconnected(&mut self) {
        let disconnected = self
            .peers
            .values()
            .filter(|p| p.state == ConnectionState::Disconnected)
            .count();
        if disconnected <= MAX_DISCONNECTED {
            return;
        }
        let mut old: Vec<(PeerId, Instant)> = self
            .peers
            .iter()
            .filter(|(id, p)| {
                p.state == ConnectionState::Disconnected && !self.bans.contains_key(id)
            })
            .map(|(id, p)| (*id, p.last_seen))
            .collect();
        old.sort_by_key(|(_, seen)| *seen);
        for (id, _) in old.into_iter().take(disconnected - MAX_DISCONNECTED) {
            self.peers.remove(&id);
        }
    }

    pub fn get(&self, peer: &PeerId) -> Option<&PeerInfo> {
        self.peers.get(peer)
    }

    pub fn get_mut(&mut self, peer: &PeerId) -> Option<&mut PeerInfo> {
        self.peers.get_mut(peer)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&PeerId, &PeerInfo)> {
        self.peers.iter()
    }

    pub fn connected_count(&self) -> usize {
        self.peers
            .values()
            .filter(|p| p.state == ConnectionState::Connected)
            .count()
    }

    pub fn connected_ids(&self) -> Vec<PeerId> {
        self.peers
            .iter()
            .filter(|(_, p)| p.state == ConnectionState::Connected)
            .map(|(id, _)| *id)
            .collect()
    }

    pub fn is_connected(&self, peer: &PeerId) -> bool {
        self.peers
            .get(peer)
            .is_some_and(|p| p.state == ConnectionState::Connected)
    }

    /// Lower a peer's score; what to do with it now.
    pub fn penalize(&mut self, peer: &PeerId, action: PeerAction) -> Verdict {
        let now = Instant::now();
        let Some(info) = self.peers.get_mut(peer) else {
            return Verdict::Keep;
        };
        info.score = info.score(now) - action.penalty();
        info.score_updated = now;
        let score = info.score;
        crate::metrics::observe_penalty(action);
        if score <= BAN_SCORE {
            self.bans.insert(*peer, now + BAN_DURATION);
            Verdict::Ban
        } else if score <= DISCONNECT_SCORE {
            Verdict::Disconnect
        } else {
            Verdict::Keep
        }
    }

    pub fn ban(&mut self, peer: PeerId) {
        self.bans.insert(peer, Instant::now() + BAN_DURATION);
    }

    /// True while a ban is in force; expired bans are forgotten (and the score with them).
    pub fn is_banned(&mut self, peer: &PeerId) -> bool {
        let now = Instant::now();
        match self.bans.get(peer) {
            Some(until) if *until > now => true,
            Some(_) => {
                self.bans.remove(peer);
                if let Some(info) = self.peers.get_mut(peer) {
                    info.score = 0.0;
                    info.score_updated = now;
                }
                false
            }
            None => false,
        }
    }

    pub fn score(&self, peer: &PeerId) -> f64 {
        self.peers
            .get(peer)
            .map(|p| p.score(Instant::now()))
            .unwrap_or(0.0)
    }
}

/// A token bucket per (peer, method): `capacity` requests (or blocks) refilled over `period`.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: HashMap<(PeerId, u8), (f64, Instant)>,
}

impl RateLimiter {
    /// Take `cost` tokens from the bucket; false if there are not enough (nothing is taken).
    pub fn allow(
        &mut self,
        peer: PeerId,
        key: u8,
        cost: f64,
        capacity: f64,
        period: Duration,
    ) -> bool {
        let now = Instant::now();
        let (tokens, last) = self.buckets.entry((peer, key)).or_insert((capacity, now));
        let refill =
            now.saturating_duration_since(*last).as_secs_f64() / period.as_secs_f64() * capacity;
        *tokens = (*tokens + refill).min(capacity);
        *last = now;
        if cost > capacity {
            return false;
        }
        if *tokens >= cost {
            *tokens -= cost;
            true
        } else {
            false
        }
    }

    pub fn forget(&mut self, peer: &PeerId) {
        self.buckets.retain(|(p, _), _| p != peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penalties_disconnect_then_ban_and_bans_expire() {
        let mut db = PeerDb::default();
        let peer = PeerId::random();
        db.connected(peer, Direction::Inbound, None);
        assert_eq!(db.penalize(&peer, PeerAction::MidTolerance), Verdict::Keep);
        assert_eq!(db.penalize(&peer, PeerAction::LowTolerance), Verdict::Keep);
        assert_eq!(
            db.penalize(&peer, PeerAction::LowTolerance),
            Verdict::Disconnect
        );
        assert!(!db.is_banned(&peer));
        for _ in 0..3 {
            db.penalize(&peer, PeerAction::LowTolerance);
        }
        assert!(db.is_banned(&peer));
        // An expired ban is lifted and the score forgiven.
        db.bans
            .insert(peer, Instant::now() - Duration::from_secs(1));
        assert!(!db.is_banned(&peer));
        assert_eq!(db.score(&peer), 0.0);
        let other = PeerId::random();
        db.connected(other, Direction::Outbound, None);
        assert_eq!(db.penalize(&other, PeerAction::Fatal), Verdict::Ban);
    }

    #[test]
    fn scores_decay_towards_zero() {
        let now = Instant::now();
        let mut info = PeerInfo::new(Direction::Inbound, None, now);
        info.score = -40.0;
        let later = now + SCORE_HALF_LIFE;
        assert!((info.score(later) + 20.0).abs() < 1e-9);
    }

    #[test]
    fn the_rate_limiter_refuses_past_capacity_and_refills() {
        let mut limiter = RateLimiter::default();
        let peer = PeerId::random();
        let period = Duration::from_secs(3600);
        assert!(limiter.allow(peer, 0, 600.0, 1024.0, period));
        assert!(!limiter.allow(peer, 0, 600.0, 1024.0, period));
        assert!(limiter.allow(peer, 0, 400.0, 1024.0, period));
        assert!(
            !limiter.allow(peer, 0, 2000.0, 1024.0, period),
            "never more than capacity"
        );
        assert!(
            limiter.allow(PeerId::random(), 0, 600.0, 1024.0, period),
            "per peer"
        );
    }
}
