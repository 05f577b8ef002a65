//! `products/*` and `inventory_levels/update` bodies. `inventory_levels/update` still carries
//! `available`, which GraphQL's `InventoryLevel` no longer has (shopify.md §3.7).

use serde_json::{Value, json};

use super::{lower, rest_time};
use crate::world::model::{InventoryLevel, Product, ProductStatus, Variant, decimal, gid};

/// The body of `products/create` and `products/update`.
pub fn product(p: &Product) -> Value {
    let published = p.status == ProductStatus::Active;
    json!({
        "id": p.id,
        "admin_graphql_api_id": gid("Product", p.id),
        "title": p.title,
        "body_html": "",
        "vendor": p.vendor,
        "product_type": p.product_type,
        "handle": p.handle,
        "status": lower(p.status),
        "tags": p.tags.join(", "),
        "created_at": rest_time(p.created_at),
        "updated_at": rest_time(p.updated_at),
        "published_at": if published { json!(rest_time(p.created_at)) } else { Value::Null },
        "published_scope": "global",
        "template_suffix": Value::Null,
        "variants": p.variants.iter().map(variant).collect::<Vec<_>>(),
        "options": [{"product_id": p.id, "name": "Title", "position": 1}],
        "images": [],
        "image": Value::Null,
    })
}

fn variant(v: &Variant) -> Value {
    json!({
        "id": v.id,
        "admin_graphql_api_id": gid("ProductVariant", v.id),
        "product_id": v.product_id,
        "title": v.title,
        "option1": v.title,
        "price": decimal(v.price_cents),
        "compare_at_price": v.compare_at_price_cents.map(decimal),
        "sku": v.sku,
        "position": v.position,
        "inventory_item_id": v.inventory_item_id,
        "inventory_policy": "deny",
        "inventory_management": "shopify",
        "fulfillment_service": "manual",
        "barcode": Value::Null,
        "taxable": true,
        "requires_shipping": true,
        "created_at": rest_time(v.created_at),
        "updated_at": rest_time(v.updated_at),
    })
}

/// The body of `inventory_levels/update`, shaped like the reference sample, GID included
/// (`gid://shopify/InventoryLevel/<location>?inventory_item_id=<item>`).
pub fn inventory_level(l: &InventoryLevel) -> Value {
    json!({
        "inventory_item_id": l.inventory_item_id,
        "location_id": l.location_id,
        "available": l.available,
        "updated_at": rest_time(l.updated_at),
        "admin_graphql_api_id": format!(
            "gid://shopify/InventoryLevel/{}?inventory_item_id={}",
            l.location_id, l.inventory_item_id
        ),
    })
}
