//! The Hot Rod AN catalog: PTFE hose and hose ends by AN size, adapters, pumps, regulators,
//! filters, tools and LS-swap kits, with SKUs in the store's `HRA-<FAMILY>[-<SIZE>]` pattern and
//! prices from the store's own pages (original-hotdash.md §5.2). Also the shop and its two
//! warehouses. The product list is fixed; the seed only nudges unit costs and stock.

mod specs;

use rand::Rng;
use time::{Duration, OffsetDateTime};

use super::calendar::whole_seconds;
use super::ids::{INVENTORY_ITEM_BASE, LOCATION_BASE, PRODUCT_BASE, SHOP_ID, VARIANT_BASE};
use super::model::{InventoryItem, Location, Product, ProductStatus, Shop, Variant};
use super::rng::{Stream, chance, rng_for};

/// What kind of thing a variant is; drives basket building, quantities and unit-cost ratios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Category {
    Hose,
    HoseEnd,
    Adapter,
    Pump,
    Regulator,
    Filter,
    Tool,
    Kit,
    Part,
}

impl Category {
    pub(crate) const ALL: [Category; 9] = [
        Category::Hose,
        Category::HoseEnd,
        Category::Adapter,
        Category::Pump,
        Category::Regulator,
        Category::Filter,
        Category::Tool,
        Category::Kit,
        Category::Part,
    ];

    /// Unit cost as a share of price: house-brand fittings carry fat margins, branded pumps thin.
    fn cost_ratio(self) -> f64 {
        match self {
            Category::Hose => 0.42,
            Category::HoseEnd => 0.36,
            Category::Adapter => 0.33,
            Category::Pump => 0.68,
            Category::Regulator => 0.55,
            Category::Filter => 0.45,
            Category::Tool => 0.4,
            Category::Kit => 0.52,
            Category::Part => 0.5,
        }
    }
}

/// AN sizes the store carries, with what share of buyers work in each (AN-6 is the street
/// fuel-line size, AN-8 the big-power one).
pub(crate) const AN_SIZES: [(u8, f64); 7] = [
    (3, 0.08),
    (4, 0.3),
    (6, 1.0),
    (8, 0.7),
    (10, 0.3),
    (12, 0.1),
    (16, 0.04),
];

/// A sellable variant with what basket building needs to know about it.
#[derive(Debug, Clone)]
pub(crate) struct Sellable {
    /// Position in `Catalog::variants_flat`.
    pub variant: usize,
    pub category: Category,
    pub an_size: Option<u8>,
    pub weight: f64,
}

/// Everything about the catalog the world keeps in memory.
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    pub shop: Shop,
    pub locations: Vec<Location>,
    pub products: Vec<Product>,
    pub items: Vec<InventoryItem>,
    /// (product position, variant position) for each variant, in variant-id order.
    pub variants_flat: Vec<(usize, usize)>,
    /// Active variants orders can contain.
    pub sellable: Vec<Sellable>,
    /// Whether Canada WH stocks each inventory item (by item position).
    pub stocked_in_canada: Vec<bool>,
}

pub(crate) const MAIN_WH: usize = 0;
pub(crate) const CANADA_WH: usize = 1;

impl Catalog {
    pub(crate) fn variant_at(&self, flat: usize) -> (&Product, &Variant) {
        let (p, v) = self.variants_flat[flat];
        (&self.products[p], &self.products[p].variants[v])
    }

    pub(crate) fn location_id(&self, position: usize) -> u64 {
        self.locations[position].id
    }
}

