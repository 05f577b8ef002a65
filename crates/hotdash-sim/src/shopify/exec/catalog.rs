//! The shop, its catalog and stock: Shop, Product, ProductVariant, InventoryItem,
//! InventoryLevel and Location, with the search fields and sort keys their connections take.

use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo};

use super::orders::enum_name;
use super::{
    Connection, Count, Cx, MoneyV2, Resolved, fallback, gid_arg, id_leaf, leaf, null, object,
    str_arg, string_list, time_leaf, u64_leaf,
};
use crate::shopify::pagination::{Key, PageArgs, paginate};
use crate::shopify::search::{FieldValue, SearchQuery, Searchable};
use crate::world::model::{
    InventoryItem, InventoryLevel, Location, Product, ProductStatus, Variant, decimal,
};
use crate::world::{SHOP_UTC_OFFSET, World};

pub struct ShopObj<'c> {
    pub cx: &'c Cx<'c>,
}

impl ObjectValue for ShopObj<'_> {
    fn type_name(&self) -> &str {
        "Shop"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let shop = self.cx.world.shop();
        match info.field_name() {
            "id" => id_leaf("Shop", shop.id),
            "name" => leaf(shop.name.as_str()),
            "email" | "contactEmail" => leaf(shop.email.as_str()),
            "myshopifyDomain" => leaf(shop.myshopify_domain.as_str()),
            "url" => leaf(format!("https://{}", shop.myshopify_domain)),
            "currencyCode" => leaf(shop.currency_code.as_str()),
            "enabledPresentmentCurrencies" => string_list(&["CAD".to_owned(), "USD".to_owned()]),
            "ianaTimezone" => leaf(shop.iana_timezone.as_str()),
            "timezoneAbbreviation" => leaf("MST"),
            "timezoneOffset" => leaf(offset_text()),
            "timezoneOffsetMinutes" => leaf(SHOP_UTC_OFFSET.whole_minutes()),
            "createdAt" | "updatedAt" => time_leaf(shop.created_at),
            "weightUnit" => leaf("POUNDS"),
            "unitSystem" => leaf("IMPERIAL_SYSTEM"),
            "taxesIncluded" => leaf(false),
            "taxShipping" => leaf(false),
            "plan" => object(PlanObj {
                display_name: shop.plan_display_name.clone(),
                cx: self.cx,
            }),
            _ => fallback(info),
        }
    }
}

/// `-0700` style, as `Shop.timezoneOffset` prints it.
fn offset_text() -> String {
    let minutes = SHOP_UTC_OFFSET.whole_minutes();
    let sign = if minutes < 0 { '-' } else { '+' };
    let minutes = minutes.unsigned_abs();
    format!("{sign}{:02}{:02}", minutes / 60, minutes % 60)
}

struct PlanObj<'c> {
    display_name: String,
    cx: &'c Cx<'c>,
}

impl ObjectValue for PlanObj<'_> {
    fn type_name(&self) -> &str {
        "ShopPlan"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let plan = self.cx.state.config.plan;
        match info.field_name() {
            "publicDisplayName" | "displayName" => leaf(self.display_name.as_str()),
            "partnerDevelopment" => leaf(plan == crate::shopify::bucket::Plan::DevStore),
            "shopifyPlus" => leaf(matches!(
                plan,
                crate::shopify::bucket::Plan::Plus | crate::shopify::bucket::Plan::Enterprise
            )),
            _ => fallback(info),
        }
    }
}

/// Units available to sell across every location, Shopify's `inventoryQuantity`.
fn available(world: &World, inventory_item_id: u64) -> i64 {
    levels_of_item(world, inventory_item_id)
        .iter()
        .map(|l| l.available)
        .sum()
}

/// The levels of one item (the world keeps them sorted by item, then location).
pub fn levels_of_item(world: &World, inventory_item_id: u64) -> &[InventoryLevel] {
    let levels = world.inventory_levels();
    let start = levels.partition_point(|l| l.inventory_item_id < inventory_item_id);
    let end = levels.partition_point(|l| l.inventory_item_id <= inventory_item_id);
    &levels[start..end]
}

