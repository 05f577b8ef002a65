//! Executing a validated document against the world with apollo-compiler's resolvers: one
//! `ObjectValue` per Shopify object HotDash reads, plus generic pieces (connections, money, and
//! a default for every other field).
//!
//! Fields the simulator does not model still answer as the schema says: null when nullable,
//! otherwise an empty list, a zero, an empty string or the enum's first value. So any valid query
//! runs, and what it cannot know is visibly empty rather than invented.

pub mod admin;
pub mod catalog;
pub mod fulfillment;
pub mod orders;
pub mod root;

use std::cell::RefCell;
use std::sync::Arc;

use apollo_compiler::Name;
use apollo_compiler::ast::Type;
use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::JsonValue;
use apollo_compiler::schema::ExtendedType;
use time::OffsetDateTime;

use super::pagination::{Key, Page, PageArgs};
use super::scopes::{AccessScopes, ORDER_WINDOW_DAYS};
use super::state::ShopifyState;
use crate::world::World;
use crate::world::model::{Order, gid};

pub type Resolved<'a> = Result<ResolvedValue<'a>, FieldError>;

/// What every resolver can reach during one execution.
pub struct Cx<'w> {
    pub world: &'w World,
    pub state: &'w Arc<ShopifyState>,
    /// `http://host:port` of this simulator as the client reached it, for bulk download URLs.
    pub base_url: String,
    /// Set while a bulk operation runs the document chunk by chunk.
    pub bulk: Option<RefCell<BulkWindow>>,
    /// The scopes granted when the request (or bulk operation) started.
    pub scopes: Arc<AccessScopes>,
    /// Orders created before this do not exist for the app (no `read_all_orders`).
    pub order_cutoff: Option<OffsetDateTime>,
}

/// The slice of the top-level connection a bulk chunk covers, and where it ended.
#[derive(Debug, Clone, Default)]
pub struct BulkWindow {
    pub after: Option<Key>,
    pub chunk: usize,
    pub last: Option<Key>,
    pub has_next: bool,
    /// The parallel writer's pager: top-level orders are kept in `orders` (and the page
    /// answered empty) instead of being resolved, for a worker to resolve later.
    pub capture: bool,
    /// Top-level orders the pager already generated: the page, as is (generating orders is
    /// a good part of a bulk operation's work; this way it is done once).
    pub orders: Option<Vec<(Key, Order)>>,
}

