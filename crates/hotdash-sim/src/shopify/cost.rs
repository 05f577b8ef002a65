//! Query cost (shopify.md §1.3): the *requested* cost from the document before it runs, and the
//! *actual* cost from what it returned.
//!
//! Rules, as documented: scalars and enums cost 0, objects 1, an abstract type the most expensive
//! of its fragments, a connection `2 + first × (cost of one node)` (so nested connections
//! multiply), and every mutation field 10. `pageInfo`, `edges` and `cursor` are bookkeeping and
//! free. A plain list with a `first` argument (e.g. `Order.fulfillments(first:)`) counts `first`
//! objects without the connection's 2 (inference: the docs do not cover lists).
//!
//! The walk also checks what Shopify checks before running anything: every connection needs
//! `first` or `last`, at most 250.

use std::collections::HashSet;

use apollo_compiler::ExecutableDocument;
use apollo_compiler::Schema;
use apollo_compiler::ast::Value;
use apollo_compiler::executable::{Field, Operation, OperationType, Selection, SelectionSet};
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::schema::ExtendedType;
use serde_json::json;

use super::schema::is_connection;

/// Largest page a connection serves (shopify.md §1.7).
pub const MAX_PAGE_SIZE: i64 = 250;

/// What every mutation field costs.
const MUTATION_COST: u64 = 10;

/// A request error found before execution, shaped like Shopify's (`data` is null).
#[derive(Debug, Clone)]
pub struct ArgumentError {
    pub message: String,
    pub line_column: Option<(usize, usize)>,
    pub path: Vec<String>,
}

impl ArgumentError {
    pub fn to_json(&self) -> serde_json::Value {
        let mut error = json!({"message": self.message, "path": self.path});
        if let Some((line, column)) = self.line_column {
            error["locations"] = json!([{"line": line, "column": column}]);
        }
        error
    }
}

struct Walk<'a, 'v> {
    schema: &'a Schema,
    document: &'a ExecutableDocument,
    variables: &'v JsonMap,
    errors: Vec<ArgumentError>,
    fragments_seen: usize,
}

/// The requested cost of `operation`, or the argument errors that stop it running.
pub fn requested_cost<'a>(
    schema: &'a Schema,
    document: &'a ExecutableDocument,
    operation: &'a Operation,
    variables: &JsonMap,
) -> Result<u64, Vec<ArgumentError>> {
    let mut walk = Walk {
        schema,
        document,
        variables,
        errors: Vec::new(),
        fragments_seen: 0,
    };
    let cost = if operation.operation_type == OperationType::Mutation {
        let mut fields = Vec::new();
        walk.flatten(&operation.selection_set, &mut fields);
        fields.len() as u64 * MUTATION_COST
    } else {
        walk.selection_set(&operation.selection_set, &mut Vec::new())
    };
    if walk.errors.is_empty() {
        Ok(cost)
    } else {
        Err(walk.errors)
    }
}

