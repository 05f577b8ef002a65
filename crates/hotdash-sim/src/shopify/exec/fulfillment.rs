//! Fulfilment: fulfillment orders (per assigned location, with their line items, delivery
//! method and status) and fulfillments (carrier, tracking and delivery status).

use std::rc::Rc;

use apollo_compiler::resolvers::{ObjectValue, ResolveInfo};

use super::catalog::{LocationObj, VariantObj};
use super::orders::{LineItemObj, OrderObj, enum_name};
use super::{
    Connection, Cx, Resolved, fallback, id_leaf, leaf, list, null, object, opt_time_leaf,
    time_leaf, u64_leaf,
};
use crate::shopify::search::{FieldValue, Searchable};
use crate::world::model::{Fulfillment, FulfillmentOrder, FulfillmentOrderStatus, Order};

pub struct FulfillmentOrderObj<'c> {
    pub cx: &'c Cx<'c>,
    pub order: Rc<Order>,
    pub index: usize,
}

impl FulfillmentOrderObj<'_> {
    pub fn fulfillment_order(&self) -> &FulfillmentOrder {
        &self.order.fulfillment_orders[self.index]
    }
}

impl ObjectValue for FulfillmentOrderObj<'_> {
    fn type_name(&self) -> &str {
        "FulfillmentOrder"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let o = &*self.order;
        let fo = self.fulfillment_order();
        match info.field_name() {
            "id" => id_leaf("FulfillmentOrder", fo.id),
            "status" => leaf(enum_name(fo.status)),
            "requestStatus" => leaf(enum_name(fo.request_status)),
            "createdAt" => time_leaf(fo.created_at),
            "updatedAt" => time_leaf(fo.updated_at),
            "fulfillAt" => opt_time_leaf(fo.fulfill_at),
            "fulfillBy" => null(),
            "orderId" => id_leaf("Order", o.id),
            "orderName" => leaf(o.name.as_str()),
            "orderProcessedAt" => time_leaf(o.processed_at),
            "order" => object(OrderObj {
                cx: self.cx,
                order: Rc::clone(&self.order),
            }),
            "assignedLocation" => object(AssignedLocationObj {
                cx: self.cx,
                location_id: fo.assigned_location_id,
            }),
            "deliveryMethod" => object(DeliveryMethodObj(fo.id)),
            "lineItems" => {
                let items = (0..fo.line_items.len())
                    .map(|line| {
                        (
                            fo.line_items[line].id,
                            FulfillmentOrderLineItemObj {
                                cx: self.cx,
                                order: Rc::clone(&self.order),
                                fulfillment_order: self.index,
                                line,
                            },
                        )
                    })
                    .collect();
                let args = self.cx.page_args(info, false)?;
                object(Connection::by_id(info, &args, items))
            }
            _ => fallback(info),
        }
    }
}

impl Searchable for FulfillmentOrder {
    fn search_field(&self, field: &str) -> Option<FieldValue> {
        match field {
            "updated_at" => Some(FieldValue::Time(self.updated_at)),
            "created_at" => Some(FieldValue::Time(self.created_at)),
            "status" => Some(FieldValue::Text(enum_name(self.status))),
            "id" => Some(FieldValue::Number(self.id as f64)),
            "assigned_location_id" => Some(FieldValue::Number(self.assigned_location_id as f64)),
            _ => None,
        }
    }

    fn default_text(&self) -> Vec<String> {
        self.line_items.iter().map(|l| l.sku.clone()).collect()
    }
}

/// Whether `fulfillmentOrders(includeClosed: false)` hides this one.
pub fn is_closed(fo: &FulfillmentOrder) -> bool {
    matches!(
        fo.status,
        FulfillmentOrderStatus::Closed
            | FulfillmentOrderStatus::Cancelled
            | FulfillmentOrderStatus::Incomplete
    )
}

struct DeliveryMethodObj(u64);

impl ObjectValue for DeliveryMethodObj {
    fn type_name(&self) -> &str {
        "DeliveryMethod"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        match info.field_name() {
            "id" => id_leaf("DeliveryMethod", self.0),
            "methodType" => leaf("SHIPPING"),
            _ => fallback(info),
        }
    }
}

struct AssignedLocationObj<'c> {
    cx: &'c Cx<'c>,
    location_id: u64,
}

impl ObjectValue for AssignedLocationObj<'_> {
    fn type_name(&self) -> &str {
        "FulfillmentOrderAssignedLocation"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let location = self
            .cx
            .world
            .locations()
            .iter()
            .find(|l| l.id == self.location_id);
        match (info.field_name(), location) {
            ("name", Some(location)) => leaf(location.name.as_str()),
            ("countryCode", Some(location)) => leaf(location.country_code.as_str()),
            ("location", Some(location)) => object(LocationObj {
                cx: self.cx,
                location,
            }),
            _ => fallback(info),
        }
    }
}