impl<'w> Cx<'w> {
    /// The context of one execution over `world` under `scopes`.
    pub fn new(
        world: &'w World,
        state: &'w Arc<ShopifyState>,
        scopes: Arc<AccessScopes>,
        base_url: String,
        bulk: Option<BulkWindow>,
    ) -> Cx<'w> {
        let order_cutoff = (!scopes.reads_all_orders())
            .then(|| world.now() - time::Duration::days(ORDER_WINDOW_DAYS));
        Cx {
            world,
            state,
            base_url,
            bulk: bulk.map(RefCell::new),
            scopes,
            order_cutoff,
        }
    }

    /// Whether the app may see `order` at all (the 60-day window without `read_all_orders`).
    pub fn order_visible(&self, order: &Order) -> bool {
        self.order_cutoff
            .is_none_or(|cutoff| order.created_at >= cutoff)
    }

    /// `from` raised to the order window's start: no visible order was created, nor therefore
    /// updated, before it.
    pub fn order_floor(&self, from: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
        match (from, self.order_cutoff) {
            (Some(from), Some(cutoff)) => Some(from.max(cutoff)),
            (from, cutoff) => from.or(cutoff),
        }
    }

    /// Paging arguments for a connection; in bulk operations nested connections are unbounded
    /// and the top-level one follows the chunk window.
    pub fn page_args(
        &self,
        info: &ResolveInfo<'_>,
        top_level: bool,
    ) -> Result<PageArgs, FieldError> {
        let mut args = PageArgs::from_info(info)?;
        if let Some(window) = &self.bulk {
            args.first = None;
            args.last = None;
            args.before = None;
            if top_level {
                let window = window.borrow();
                args.first = Some(window.chunk);
                args.after = window.after.clone();
            }
        }
        Ok(args)
    }

    /// The page of top-level orders a bulk worker was handed, if it was.
    pub fn prefetched_orders(&self) -> Option<Vec<(Key, Order)>> {
        let mut window = self.bulk.as_ref()?.borrow_mut();
        if window.capture {
            return None;
        }
        window.orders.take()
    }

    /// In the pager, keeps the page's orders for a worker and answers with none; elsewhere
    /// `page` itself.
    pub fn capture_orders(&self, page: Page<Order>) -> Page<Order> {
        match &self.bulk {
            Some(window) if window.borrow().capture => {
                window.borrow_mut().orders = Some(page.items);
                Page {
                    items: Vec::new(),
                    has_next: page.has_next,
                    has_previous: page.has_previous,
                }
            }
            _ => page,
        }
    }

    /// Records where a bulk chunk of the top-level connection ended.
    pub fn note_page<T>(&self, page: &Page<T>, top_level: bool) {
        if let (true, Some(window)) = (top_level, &self.bulk) {
            let mut window = window.borrow_mut();
            window.last = page.items.last().map(|(key, _)| key.clone());
            window.has_next = page.has_next;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Leaves
// ---------------------------------------------------------------------------------------------

pub fn leaf<'a>(value: impl Into<JsonValue>) -> Resolved<'a> {
    Ok(ResolvedValue::leaf(value))
}

pub fn null<'a>() -> Resolved<'a> {
    Ok(ResolvedValue::null())
}

pub fn id_leaf<'a>(kind: &str, id: u64) -> Resolved<'a> {
    leaf(gid(kind, id))
}

/// `UnsignedInt64` is serialised as a string.
pub fn u64_leaf<'a>(n: u64) -> Resolved<'a> {
    leaf(n.to_string())
}

/// Shopify's `DateTime`: ISO 8601 in UTC, whole seconds, `Z`.
pub fn datetime(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub fn time_leaf<'a>(t: OffsetDateTime) -> Resolved<'a> {
    leaf(datetime(t))
}

pub fn opt_time_leaf<'a>(t: Option<OffsetDateTime>) -> Resolved<'a> {
    match t {
        Some(t) => time_leaf(t),
        None => null(),
    }
}

/// A list of strings (or enum values): lists must resolve item by item, not as one JSON leaf.
pub fn string_list<'a>(items: &[String]) -> Resolved<'a> {
    let items: Vec<ResolvedValue<'a>> = items
        .iter()
        .map(|s| ResolvedValue::leaf(s.as_str()))
        .collect();
    Ok(ResolvedValue::list(items))
}

pub fn object<'a>(value: impl ObjectValue + 'a) -> Resolved<'a> {
    Ok(ResolvedValue::object(value))
}

pub fn list<'a, T: ObjectValue + 'a>(items: impl IntoIterator<Item = T> + 'a) -> Resolved<'a> {
    Ok(ResolvedValue::list(
        items.into_iter().map(|item| ResolvedValue::object(item)),
    ))
}

pub fn str_arg<'a>(info: &'a ResolveInfo<'_>, name: &str) -> Option<&'a str> {
    info.arguments().get(name).and_then(|v| v.as_str())
}

pub fn bool_arg(info: &ResolveInfo<'_>, name: &str) -> Option<bool> {
    info.arguments().get(name).and_then(|v| v.as_bool())
}

pub fn str_list_arg(info: &ResolveInfo<'_>, name: &str) -> Option<Vec<String>> {
    let values = info.arguments().get(name)?.as_array()?;
    Some(
        values
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
    )
}

/// The numeric id of a `gid://shopify/<kind>/<id>` argument.
pub fn gid_arg(info: &ResolveInfo<'_>, name: &str, kind: &str) -> Option<u64> {
    crate::world::model::parse_gid(kind, str_arg(info, name)?)
}

// ---------------------------------------------------------------------------------------------
// Money
// ---------------------------------------------------------------------------------------------

/// `MoneyV2 { amount currencyCode }`; the currency is borrowed (one of these per money field
/// of every order and line item a backfill reads).
pub struct MoneyV2<'a> {
    pub cents: i64,
    pub currency: &'a str,
}

impl ObjectValue for MoneyV2<'_> {
    fn type_name(&self) -> &str {
        "MoneyV2"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        match info.field_name() {
            "amount" => leaf(crate::world::model::decimal(self.cents)),
            "currencyCode" => leaf(self.currency),
            _ => fallback(info),
        }
    }
}

/// `MoneyBag { shopMoney presentmentMoney }`: shop currency, and what the buyer saw.
pub struct MoneyBag<'a> {
    pub shop: MoneyV2<'a>,
    pub presentment: MoneyV2<'a>,
}

impl<'a> MoneyBag<'a> {
    pub fn new(
        cents: i64,
        shop_currency: &'a str,
        presentment_currency: &'a str,
        rate: f64,
    ) -> Self {
        MoneyBag {
            shop: MoneyV2 {
                cents,
                currency: shop_currency,
            },
            presentment: MoneyV2 {
                cents: (cents as f64 * rate).round() as i64,
                currency: presentment_currency,
            },
        }
    }
}

