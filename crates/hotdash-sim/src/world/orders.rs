//! One order, generated alone from `(seed, index)`: first a plan (every random draw, in a fixed
//! sequence, including events that lie in the future), then the order as it stands at some
//! instant. Because the draws never depend on that instant, re-reading a plan later is how the
//! order moves on in live mode: OPEN → IN_PROGRESS → CLOSED, in transit → delivered, refunded.

mod state;

use rand::Rng;
use time::{Duration, OffsetDateTime};

use super::calendar::{add_business_minutes, local_date, minutes, whole_seconds};
use super::catalog::{AN_SIZES, CANADA_WH, Catalog, Category, MAIN_WH};
use super::customers::{self, Customer};
use super::ids;
use super::rng::{Cumulative, Stream, apportion, chance, lognormal, rng_for, weighted};

pub(crate) use state::{Materialized, StockEffect, materialize};

/// Basket-building tables over the catalog's sellable variants.
#[derive(Debug, Clone)]
pub(crate) struct Picker {
    /// Per category: a pick table and the sellable positions it indexes.
    by_category: Vec<(Cumulative, Vec<usize>)>,
    /// Per (category, AN size): the same, for buyers who stay in one line size.
    by_size: Vec<((usize, u8), Cumulative, Vec<usize>)>,
    customer_pool: u64,
}

fn category_position(c: Category) -> usize {
    Category::ALL.iter().position(|x| *x == c).unwrap_or(0)
}

impl Picker {
    pub(crate) fn new(catalog: &Catalog, expected_orders: u64) -> Picker {
        let by_category = Category::ALL
            .iter()
            .map(|cat| {
                let members: Vec<usize> = (0..catalog.sellable.len())
                    .filter(|i| catalog.sellable[*i].category == *cat)
                    .collect();
                let table = Cumulative::new(members.iter().map(|i| catalog.sellable[*i].weight));
                (table, members)
            })
            .collect();
        let mut by_size = Vec::new();
        for (c_pos, cat) in Category::ALL.iter().enumerate() {
            for (size, _) in AN_SIZES {
                let members: Vec<usize> = (0..catalog.sellable.len())
                    .filter(|i| {
                        catalog.sellable[*i].category == *cat
                            && catalog.sellable[*i].an_size == Some(size)
                    })
                    .collect();
                if !members.is_empty() {
                    let table =
                        Cumulative::new(members.iter().map(|i| catalog.sellable[*i].weight));
                    by_size.push(((c_pos, size), table, members));
                }
            }
        }
        Picker {
            by_category,
            by_size,
            customer_pool: customers::pool_size(expected_orders),
        }
    }

    fn pick(
        &self,
        rng: &mut impl Rng,
        catalog: &Catalog,
        cat: Category,
        size: u8,
    ) -> Option<usize> {
        let c_pos = category_position(cat);
        if chance(rng, 0.8)
            && let Some((_, table, members)) =
                self.by_size.iter().find(|(k, _, _)| *k == (c_pos, size))
        {
            return Some(catalog.sellable[members[table.pick(rng)]].variant);
        }
        let (table, members) = &self.by_category[c_pos];
        if table.is_empty() {
            return None;
        }
        Some(catalog.sellable[members[table.pick(rng)]].variant)
    }
}

const ANCHOR: [(Category, f64); 9] = [
    (Category::Hose, 0.25),
    (Category::HoseEnd, 0.2),
    (Category::Adapter, 0.1),
    (Category::Pump, 0.12),
    (Category::Regulator, 0.06),
    (Category::Filter, 0.07),
    (Category::Tool, 0.04),
    (Category::Kit, 0.1),
    (Category::Part, 0.05),
];

const COMPANION: [(Category, f64); 9] = [
    (Category::Hose, 0.12),
    (Category::HoseEnd, 0.34),
    (Category::Adapter, 0.25),
    (Category::Pump, 0.02),
    (Category::Regulator, 0.04),
    (Category::Filter, 0.08),
    (Category::Tool, 0.08),
    (Category::Kit, 0.01),
    (Category::Part, 0.06),
];