struct FulfillmentOrderLineItemObj<'c> {
    cx: &'c Cx<'c>,
    order: Rc<Order>,
    fulfillment_order: usize,
    line: usize,
}

impl ObjectValue for FulfillmentOrderLineItemObj<'_> {
    fn type_name(&self) -> &str {
        "FulfillmentOrderLineItem"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let o = &*self.order;
        let fl = &o.fulfillment_orders[self.fulfillment_order].line_items[self.line];
        let line_index = o.line_items.iter().position(|l| l.id == fl.line_item_id);
        match info.field_name() {
            "id" => id_leaf("FulfillmentOrderLineItem", fl.id),
            "sku" => leaf(fl.sku.as_str()),
            "totalQuantity" => leaf(fl.total_quantity),
            "remainingQuantity" => leaf(fl.remaining_quantity),
            "inventoryItemId" => id_leaf("InventoryItem", fl.inventory_item_id),
            "requiresShipping" => leaf(true),
            "productTitle" => match line_index {
                Some(index) => leaf(o.line_items[index].title.as_str()),
                None => fallback(info),
            },
            "variantTitle" => match line_index {
                Some(index) => leaf(o.line_items[index].variant_title.as_str()),
                None => null(),
            },
            "lineItem" => match line_index {
                Some(index) => object(LineItemObj {
                    cx: self.cx,
                    order: Rc::clone(&self.order),
                    index,
                }),
                None => fallback(info),
            },
            "variant" => match line_index
                .and_then(|index| self.cx.world.variant(o.line_items[index].variant_id))
            {
                Some((product, variant)) => object(VariantObj {
                    cx: self.cx,
                    product,
                    variant,
                }),
                None => null(),
            },
            _ => fallback(info),
        }
    }
}

pub struct FulfillmentObj<'c> {
    pub cx: &'c Cx<'c>,
    pub order: Rc<Order>,
    pub index: usize,
}

impl FulfillmentObj<'_> {
    fn fulfillment(&self) -> &Fulfillment {
        &self.order.fulfillments[self.index]
    }
}

impl ObjectValue for FulfillmentObj<'_> {
    fn type_name(&self) -> &str {
        "Fulfillment"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let o = &*self.order;
        let f = self.fulfillment();
        match info.field_name() {
            "id" => id_leaf("Fulfillment", f.id),
            "legacyResourceId" => u64_leaf(f.id),
            "name" => leaf(format!("{}-F{}", o.name, self.index + 1)),
            "status" => leaf(enum_name(f.status)),
            "displayStatus" => leaf(enum_name(f.display_status)),
            "createdAt" => time_leaf(f.created_at),
            "updatedAt" => time_leaf(f.updated_at),
            "deliveredAt" => opt_time_leaf(f.delivered_at),
            // Labels go out with the fulfilment; the carrier picks up the same day.
            "inTransitAt" => match f.tracking_number {
                Some(_) => time_leaf(f.created_at),
                None => null(),
            },
            "estimatedDeliveryAt" => null(),
            "requiresShipping" => leaf(true),
            "totalQuantity" => leaf(f.line_items.iter().map(|(_, q)| q).sum::<i64>()),
            "trackingInfo" => {
                let first = info
                    .arguments()
                    .get("first")
                    .and_then(|v| v.as_i64())
                    .map_or(usize::MAX, |n| n.max(0) as usize);
                let info_items: Vec<TrackingInfoObj> = f
                    .tracking_number
                    .iter()
                    .take(first)
                    .map(|number| TrackingInfoObj {
                        company: f.tracking_company.clone(),
                        number: number.clone(),
                    })
                    .collect();
                list(info_items)
            }
            "location" => match self
                .cx
                .world
                .locations()
                .iter()
                .find(|l| l.id == f.location_id)
            {
                Some(location) => object(LocationObj {
                    cx: self.cx,
                    location,
                }),
                None => null(),
            },
            "order" => object(OrderObj {
                cx: self.cx,
                order: Rc::clone(&self.order),
            }),
            _ => fallback(info),
        }
    }
}

struct TrackingInfoObj {
    company: Option<String>,
    number: String,
}

impl ObjectValue for TrackingInfoObj {
    fn type_name(&self) -> &str {
        "FulfillmentTrackingInfo"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        match info.field_name() {
            "company" => match &self.company {
                Some(company) => leaf(company.as_str()),
                None => null(),
            },
            "number" => leaf(self.number.as_str()),
            "url" => {
                let number = &self.number;
                let url = match self.company.as_deref() {
                    Some("UPS") => format!("https://www.ups.com/track?tracknum={number}"),
                    Some("USPS") => {
                        format!("https://tools.usps.com/go/TrackConfirmAction?tLabels={number}")
                    }
                    Some("Canada Post") => format!(
                        "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={number}"
                    ),
                    _ => return null(),
                };
                leaf(url)
            }
            _ => fallback(info),
        }
    }
}
