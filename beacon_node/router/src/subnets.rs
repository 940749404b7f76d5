//! Which attestation subnets the node joins (validator.md, "Attestation subnet
//! subscription"): `RANDOM_SUBNETS_PER_VALIDATOR` long-lived random subnets per validator
//! attached to the node (learned from its validator client's committee subscriptions), each
//! kept for `EPOCHS_PER_RANDOM_SUBNET_SUBSCRIPTION` epochs and then drawn again, advertised in
//! the ENR; and a short-lived subscription to the subnet of each committee one of those
//! validators aggregates for, until the end of its slot.

use eth2_api_types::BeaconCommitteeSubscription;
use network::topics::ATTESTATION_SUBNET_COUNT;
use network::NetworkCommand;
use rand::Rng;
use state_processing::validator::compute_subnet_for_attestation;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use types::{ChainSpec, EthSpec, Slot};

#[derive(Debug, Default)]
pub struct SubnetService {
    /// Validator index → when its random subnets are drawn again.
    validators: HashMap<u64, Instant>,
}

impl SubnetService {
    /// The subscriptions to make for these committee subscriptions, `current_slot` being now
    /// and a slot lasting `slot_duration`.
    pub fn on_subscriptions<E: EthSpec>(
        &mut self,
        subscriptions: &[BeaconCommitteeSubscription],
        current_slot: Slot,
        slot_duration: Duration,
        spec: &ChainSpec,
    ) -> Vec<NetworkCommand<E>> {
        let now = Instant::now();
        // One command per subnet and kind, the latest end winning: a validator client with
        // 16,384 validators sends as many subscriptions at once, and one command each would
        // overflow the network's command queue for the sake of 64 subnets.
        let mut joins: HashMap<(u64, bool), Instant> = HashMap::new();
        let mut join = |subnet: u64, until: Instant, long_lived: bool| {
            let end = joins.entry((subnet, long_lived)).or_insert(until);
            *end = (*end).max(until);
        };
        for sub in subscriptions {
            // Subscriptions for slots long past or far ahead are ignored (the validator client
            // asks for the current and next epoch; anything else is a mistake or junk).
            let horizon = current_slot.saturating_add(2 * E::slots_per_epoch());
            if sub.slot.saturating_add(1) < current_slot || sub.slot > horizon {
                continue;
            }
            if sub.is_aggregator {
                let subnet = compute_subnet_for_attestation::<E>(
                    sub.committees_at_slot,
                    sub.slot,
                    sub.committee_index,
                );
                // Until the end of the aggregation slot, with a slot of margin; bounded by
                // the horizon above.
                let slots_left = sub.slot.saturating_add(2).saturating_sub(current_slot) as u32;
                join(subnet, now + slot_duration * slots_left, false);
            }
            let redraw_due = self
                .validators
                .get(&sub.validator_index)
                .is_none_or(|until| *until <= now);
            if redraw_due {
                let slots = spec
                    .epochs_per_random_subnet_subscription
                    .clamp(1, 1 << 16)
                    .saturating_mul(E::slots_per_epoch());
                let period = slot_duration * u32::try_from(slots).unwrap_or(u32::MAX);
                let until = now + period;
                self.validators.insert(sub.validator_index, until);
                let mut rng = rand::thread_rng();
                for _ in 0..spec
                    .random_subnets_per_validator
                    .min(ATTESTATION_SUBNET_COUNT)
                {
                    join(rng.gen_range(0..ATTESTATION_SUBNET_COUNT), until, true);
                }
            }
        }
        let mut commands: Vec<NetworkCommand<E>> = joins
            .into_iter()
            .map(
                |((subnet, long_lived), until)| NetworkCommand::SubscribeSubnet {
                    subnet,
                    until,
                    long_lived,
                },
            )
            .collect();
        // In subnet order, so the commands do not depend on the map's order.
        commands.sort_by_key(|c| match c {
            NetworkCommand::SubscribeSubnet {
                subnet, long_lived, ..
            } => (*subnet, *long_lived),
            _ => (u64::MAX, false),
        });
        commands
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::MinimalEthSpec;

    #[test]
    fn aggregators_get_their_subnet_and_each_validator_one_random_subnet() {
        let spec = ChainSpec::minimal();
        let mut service = SubnetService::default();
        let subs = vec![
            BeaconCommitteeSubscription {
                validator_index: 3,
                committee_index: 1,
                committees_at_slot: 2,
                slot: 9,
                is_aggregator: true,
            },
            BeaconCommitteeSubscription {
                validator_index: 4,
                committee_index: 0,
                committees_at_slot: 2,
                slot: 9,
                is_aggregator: false,
            },
        ];
        let commands =
            service.on_subscriptions::<MinimalEthSpec>(&subs, 8, Duration::from_secs(6), &spec);
        let short: Vec<u64> = commands
            .iter()
            .filter_map(|c| match c {
                NetworkCommand::SubscribeSubnet {
                    subnet,
                    long_lived: false,
                    ..
                } => Some(*subnet),
                _ => None,
            })
            .collect();
        // Slot 9 is the second of its epoch (8 slots): 2 committees before it, index 1.
        assert_eq!(short, vec![3]);
        let long = commands
            .iter()
            .filter(|c| {
                matches!(
                    c,
                    NetworkCommand::SubscribeSubnet {
                        long_lived: true,
                        ..
                    }
                )
            })
            .count();
        // One random subnet per validator: two, or one if both drew the same subnet.
        assert!((1..=2).contains(&long), "{long} long-lived subscriptions");
        // The same validators again: nothing new but the aggregator's subnet.
        let again =
            service.on_subscriptions::<MinimalEthSpec>(&subs, 8, Duration::from_secs(6), &spec);
        assert_eq!(again.len(), 1);
        // Junk slots are ignored, not an overflow.
        let mut junk = subs[0].clone();
        junk.slot = u64::MAX;
        junk.validator_index = 99;
        assert!(service
            .on_subscriptions::<MinimalEthSpec>(&[junk.clone()], 8, Duration::from_secs(6), &spec)
            .is_empty());
        junk.slot = 0;
        junk.committees_at_slot = u64::MAX;
        junk.committee_index = u64::MAX;
        let current =
            service.on_subscriptions::<MinimalEthSpec>(&[junk], 0, Duration::from_secs(6), &spec);
        assert_eq!(
            current.len(),
            2,
            "a valid slot with odd committees still subscribes"
        );
    }

    #[test]
    fn thousands_of_subscriptions_become_at_most_one_command_per_subnet_and_kind() {
        let spec = ChainSpec::minimal();
        let mut service = SubnetService::default();
        let subs: Vec<BeaconCommitteeSubscription> = (0..16_384u64)
            .map(|validator_index| BeaconCommitteeSubscription {
                validator_index,
                committee_index: (validator_index / 8) % 4,
                committees_at_slot: 4,
                slot: 8 + validator_index % 8,
                // One aggregator for each of the 32 committees of slots 8..16.
                is_aggregator: validator_index < 32,
            })
            .collect();
        let commands =
            service.on_subscriptions::<MinimalEthSpec>(&subs, 8, Duration::from_secs(6), &spec);
        assert!(commands.len() <= 2 * ATTESTATION_SUBNET_COUNT as usize);
        let mut seen = std::collections::HashSet::new();
        for command in &commands {
            let NetworkCommand::SubscribeSubnet {
                subnet, long_lived, ..
            } = command
            else {
                panic!("only subscriptions expected");
            };
            assert!(seen.insert((*subnet, *long_lived)), "subnet {subnet} twice");
        }
        // Aggregators of 4 committees in each of 8 slots: 32 short-lived subnets.
        let short = commands
            .iter()
            .filter(|c| {
                matches!(
                    c,
                    NetworkCommand::SubscribeSubnet {
                        long_lived: false,
                        ..
                    }
                )
            })
            .count();
        assert_eq!(short, 32);
    }
}