#[derive(Debug, Clone)]
pub(crate) struct PlanLine {
    /// Variant position in the catalog.
    pub variant: usize,
    pub quantity: i64,
    pub unit_price: i64,
    pub discount: i64,
    pub tax: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct PlanFo {
    /// Location position (`MAIN_WH` or `CANADA_WH`).
    pub location: usize,
    pub lines: Vec<usize>,
    pub hold: Option<(OffsetDateTime, OffsetDateTime)>,
    pub pick_at: OffsetDateTime,
    pub ship_at: OffsetDateTime,
    pub carrier: &'static str,
    pub tracking: String,
    pub in_transit_at: OffsetDateTime,
    pub out_for_delivery_at: OffsetDateTime,
    pub attempted_at: Option<OffsetDateTime>,
    /// None when the parcel is lost (display status FAILURE).
    pub delivered_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone)]
pub(crate) struct PlanRefund {
    pub at: OffsetDateTime,
    /// (line position, quantity, restocked)
    pub lines: Vec<(usize, i64, bool)>,
    /// Refunds everything, shipping included.
    pub full: bool,
    pub note: &'static str,
}

#[derive(Debug, Clone)]
pub(crate) struct Cancel {
    pub at: OffsetDateTime,
    /// Payment was never captured, so the order is voided rather than refunded.
    pub void: bool,
}

/// Everything about one order, decided up front.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub index: u64,
    pub created: OffsetDateTime,
    pub customer: Customer,
    pub web: bool,
    pub tags: Vec<String>,
    pub lines: Vec<PlanLine>,
    pub subtotal: i64,
    pub discounts: i64,
    pub shipping: i64,
    pub tax: i64,
    pub total: i64,
    pub presentment: (&'static str, f64),
    pub discount_code: Option<&'static str>,
    pub shipping_title: &'static str,
    /// When payment lands, if it did not at checkout (net terms, eChecks).
    pub paid_at: Option<OffsetDateTime>,
    pub cancel: Option<Cancel>,
    pub fos: Vec<PlanFo>,
    pub refund: Option<PlanRefund>,
}

impl Plan {
    pub(crate) fn name(&self) -> String {
        format!("#{}", ids::FIRST_ORDER_NUMBER + self.index)
    }
}

fn tracking_number(rng: &mut impl Rng, carrier: &str) -> String {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
    fn digits(rng: &mut impl Rng, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
            .collect()
    }
    match carrier {
        "UPS" => {
            let account: String = (0..6)
                .map(|_| char::from(ALNUM[rng.random_range(0..ALNUM.len())]))
                .collect();
            format!("1Z{account}{}", digits(rng, 10))
        }
        "USPS" => format!("9400{}", digits(rng, 18)),
        _ => digits(rng, 16),
    }
}

/// Rounds to whole seconds after adding a random delay, so stored times look like Shopify's.
fn after(t: OffsetDateTime, d: Duration) -> OffsetDateTime {
    whole_seconds(t + d)
}

