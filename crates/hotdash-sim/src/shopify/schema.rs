//! The real Shopify Admin GraphQL schema (2026-07), loaded once per process.
//!
//! The repository keeps Shopify's own introspection JSON (`schema/shopify/admin_2026-07.json.gz`,
//! from `@shopify/dev-mcp`). apollo-compiler only reads SDL, so this module prints the
//! introspection result as SDL (types, arguments, default values, custom scalars and
//! directives, `@deprecated` reasons, `@oneOf`) and builds a validated `Schema` from it.
//! Descriptions are dropped: nothing here needs them and they triple the text to parse.
//!
//! Documents are validated against this schema exactly as a client's would be, so the simulator
//! cannot accept a query the real API would reject, nor answer in a shape it does not have.

use std::fmt::Write as _;
use std::io::Read as _;
use std::sync::OnceLock;

use apollo_compiler::executable::{ExecutableDocument, Selection, SelectionSet};
use apollo_compiler::validation::{Valid, WithErrors};
use apollo_compiler::{Name, Schema};
use serde::Deserialize;

use super::scopes::{AccessTable, Requirement};

/// The pinned Admin API version this schema describes.
pub const PINNED_VERSION: &str = "2026-07";

/// The gzipped introspection JSON, compiled in so tests and `hotdash sim` need no files at run
/// time.
const INTROSPECTION_GZ: &[u8] = include_bytes!("../../../../schema/shopify/admin_2026-07.json.gz");

/// Names apollo-compiler defines itself (redefining them is an error).
const BUILT_IN_SCALARS: &[&str] = &["String", "Int", "Float", "Boolean", "ID"];
const BUILT_IN_DIRECTIVES: &[&str] = &["skip", "include", "deprecated", "specifiedBy"];

/// The Admin schema, parsed and validated on first use; an error only if the committed file
/// was replaced by a broken one (a unit test builds it, so that cannot ship).
pub fn load_admin_schema() -> Result<&'static Valid<Schema>, String> {
    static SCHEMA: OnceLock<Result<Valid<Schema>, String>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let sdl = admin_sdl()?;
            Schema::parse_and_validate(sdl, "shopify_admin_2026-07.graphql").map_err(|errors| {
                format!(
                    "the committed Shopify Admin schema is invalid: {}",
                    errors.errors
                )
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The Admin schema. Simulators call `load_admin_schema` when they start, so by the time a
/// request needs this it has loaded; the panic is for a broken committed file only.
pub fn admin_schema() -> &'static Valid<Schema> {
    match load_admin_schema() {
        Ok(schema) => schema,
        Err(error) => panic!("{error}"),
    }
}

/// The Admin schema as SDL text (what `load_admin_schema` parses).
pub fn admin_sdl() -> Result<&'static str, String> {
    static SDL: OnceLock<Result<String, String>> = OnceLock::new();
    SDL.get_or_init(|| {
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(INTROSPECTION_GZ)
            .read_to_end(&mut json)
            .map_err(|error| {
                format!("the committed Shopify Admin schema is not valid gzip: {error}")
            })?;
        let (sdl, access) = read_introspection(&json).map_err(|error| {
            format!("the committed Shopify Admin schema is unreadable: {error}")
        })?;
        // Access rules travel with the schema, so they cannot drift from it either.
        super::scopes::install_table(access);
        Ok(sdl)
    })
    .as_deref()
    .map_err(Clone::clone)
}

/// Parses and validates an operation document against the Admin schema.
pub fn parse_document(
    source: &str,
) -> Result<Valid<ExecutableDocument>, Box<WithErrors<ExecutableDocument>>> {
    ExecutableDocument::parse_and_validate(admin_schema(), source, "query.graphql")
        .map_err(Box::new)
}

/// `Type.field` for every deprecated field the document selects, in document order without
/// repeats: the value of `X-Shopify-API-Deprecated-Reason` since 2025-04.
pub fn deprecated_fields(document: &ExecutableDocument) -> Vec<String> {
    let mut found = Vec::new();
    for operation in document.operations.iter() {
        collect_deprecated(&operation.selection_set, &mut found, 0);
    }
    for fragment in document.fragments.values() {
        collect_deprecated(&fragment.selection_set, &mut found, 0);
    }
    found
}