pub struct ProductObj<'c> {
    pub cx: &'c Cx<'c>,
    pub product: &'c Product,
}

impl ObjectValue for ProductObj<'_> {
    fn type_name(&self) -> &str {
        "Product"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let p = self.product;
        let world = self.cx.world;
        let active = p.status == ProductStatus::Active;
        let shop_url = || format!("https://{}", world.shop().myshopify_domain);
        match info.field_name() {
            "id" => id_leaf("Product", p.id),
            "legacyResourceId" => u64_leaf(p.id),
            "title" => leaf(p.title.as_str()),
            "handle" => leaf(p.handle.as_str()),
            "vendor" => leaf(p.vendor.as_str()),
            "productType" => leaf(p.product_type.as_str()),
            "status" => leaf(enum_name(p.status)),
            "tags" => string_list(&p.tags),
            "createdAt" => time_leaf(p.created_at),
            "updatedAt" => time_leaf(p.updated_at),
            "publishedAt" => match active {
                true => time_leaf(p.created_at),
                false => null(),
            },
            "onlineStoreUrl" => match active {
                true => leaf(format!("{}/products/{}", shop_url(), p.handle)),
                false => null(),
            },
            "onlineStorePreviewUrl" => leaf(format!("{}/products/{}", shop_url(), p.handle)),
            "description" | "descriptionHtml" => leaf(""),
            "seo" => object(SeoObj {
                title: p.title.clone(),
            }),
            "totalInventory" => leaf(
                p.variants
                    .iter()
                    .map(|v| available(world, v.inventory_item_id))
                    .sum::<i64>(),
            ),
            "tracksInventory" => leaf(p.variants.iter().any(|v| {
                world
                    .inventory_item(v.inventory_item_id)
                    .is_some_and(|i| i.tracked)
            })),
            "hasOutOfStockVariants" => leaf(
                p.variants
                    .iter()
                    .any(|v| available(world, v.inventory_item_id) <= 0),
            ),
            "hasOnlyDefaultVariant" => leaf(p.variants.len() == 1),
            "totalVariants" => leaf(p.variants.len() as i64),
            "variantsCount" => object(Count::exact(p.variants.len() as u64)),
            "isGiftCard" => leaf(false),
            "variants" => {
                let args = self.cx.page_args(info, false)?;
                let items = p
                    .variants
                    .iter()
                    .map(|variant| {
                        (
                            Key::id(variant.id),
                            VariantObj {
                                cx: self.cx,
                                product: p,
                                variant,
                            },
                        )
                    })
                    .collect();
                object(Connection::new(info, paginate(items, &args)))
            }
            _ => fallback(info),
        }
    }
}

struct SeoObj {
    title: String,
}

impl ObjectValue for SeoObj {
    fn type_name(&self) -> &str {
        "SEO"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        match info.field_name() {
            "title" => leaf(self.title.as_str()),
            _ => fallback(info),
        }
    }
}

impl Searchable for Product {
    fn search_field(&self, field: &str) -> Option<FieldValue> {
        let text = |s: &str| Some(FieldValue::Text(s.to_owned()));
        match field {
            "updated_at" => Some(FieldValue::Time(self.updated_at)),
            "created_at" => Some(FieldValue::Time(self.created_at)),
            "status" => text(&enum_name(self.status)),
            "title" => text(&self.title),
            "handle" => text(&self.handle),
            "vendor" => text(&self.vendor),
            "product_type" => text(&self.product_type),
            "tag" => Some(FieldValue::Texts(self.tags.clone())),
            "sku" => Some(FieldValue::Texts(
                self.variants.iter().map(|v| v.sku.clone()).collect(),
            )),
            "id" => Some(FieldValue::Number(self.id as f64)),
            _ => None,
        }
    }

    fn default_text(&self) -> Vec<String> {
        let mut text = vec![self.title.clone()];
        text.extend(self.variants.iter().map(|v| v.sku.clone()));
        text
    }
}

