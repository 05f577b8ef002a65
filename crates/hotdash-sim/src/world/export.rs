//! Ground truth: the whole store as JSON lines, one record per line tagged by kind, so tests
//! can prove that what HotDash stored equals the source. Orders stream one at a time in
//! creation order, so the large scale exports without holding its orders.

use std::io::{BufWriter, Write};

use serde::Serialize;

use super::World;

#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    kind: &'static str,
    record: &'a T,
}

fn line<T: Serialize>(out: &mut impl Write, kind: &'static str, record: &T) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &Line { kind, record })?;
    out.write_all(b"\n")
}

pub(crate) fn write(world: &World, out: &mut dyn Write) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, out);
    line(&mut out, "shop", world.shop())?;
    for r in world.locations() {
        line(&mut out, "location", r)?;
    }
    for p in world.products() {
        line(&mut out, "product", p)?;
    }
    for v in world.products().iter().flat_map(|p| &p.variants) {
        line(&mut out, "variant", v)?;
    }
    for r in world.inventory_items() {
        line(&mut out, "inventory_item", r)?;
    }
    for r in world.inventory_levels() {
        line(&mut out, "inventory_level", r)?;
    }
    for order in world.orders_by_created_at(None, None, None) {
        line(&mut out, "order", &order)?;
    }
    for r in world.agents() {
        line(&mut out, "agent", r)?;
    }
    for r in world.inboxes() {
        line(&mut out, "inbox", r)?;
    }
    for r in world.contacts() {
        line(&mut out, "contact", r)?;
    }
    for r in world.conversations() {
        line(&mut out, "conversation", r)?;
    }
    let (first, last) = world.traffic_days();
    let mut day = first;
    while day <= last {
        for row in world.traffic(day) {
            line(&mut out, "traffic_row", &row)?;
        }
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    out.flush()
}
