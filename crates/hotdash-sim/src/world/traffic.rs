//! GA4 traffic: one day's sessions by channel group, landing page and device, computed on
//! demand from the seed and the day. Sessions follow the orders the day was expected to have
//! (the real store converts about 0.94% of sessions); transactions and purchase revenue are
//! exactly that day's online, non-cancelled orders, spread over the rows that plausibly
//! produced them, so GA4 revenue can be checked against Shopify to the cent.

use rand::Rng;
use time::Date;

use super::World;
use super::calendar::{HOUR_WEIGHTS, local_midnight};
use super::catalog::Category;
use super::history::DaySales;
use super::model::{ProductStatus, TrafficRow};
use super::rng::{Cumulative, Stream, apportion, lognormal, poisson, rng_for};

/// Sessions per order: the real store's 4,167 sessions for 39 orders in 30 days.
const SESSIONS_PER_ORDER: f64 = 4_167.0 / 39.0;

/// (channel group, share of sessions, conversion factor, share of new users)
const CHANNELS: [(&str, f64, f64, f64); 8] = [
    ("Organic Search", 0.68, 1.0, 0.74),
    ("Direct", 0.12, 1.5, 0.45),
    ("Paid Search", 0.05, 1.3, 0.8),
    ("Organic Social", 0.05, 0.4, 0.82),
    ("Email", 0.03, 2.5, 0.12),
    ("Referral", 0.04, 0.8, 0.7),
    ("Paid Shopping", 0.02, 2.0, 0.85),
    ("Unassigned", 0.01, 0.5, 0.6),
];

/// (device, share, conversion factor, engagement rate)
const DEVICES: [(&str, f64, f64, f64); 3] = [
    ("mobile", 0.56, 0.7, 0.52),
    ("desktop", 0.39, 1.6, 0.64),
    ("tablet", 0.05, 1.0, 0.58),
];

/// Content pages and collections; product pages are added from the catalog.
const PAGES: [(&str, f64); 9] = [
    ("/", 0.2),
    ("/collections/an-fittings", 0.11),
    ("/collections/ptfe-hose", 0.07),
    ("/collections/fuel-pumps", 0.04),
    ("/collections/ls-swap", 0.04),
    ("/pages/an-sizing-guide", 0.1),
    ("/blogs/tech/ls-swap-fuel-system", 0.08),
    ("/blogs/tech/efi-conversion-guide", 0.05),
    ("/blogs/tech/ptfe-vs-rubber-fuel-hose", 0.04),
];

/// Share of sessions landing on product pages, spread by product popularity.
const PRODUCT_PAGES_SHARE: f64 = 0.27;

/// Landing pages with their share of sessions (computed once per world).
pub(crate) fn landing_pages(catalog: &super::catalog::Catalog) -> Vec<(String, f64)> {
    let mut pages: Vec<(String, f64)> = PAGES.iter().map(|(p, w)| ((*p).to_owned(), *w)).collect();
    let mut products: Vec<(usize, f64)> = Vec::new();
    for s in &catalog.sellable {
        let (p_pos, _) = catalog.variants_flat[s.variant];
        match products.iter_mut().find(|(p, _)| *p == p_pos) {
            Some((_, w)) => *w += s.weight,
            None => products.push((p_pos, s.weight)),
        }
    }
    // Small parts are rarely searched for by name; hose, kits and pumps are.
    for (p_pos, w) in &mut products {
        let boost = catalog
            .sellable
            .iter()
            .find(|s| catalog.variants_flat[s.variant].0 == *p_pos)
            .map_or(1.0, |s| match s.category {
                Category::Kit | Category::Pump | Category::Hose => 2.0,
                Category::Adapter | Category::Part => 0.6,
                _ => 1.0,
            });
        *w *= boost;
    }
    let total: f64 = products.iter().map(|(_, w)| w).sum();
    for (p_pos, w) in products {
        let product = &catalog.products[p_pos];
        if product.status == ProductStatus::Active {
            pages.push((
                format!("/products/{}", product.handle),
                PRODUCT_PAGES_SHARE * w / total,
            ));
        }
    }
    pages
}

/// The share of a day that has passed at `now` (1.0 for past days), weighted by traffic hours.
fn day_fraction(world: &World, date: Date) -> f64 {
    let elapsed = (world.now - local_midnight(date)).as_seconds_f64() / 3600.0;
    if elapsed >= 24.0 {
        return 1.0;
    }
    let total: f64 = HOUR_WEIGHTS.iter().sum();
    let mut done = 0.0;
    for (hour, w) in HOUR_WEIGHTS.iter().enumerate() {
        let h = hour as f64;
        done += w * (elapsed - h).clamp(0.0, 1.0);
    }
    done / total
}