impl ObjectValue for MoneyBag<'_> {
    fn type_name(&self) -> &str {
        "MoneyBag"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        match info.field_name() {
            "shopMoney" => object(Borrowed(&self.shop)),
            "presentmentMoney" => object(Borrowed(&self.presentment)),
            _ => fallback(info),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------------------------

/// An object resolved by reference, so one node can be listed under `nodes` and `edges`.
pub struct Borrowed<'a>(pub &'a dyn ObjectValue);

impl ObjectValue for Borrowed<'_> {
    fn type_name(&self) -> &str {
        self.0.type_name()
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        self.0.resolve_field(info)
    }
}

/// Where a connection item sits, for its cursor: a full sort key, or just an id for items in
/// id order (the key is made only if a cursor is asked for: bulk operations never ask).
enum Position {
    Key(Key),
    Id(u64),
}

impl Position {
    fn cursor(&self) -> String {
        match self {
            Position::Key(key) => key.cursor(),
            Position::Id(id) => Key::id(*id).cursor(),
        }
    }
}

/// Any `XxxConnection`: `nodes`, `edges { cursor node }`, `pageInfo`.
pub struct Connection<'a> {
    type_name: Name,
    items: Vec<(Position, Box<dyn ObjectValue + 'a>)>,
    has_next: bool,
    has_previous: bool,
}

impl<'a> Connection<'a> {
    /// A connection for the field being resolved (its type comes from the schema).
    pub fn new<T: ObjectValue + 'a>(info: &ResolveInfo<'_>, page: Page<T>) -> Connection<'a> {
        Connection {
            type_name: info.field_definition().ty.inner_named_type().clone(),
            items: page
                .items
                .into_iter()
                .map(|(key, item)| {
                    (
                        Position::Key(key),
                        Box::new(item) as Box<dyn ObjectValue + 'a>,
                    )
                })
                .collect(),
            has_next: page.has_next,
            has_previous: page.has_previous,
        }
    }

    /// A connection over `items` sorted by `Key::id` of their ids (an order's line items, a
    /// fulfilment order's lines). Unbounded pages, what bulk operations ask for, skip making
    /// and sorting keys: the per-object cost of a 100k-order backfill.
    pub fn by_id<T: ObjectValue + 'a>(
        info: &ResolveInfo<'_>,
        args: &PageArgs,
        items: Vec<(u64, T)>,
    ) -> Connection<'a> {
        let everything = args.first.is_none()
            && args.last.is_none()
            && args.after.is_none()
            && args.before.is_none()
            && !args.reverse;
        if everything && items.windows(2).all(|w| w[0].0 < w[1].0) {
            return Connection {
                type_name: info.field_definition().ty.inner_named_type().clone(),
                items: (items.into_iter())
                    .map(|(id, item)| {
                        (
                            Position::Id(id),
                            Box::new(item) as Box<dyn ObjectValue + 'a>,
                        )
                    })
                    .collect(),
                has_next: false,
                has_previous: false,
            };
        }
        let keyed = (items.into_iter())
            .map(|(id, item)| (Key::id(id), item))
            .collect();
        Connection::new(info, super::pagination::paginate(keyed, args))
    }
}

impl ObjectValue for Connection<'_> {
    fn type_name(&self) -> &str {
        self.type_name.as_str()
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        match info.field_name() {
            "nodes" => {
                Ok(ResolvedValue::list(self.items.iter().map(|(_, node)| {
                    ResolvedValue::object(Borrowed(node.as_ref()))
                })))
            }
            "edges" => {
                let edge_type = info.field_definition().ty.inner_named_type().clone();
                Ok(ResolvedValue::list(self.items.iter().map(
                    move |(position, node)| {
                        ResolvedValue::object(Edge {
                            type_name: edge_type.clone(),
                            position,
                            node: node.as_ref(),
                        })
                    },
                )))
            }
            "pageInfo" => object(PageInfo {
                has_next: self.has_next,
                has_previous: self.has_previous,
                start: self.items.first().map(|(p, _)| p),
                end: self.items.last().map(|(p, _)| p),
            }),
            _ => fallback(info),
        }
    }
}

struct Edge<'a> {
    type_name: Name,
    position: &'a Position,
    node: &'a dyn ObjectValue,
}