impl<'a> Walk<'a, '_> {
    /// Fields of a selection set, through fragments (bounded against fragment cycles, which
    /// validation already rejects).
    fn flatten(&mut self, set: &'a SelectionSet, out: &mut Vec<&'a Field>) {
        for selection in &set.selections {
            match selection {
                Selection::Field(field) => out.push(field),
                Selection::InlineFragment(inline) => self.flatten(&inline.selection_set, out),
                Selection::FragmentSpread(spread) => {
                    self.fragments_seen += 1;
                    if self.fragments_seen > 10_000 {
                        continue;
                    }
                    if let Some(fragment) = self.document.fragments.get(&spread.fragment_name) {
                        self.flatten(&fragment.selection_set, out);
                    }
                }
            }
        }
    }

    fn is_abstract(&self, type_name: &str) -> bool {
        matches!(
            self.schema.types.get(type_name),
            Some(ExtendedType::Interface(_) | ExtendedType::Union(_))
        )
    }

    /// Cost of one object's selections: fields add up; on an interface or union only the most
    /// expensive fragment counts, since one object matches one type.
    fn selection_set(&mut self, set: &'a SelectionSet, path: &mut Vec<String>) -> u64 {
        let abstract_parent = self.is_abstract(set.ty.as_str());
        let mut total = 0;
        let mut widest_fragment = 0;
        for selection in &set.selections {
            match selection {
                Selection::Field(field) => total += self.field(field, path),
                Selection::InlineFragment(inline) => {
                    let cost = self.selection_set(&inline.selection_set, path);
                    if abstract_parent {
                        widest_fragment = widest_fragment.max(cost);
                    } else {
                        total += cost;
                    }
                }
                Selection::FragmentSpread(spread) => {
                    self.fragments_seen += 1;
                    if self.fragments_seen > 10_000 {
                        continue;
                    }
                    let Some(fragment) = self.document.fragments.get(&spread.fragment_name) else {
                        continue;
                    };
                    let cost = self.selection_set(&fragment.selection_set, path);
                    if abstract_parent {
                        widest_fragment = widest_fragment.max(cost);
                    } else {
                        total += cost;
                    }
                }
            }
        }
        total + widest_fragment
    }

    fn field(&mut self, field: &'a Field, path: &mut Vec<String>) -> u64 {
        let type_name = field.ty().inner_named_type();
        match self.schema.types.get(type_name) {
            Some(ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_)) => {
            }
            _ => return 0,
        }
        path.push(field.response_key().to_string());
        let cost = if is_connection(self.schema, type_name) {
            let page = self.page_size(field, path);
            let node = self.connection_node(&field.selection_set, path);
            2 + page * node
        } else {
            let one = 1 + self.selection_set(&field.selection_set, path);
            match self.int_argument(field, "first") {
                Some(first) if field.ty().is_list() => first.max(0) as u64 * one,
                _ => one,
            }
        };
        path.pop();
        cost
    }

    /// The cost of one node of a connection, whether selected as `nodes` or `edges { node }`.
    fn connection_node(&mut self, set: &'a SelectionSet, path: &mut Vec<String>) -> u64 {
        let mut fields = Vec::new();
        self.flatten(set, &mut fields);
        let mut node = 0;
        for field in fields {
            path.push(field.response_key().to_string());
            match field.name.as_str() {
                "nodes" => node = node.max(1 + self.selection_set(&field.selection_set, path)),
                "edges" => {
                    let mut edge_fields = Vec::new();
                    self.flatten(&field.selection_set, &mut edge_fields);
                    for edge_field in edge_fields.into_iter().filter(|f| f.name == "node") {
                        path.push(edge_field.response_key().to_string());
                        node = node.max(1 + self.selection_set(&edge_field.selection_set, path));
                        path.pop();
                    }
                }
                _ => {}
            }
            path.pop();
        }
        node
    }

    /// `first` or `last`, checked the way Shopify checks them.
    fn page_size(&mut self, field: &Field, path: &[String]) -> u64 {
        let first = self.int_argument(field, "first");
        let last = self.int_argument(field, "last");
        let size = match (first, last) {
            (None, None) => {
                self.error(
                    field,
                    path,
                    "you must provide one of first or last".to_owned(),
                );
                return 0;
            }
            (Some(first), _) => ("first", first),
            (None, Some(last)) => ("last", last),
        };
        if !(0..=MAX_PAGE_SIZE).contains(&size.1) {
            // Wording: inference; Shopify documents the 250 limit, not the message.
            self.error(
                field,
                path,
                format!(
                    "Argument '{}' on Field '{}' has an invalid value ({}). Expected a page size from 0 to {MAX_PAGE_SIZE}.",
                    size.0, field.name, size.1
                ),
            );
            return 0;
        }
        size.1 as u64
    }

    fn int_argument(&self, field: &Field, name: &str) -> Option<i64> {
        int_argument(field, name, self.variables)
    }

    fn error(&mut self, field: &Field, path: &[String], message: String) {
        let line_column = field
            .name
            .location()
            .and_then(|span| span.line_column(&self.document.sources))
            .map(|lc| (lc.line, lc.column));
        self.errors.push(ArgumentError {
            message,
            line_column,
            path: path.to_vec(),
        });
    }
}

