//! Bodies of `fulfillment_orders/*` (GID ids and a lowercase status, as in the reference
//! samples: these topics were born GraphQL-first) and `bulk_operations/finish`.

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{lower, opt_time, rest_time};
use crate::world::model::{FulfillmentOrder, gid};

/// The body of `fulfillment_orders/<action>` for `fo`'s current state. `topic` picks the extra
/// keys each action's sample carries (the hold on `placed_on_hold`, `fulfill_at` on
/// `rescheduled`, the replacement on `cancelled`).
pub fn fulfillment_order_event(topic: &str, fo: &FulfillmentOrder) -> Value {
    let mut body = json!({
        "fulfillment_order": {"id": gid("FulfillmentOrder", fo.id), "status": lower(fo.status)},
    });
    let action = topic.strip_prefix("fulfillment_orders/").unwrap_or(topic);
    match action {
        "placed_on_hold" => {
            // The model keeps no hold records: the hold's id reuses the fulfilment order's.
            let hold = json!({"reason": "other", "reason_notes": Value::Null});
            body["fulfillment_order"]["fulfillment_holds"] = json!([hold]);
            body["remaining_fulfillment_order"] = Value::Null;
            body["held_fulfillment_order_line_items"] = (fo.line_items.iter())
                .map(|li| {
                    json!({"id": gid("FulfillmentOrderLineItem", li.id), "quantity": li.remaining_quantity})
                })
                .collect();
            body["created_fulfillment_hold"] = json!({
                "id": gid("FulfillmentHold", fo.id),
                "reason": "other",
                "reason_notes": Value::Null,
                "held_by_requesting_app": false,
                "handle": "",
            });
        }
        "rescheduled" => {
            body["fulfillment_order"]["fulfill_at"] = opt_time(fo.fulfill_at);
        }
        "cancelled" => body["replacement_fulfillment_order"] = Value::Null,
        _ => {}
    }
    body
}

/// The body of `bulk_operations/finish`. `status`, `error_code` and `operation_type` are given
/// as the GraphQL enums (`COMPLETED`, `ACCESS_DENIED`, `QUERY`) and sent lowercase.
pub fn bulk_operations_finish(
    id: u64,
    status: &str,
    error_code: Option<&str>,
    operation_type: &str,
    created_at: OffsetDateTime,
    completed_at: Option<OffsetDateTime>,
) -> Value {
    json!({
        "admin_graphql_api_id": gid("BulkOperation", id),
        "completed_at": opt_time(completed_at),
        "created_at": rest_time(created_at),
        "error_code": error_code.map(str::to_lowercase),
        "status": status.to_lowercase(),
        "type": operation_type.to_lowercase(),
    })
}