fn handle(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if c == '°' {
            out.push_str("-degree");
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// Builds the shop, its warehouses and catalog. `opened` is when the shop was created; every
/// product predates `history_start` except the drafts, which are recent.
pub(crate) fn build(
    seed: u64,
    opened: OffsetDateTime,
    history_start: OffsetDateTime,
    now: OffsetDateTime,
) -> Catalog {
    let mut rng = rng_for(seed, Stream::Catalog, 0);
    let shop = Shop {
        id: SHOP_ID,
        name: "Hot Rod AN".to_owned(),
        myshopify_domain: "hotrodan.myshopify.com".to_owned(),
        email: "owner@hotrodan.example.com".to_owned(),
        currency_code: "USD".to_owned(),
        iana_timezone: super::calendar::SHOP_TIME_ZONE.to_owned(),
        plan_display_name: "Basic".to_owned(),
        created_at: opened,
    };
    let locations = vec![
        Location {
            id: LOCATION_BASE,
            name: "Main WH".to_owned(),
            country_code: "US".to_owned(),
            is_active: true,
            created_at: opened,
            updated_at: opened + Duration::days(3),
        },
        Location {
            id: LOCATION_BASE + 1,
            name: "Canada WH".to_owned(),
            country_code: "CA".to_owned(),
            is_active: true,
            created_at: opened + Duration::days(200),
            updated_at: opened + Duration::days(201),
        },
    ];

    let mut specs = specs::hose_specs();
    specs.extend(specs::hose_end_specs());
    specs.extend(specs::adapter_specs());
    specs.extend(specs::system_specs());

    let catalog_span = (history_start - opened).whole_seconds().max(1);
    let mut products = Vec::new();
    let mut items = Vec::new();
    let mut variants_flat = Vec::new();
    let mut sellable = Vec::new();
    let mut stocked_in_canada = Vec::new();
    for (p_pos, spec) in specs.into_iter().enumerate() {
        let product_id = PRODUCT_BASE + p_pos as u64;
        let created_at = match spec.status {
            // Drafts are this month's work in progress.
            ProductStatus::Draft => whole_seconds(now - Duration::days(rng.random_range(3..25))),
            _ => whole_seconds(opened + Duration::seconds(rng.random_range(0..catalog_span))),
        };
        let updated_at = whole_seconds(
            created_at
                + Duration::seconds(
                    rng.random_range(0..=(now - created_at).whole_seconds().max(1)),
                ),
        );
        let total_weight: f64 = spec.variants.iter().map(|v| v.weight).sum();
        let sku_prefix = format!("HRA-{}", spec.family);
        debug_assert!(spec.variants.iter().all(|v| v.sku.starts_with(&sku_prefix)));
        // Sized products carry their AN sizes as tags (`AN-6`), which is how the storefront filters.
        let mut sizes: Vec<u8> = spec.variants.iter().filter_map(|v| v.an_size).collect();
        sizes.sort_unstable();
        sizes.dedup();
        let tags: Vec<String> = spec
            .tags
            .iter()
            .cloned()
            .chain(sizes.iter().map(|s| format!("AN-{s}")))
            .collect();
        let mut variants = Vec::new();
        for (v_pos, vs) in spec.variants.into_iter().enumerate() {
            let flat = variants_flat.len();
            let variant_id = VARIANT_BASE + flat as u64;
            let item_id = INVENTORY_ITEM_BASE + flat as u64;
            // A few items sit on sale with a compare-at price.
            let compare_at_price_cents =
                chance(&mut rng, 0.06).then(|| (vs.price_cents * 5 / 4 / 100) * 100 + 95);
            let ratio = spec.category.cost_ratio() * (0.95 + 0.1 * rng.random::<f64>());
            let unit_cost_cents = (vs.price_cents as f64 * ratio).round() as i64;
            variants.push(Variant {
                id: variant_id,
                product_id,
                title: vs.title,
                sku: vs.sku.clone(),
                price_cents: vs.price_cents,
                compare_at_price_cents,
                position: v_pos as u32 + 1,
                inventory_item_id: item_id,
                created_at,
                updated_at,
            });
            items.push(InventoryItem {
                id: item_id,
                variant_id,
                sku: vs.sku,
                unit_cost_cents,
                tracked: true,
                created_at,
                updated_at,
            });
            // Canada WH carries the fast movers and no big-ticket pumps.
            stocked_in_canada.push(
                spec.status == ProductStatus::Active
                    && spec.category != Category::Pump
                    && vs.an_size.is_none_or(|s| (4..=10).contains(&s))
                    && chance(&mut rng, 0.75),
            );
            if spec.status == ProductStatus::Active && spec.weight > 0.0 {
                sellable.push(Sellable {
                    variant: flat,
                    category: spec.category,
                    an_size: vs.an_size,
                    weight: spec.weight * vs.weight / total_weight.max(f64::MIN_POSITIVE),
                });
            }
            variants_flat.push((p_pos, v_pos));
        }
        products.push(Product {
            id: product_id,
            handle: handle(&spec.title),
            title: spec.title,
            vendor: spec.vendor.to_owned(),
            product_type: spec.product_type.to_owned(),
            tags,
            status: spec.status,
            created_at,
            updated_at,
            variants,
        });
    }
    Catalog {
        shop,
        locations,
        products,
        items,
        variants_flat,
        sellable,
        stocked_in_canada,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn catalog() -> Catalog {
        build(
            7,
            datetime!(2023-01-10 17:00 UTC),
            datetime!(2025-06-01 07:00 UTC),
            datetime!(2026-06-01 07:00 UTC),
        )
    }

    #[test]
    fn carries_the_store_skus() {
        let c = catalog();
        let skus: Vec<&str> = c.items.iter().map(|i| i.sku.as_str()).collect();
        for sku in [
            "HRA-CUT-001",
            "HRA-LS-RETURN",
            "HRA-LS-RETURNLESS",
            "HRA-NPT-AN6",
            "HRA-NPT-AN8",
            "HRA-NPT-AN10",
            "HRA-ORB-AN6",
            "HRA-METRIC-AN6",
            "HRA-QD-AN6",
            "HRA-FILT10-AN6",
        ] {
            assert!(skus.contains(&sku), "{sku} missing");
        }
        let shears = c
            .products
            .iter()
            .flat_map(|p| &p.variants)
            .find(|v| v.sku == "HRA-CUT-001");
        assert_eq!(shears.map(|v| v.price_cents), Some(2995));
        let mut unique = skus.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), skus.len(), "SKUs are unique");
        assert!((150..=400).contains(&skus.len()), "{} variants", skus.len());
        assert!(skus.iter().all(|s| s.starts_with("HRA-")));
    }

    #[test]
    fn has_bundles_drafts_and_archived_products() {
        let c = catalog();
        let kits = c
            .products
            .iter()
            .filter(|p| p.tags.iter().any(|t| t == "BUNDLE:TRUE"));
        assert!(kits.count() >= 2);
        assert!(c.products.iter().any(|p| p.status == ProductStatus::Draft));
        assert!(
            c.products
                .iter()
                .any(|p| p.status == ProductStatus::Archived)
        );
        let handles: Vec<&str> = c.products.iter().map(|p| p.handle.as_str()).collect();
        assert!(handles.contains(&"ptfe-hose-end-90-degree"), "{handles:?}");
        for item in &c.items {
            assert!(item.unit_cost_cents > 0);
        }
    }
}