/// An integer argument, literal or from a variable.
pub fn int_argument(field: &Field, name: &str, variables: &JsonMap) -> Option<i64> {
    match field.specified_argument_by_name(name)?.as_ref() {
        Value::Int(value) => value.try_to_i32().ok().map(i64::from),
        Value::Variable(variable) => variables.get(variable.as_str())?.as_i64(),
        _ => None,
    }
}

/// The actual cost of `operation` given the `data` it returned: the same rules, counting the
/// objects that came back instead of the ones asked for.
pub fn actual_cost<'a>(
    schema: &'a Schema,
    document: &'a ExecutableDocument,
    operation: &'a Operation,
    data: Option<&JsonMap>,
) -> u64 {
    if operation.operation_type == OperationType::Mutation {
        let no_variables = JsonMap::new();
        let mut walk = Walk {
            schema,
            document,
            variables: &no_variables,
            errors: Vec::new(),
            fragments_seen: 0,
        };
        let mut fields = Vec::new();
        walk.flatten(&operation.selection_set, &mut fields);
        return fields.len() as u64 * MUTATION_COST;
    }
    let Some(data) = data else { return 0 };
    let mut actual = Actual {
        schema,
        document,
        fragments_seen: 0,
    };
    actual.object(&operation.selection_set, data)
}

struct Actual<'a> {
    schema: &'a Schema,
    document: &'a ExecutableDocument,
    fragments_seen: usize,
}

impl<'a> Actual<'a> {
    /// Fields of a selection set through fragments, first occurrence of each response key only,
    /// because a merged field appears once in the response.
    fn fields(
        &mut self,
        set: &'a SelectionSet,
        seen: &mut HashSet<&'a str>,
        out: &mut Vec<&'a Field>,
    ) {
        for selection in &set.selections {
            match selection {
                Selection::Field(field) => {
                    if seen.insert(field.response_key().as_str()) {
                        out.push(field);
                    }
                }
                Selection::InlineFragment(inline) => self.fields(&inline.selection_set, seen, out),
                Selection::FragmentSpread(spread) => {
                    self.fragments_seen += 1;
                    if self.fragments_seen > 10_000 {
                        continue;
                    }
                    if let Some(fragment) = self.document.fragments.get(&spread.fragment_name) {
                        self.fields(&fragment.selection_set, seen, out);
                    }
                }
            }
        }
    }

    fn object(&mut self, set: &'a SelectionSet, value: &JsonMap) -> u64 {
        let mut fields = Vec::new();
        self.fields(set, &mut HashSet::new(), &mut fields);
        fields
            .into_iter()
            .map(|field| match value.get(field.response_key().as_str()) {
                Some(child) => self.field(field, child),
                None => 0,
            })
            .sum()
    }

