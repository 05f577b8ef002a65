//! Checking a bulk query against Shopify's rules, and flattening its results into JSONL lines.
//!
//! Rules (shopify.md §2): at least one connection and at most five, nested at most two deep,
//! and a node with nested connections must select its `id` (children point at it). The
//! simulator also wants exactly one top-level field, a connection (inference: Shopify's docs
//! only show such queries).
//!
//! Output follows Shopify's format with `groupObjects: false`: one object per line, nested
//! connection nodes on their own lines with `__parentId`, children after their parent but not
//! next to it (each chunk writes its parents first, then their children).

use apollo_compiler::ExecutableDocument;
use apollo_compiler::executable::{Field, OperationType, Selection, SelectionSet};
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;

use super::BulkUserError;
use crate::shopify::schema::{admin_schema, is_connection};

/// Connections a bulk query may contain.
pub const MAX_CONNECTIONS: usize = 5;
/// How deep connections may nest (a connection inside a connection is depth 2).
pub const MAX_DEPTH: usize = 2;

pub(super) fn invalid(message: String) -> BulkUserError {
    BulkUserError {
        field: Some(vec!["query".to_owned()]),
        message,
        code: Some("INVALID"),
    }
}

/// Which parts of a node are nested connections (their nodes become lines of their own).
#[derive(Debug, Default)]
struct Shape {
    children: Vec<(String, Child)>,
}

#[derive(Debug)]
enum Child {
    Connection(Shape),
    Object(Shape),
}

/// What the runner needs to know about a checked bulk query.
pub(super) struct Plan {
    /// Response key of the top-level connection.
    root_key: String,
    node: Shape,
    /// The top-level connection alone (same arguments, nothing selected below it): what the
    /// parallel writer's pager runs to find where chunks start.
    pub pager_query: String,
}

/// Checks Shopify's bulk query rules and works out the output shape.
pub(super) fn plan(document: &Valid<ExecutableDocument>) -> Result<Plan, BulkUserError> {
    let operation = document.operations.get(None).map_err(|_| {
        invalid("Invalid bulk query: a bulk query must contain exactly one operation.".to_owned())
    })?;
    if operation.operation_type != OperationType::Query {
        return Err(invalid(
            "Invalid bulk query: bulk queries must be queries, not mutations.".to_owned(),
        ));
    }
    let mut planner = Planner {
        document,
        connections: 0,
        depth: 0,
    };
    let root_fields = planner.fields(&operation.selection_set);
    let connection_field = match root_fields.as_slice() {
        [field] if is_connection(admin_schema(), field.ty().inner_named_type()) => *field,
        _ => {
            return Err(invalid(
                "Invalid bulk query: Bulk queries must contain at least one connection, at the top level."
                    .to_owned(),
            ));
        }
    };
    let node = planner.connection(connection_field, 1)?;
    if planner.connections > MAX_CONNECTIONS {
        return Err(invalid(format!(
            "Invalid bulk query: Bulk queries cannot contain more than {MAX_CONNECTIONS} connections."
        )));
    }
    let arguments: Vec<String> = (connection_field.arguments.iter())
        .map(|argument| format!("{}: {}", argument.name, argument.value))
        .collect();
    let arguments = match arguments.is_empty() {
        true => String::new(),
        false => format!("({})", arguments.join(", ")),
    };
    Ok(Plan {
        root_key: connection_field.response_key().to_string(),
        node,
        pager_query: format!(
            "{{ {}: {}{arguments} {{ __typename }} }}",
            connection_field.response_key(),
            connection_field.name
        ),
    })
}

struct Planner<'d> {
    document: &'d ExecutableDocument,
    connections: usize,
    depth: usize,
}