fn collect_deprecated(selection_set: &SelectionSet, found: &mut Vec<String>, depth: usize) {
    // Fragments are visited on their own, so spreads need not be followed; the depth guard is
    // belt and braces against pathological documents.
    if depth > 64 {
        return;
    }
    for selection in &selection_set.selections {
        match selection {
            Selection::Field(field) => {
                if field.definition.directives.get("deprecated").is_some() {
                    let coordinate = format!("{}.{}", selection_set.ty, field.name);
                    if !found.contains(&coordinate) {
                        found.push(coordinate);
                    }
                }
                collect_deprecated(&field.selection_set, found, depth + 1);
            }
            Selection::InlineFragment(inline) => {
                collect_deprecated(&inline.selection_set, found, depth + 1);
            }
            Selection::FragmentSpread(_) => {}
        }
    }
}

/// True for Relay connection types (`FooConnection` with `pageInfo`), which cost
/// `2 + first × node` and become separate JSONL lines in bulk output.
pub fn is_connection(schema: &Schema, type_name: &Name) -> bool {
    type_name.as_str().ends_with("Connection")
        && schema
            .get_object(type_name)
            .is_some_and(|object| object.fields.contains_key("pageInfo"))
}

// ---------------------------------------------------------------------------------------------
// Introspection JSON → SDL
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct Envelope {
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "__schema")]
    schema: IntrospectedSchema,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IntrospectedSchema {
    query_type: Named,
    mutation_type: Option<Named>,
    subscription_type: Option<Named>,
    types: Vec<FullType>,
    directives: Vec<Directive>,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FullType {
    kind: String,
    name: String,
    #[serde(default)]
    fields: Option<Vec<Field>>,
    #[serde(default)]
    input_fields: Option<Vec<InputValue>>,
    #[serde(default)]
    interfaces: Option<Vec<TypeRef>>,
    #[serde(default)]
    enum_values: Option<Vec<EnumValue>>,
    #[serde(default)]
    possible_types: Option<Vec<TypeRef>>,
    #[serde(default, rename = "specifiedByURL")]
    specified_by_url: Option<String>,
    #[serde(default)]
    is_one_of: Option<bool>,
    /// Shopify's own extension: the access scopes a type needs, in words.
    #[serde(default)]
    required_access: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Field {
    name: String,
    #[serde(default)]
    args: Vec<InputValue>,
    #[serde(rename = "type")]
    ty: TypeRef,
    #[serde(default)]
    is_deprecated: bool,
    deprecation_reason: Option<String>,
    /// As on types: what this one field needs, when it differs from its type.
    #[serde(default)]
    required_access: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InputValue {
    name: String,
    #[serde(rename = "type")]
    ty: TypeRef,
    default_value: Option<String>,
    #[serde(default)]
    is_deprecated: bool,
    deprecation_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnumValue {
    name: String,
    #[serde(default)]
    is_deprecated: bool,
    deprecation_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypeRef {
    kind: String,
    name: Option<String>,
    of_type: Option<Box<TypeRef>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Directive {
    name: String,
    #[serde(default)]
    is_repeatable: bool,
    locations: Vec<String>,
    #[serde(default)]
    args: Vec<InputValue>,
}

/// Prints an introspection result (`{"data":{"__schema":…}}`) as SDL.
pub fn introspection_to_sdl(json: &[u8]) -> Result<String, serde_json::Error> {
    read_introspection(json).map(|(sdl, _)| sdl)
}

/// The SDL, and the `requiredAccess` texts that name scopes (SDL has no place for them).
fn read_introspection(json: &[u8]) -> Result<(String, AccessTable), serde_json::Error> {
    let envelope: Envelope = serde_json::from_slice(json)?;
    let schema = envelope.data.schema;
    let mut access = AccessTable::default();
    for ty in &schema.types {
        if let Some(requirement) = ty.required_access.as_deref().and_then(Requirement::parse) {
            access.types.insert(ty.name.clone(), requirement);
        }
        for field in ty.fields.iter().flatten() {
            if let Some(requirement) = field
                .required_access
                .as_deref()
                .and_then(Requirement::parse)
            {
                (access.fields.entry(ty.name.clone()).or_default())
                    .insert(field.name.clone(), requirement);
            }
        }
    }
    Ok((write_sdl(&schema), access))
}

fn write_sdl(schema: &IntrospectedSchema) -> String {
    let mut out = String::with_capacity(4 << 20);

    out.push_str("schema {\n  query: ");
    out.push_str(&schema.query_type.name);
    if let Some(mutation) = &schema.mutation_type {
        let _ = write!(out, "\n  mutation: {}", mutation.name);
    }
    if let Some(subscription) = &schema.subscription_type {
        let _ = write!(out, "\n  subscription: {}", subscription.name);
    }
    out.push_str("\n}\n\n");

    for directive in &schema.directives {
        if BUILT_IN_DIRECTIVES.contains(&directive.name.as_str()) {
            continue;
        }
        let _ = write!(out, "directive @{}", directive.name);
        write_arguments(&mut out, &directive.args);
        if directive.is_repeatable {
            out.push_str(" repeatable");
        }
        let _ = writeln!(out, " on {}\n", directive.locations.join(" | "));
    }

    for ty in &schema.types {
        if ty.name.starts_with("__") || BUILT_IN_SCALARS.contains(&ty.name.as_str()) {
            continue;
        }
        write_type(&mut out, ty);
    }
    out
}

fn write_type(out: &mut String, ty: &FullType) {
    match ty.kind.as_str() {
        "SCALAR" => {
            let _ = write!(out, "scalar {}", ty.name);
            if let Some(url) = &ty.specified_by_url {
                let _ = write!(out, " @specifiedBy(url: {})", quote(url));
            }
            out.push_str("\n\n");
        }
        "OBJECT" | "INTERFACE" => {
            let keyword = if ty.kind == "OBJECT" {
                "type"
            } else {
                "interface"
            };
            let _ = write!(out, "{keyword} {}", ty.name);
            let interfaces: Vec<&str> = ty
                .interfaces
                .iter()
                .flatten()
                .filter_map(|i| i.name.as_deref())
                .collect();
            if !interfaces.is_empty() {
                let _ = write!(out, " implements {}", interfaces.join(" & "));
            }
            out.push_str(" {\n");
            for field in ty.fields.iter().flatten() {
                let _ = write!(out, "  {}", field.name);
                write_arguments(out, &field.args);
                let _ = write!(out, ": {}", type_ref(&field.ty));
                write_deprecated(
                    out,
                    field.is_deprecated,
                    field.deprecation_reason.as_deref(),
                );
                out.push('\n');
            }
            out.push_str("}\n\n");
        }
        "UNION" => {
            let members: Vec<&str> = ty
                .possible_types
                .iter()
                .flatten()
                .filter_map(|t| t.name.as_deref())
                .collect();
            let _ = write!(out, "union {} = {}\n\n", ty.name, members.join(" | "));
        }
        "ENUM" => {
            let _ = writeln!(out, "enum {} {{", ty.name);
            for value in ty.enum_values.iter().flatten() {
                let _ = write!(out, "  {}", value.name);
                write_deprecated(
                    out,
                    value.is_deprecated,
                    value.deprecation_reason.as_deref(),
                );
                out.push('\n');
            }
            out.push_str("}\n\n");
        }
        "INPUT_OBJECT" => {
            let _ = write!(out, "input {}", ty.name);
            if ty.is_one_of == Some(true) {
                out.push_str(" @oneOf");
            }
            out.push_str(" {\n");
            for field in ty.input_fields.iter().flatten() {
                out.push_str("  ");
                write_input_value(out, field);
                out.push('\n');
            }
            out.push_str("}\n\n");
        }
        other => tracing::warn!(
            kind = other,
            name = ty.name,
            "unknown introspection type kind"
        ),
    }
}

fn write_arguments(out: &mut String, args: &[InputValue]) {
    if args.is_empty() {
        return;
    }
    out.push('(');
    for (index, arg) in args.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        write_input_value(out, arg);
    }
    out.push(')');
}

fn write_input_value(out: &mut String, value: &InputValue) {
    let _ = write!(out, "{}: {}", value.name, type_ref(&value.ty));
    // Introspection gives default values already printed as GraphQL literals.
    if let Some(default) = &value.default_value {
        let _ = write!(out, " = {default}");
    }
    write_deprecated(
        out,
        value.is_deprecated,
        value.deprecation_reason.as_deref(),
    );
}

fn write_deprecated(out: &mut String, deprecated: bool, reason: Option<&str>) {
    if !deprecated {
        return;
    }
    match reason {
        Some(reason) => {
            let _ = write!(out, " @deprecated(reason: {})", quote(reason));
        }
        None => out.push_str(" @deprecated"),
    }
}

fn type_ref(ty: &TypeRef) -> String {
    let inner = || ty.of_type.as_deref().map(type_ref).unwrap_or_default();
    match ty.kind.as_str() {
        "NON_NULL" => format!("{}!", inner()),
        "LIST" => format!("[{}]", inner()),
        _ => ty.name.clone().unwrap_or_default(),
    }
}

/// A GraphQL string literal; JSON's escaping is a subset GraphQL accepts.
fn quote(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_schema_builds_with_its_roots_and_deprecations() {
        let schema = admin_schema();
        assert_eq!(
            schema.schema_definition.query.as_ref().map(|n| n.as_str()),
            Some("QueryRoot")
        );
        let order = schema.get_object("Order").expect("Order type");
        assert!(order.fields.contains_key("totalPriceSet"));
        // A deprecation the header must report (shopify.md §4.3).
        let total_price = order.fields.get("totalPrice").expect("Order.totalPrice");
        assert!(total_price.directives.get("deprecated").is_some());
        assert!(schema.get_scalar("DateTime").is_some());
        assert!(schema.get_scalar("UnsignedInt64").is_some());
        // `groupObjects` defaults to false from 2026-01 on (shopify.md §2).
        let mutation = schema.get_object("Mutation").expect("Mutation type");
        let run = mutation
            .fields
            .get("bulkOperationRunQuery")
            .expect("bulk run");
        let group = run
            .arguments
            .iter()
            .find(|a| a.name == "groupObjects")
            .expect("groupObjects");
        assert_eq!(
            group.default_value.as_ref().map(|v| v.to_string()),
            Some("false".to_owned())
        );
    }

    #[test]
    fn access_rules_come_with_the_schema() {
        let json = {
            let mut json = Vec::new();
            flate2::read::GzDecoder::new(INTROSPECTION_GZ)
                .read_to_end(&mut json)
                .expect("gzip");
            json
        };
        let (_, access) = read_introspection(&json).expect("introspection");
        let order = access.types.get("Order").expect("Order needs a scope");
        assert_eq!(
            order.any_of,
            ["read_orders", "read_marketplace_orders", "read_quick_sale"]
        );
        let count = &access.fields["QueryRoot"]["ordersCount"];
        assert_eq!(
            count.text,
            "`read_orders` access scope or `read_marketplace_orders` access scope."
        );
        assert_eq!(access.types["InventoryLevel"].any_of, ["read_inventory"]);
        // Texts naming no scope are not rules.
        assert!(!access.types.contains_key("BulkOperation"));
        assert!(!access.types.contains_key("Shop"));
    }

    #[test]
    fn deprecated_fields_are_named_type_dot_field() {
        let document = parse_document(
            "{ order(id: \"gid://shopify/Order/1\") { id totalPrice lineItems(first: 1) { nodes { originalUnitPrice } } } }",
        )
        .expect("valid");
        assert_eq!(
            deprecated_fields(&document),
            vec!["Order.totalPrice", "LineItem.originalUnitPrice"]
        );
    }

    #[test]
    fn unknown_fields_fail_validation() {
        let errors = parse_document("{ shop { id nope } }").expect_err("invalid");
        assert!(errors.errors.to_string().contains("nope"));
    }
}
