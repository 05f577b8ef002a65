//! Buyers: fake but plausible names and emails (example.com / example.ca), derived from the
//! customer's index alone so any order can name its buyer without a customer table.

use rand::Rng;

use super::ids::CUSTOMER_BASE;
use super::rng::{Stream, chance, rng_for};

const FIRST: [&str; 48] = [
    "Mike", "Dave", "Chris", "Jason", "Tony", "Rick", "Steve", "Brian", "Kevin", "Matt", "Ryan",
    "Josh", "Travis", "Cody", "Dustin", "Brandon", "Gary", "Randy", "Dale", "Wayne", "Jim", "Bill",
    "Tom", "Scott", "Sarah", "Jessica", "Amanda", "Katie", "Megan", "Lisa", "Danielle", "Rachel",
    "Luis", "Carlos", "Miguel", "Juan", "Hector", "Andre", "Marcus", "Derek", "Shane", "Troy",
    "Kyle", "Owen", "Liam", "Noah", "Emily", "Nicole",
];

const LAST: [&str; 48] = [
    "Johnson",
    "Miller",
    "Davis",
    "Garcia",
    "Rodriguez",
    "Wilson",
    "Martinez",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Allen",
    "Young",
    "King",
    "Wright",
    "Lopez",
    "Hill",
    "Scott",
    "Green",
    "Adams",
    "Baker",
    "Nelson",
    "Carter",
    "Mitchell",
    "Roberts",
    "Turner",
    "Phillips",
    "Campbell",
    "Parker",
    "Evans",
    "Edwards",
    "Collins",
    "Stewart",
    "Morris",
    "Murphy",
    "Cook",
    "Rogers",
    "Tremblay",
];

#[derive(Debug, Clone)]
pub(crate) struct Customer {
    pub id: u64,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: String,
    pub phone: Option<String>,
    /// "US" or "CA"
    pub country_code: &'static str,
    /// Repair shops buying in bulk, usually over the phone as draft orders.
    pub wholesale: bool,
}

impl Customer {
    pub(crate) fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// How many distinct buyers a store with `orders` orders has: most buy once, some come back.
pub(crate) fn pool_size(orders: u64) -> u64 {
    (orders * 3 / 4).max(20)
}

/// Picks the buyer of an order: low indices are the regulars, so a power law over the pool
/// gives a long tail of one-time buyers and a few who order every month.
pub(crate) fn pick(rng: &mut impl Rng, pool: u64) -> u64 {
    let u: f64 = rng.random();
    ((pool as f64) * u.powf(1.7)).floor().min((pool - 1) as f64) as u64
}

pub(crate) fn customer(seed: u64, index: u64) -> Customer {
    let mut rng = rng_for(seed, Stream::Customer, index);
    let first_name = FIRST[rng.random_range(0..FIRST.len())];
    let last_name = LAST[rng.random_range(0..LAST.len())];
    let canadian = chance(&mut rng, 0.12);
    let wholesale = chance(&mut rng, 0.03);
    let (country_code, domain) = if canadian {
        ("CA", "example.ca")
    } else {
        ("US", "example.com")
    };
    let email = if wholesale {
        format!(
            "parts{index}@{}-{}.{domain}",
            last_name.to_lowercase(),
            ["speed", "customs", "performance", "garage"][rng.random_range(0..4)]
        )
    } else {
        format!(
            "{}.{}{index}@{domain}",
            first_name.to_lowercase(),
            last_name.to_lowercase()
        )
    };
    // 555-01xx numbers are reserved for fiction.
    let phone = chance(&mut rng, 0.4).then(|| {
        let area = if canadian {
            604
        } else {
            [480, 602, 623, 520, 214, 909][rng.random_range(0..6)]
        };
        format!("+1{area}55501{:02}", rng.random_range(0..100))
    });
    Customer {
        id: CUSTOMER_BASE + index,
        first_name,
        last_name,
        email,
        phone,
        country_code,
        wholesale,
    }
}