pub fn product_key(product: &Product, sort_key: &str, world: &World) -> Key {
    match sort_key {
        "TITLE" => Key::text(&product.title, product.id),
        "UPDATED_AT" => Key::time(product.updated_at, product.id),
        "CREATED_AT" | "PUBLISHED_AT" => Key::time(product.created_at, product.id),
        "PRODUCT_TYPE" => Key::text(&product.product_type, product.id),
        "VENDOR" => Key::text(&product.vendor, product.id),
        "INVENTORY_TOTAL" => Key::number(
            product
                .variants
                .iter()
                .map(|v| available(world, v.inventory_item_id))
                .sum(),
            product.id,
        ),
        _ => Key::id(product.id),
    }
}

/// The top-level `products` connection.
pub fn products<'c>(
    cx: &'c Cx<'c>,
    info: &ResolveInfo<'_>,
    top_level: bool,
) -> Result<Connection<'c>, FieldError> {
    let args = cx.page_args(info, top_level)?;
    let query = SearchQuery::parse(str_arg(info, "query").unwrap_or_default());
    let sort_key = str_arg(info, "sortKey").unwrap_or("ID");
    let items = cx
        .world
        .products()
        .iter()
        .filter(|p| query.matches(*p))
        .map(|product| {
            (
                product_key(product, sort_key, cx.world),
                ProductObj { cx, product },
            )
        })
        .collect();
    let page = paginate(items, &args);
    cx.note_page(&page, top_level);
    Ok(Connection::new(info, page))
}

pub struct VariantObj<'c> {
    pub cx: &'c Cx<'c>,
    pub product: &'c Product,
    pub variant: &'c Variant,
}

impl ObjectValue for VariantObj<'_> {
    fn type_name(&self) -> &str {
        "ProductVariant"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let v = self.variant;
        let world = self.cx.world;
        match info.field_name() {
            "id" => id_leaf("ProductVariant", v.id),
            "legacyResourceId" => u64_leaf(v.id),
            "sku" => leaf(v.sku.as_str()),
            "title" => leaf(v.title.as_str()),
            "displayName" => leaf(format!("{} - {}", self.product.title, v.title)),
            "price" => leaf(decimal(v.price_cents)),
            "compareAtPrice" => match v.compare_at_price_cents {
                Some(cents) => leaf(decimal(cents)),
                None => null(),
            },
            "position" => leaf(i64::from(v.position)),
            "createdAt" => time_leaf(v.created_at),
            "updatedAt" => time_leaf(v.updated_at),
            "inventoryQuantity" | "sellableOnlineQuantity" => {
                leaf(available(world, v.inventory_item_id))
            }
            "availableForSale" => leaf(
                self.product.status == ProductStatus::Active
                    && available(world, v.inventory_item_id) > 0,
            ),
            "inventoryPolicy" => leaf("DENY"),
            "taxable" => leaf(true),
            "barcode" => null(),
            "product" => object(ProductObj {
                cx: self.cx,
                product: self.product,
            }),
            "inventoryItem" => match world.inventory_item(v.inventory_item_id) {
                Some(item) => object(InventoryItemObj { cx: self.cx, item }),
                None => fallback(info),
            },
            _ => fallback(info),
        }
    }
}

impl Searchable for (&Product, &Variant) {
    fn search_field(&self, field: &str) -> Option<FieldValue> {
        let (product, variant) = *self;
        match field {
            "sku" => Some(FieldValue::Text(variant.sku.clone())),
            "title" => Some(FieldValue::Text(variant.title.clone())),
            "product_id" => Some(FieldValue::Number(product.id as f64)),
            "product_status" => Some(FieldValue::Text(enum_name(product.status))),
            "updated_at" => Some(FieldValue::Time(variant.updated_at)),
            "created_at" => Some(FieldValue::Time(variant.created_at)),
            "id" => Some(FieldValue::Number(variant.id as f64)),
            "vendor" => Some(FieldValue::Text(product.vendor.clone())),
            "tag" => Some(FieldValue::Texts(product.tags.clone())),
            _ => None,
        }
    }

    fn default_text(&self) -> Vec<String> {
        vec![
            self.1.sku.clone(),
            self.0.title.clone(),
            self.1.title.clone(),
        ]
    }
}