pub(crate) fn day_rows(world: &World, date: Date, sales: DaySales) -> Vec<TrafficRow> {
    let mut rng = rng_for(
        world.config.seed,
        Stream::Traffic,
        date.to_julian_day() as u64,
    );
    let expected_orders = world.expected_orders(date);
    let sessions = expected_orders
        * SESSIONS_PER_ORDER
        * lognormal(&mut rng, 1.0, 0.08)
        * day_fraction(world, date);
    let pages = &world.landing_pages;

    let mut rows: Vec<TrafficRow> = Vec::new();
    let mut conversion: Vec<f64> = Vec::new();
    for (channel, c_share, c_conv, c_new) in CHANNELS {
        for (page, p_share) in pages {
            // Search lands on guides and blogs; shopping ads land on products; people typing
            // the address land on the home page.
            let affinity = match (channel, page.as_str()) {
                ("Organic Search", p) if p.starts_with("/blogs") || p.starts_with("/pages") => 1.5,
                ("Direct", "/") => 2.2,
                ("Paid Shopping", p) if p.starts_with("/products") => 3.5,
                ("Paid Shopping", _) => 0.1,
                ("Email" | "Organic Social", p) if p.starts_with("/blogs") => 2.0,
                _ => 1.0,
            };
            for (device, d_share, d_conv, engagement) in DEVICES {
                let mean = sessions * c_share * p_share * affinity * d_share;
                let n = poisson(&mut rng, mean) as i64;
                if n == 0 {
                    continue;
                }
                let users = ((n as f64) * rng.random_range(0.82..0.93)).round().max(1.0) as i64;
                let new_users = ((users as f64) * c_new * rng.random_range(0.9..1.1))
                    .round()
                    .min(users as f64) as i64;
                let engaged = ((n as f64) * engagement * rng.random_range(0.9..1.1))
                    .round()
                    .min(n as f64) as i64;
                let per_session = if page.starts_with("/products") {
                    3.4
                } else {
                    2.6
                };
                let views = ((n as f64) * lognormal(&mut rng, per_session, 0.15))
                    .round()
                    .max(n as f64) as i64;
                let duration = (n as f64) * lognormal(&mut rng, 150.0, 0.3);
                let page_conv = if page.starts_with("/products") {
                    1.6
                } else {
                    1.0
                };
                conversion.push(n as f64 * c_conv * d_conv * page_conv);
                rows.push(TrafficRow {
                    date,
                    channel_group: channel.to_owned(),
                    landing_page: page.clone(),
                    device_category: device.to_owned(),
                    sessions: n,
                    total_users: users,
                    new_users,
                    engaged_sessions: engaged,
                    screen_page_views: views,
                    session_duration_secs: (duration * 10.0).round() / 10.0,
                    // Newsletter sign-ups and contact-form leads, before purchases are added.
                    key_events: poisson(&mut rng, n as f64 * 0.004) as i64,
                    transactions: 0,
                    purchase_revenue_cents: 0,
                });
            }
        }
    }

    if sales.transactions > 0 {
        if rows.is_empty() {
            rows.push(TrafficRow {
                date,
                channel_group: "Direct".to_owned(),
                landing_page: "/".to_owned(),
                device_category: "desktop".to_owned(),
                sessions: 0,
                total_users: 0,
                new_users: 0,
                engaged_sessions: 0,
                screen_page_views: 0,
                session_duration_secs: 0.0,
                key_events: 0,
                transactions: 0,
                purchase_revenue_cents: 0,
            });
            conversion.push(1.0);
        }
        // Each purchase lands on a row in proportion to how well that row converts, and the
        // day's revenue is split across purchases so the day adds up to the cent.
        let table = Cumulative::new(conversion.iter().copied());
        let weights: Vec<f64> = (0..sales.transactions)
            .map(|_| lognormal(&mut rng, 1.0, 0.5))
            .collect();
        let amounts = apportion(sales.revenue_cents, &weights);
        for amount in amounts {
            let row = &mut rows[table.pick(&mut rng)];
            row.transactions += 1;
            row.key_events += 1;
            row.purchase_revenue_cents += amount;
        }
        // A purchase needs a session (and an engaged one, by GA4's definition).
        for row in &mut rows {
            if row.sessions < row.transactions {
                row.sessions = row.transactions;
                row.total_users = row.total_users.max(row.transactions);
                row.screen_page_views = row.screen_page_views.max(row.sessions * 4);
                row.session_duration_secs =
                    row.session_duration_secs.max(row.sessions as f64 * 240.0);
            }
            row.engaged_sessions = row.engaged_sessions.max(row.transactions);
        }
    }
    rows
}
