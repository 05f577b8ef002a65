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
    Ok(Plan {
        root_key: connection_field.response_key().to_string(),
        node,
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

pub(super) struct Lines {
    pub roots: Vec<JsonMap>,
    pub descendants: Vec<JsonMap>,
}

/// Flattens one chunk's response into JSONL objects: top-level nodes first, then every nested
/// node (each after its own parent) with `__parentId`.
pub(super) fn lines(mut data: JsonMap, plan: &Plan) -> Lines {
    let mut out = Lines {
        roots: Vec::new(),
        descendants: Vec::new(),
    };
    let Some(JsonValue::Object(connection)) = data.remove(plan.root_key.as_str()) else {
        return out;
    };
    for node in connection_nodes(connection) {
        let mut children = Vec::new();
        let line = split_node(node, &plan.node, &mut children);
        out.roots.push(line);
        out.descendants.extend(children);
    }
    out
}

/// The nodes of a connection object, from `nodes` or `edges { node }`.
fn connection_nodes(connection: JsonMap) -> Vec<JsonMap> {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for (key, value) in connection {
        let JsonValue::Array(items) = value else {
            continue;
        };
        match key.as_str() {
            "nodes" => nodes = items,
            "edges" => {
                edges = items
                    .into_iter()
                    .filter_map(|edge| match edge {
                        JsonValue::Object(mut edge) => edge.remove("node"),
                        _ => None,
                    })
                    .collect();
            }
            _ => {}
        }
    }
    let chosen = if nodes.is_empty() { edges } else { nodes };
    chosen
        .into_iter()
        .filter_map(|node| match node {
            JsonValue::Object(node) => Some(node),
            _ => None,
        })
        .collect()
}

/// Removes the nested connections from `node` (keeping key order), appending their nodes to
/// `children` as lines pointing at `node`'s id.
fn split_node(node: JsonMap, shape: &Shape, children: &mut Vec<JsonMap>) -> JsonMap {
    let id = node.get("id").cloned().unwrap_or(JsonValue::Null);
    strip(node, shape, &id, children)
}

fn strip(
    object: JsonMap,
    shape: &Shape,
    parent_id: &JsonValue,
    children: &mut Vec<JsonMap>,
) -> JsonMap {
    if shape.children.is_empty() {
        return object;
    }
    let mut kept = JsonMap::new();
    for (key, value) in object {
        match shape
            .children
            .iter()
            .find(|(k, _)| k.as_str() == key.as_str())
        {
            Some((_, Child::Connection(child_shape))) => {
                if let JsonValue::Object(connection) = value {
                    for child in connection_nodes(connection) {
                        let mut grandchildren = Vec::new();
                        let mut line = split_node(child, child_shape, &mut grandchildren);
                        line.insert("__parentId", parent_id.clone());
                        children.push(line);
                        children.extend(grandchildren);
                    }
                }
            }
            Some((_, Child::Object(child_shape))) => {
                let value = match value {
                    JsonValue::Object(inner) => {
                        JsonValue::Object(strip(inner, child_shape, parent_id, children))
                    }
                    other => other,
                };
                kept.insert(key, value);
            }
            None => {
                kept.insert(key, value);
            }
        }
    }
    kept
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
        let plan =
            check("{ orders { nodes { id name lineItems { nodes { id sku } } } } }").expect("plan");
        let data: JsonMap = serde_json::from_value(serde_json::json!({
            "orders": {"nodes": [
                {"id": "gid://shopify/Order/1", "name": "#1001", "lineItems": {"nodes": [{"id": "L1", "sku": "A"}, {"id": "L2", "sku": "B"}]}},
                {"id": "gid://shopify/Order/2", "name": "#1002", "lineItems": {"nodes": [{"id": "L3", "sku": "C"}]}},
            ]}
        }))
        .expect("data");
        let out = lines(data, &plan);
        let text = |m: &JsonMap| serde_json::to_string(m).expect("json");
        assert_eq!(
            text(&out.roots[0]),
            r##"{"id":"gid://shopify/Order/1","name":"#1001"}"##
        );
        assert_eq!(out.descendants.len(), 3);
        assert_eq!(
            text(&out.descendants[0]),
            r#"{"id":"L1","sku":"A","__parentId":"gid://shopify/Order/1"}"#
        );
        assert_eq!(
            out.descendants[2].get("__parentId"),
            Some(&JsonValue::from("gid://shopify/Order/2"))
        );
    }
}