impl<'d> Planner<'d> {
    fn fields(&self, set: &'d SelectionSet) -> Vec<&'d Field> {
        let mut out = Vec::new();
        self.collect(set, &mut out, 0);
        out
    }

    fn collect(&self, set: &'d SelectionSet, out: &mut Vec<&'d Field>, depth: usize) {
        if depth > 32 {
            return;
        }
        for selection in &set.selections {
            match selection {
                Selection::Field(field) => out.push(field),
                Selection::InlineFragment(inline) => {
                    self.collect(&inline.selection_set, out, depth + 1)
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = self.document.fragments.get(&spread.fragment_name) {
                        self.collect(&fragment.selection_set, out, depth + 1);
                    }
                }
            }
        }
    }

    /// The node shape of a connection field at connection depth `depth`.
    fn connection(&mut self, field: &'d Field, depth: usize) -> Result<Shape, BulkUserError> {
        self.connections += 1;
        self.depth = self.depth.max(depth);
        if depth > MAX_DEPTH {
            return Err(invalid(format!(
                "Invalid bulk query: Bulk queries cannot contain connections with a nesting depth greater than {MAX_DEPTH}."
            )));
        }
        let mut node_sets = Vec::new();
        for child in self.fields(&field.selection_set) {
            match child.name.as_str() {
                "nodes" => node_sets.push(&child.selection_set),
                "edges" => {
                    for edge_field in self.fields(&child.selection_set) {
                        if edge_field.name == "node" {
                            node_sets.push(&edge_field.selection_set);
                        }
                    }
                }
                _ => {}
            }
        }
        let mut shape = Shape::default();
        for set in node_sets {
            let node_shape = self.object(set, depth)?;
            if !node_shape.children.is_empty() && !selects_plain_id(self, set) {
                // Shopify's rule: children point at their parent by id.
                return Err(invalid(format!(
                    "Invalid bulk query: The parent 'node' field for a nested connection must select the 'id' field without an alias and must be of 'ID' return type. Connection field: '{}'",
                    field.name
                )));
            }
            shape.children.extend(node_shape.children);
        }
        Ok(shape)
    }

    /// The shape of an object selection inside a node at connection depth `depth`.
    fn object(&mut self, set: &'d SelectionSet, depth: usize) -> Result<Shape, BulkUserError> {
        let mut shape = Shape::default();
        for field in self.fields(set) {
            let type_name = field.ty().inner_named_type();
            if is_connection(admin_schema(), type_name) {
                let child = self.connection(field, depth + 1)?;
                shape
                    .children
                    .push((field.response_key().to_string(), Child::Connection(child)));
            } else if matches!(
                admin_schema().types.get(type_name),
                Some(ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_))
            ) && !field.selection_set.selections.is_empty()
            {
                let child = self.object(&field.selection_set, depth)?;
                if !child.children.is_empty() {
                    shape
                        .children
                        .push((field.response_key().to_string(), Child::Object(child)));
                }
            }
        }
        Ok(shape)
    }
}

fn selects_plain_id(planner: &Planner<'_>, set: &SelectionSet) -> bool {
    let mut fields = Vec::new();
    planner.collect(set, &mut fields, 0);
    fields.iter().any(|f| f.name == "id" && f.alias.is_none())
}

/// What one chunk wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Written {
    pub roots: u64,
    pub objects: u64,
}

/// Writes one chunk's response as JSONL to `out`: top-level nodes first, then every nested
/// node (each after its own parent) with `__parentId`. Serialises straight from the response
/// tree, without building the lines as maps first (per-object allocations dominate a large
/// bulk operation).
pub(super) fn write_lines(mut data: JsonMap, plan: &Plan, out: &mut Vec<u8>) -> Written {
    let mut written = Written::default();
    let Some(JsonValue::Object(connection)) = data.remove(plan.root_key.as_str()) else {
        return written;
    };
    let mut descendants = Vec::new();
    for node in connection_nodes(&connection) {
        write_node(node, &plan.node, None, out, &mut descendants, &mut written);
        written.roots += 1;
    }
    out.extend_from_slice(&descendants);
    written
}

/// The nodes of a connection object, from `nodes` or `edges { node }`.
fn connection_nodes(connection: &JsonMap) -> Vec<&JsonMap> {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for (key, value) in connection {
        let JsonValue::Array(items) = value else {
            continue;
        };
        match key.as_str() {
            "nodes" => nodes = items.iter().collect(),
            "edges" => {
                edges = (items.iter())
                    .filter_map(|edge| match edge {
                        JsonValue::Object(edge) => edge.get("node"),
                        _ => None,
                    })
                    .collect();
            }
            _ => {}
        }
    }
    let chosen = if nodes.is_empty() { edges } else { nodes };
    (chosen.into_iter())
        .filter_map(|node| match node {
            JsonValue::Object(node) => Some(node),
            _ => None,
        })
        .collect()
}

/// One node as a line (`parent`: the `__parentId` to add), its nested connections' nodes
/// going to `children` as lines of their own, each followed by its own children.
fn write_node(
    node: &JsonMap,
    shape: &Shape,
    parent: Option<&JsonValue>,
    out: &mut Vec<u8>,
    children: &mut Vec<u8>,
    written: &mut Written,
) {
    let id = node.get("id").unwrap_or(&JsonValue::Null);
    out.push(b'{');
    let mut first = true;
    write_object_fields(node, shape, id, out, children, written, &mut first);
    if let Some(parent) = parent {
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(br#""__parentId":"#);
        write_json(out, parent);
    }
    out.extend_from_slice(b"}\n");
    written.objects += 1;
}

/// The fields of `object` minus its nested connections, whose nodes are written to
/// `children` pointing at `parent_id`.
fn write_object_fields(
    object: &JsonMap,
    shape: &Shape,
    parent_id: &JsonValue,
    out: &mut Vec<u8>,
    children: &mut Vec<u8>,
    written: &mut Written,
    first: &mut bool,
) {
    for (key, value) in object {
        let child = (shape.children.iter()).find(|(k, _)| k.as_str() == key.as_str());
        match (child, value) {
            (Some((_, Child::Connection(child_shape))), value) => {
                if let JsonValue::Object(connection) = value {
                    // A child's own children follow it; only children that can have some need
                    // a buffer for them (the usual line item has none).
                    let mut grandchildren = Vec::new();
                    for node in connection_nodes(connection) {
                        write_node(
                            node,
                            child_shape,
                            Some(parent_id),
                            children,
                            &mut grandchildren,
                            written,
                        );
                        children.append(&mut grandchildren);
                    }
                }
            }
            (Some((_, Child::Object(child_shape))), JsonValue::Object(inner)) => {
                separate(out, first);
                write_key(out, key.as_str());
                out.push(b'{');
                let mut inner_first = true;
                write_object_fields(
                    inner,
                    child_shape,
                    parent_id,
                    out,
                    children,
                    written,
                    &mut inner_first,
                );
                out.push(b'}');
            }
            _ => {
                separate(out, first);
                write_key(out, key.as_str());
                write_json(out, value);
            }
        }
    }
}

fn separate(out: &mut Vec<u8>, first: &mut bool) {
    if !*first {
        out.push(b',');
    }
    *first = false;
}

fn write_key(out: &mut Vec<u8>, key: &str) {
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, key);
    out.push(b':');
}