impl ObjectValue for Edge<'_> {
    fn type_name(&self) -> &str {
        self.type_name.as_str()
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        match info.field_name() {
            "cursor" => leaf(self.position.cursor()),
            "node" => object(Borrowed(self.node)),
            _ => fallback(info),
        }
    }
}

struct PageInfo<'a> {
    has_next: bool,
    has_previous: bool,
    start: Option<&'a Position>,
    end: Option<&'a Position>,
}

impl ObjectValue for PageInfo<'_> {
    fn type_name(&self) -> &str {
        "PageInfo"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let cursor = |p: Option<&Position>| p.map_or(JsonValue::Null, |p| p.cursor().into());
        match info.field_name() {
            "hasNextPage" => leaf(self.has_next),
            "hasPreviousPage" => leaf(self.has_previous),
            "startCursor" => leaf(cursor(self.start)),
            "endCursor" => leaf(cursor(self.end)),
            _ => fallback(info),
        }
    }
}

/// `Count { count precision }`: counts stop at the field's `limit` (10000 by default since
/// 2025-07) and then say `AT_LEAST`.
pub struct Count {
    pub count: u64,
    pub exact: bool,
}

impl Count {
    pub fn exact(count: u64) -> Count {
        Count { count, exact: true }
    }

    /// `count` capped at the `limit` argument, if any.
    pub fn limited(info: &ResolveInfo<'_>, count: u64) -> Count {
        match info.arguments().get("limit").and_then(|v| v.as_i64()) {
            Some(limit) if count > limit.max(0) as u64 => Count {
                count: limit.max(0) as u64,
                exact: false,
            },
            _ => Count::exact(count),
        }
    }
}

impl ObjectValue for Count {
    fn type_name(&self) -> &str {
        "Count"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        match info.field_name() {
            "count" => leaf(self.count),
            "precision" => leaf(if self.exact { "EXACT" } else { "AT_LEAST" }),
            _ => fallback(info),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Defaults for everything not modelled
// ---------------------------------------------------------------------------------------------

/// The answer for a field the simulator does not model: see the module comment.
pub fn fallback<'a>(info: &'a ResolveInfo<'a>) -> Resolved<'a> {
    Ok(default_value(info, &info.field_definition().ty))
}

fn default_value<'a>(info: &ResolveInfo<'a>, ty: &Type) -> ResolvedValue<'a> {
    let name = match ty {
        Type::Named(_) | Type::List(_) => return ResolvedValue::null(),
        Type::NonNullList(_) => return ResolvedValue::list(std::iter::empty()),
        Type::NonNullNamed(name) => name,
    };
    let schema = info.schema();
    match schema.types.get(name) {
        Some(ExtendedType::Scalar(_)) => ResolvedValue::leaf(default_scalar(name.as_str())),
        Some(ExtendedType::Enum(enum_type)) => match enum_type.values.keys().next() {
            Some(first) => ResolvedValue::leaf(first.as_str()),
            None => ResolvedValue::null(),
        },
        Some(ExtendedType::Object(_)) => ResolvedValue::object(Defaults {
            type_name: name.clone(),
        }),
        Some(ExtendedType::Interface(_)) => {
            match info
                .implementers_map()
                .get(name)
                .and_then(|implementers| implementers.objects.iter().min())
            {
                Some(object) => ResolvedValue::object(Defaults {
                    type_name: object.clone(),
                }),
                None => ResolvedValue::null(),
            }
        }
        Some(ExtendedType::Union(union_type)) => match union_type.members.iter().next() {
            Some(member) => ResolvedValue::object(Defaults {
                type_name: member.name.clone(),
            }),
            None => ResolvedValue::null(),
        },
        _ => ResolvedValue::null(),
    }
}

fn default_scalar(name: &str) -> JsonValue {
    match name {
        "Int" => JsonValue::from(0),
        "Float" => JsonValue::from(0.0),
        "Boolean" => JsonValue::from(false),
        "Decimal" | "Money" => JsonValue::from("0.0"),
        "UnsignedInt64" => JsonValue::from("0"),
        "DateTime" => JsonValue::from("1970-01-01T00:00:00Z"),
        "Date" => JsonValue::from("1970-01-01"),
        "JSON" => JsonValue::Object(Default::default()),
        _ => JsonValue::from(""),
    }
}

/// An object of a type the simulator does not model: every field gets its default.
pub struct Defaults {
    type_name: Name,
}

impl ObjectValue for Defaults {
    fn type_name(&self) -> &str {
        self.type_name.as_str()
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        if info.field_name() == "id" {
            return leaf(format!("gid://shopify/{}/0", self.type_name));
        }
        fallback(info)
    }
}