    fn field(&mut self, field: &'a Field, value: &JsonValue) -> u64 {
        let type_name = field.ty().inner_named_type();
        if !matches!(
            self.schema.types.get(type_name),
            Some(ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_))
        ) {
            return 0;
        }
        if is_connection(self.schema, type_name) {
            let JsonValue::Object(connection) = value else {
                return 0;
            };
            return 2 + self.connection_nodes(&field.selection_set, connection);
        }
        self.objects(&field.selection_set, value)
    }

    /// 1 per object (plus its children), for an object, a list of them, or null.
    fn objects(&mut self, set: &'a SelectionSet, value: &JsonValue) -> u64 {
        match value {
            JsonValue::Object(object) => 1 + self.object(set, object),
            JsonValue::Array(items) => items.iter().map(|item| self.objects(set, item)).sum(),
            _ => 0,
        }
    }

    fn connection_nodes(&mut self, set: &'a SelectionSet, connection: &JsonMap) -> u64 {
        let mut fields = Vec::new();
        self.fields(set, &mut HashSet::new(), &mut fields);
        let mut widest = 0;
        for field in fields {
            let Some(value) = connection.get(field.response_key().as_str()) else {
                continue;
            };
            let cost = match field.name.as_str() {
                "nodes" => self.objects(&field.selection_set, value),
                "edges" => {
                    let mut edge_fields = Vec::new();
                    self.fields(&field.selection_set, &mut HashSet::new(), &mut edge_fields);
                    let Some(node_field) = edge_fields.into_iter().find(|f| f.name == "node")
                    else {
                        continue;
                    };
                    let key = node_field.response_key().as_str();
                    match value {
                        JsonValue::Array(edges) => edges
                            .iter()
                            .filter_map(|edge| edge.as_object()?.get(key))
                            .map(|node| self.objects(&node_field.selection_set, node))
                            .sum(),
                        _ => 0,
                    }
                }
                _ => 0,
            };
            widest = widest.max(cost);
        }
        widest
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shopify::schema::{admin_schema, parse_document};

    fn requested(query: &str, variables: serde_json::Value) -> Result<u64, Vec<ArgumentError>> {
        let document = parse_document(query).expect("valid document");
        let operation = document.operations.get(None).expect("one operation");
        let variables: JsonMap = serde_json::from_value(variables).expect("variables");
        requested_cost(admin_schema(), &document, operation, &variables)
    }

    #[test]
    fn the_documented_worked_example_costs_82() {
        // shopify.md §1.3: 2 + 10 × (1 + 2 + 5) = 82.
        let cost = requested(
            "{ products(first: 10) { nodes { title variants(first: 5) { nodes { price } } } } }",
            json!({}),
        );
        assert_eq!(cost.expect("no errors"), 82);
    }

    #[test]
    fn variables_edges_and_plain_objects_count() {
        let cost = requested(
            "query($n: Int!) { shop { id } orders(first: $n) { pageInfo { hasNextPage } edges { cursor node { id totalPriceSet { shopMoney { amount } } } } } }",
            json!({"n": 50}),
        );
        // shop 1; orders 2 + 50 × (order 1 + set 1 + money 1).
        assert_eq!(cost.expect("no errors"), 1 + 2 + 50 * 3);
    }

    #[test]
    fn mutations_cost_ten() {
        let cost = requested(
            "mutation { webhookSubscriptionDelete(id: \"gid://shopify/WebhookSubscription/1\") { deletedWebhookSubscriptionId } }",
            json!({}),
        );
        assert_eq!(cost.expect("no errors"), 10);
    }

    #[test]
    fn connections_need_a_page_size_of_at_most_250() {
        let errors =
            requested("{ products { nodes { id } } }", json!({})).expect_err("no page size");
        assert_eq!(errors[0].message, "you must provide one of first or last");
        assert_eq!(errors[0].path, vec!["products"]);
        let errors =
            requested("{ orders(first: 251) { nodes { id } } }", json!({})).expect_err("too many");
        assert!(errors[0].message.contains("251"));
    }

    #[test]
    fn actual_cost_counts_what_came_back() {
        let query =
            "{ products(first: 10) { nodes { title variants(first: 5) { nodes { price } } } } }";
        let document = parse_document(query).expect("valid");
        let operation = document.operations.get(None).expect("operation");
        let data: JsonMap = serde_json::from_value(json!({
            "products": {"nodes": [
                {"title": "a", "variants": {"nodes": [{"price": "1.00"}, {"price": "2.00"}]}},
                {"title": "b", "variants": {"nodes": []}},
            ]}
        }))
        .expect("data");
        // 2 + (1 + 2 + 2) + (1 + 2 + 0)
        assert_eq!(
            actual_cost(admin_schema(), &document, operation, Some(&data)),
            10
        );
    }
}