fn write_json(out: &mut Vec<u8>, value: &JsonValue) {
    let _ = serde_json::to_writer(&mut *out, value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shopify::schema::parse_document;

    fn check(query: &str) -> Result<Plan, BulkUserError> {
        let document = parse_document(query).expect("valid GraphQL");
        plan(&document)
    }

    #[test]
    fn bulk_rules_are_enforced() {
        assert!(
            check("{ orders { edges { node { id lineItems { edges { node { id sku } } } } } } }")
                .is_ok()
        );
        let error = check("{ shop { id } }").err().expect("no connection");
        assert_eq!(error.code, Some("INVALID"));
        let error = check(
            "{ products { nodes { id variants { nodes { id inventoryItem { inventoryLevels { nodes { id } } } } } } } }",
        )
        .err()
        .expect("too deep");
        assert!(error.message.contains("nesting depth"), "{}", error.message);
        let error = check("{ orders { nodes { name lineItems { nodes { sku } } } } }")
            .err()
            .expect("parent without id");
        assert!(error.message.contains("'id'"), "{}", error.message);
    }

    #[test]
    fn nested_nodes_become_lines_with_parent_ids() {
        let plan = check(
            "{ orders { nodes { id name totalPriceSet { shopMoney { amount } } lineItems { nodes { id sku } } } } }",
        )
        .expect("plan");
        let data: JsonMap = serde_json::from_value(serde_json::json!({
            "orders": {"nodes": [
                {"id": "gid://shopify/Order/1", "name": "#1001", "totalPriceSet": {"shopMoney": {"amount": "1.00"}},
                 "lineItems": {"nodes": [{"id": "L1", "sku": "A"}, {"id": "L2", "sku": "B"}]}},
                {"id": "gid://shopify/Order/2", "name": "#1002", "totalPriceSet": {"shopMoney": {"amount": "2.00"}},
                 "lineItems": {"nodes": [{"id": "L3", "sku": "C"}]}},
            ]}
        }))
        .expect("data");
        let mut out = Vec::new();
        let written = write_lines(data, &plan, &mut out);
        assert_eq!(
            written,
            Written {
                roots: 2,
                objects: 5
            }
        );
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                r##"{"id":"gid://shopify/Order/1","name":"#1001","totalPriceSet":{"shopMoney":{"amount":"1.00"}}}"##,
                r##"{"id":"gid://shopify/Order/2","name":"#1002","totalPriceSet":{"shopMoney":{"amount":"2.00"}}}"##,
                r#"{"id":"L1","sku":"A","__parentId":"gid://shopify/Order/1"}"#,
                r#"{"id":"L2","sku":"B","__parentId":"gid://shopify/Order/1"}"#,
                r#"{"id":"L3","sku":"C","__parentId":"gid://shopify/Order/2"}"#,
            ]
        );
        for line in lines {
            serde_json::from_str::<serde_json::Value>(line).expect("each line is JSON");
        }
    }

    #[test]
    fn the_pager_query_keeps_the_top_level_arguments() {
        let plan = check(
            r#"{ recent: orders(query: "created_at:>='2026-01-01'", sortKey: CREATED_AT) { edges { node { id } } } }"#,
        )
        .expect("plan");
        assert_eq!(
            plan.pager_query,
            r#"{ recent: orders(query: "created_at:>='2026-01-01'", sortKey: CREATED_AT) { __typename } }"#
        );
        parse_document(&plan.pager_query).expect("a valid query");
    }

    #[test]
    fn grandchildren_follow_their_parent_line() {
        let plan =
            check("{ products { nodes { id variants { nodes { id inventoryItem { id } } } } } }")
                .expect("plan");
        let data: JsonMap = serde_json::from_value(serde_json::json!({
            "products": {"edges": [], "nodes": [
                {"id": "P1", "variants": {"nodes": [{"id": "V1", "inventoryItem": {"id": "I1"}}]}},
            ]}
        }))
        .expect("data");
        let mut out = Vec::new();
        write_lines(data, &plan, &mut out);
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "{\"id\":\"P1\"}\n{\"id\":\"V1\",\"inventoryItem\":{\"id\":\"I1\"},\"__parentId\":\"P1\"}\n"
        );
    }
}
