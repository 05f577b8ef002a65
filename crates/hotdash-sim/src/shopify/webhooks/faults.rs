//! Webhook delivery faults, switchable at runtime: duplicates (the same `X-Shopify-Webhook-Id`
//! sent twice), out-of-order deliveries (one held back until a later one to the same
//! subscription has gone) and drops (never sent, but recorded so reconciliation tests can count
//! the gap). Rolled from a seeded generator, so a fixed seed and event order repeat exactly.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Fault rates, each a probability per delivery in 0.0..=1.0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookFaults {
    /// Deliveries sent once more, with the same webhook id, after they succeed.
    pub duplicate_rate: f64,
    /// Deliveries held back and sent right after the next delivery to the same subscription.
    pub out_of_order_rate: f64,
    /// Deliveries never sent.
    pub drop_rate: f64,
}

/// What the dice decided for one delivery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Roll {
    pub drop: bool,
    pub hold: bool,
    pub duplicate: bool,
}

#[derive(Debug)]
pub(crate) struct Dice {
    pub faults: WebhookFaults,
    rng: ChaCha8Rng,
}

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice {
            faults: WebhookFaults::default(),
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Rolls every fault for one delivery; a dropped delivery is neither held nor duplicated.
    pub fn roll(&mut self) -> Roll {
        let f = &self.faults;
        if f == &WebhookFaults::default() {
            return Roll::default();
        }
        let (drop, hold, duplicate) = (f.drop_rate, f.out_of_order_rate, f.duplicate_rate);
        let mut chance = |p: f64| self.rng.random_bool(p.clamp(0.0, 1.0));
        let roll = Roll {
            drop: chance(drop),
            hold: chance(hold),
            duplicate: chance(duplicate),
        };
        if roll.drop {
            Roll {
                drop: true,
                ..Roll::default()
            }
        } else {
            roll
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_of_zero_and_one_are_exact_and_drop_wins() {
        let mut dice = Dice::new(7);
        assert_eq!(dice.roll(), Roll::default());
        dice.faults = WebhookFaults {
            duplicate_rate: 1.0,
            out_of_order_rate: 1.0,
            drop_rate: 0.0,
        };
        let all = Roll {
            drop: false,
            hold: true,
            duplicate: true,
        };
        assert_eq!(dice.roll(), all);
        dice.faults.drop_rate = 1.0;
        assert_eq!(
            dice.roll(),
            Roll {
                drop: true,
                ..Roll::default()
            }
        );
    }

    #[test]
    fn a_seed_repeats_its_rolls() {
        let faults = WebhookFaults {
            duplicate_rate: 0.3,
            out_of_order_rate: 0.3,
            drop_rate: 0.3,
        };
        let rolls = |seed| {
            let mut dice = Dice::new(seed);
            dice.faults = faults.clone();
            (0..50).map(|_| dice.roll()).collect::<Vec<_>>()
        };
        assert_eq!(rolls(1), rolls(1));
        assert_ne!(rolls(1), rolls(2));
        let drops = rolls(1).iter().filter(|r| r.drop).count();
        assert!((5..=25).contains(&drops), "{drops} drops in 50 at 0.3");
    }
}