/// The top-level `productVariants` connection.
pub fn product_variants<'c>(
    cx: &'c Cx<'c>,
    info: &ResolveInfo<'_>,
    top_level: bool,
) -> Result<Connection<'c>, FieldError> {
    let args = cx.page_args(info, top_level)?;
    let query = SearchQuery::parse(str_arg(info, "query").unwrap_or_default());
    let sort_key = str_arg(info, "sortKey").unwrap_or("ID");
    let world = cx.world;
    let items = world
        .products()
        .iter()
        .flat_map(|product| {
            product
                .variants
                .iter()
                .map(move |variant| (product, variant))
        })
        .filter(|pair| query.matches(pair))
        .map(|(product, variant)| {
            let key = match sort_key {
                "SKU" => Key::text(&variant.sku, variant.id),
                "TITLE" => Key::text(&variant.title, variant.id),
                "FULL_TITLE" | "NAME" => {
                    Key::text(&format!("{} {}", product.title, variant.title), variant.id)
                }
                "POSITION" => Key::number(i64::from(variant.position), variant.id),
                "INVENTORY_QUANTITY" | "INVENTORY_LEVELS_AVAILABLE" => {
                    Key::number(available(world, variant.inventory_item_id), variant.id)
                }
                _ => Key::id(variant.id),
            };
            (
                key,
                VariantObj {
                    cx,
                    product,
                    variant,
                },
            )
        })
        .collect();
    let page = paginate(items, &args);
    cx.note_page(&page, top_level);
    Ok(Connection::new(info, page))
}

pub struct InventoryItemObj<'c> {
    pub cx: &'c Cx<'c>,
    pub item: &'c InventoryItem,
}

impl ObjectValue for InventoryItemObj<'_> {
    fn type_name(&self) -> &str {
        "InventoryItem"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let item = self.item;
        let world = self.cx.world;
        match info.field_name() {
            "id" => id_leaf("InventoryItem", item.id),
            "legacyResourceId" => u64_leaf(item.id),
            "sku" => leaf(item.sku.as_str()),
            "tracked" => leaf(item.tracked),
            "requiresShipping" => leaf(true),
            "duplicateSkuCount" => leaf(0),
            "createdAt" => time_leaf(item.created_at),
            "updatedAt" => time_leaf(item.updated_at),
            "unitCost" => object(MoneyV2 {
                cents: item.unit_cost_cents,
                currency: &world.shop().currency_code,
            }),
            "variant" => match world.variant(item.variant_id) {
                Some((product, variant)) => object(VariantObj {
                    cx: self.cx,
                    product,
                    variant,
                }),
                None => fallback(info),
            },
            "variants" => {
                let args = self.cx.page_args(info, false)?;
                let items = world
                    .variant(item.variant_id)
                    .map(|(product, variant)| {
                        (
                            Key::id(variant.id),
                            VariantObj {
                                cx: self.cx,
                                product,
                                variant,
                            },
                        )
                    })
                    .into_iter()
                    .collect();
                object(Connection::new(info, paginate(items, &args)))
            }
            "inventoryLevels" => {
                let args = self.cx.page_args(info, false)?;
                let query = SearchQuery::parse(str_arg(info, "query").unwrap_or_default());
                let items = levels_of_item(world, item.id)
                    .iter()
                    .filter(|level| query.matches(*level))
                    .map(|level| {
                        (
                            Key::id(level.location_id),
                            InventoryLevelObj { cx: self.cx, level },
                        )
                    })
                    .collect();
                object(Connection::new(info, paginate(items, &args)))
            }
            "inventoryLevel" => {
                let level = gid_arg(info, "locationId", "Location")
                    .and_then(|location| world.inventory_level(item.id, location));
                match level {
                    Some(level) => object(InventoryLevelObj { cx: self.cx, level }),
                    None => null(),
                }
            }
            "locationsCount" => object(Count::exact(levels_of_item(world, item.id).len() as u64)),
            _ => fallback(info),
        }
    }
}

impl Searchable for InventoryItem {
    fn search_field(&self, field: &str) -> Option<FieldValue> {
        match field {
            "sku" => Some(FieldValue::Text(self.sku.clone())),
            "updated_at" => Some(FieldValue::Time(self.updated_at)),
            "created_at" => Some(FieldValue::Time(self.created_at)),
            "id" => Some(FieldValue::Number(self.id as f64)),
            _ => None,
        }
    }

