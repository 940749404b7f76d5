//! The slot clock: which slot it is, from the genesis time and `SECONDS_PER_SLOT`.
//!
//! One trait, two clocks: the system clock for a running node and a manual one the harness
//! moves, so the same chain code runs in real time and in tests without sleeping.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use types::Slot;

/// A source of the current time, in slots.
pub trait SlotClock: Send + Sync {
    /// Time since the Unix epoch, if the system clock is sane.
    fn now_duration(&self) -> Option<Duration>;
    /// The genesis time, since the Unix epoch.
    fn genesis_duration(&self) -> Duration;
    /// `SECONDS_PER_SLOT`.
    fn slot_duration(&self) -> Duration;

    /// The slot at time `t`, or None before genesis.
    fn slot_of(&self, t: Duration) -> Option<Slot> {
        let since_genesis = t.checked_sub(self.genesis_duration())?;
        let slot_nanos = self.slot_duration().as_nanos().max(1);
        Slot::try_from(since_genesis.as_nanos() / slot_nanos).ok()
    }

    /// The current slot, or None before genesis.
    fn now(&self) -> Option<Slot> {
        self.slot_of(self.now_duration()?)
    }

    /// The slot it will be `tolerance` from now (gossip's MAXIMUM_GOSSIP_CLOCK_DISPARITY for
    /// messages from peers whose clocks run slightly ahead).
    fn now_with_future_tolerance(&self, tolerance: Duration) -> Option<Slot> {
        self.slot_of(self.now_duration()?.checked_add(tolerance)?)
    }

    /// The slot it was `tolerance` ago.
    fn now_with_past_tolerance(&self, tolerance: Duration) -> Option<Slot> {
        self.slot_of(self.now_duration()?.saturating_sub(tolerance))
    }

    /// When `slot` starts, since the Unix epoch.
    fn start_of(&self, slot: Slot) -> Option<Duration> {
        let offset = self
            .slot_duration()
            .checked_mul(u32::try_from(slot).ok()?)?;
        self.genesis_duration().checked_add(offset)
    }

    /// Time until the next slot starts (zero before genesis means: wait for genesis instead).
    fn duration_to_next_slot(&self) -> Option<Duration> {
        let now = self.now_duration()?;
        match self.slot_of(now) {
            Some(slot) => self.start_of(slot.checked_add(1)?)?.checked_sub(now),
            None => self.genesis_duration().checked_sub(now),
        }
    }
}

/// The wall clock.
#[derive(Debug, Clone)]
pub struct SystemTimeSlotClock {
    genesis: Duration,
    slot_duration: Duration,
}

impl SystemTimeSlotClock {
    /// A clock for a chain starting at `genesis_time` (unix seconds).
    pub fn new(genesis_time: u64, seconds_per_slot: u64) -> Self {
        SystemTimeSlotClock {
            genesis: Duration::from_secs(genesis_time),
            slot_duration: Duration::from_secs(seconds_per_slot),
        }
    }
}

impl SlotClock for SystemTimeSlotClock {
    fn now_duration(&self) -> Option<Duration> {
        SystemTime::now().duration_since(UNIX_EPOCH).ok()
    }
    fn genesis_duration(&self) -> Duration {
        self.genesis
    }
    fn slot_duration(&self) -> Duration {
        self.slot_duration
    }
}

/// A clock that moves only when told to (tests, simulations).
#[derive(Debug)]
pub struct ManualSlotClock {
    genesis: Duration,
    slot_duration: Duration,
    now: Mutex<Duration>,
}

impl ManualSlotClock {
    /// A clock at the start of slot 0 of a chain starting at `genesis_time`.
    pub fn new(genesis_time: u64, seconds_per_slot: u64) -> Self {
        let genesis = Duration::from_secs(genesis_time);
        ManualSlotClock {
            genesis,
            slot_duration: Duration::from_secs(seconds_per_slot),
            now: Mutex::new(genesis),
        }
    }

    /// Move to the start of `slot`.
    pub fn set_slot(&self, slot: Slot) {
        if let Some(t) = self.start_of(slot) {
            *self.now.lock().unwrap_or_else(|e| e.into_inner()) = t;
        }
    }

    /// Move to an exact time.
    pub fn set_time(&self, t: Duration) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }
}

impl SlotClock for ManualSlotClock {
    fn now_duration(&self) -> Option<Duration> {
        Some(*self.now.lock().unwrap_or_else(|e| e.into_inner()))
    }
    fn genesis_duration(&self) -> Duration {
        self.genesis
    }
    fn slot_duration(&self) -> Duration {
        self.slot_duration
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_time_and_tolerances() {
        let clock = ManualSlotClock::new(1000, 6);
        assert_eq!(clock.now(), Some(0));
        clock.set_time(Duration::from_millis(1_000_000 + 5_800));
        assert_eq!(clock.now(), Some(0));
        assert_eq!(
            clock.now_with_future_tolerance(Duration::from_millis(500)),
            Some(1)
        );
        clock.set_slot(3);
        assert_eq!(clock.now(), Some(3));
        assert_eq!(
            clock.now_with_past_tolerance(Duration::from_millis(500)),
            Some(2)
        );
        assert_eq!(clock.duration_to_next_slot(), Some(Duration::from_secs(6)));
        clock.set_time(Duration::from_secs(10));
        assert_eq!(clock.now(), None, "before genesis");
    }
}