/// Plans order `index`, created at `created`. Every draw happens here, in a fixed order.
pub(crate) fn plan(
    seed: u64,
    catalog: &Catalog,
    picker: &Picker,
    index: u64,
    created: OffsetDateTime,
) -> Plan {
    let mut rng = rng_for(seed, Stream::Order, index);
    let customer = customers::customer(seed, customers::pick(&mut rng, picker.customer_pool));
    let canadian = customer.country_code == "CA";
    let web = !customer.wholesale || chance(&mut rng, 0.3);

    // The basket: one AN size for the build, an anchor item and companions.
    let size = AN_SIZES[weighted(&mut rng, &AN_SIZES.map(|(_, w)| w))].0;
    let line_count = 1 + weighted(&mut rng, &[0.38, 0.32, 0.2, 0.1]);
    let mut lines: Vec<PlanLine> = Vec::new();
    for n in 0..line_count {
        let table = if n == 0 { &ANCHOR } else { &COMPANION };
        let cat = table[weighted(&mut rng, &table.map(|(_, w)| w))].0;
        let Some(variant) = picker.pick(&mut rng, catalog, cat, size) else {
            continue;
        };
        let mut quantity: i64 = match cat {
            Category::HoseEnd => [1, 2, 2, 2, 4, 4, 6, 8][rng.random_range(0..8)],
            Category::Adapter => 1 + weighted(&mut rng, &[0.55, 0.3, 0.15]) as i64,
            Category::Hose => 1 + i64::from(chance(&mut rng, 0.12)),
            Category::Tool | Category::Part => 1 + i64::from(chance(&mut rng, 0.08)),
            _ => 1,
        };
        if customer.wholesale
            && matches!(cat, Category::HoseEnd | Category::Adapter | Category::Hose)
        {
            quantity *= rng.random_range(3..=8);
        }
        if let Some(existing) = lines.iter_mut().find(|l| l.variant == variant) {
            existing.quantity += quantity;
        } else {
            let (_, v) = catalog.variant_at(variant);
            lines.push(PlanLine {
                variant,
                quantity,
                unit_price: v.price_cents,
                discount: 0,
                tax: 0,
            });
        }
    }
    let subtotal: i64 = lines.iter().map(|l| l.unit_price * l.quantity).sum();
    let has_kit = lines.iter().any(|l| {
        catalog
            .variant_at(l.variant)
            .0
            .tags
            .iter()
            .any(|t| t == "BUNDLE:TRUE")
    });

    // Discount codes: seasonal promotions, a welcome code, kit promotions, wholesale pricing.
    let day = local_date(created);
    let black_friday_week = day.month() == time::Month::November && day.day() >= 22
        || day.month() == time::Month::December && day.day() <= 2;
    let mut tags = Vec::new();
    let code: Option<(&'static str, i64)> = if customer.wholesale {
        tags.push("wholesale".to_owned());
        Some(("WHOLESALE25", subtotal / 4))
    } else if black_friday_week && chance(&mut rng, 0.55) {
        Some(("BLACKFRIDAY20", subtotal / 5))
    } else if has_kit && chance(&mut rng, 0.2) {
        Some(("LSSWAP15", subtotal * 15 / 100))
    } else if chance(&mut rng, 0.1) {
        match rng.random_range(0..3) {
            0 if subtotal >= 5000 => Some(("WELCOME5", 500)),
            1 => Some((
                if (3..=8).contains(&(day.month() as u8)) {
                    "SUMMER10"
                } else {
                    "TECHTALK10"
                },
                subtotal / 10,
            )),
            _ => Some(("SPRING10", subtotal / 10)),
        }
    } else {
        None
    };
    if has_kit {
        tags.push("ls-swap".to_owned());
    }
    let discounts = code.map_or(0, |(_, d)| d.min(subtotal));
    let gross: Vec<f64> = lines
        .iter()
        .map(|l| (l.unit_price * l.quantity) as f64)
        .collect();
    for (line, d) in lines.iter_mut().zip(apportion(discounts, &gross)) {
        line.discount = d;
    }
    let net = subtotal - discounts;

    // Shipping per the store's policy: $8.95 under $75, free at $75+, paid upgrades, Canada flat.
    let mut shipping = if canadian {
        2495
    } else {
        match weighted(&mut rng, &[0.885, 0.09, 0.025]) {
            1 => 1895,
            2 => 3595,
            _ if net < 7500 => 895,
            _ => 0,
        }
    };
    let upgraded = !canadian && shipping > 895;
    let shipping_title = match shipping {
        _ if canadian => "Canada Flat Rate",
        0 => "Free Shipping",
        1895 => "UPS 2-Day",
        3595 => "UPS Next Day Air",
        _ => "Standard Shipping",
    };
    if chance(&mut rng, 0.04) {
        shipping += 595; // signature confirmation
    }

    // Tax: Arizona and the few states with nexus; GST for Canada.
    let rate = if canadian {
        0.05
    } else if chance(&mut rng, 0.3) {
        [0.056, 0.0725, 0.0625, 0.086][rng.random_range(0..4)]
    } else {
        0.0
    };
    let tax = (net as f64 * rate).round() as i64;
    let nets: Vec<f64> = lines
        .iter()
        .map(|l| (l.unit_price * l.quantity - l.discount) as f64)
        .collect();
    for (line, t) in lines.iter_mut().zip(apportion(tax, &nets)) {
        line.tax = t;
    }
    let total = net + shipping + tax;
    let presentment = if canadian {
        let wobble = (day.to_julian_day() % 97) as f64 / 97.0;
        (
            "CAD",
            ((1.35 + 0.04 * wobble) * 10_000.0).round() / 10_000.0,
        )
    } else {
        ("USD", 1.0)
    };

    // Payment: wholesale accounts often pay on net terms; a few web payments clear late.
    let paid_at = if customer.wholesale && !web && chance(&mut rng, 0.4) {
        Some(after(created, Duration::days(rng.random_range(7..30))))
    } else if chance(&mut rng, 0.02) {
        Some(after(created, Duration::hours(rng.random_range(30..200))))
    } else {
        None
    };

    // Fulfilment orders: Canadian buyers ship from Canada WH when it stocks the item.
    let mut fos: Vec<PlanFo> = Vec::new();
    for (pos, line) in lines.iter().enumerate() {
        let stocked = catalog
            .stocked_in_canada
            .get(line.variant)
            .copied()
            .unwrap_or(false);
        let location = if canadian && stocked {
            CANADA_WH
        } else {
            MAIN_WH
        };
        match fos.iter_mut().find(|f| f.location == location) {
            Some(fo) => fo.lines.push(pos),
            None => fos.push(PlanFo {
                location,
                lines: vec![pos],
                hold: None,
                pick_at: created,
                ship_at: created,
                carrier: "",
                tracking: String::new(),
                in_transit_at: created,
                out_for_delivery_at: created,
                attempted_at: None,
                delivered_at: None,
            }),
        }
    }
    let hold = chance(&mut rng, 0.03).then(|| {
        (
            created,
            after(created, minutes(lognormal(&mut rng, 1_200.0, 0.6))),
        )
    });
    for fo in &mut fos {
        fo.hold = hold;
        let mut ready = hold.map_or(created, |(_, end)| end);
        if web && let Some(paid) = paid_at {
            ready = ready.max(paid);
        }
        fo.pick_at = whole_seconds(add_business_minutes(ready, lognormal(&mut rng, 150.0, 0.8)));
        fo.ship_at = whole_seconds(add_business_minutes(
            fo.pick_at,
            lognormal(&mut rng, 40.0, 0.6),
        ));
        fo.carrier = if fo.location == CANADA_WH {
            if chance(&mut rng, 0.75) {
                "Canada Post"
            } else {
                "UPS"
            }
        } else if upgraded || chance(&mut rng, 0.4) {
            "UPS"
        } else {
            "USPS"
        };
        fo.tracking = tracking_number(&mut rng, fo.carrier);
        fo.in_transit_at = after(fo.ship_at, Duration::minutes(rng.random_range(90..1_200)));
        let transit_days = match (fo.carrier, shipping) {
            (_, 3595 | 4190) => 1,
            (_, 1895 | 2490) => 2,
            ("Canada Post", _) => rng.random_range(3..9),
            (_, _) if canadian => rng.random_range(4..10),
            _ => rng.random_range(2..6),
        };
        let delivered = after(
            fo.in_transit_at,
            Duration::days(transit_days) + Duration::minutes(rng.random_range(-300..300)),
        );
        fo.out_for_delivery_at = after(delivered, -Duration::minutes(rng.random_range(60..420)));
        if chance(&mut rng, 0.015) {
            fo.attempted_at = Some(delivered);
            fo.delivered_at = Some(after(delivered, Duration::hours(rng.random_range(20..28))));
        } else if chance(&mut rng, 0.003) {
            fo.delivered_at = None;
        } else {
            fo.delivered_at = Some(delivered);
        }
    }

    // Cancellations happen before anything ships.
    let first_pick = fos.iter().map(|f| f.pick_at).min().unwrap_or(created);
    let cancel = if chance(&mut rng, 0.015) {
        let at = after(
            created,
            minutes(rng.random_range(10.0..(first_pick - created).whole_minutes().max(11) as f64)),
        );
        let void = paid_at.is_some() || chance(&mut rng, 0.5);
        (at < first_pick).then_some(Cancel { at, void })
    } else {
        None
    };

    // Returns and adjustments after delivery.
    let delivered_last = fos.iter().map(|f| f.delivered_at).max().flatten();
    let refund = match (&cancel, delivered_last) {
        (Some(c), _) if !c.void => Some(PlanRefund {
            at: c.at,
            lines: lines
                .iter()
                .enumerate()
                .map(|(i, l)| (i, l.quantity, true))
                .collect(),
            full: true,
            note: "Order canceled",
        }),
        (None, Some(delivered)) if chance(&mut rng, 0.06) => {
            let at = after(delivered, minutes(lognormal(&mut rng, 8.0 * 1_440.0, 0.6)));
            if chance(&mut rng, 0.3) {
                let restock = chance(&mut rng, 0.7);
                Some(PlanRefund {
                    at,
                    lines: lines
                        .iter()
                        .enumerate()
                        .map(|(i, l)| (i, l.quantity, restock))
                        .collect(),
                    full: true,
                    note: "Returned: wrong size for the build",
                })
            } else {
                let pos = rng
                    .random_range(0..lines.len().max(1))
                    .min(lines.len().saturating_sub(1));
                let qty = rng.random_range(1..=lines.get(pos).map_or(1, |l| l.quantity.max(1)));
                let restock = chance(&mut rng, 0.55);
                let note = if restock {
                    "Returned unused"
                } else {
                    [
                        "Damaged in shipping",
                        "Price adjustment",
                        "Missing part, refunded",
                    ][rng.random_range(0..3)]
                };
                Some(PlanRefund {
                    at,
                    lines: vec![(pos, qty, restock)],
                    full: false,
                    note,
                })
            }
        }
        _ => None,
    };

    Plan {
        index,
        created,
        customer,
        web,
        tags,
        lines,
        subtotal,
        discounts,
        shipping,
        tax,
        total,
        presentment,
        discount_code: code.map(|(c, _)| c),
        shipping_title,
        paid_at,
        cancel,
        fos,
        refund,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::catalog;
    use crate::world::model::FulfillmentOrderStatus;
    use time::macros::datetime;

    #[test]
    fn an_order_only_moves_forward_and_then_settles() {
        let now = datetime!(2026-06-15 18:00 UTC);
        let catalog = catalog::build(3, now - Duration::days(900), now - Duration::days(365), now);
        let picker = Picker::new(&catalog, 10_000);
        for index in 0..300 {
            let created = now - Duration::minutes(index as i64 * 97);
            let plan = plan(3, &catalog, &picker, index, created);
            let mut last = created;
            for days in [0, 1, 3, 10, 60, 365] {
                let m = materialize(&plan, &catalog, created + Duration::days(days));
                assert!(
                    m.order.updated_at >= last,
                    "order {index} went back in time"
                );
                last = m.order.updated_at;
                if days == 365 {
                    assert!(
                        m.next_event.is_none(),
                        "order {index} still has events a year on"
                    );
                    assert!(m.order.fulfillment_orders.iter().all(|f| matches!(
                        f.status,
                        FulfillmentOrderStatus::Closed | FulfillmentOrderStatus::Cancelled
                    )));
                    assert!(m.effects.iter().all(|e| e.committed == 0));
                }
            }
            let again = super::plan(3, &catalog, &picker, index, created);
            assert_eq!(again.total, plan.total, "plans are repeatable");
        }
    }
}