    fn default_text(&self) -> Vec<String> {
        vec![self.sku.clone()]
    }
}

impl Searchable for InventoryLevel {
    fn search_field(&self, field: &str) -> Option<FieldValue> {
        match field {
            "updated_at" => Some(FieldValue::Time(self.updated_at)),
            "inventory_item_id" => Some(FieldValue::Number(self.inventory_item_id as f64)),
            "location_id" => Some(FieldValue::Number(self.location_id as f64)),
            _ => None,
        }
    }

    fn default_text(&self) -> Vec<String> {
        Vec::new()
    }
}

/// The top-level `inventoryItems` connection (no sort key: by id).
pub fn inventory_items<'c>(
    cx: &'c Cx<'c>,
    info: &ResolveInfo<'_>,
    top_level: bool,
) -> Result<Connection<'c>, FieldError> {
    let args = cx.page_args(info, top_level)?;
    let query = SearchQuery::parse(str_arg(info, "query").unwrap_or_default());
    let items = cx
        .world
        .inventory_items()
        .iter()
        .filter(|item| query.matches(*item))
        .map(|item| (Key::id(item.id), InventoryItemObj { cx, item }))
        .collect();
    let page = paginate(items, &args);
    cx.note_page(&page, top_level);
    Ok(Connection::new(info, page))
}

/// `gid://shopify/InventoryLevel/<location>?inventory_item_id=<item>`, as the webhooks print it.
pub fn inventory_level_gid(level: &InventoryLevel) -> String {
    format!(
        "gid://shopify/InventoryLevel/{}?inventory_item_id={}",
        level.location_id, level.inventory_item_id
    )
}

/// Parses an InventoryLevel GID back into `(inventory item, location)`.
pub fn parse_inventory_level_gid(gid: &str) -> Option<(u64, u64)> {
    let rest = gid.strip_prefix("gid://shopify/InventoryLevel/")?;
    let (location, query) = rest.split_once('?')?;
    let item = query.strip_prefix("inventory_item_id=")?;
    Some((item.parse().ok()?, location.parse().ok()?))
}

pub struct InventoryLevelObj<'c> {
    pub cx: &'c Cx<'c>,
    pub level: &'c InventoryLevel,
}

impl ObjectValue for InventoryLevelObj<'_> {
    fn type_name(&self) -> &str {
        "InventoryLevel"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let level = self.level;
        let world = self.cx.world;
        match info.field_name() {
            "id" => leaf(inventory_level_gid(level)),
            "updatedAt" => time_leaf(level.updated_at),
            "createdAt" => match world.inventory_item(level.inventory_item_id) {
                Some(item) => time_leaf(item.created_at),
                None => time_leaf(level.updated_at),
            },
            "isActive" | "canDeactivate" => leaf(true),
            "quantities" => {
                let names = super::str_list_arg(info, "names").unwrap_or_default();
                super::list(
                    names
                        .into_iter()
                        .map(move |name| QuantityObj { level, name }),
                )
            }
            "item" => match world.inventory_item(level.inventory_item_id) {
                Some(item) => object(InventoryItemObj { cx: self.cx, item }),
                None => fallback(info),
            },
            "location" => match world.locations().iter().find(|l| l.id == level.location_id) {
                Some(location) => object(LocationObj {
                    cx: self.cx,
                    location,
                }),
                None => fallback(info),
            },
            _ => fallback(info),
        }
    }
}

/// `InventoryQuantity`: one named quantity of a level. Names the world does not model
/// (reserved, damaged, safety_stock, quality_control) are 0.
struct QuantityObj<'c> {
    level: &'c InventoryLevel,
    name: String,
}

impl ObjectValue for QuantityObj<'_> {
    fn type_name(&self) -> &str {
        "InventoryQuantity"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let level = self.level;
        match info.field_name() {
            "name" => leaf(self.name.as_str()),
            "quantity" => leaf(match self.name.as_str() {
                "available" => level.available,
                "on_hand" => level.on_hand,
                "committed" => level.committed,
                "incoming" => level.incoming,
                _ => 0,
            }),
            "updatedAt" => time_leaf(level.updated_at),
            "id" => leaf(format!(
                "gid://shopify/InventoryQuantity/{}?inventory_item_id={}&name={}",
                level.location_id, level.inventory_item_id, self.name
            )),
            _ => fallback(info),
        }
    }
}

pub struct LocationObj<'c> {
    pub cx: &'c Cx<'c>,
    pub location: &'c Location,
}

impl ObjectValue for LocationObj<'_> {
    fn type_name(&self) -> &str {
        "Location"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let location = self.location;
        let world = self.cx.world;
        match info.field_name() {
            "id" => id_leaf("Location", location.id),
            "legacyResourceId" => u64_leaf(location.id),
            "name" => leaf(location.name.as_str()),
            "isActive" | "activatable" | "hasActiveInventory" => leaf(location.is_active),
            "fulfillsOnlineOrders" | "shipsInventory" | "addressVerified" => leaf(true),
            "isFulfillmentService" | "deletable" => leaf(false),
            "isPrimary" => leaf(
                world
                    .locations()
                    .first()
                    .is_some_and(|l| l.id == location.id),
            ),
            "createdAt" => time_leaf(location.created_at),
            "updatedAt" => time_leaf(location.updated_at),
            "address" => object(AddressObj {
                country_code: location.country_code.clone(),
            }),
            "inventoryLevels" => {
                let args = self.cx.page_args(info, false)?;
                let query = SearchQuery::parse(str_arg(info, "query").unwrap_or_default());
                let items = world
                    .inventory_levels()
                    .iter()
                    .filter(|level| level.location_id == location.id && query.matches(*level))
                    .map(|level| {
                        (
                            Key::id(level.inventory_item_id),
                            InventoryLevelObj { cx: self.cx, level },
                        )
                    })
                    .collect();
                object(Connection::new(info, paginate(items, &args)))
            }
            "inventoryLevel" => {
                let level = gid_arg(info, "inventoryItemId", "InventoryItem")
                    .and_then(|item| world.inventory_level(item, location.id));
                match level {
                    Some(level) => object(InventoryLevelObj { cx: self.cx, level }),
                    None => null(),
                }
            }
            _ => fallback(info),
        }
    }
}

struct AddressObj {
    country_code: String,
}

impl ObjectValue for AddressObj {
    fn type_name(&self) -> &str {
        "LocationAddress"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        match info.field_name() {
            "countryCode" => leaf(self.country_code.as_str()),
            "country" => leaf(match self.country_code.as_str() {
                "US" => "United States",
                "CA" => "Canada",
                other => other,
            }),
            _ => fallback(info),
        }
    }
}

impl Searchable for Location {
    fn search_field(&self, field: &str) -> Option<FieldValue> {
        match field {
            "name" => Some(FieldValue::Text(self.name.clone())),
            "id" => Some(FieldValue::Number(self.id as f64)),
            "active" => Some(FieldValue::Text(self.is_active.to_string())),
            "created_at" => Some(FieldValue::Time(self.created_at)),
            "updated_at" => Some(FieldValue::Time(self.updated_at)),
            _ => None,
        }
    }

    fn default_text(&self) -> Vec<String> {
        vec![self.name.clone()]
    }
}

/// The top-level `locations` connection.
pub fn locations<'c>(
    cx: &'c Cx<'c>,
    info: &ResolveInfo<'_>,
    top_level: bool,
) -> Result<Connection<'c>, FieldError> {
    let args: PageArgs = cx.page_args(info, top_level)?;
    let query = SearchQuery::parse(str_arg(info, "query").unwrap_or_default());
    let include_inactive = super::bool_arg(info, "includeInactive").unwrap_or(false);
    let by_name = str_arg(info, "sortKey").unwrap_or("NAME") == "NAME";
    let items = cx
        .world
        .locations()
        .iter()
        .filter(|l| (include_inactive || l.is_active) && query.matches(*l))
        .map(|location| {
            let key = match by_name {
                true => Key::text(&location.name, location.id),
                false => Key::id(location.id),
            };
            (key, LocationObj { cx, location })
        })
        .collect();
    let page = paginate(items, &args);
    cx.note_page(&page, top_level);
    Ok(Connection::new(info, page))
}
