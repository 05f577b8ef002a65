//! Access scopes: which ones the app was granted (`AccessScopes`, read back through
//! `currentAppInstallation { accessScopes { handle } }`), what each field needs, and the
//! ACCESS_DENIED errors a field answers with when none of its scopes was granted.
//!
//! What a field needs comes from the schema itself: Shopify's introspection JSON carries a
//! `requiredAccess` text on types and fields (e.g. "`read_orders` access scope, ... or
//! `read_quick_sale` access scope."), and real errors quote exactly that text (captured:
//! "Access denied for translatableResource field. Required access: `read_translations` access
//! scope." is `QueryRoot.translatableResource`'s text; "Access denied for customer field.
//! Required access: `read_customers` access scope." is `Customer`'s). So a field needs its own
//! `requiredAccess` if it has one, else its type's, else (for a connection) its node type's; any
//! one of the backquoted scopes satisfies it, and a `write_` scope implies its `read_`
//! (Shopify's rule). Texts that name no scope ("Only accessible by supported access tokens") are
//! not enforced: nothing here could satisfy them.
//!
//! Enforcement happens during execution (`Gated` wraps every object so each field is checked
//! where it is resolved, giving the error its path), but only for documents that need it:
//! `check_document` walks the document first, and most documents touch nothing denied, so they
//! run unwrapped at full speed.
//!
//! Separately, without `read_all_orders` only the last 60 days of orders are readable
//! (shopify.md §4.2, from the Admin API reference): older orders do not exist for the app, in
//! lists, counts, lookups and bulk operations alike. `Cx::order_visible` applies that rule.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use apollo_compiler::executable::{Operation, Selection, SelectionSet};
use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::schema::{ExtendedType, FieldDefinition};
use apollo_compiler::{ExecutableDocument, Schema};
use serde::{Deserialize, Serialize};

use super::schema::is_connection;

/// The scope that lifts the 60-day order window.
pub const READ_ALL_ORDERS: &str = "read_all_orders";

/// Without `read_all_orders`, orders created longer ago than this are invisible.
pub const ORDER_WINDOW_DAYS: i64 = 60;

/// What HotDash asks for: everything its tiles read (orders and their full history, products,
/// stock and locations, fulfilment orders of every kind). Webhook subscriptions need no scope
/// of their own, and `read_customers` is left out on purpose: HotDash reads no customer data.
pub const DEFAULT_ACCESS_SCOPES: &[&str] = &[
    "read_orders",
    READ_ALL_ORDERS,
    "read_products",
    "read_inventory",
    "read_locations",
    "read_merchant_managed_fulfillment_orders",
    "read_assigned_fulfillment_orders",
    "read_third_party_fulfillment_orders",
];

/// `documentation` of every ACCESS_DENIED error (as captured from Shopify).
pub const ACCESS_DENIED_DOCUMENTATION: &str = "https://shopify.dev/api/usage/access-scopes";

/// The scopes granted to the app on this shop: a set of handles such as `read_orders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccessScopes(BTreeSet<String>);

impl Default for AccessScopes {
    fn default() -> Self {
        DEFAULT_ACCESS_SCOPES.iter().copied().collect()
    }
}

impl<S: Into<String>> FromIterator<S> for AccessScopes {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        AccessScopes(
            iter.into_iter()
                .map(Into::into)
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        )
    }
}

impl AccessScopes {
    /// No scope at all.
    pub fn none() -> Self {
        AccessScopes(BTreeSet::new())
    }

    /// The handles, sorted.
    pub fn handles(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn contains(&self, handle: &str) -> bool {
        self.0.contains(handle)
    }

    pub fn insert(&mut self, handle: &str) {
        self.0.insert(handle.to_owned());
    }

    pub fn remove(&mut self, handle: &str) {
        self.0.remove(handle);
    }

    /// Whether `scope` is granted, directly or through its `write_` form.
    pub fn grants(&self, scope: &str) -> bool {
        if self.0.contains(scope) {
            return true;
        }
        match scope.strip_prefix("read_") {
            Some(resource) => self
                .0
                .iter()
                .any(|s| s.strip_prefix("write_") == Some(resource)),
            None => false,
        }
    }

    /// Whether every order is readable, not only the last 60 days'.
    pub fn reads_all_orders(&self) -> bool {
        self.0.contains(READ_ALL_ORDERS)
    }

    fn satisfies(&self, requirement: &Requirement) -> bool {
        requirement.any_of.iter().any(|scope| self.grants(scope))
    }
}

/// One `requiredAccess` text and the scopes it names (any one suffices).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Requirement {
    pub text: String,
    pub any_of: Vec<String>,
}

impl Requirement {
    /// The scopes a `requiredAccess` text names, from its backquoted `read_`/`write_` words
    /// before any "Also:" (which adds staff permissions the simulator has no notion of). None
    /// when it names none.
    pub(crate) fn parse(text: &str) -> Option<Requirement> {
        let head = text.split("Also:").next().unwrap_or(text);
        let any_of: Vec<String> = (head.split('`').skip(1).step_by(2))
            .filter(|word| is_scope_handle(word))
            .map(str::to_owned)
            .collect();
        (!any_of.is_empty()).then(|| Requirement {
            text: text.trim().to_owned(),
            any_of,
        })
    }
}

fn is_scope_handle(word: &str) -> bool {
    (word.starts_with("read_") || word.starts_with("write_"))
        && word
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Every `requiredAccess` of the schema that names a scope, by type and by `Type.field`.
#[derive(Debug, Default)]
pub(crate) struct AccessTable {
    pub types: HashMap<String, Requirement>,
    pub fields: HashMap<String, HashMap<String, Requirement>>,
}

static TABLE: OnceLock<AccessTable> = OnceLock::new();

/// Called once by the schema loader with what the introspection JSON says.
pub(crate) fn install_table(table: AccessTable) {
    let _ = TABLE.set(table);
}

fn table() -> &'static AccessTable {
    // The schema loader installs it before any document can be executed; an empty table
    // (nothing enforced) is the safe answer if it somehow has not.
    static EMPTY: OnceLock<AccessTable> = OnceLock::new();
    TABLE
        .get()
        .unwrap_or_else(|| EMPTY.get_or_init(AccessTable::default))
}

/// What the field `parent.field` needs, or None if anyone may read it. The plumbing of
/// connections (`nodes`, `edges`, `node`, `pageInfo`) needs nothing of its own: the field that
/// returned the connection was checked against the node type already.
pub(crate) fn field_requirement(
    schema: &Schema,
    parent: &str,
    field: &FieldDefinition,
) -> Option<&'static Requirement> {
    let table = table();
    if let Some(requirement) = table
        .fields
        .get(parent)
        .and_then(|f| f.get(field.name.as_str()))
    {
        return Some(requirement);
    }
    if parent.ends_with("Edge") || parent_is_connection(schema, parent) {
        return None;
    }
    let ty = field.ty.inner_named_type();
    if let Some(requirement) = table.types.get(ty.as_str()) {
        return Some(requirement);
    }
    if is_connection(schema, ty) {
        let node = schema.get_object(ty)?.fields.get("nodes")?;
        return table.types.get(node.ty.inner_named_type().as_str());
    }
    None
}

fn parent_is_connection(schema: &Schema, parent: &str) -> bool {
    parent.ends_with("Connection")
        && schema
            .get_object(parent)
            .is_some_and(|o| o.fields.contains_key("pageInfo"))
}

/// What an object of type `type_name` needs (checked where the schema promised only an
/// interface or union, e.g. `node(id:)`).
fn type_requirement(type_name: &str) -> Option<&'static Requirement> {
    table().types.get(type_name)
}

fn is_abstract(schema: &Schema, type_name: &str) -> bool {
    matches!(
        schema.types.get(type_name),
        Some(ExtendedType::Interface(_) | ExtendedType::Union(_))
    )
}

/// `Access denied for orders field. Required access: ...`
fn field_denied(field: &str, requirement: &Requirement) -> FieldError {
    FieldError {
        message: format!(
            "Access denied for {field} field. Required access: {}",
            requirement.text
        ),
    }
}

/// `Access denied for Order object. Required access: ...` (an object behind an interface).
fn object_denied(type_name: &str, requirement: &Requirement) -> FieldError {
    FieldError {
        message: format!(
            "Access denied for {type_name} object. Required access: {}",
            requirement.text
        ),
    }
}

/// Prefix apollo-compiler puts before a resolver's `FieldError` message.
const RESOLVER_ERROR_PREFIX: &str = "resolver error: ";

/// An ACCESS_DENIED error as Shopify words it, recognised by the message this module wrote:
/// the message without apollo-compiler's prefix, and the error's `extensions`.
pub(crate) fn access_denied(message: &str) -> Option<(String, JsonMap)> {
    let message = message
        .strip_prefix(RESOLVER_ERROR_PREFIX)
        .unwrap_or(message);
    let rest = message.strip_prefix("Access denied for ")?;
    let (_, required) = rest.split_once(". Required access: ")?;
    let mut extensions = JsonMap::new();
    extensions.insert("code", JsonValue::from("ACCESS_DENIED"));
    extensions.insert(
        "documentation",
        JsonValue::from(ACCESS_DENIED_DOCUMENTATION),
    );
    extensions.insert("requiredAccess", JsonValue::from(required));
    Some((message.to_owned(), extensions))
}

/// What a walk over a document found before running it.
#[derive(Debug, Default)]
pub(crate) struct DocumentAccess {
    /// The first field that will be denied wherever it is reached, as its error message.
    pub denied: Option<String>,
    /// The document reads objects behind an interface or union, whose types are only known
    /// once resolved.
    pub dynamic: bool,
}

impl DocumentAccess {
    /// Whether execution must check fields as it goes.
    pub fn needs_gate(&self) -> bool {
        self.denied.is_some() || self.dynamic
    }
}

/// Walks `operation` (through fragments) for fields `scopes` cannot read.
pub(crate) fn check_document(
    schema: &Schema,
    document: &ExecutableDocument,
    operation: &Operation,
    scopes: &AccessScopes,
) -> DocumentAccess {
    let mut found = DocumentAccess::default();
    let mut budget = 100_000usize;
    walk(
        schema,
        document,
        &operation.selection_set,
        scopes,
        &mut found,
        &mut budget,
    );
    found
}

fn walk(
    schema: &Schema,
    document: &ExecutableDocument,
    set: &SelectionSet,
    scopes: &AccessScopes,
    found: &mut DocumentAccess,
    budget: &mut usize,
) {
    for selection in &set.selections {
        // Validation rejects fragment cycles; the budget only bounds pathological documents.
        *budget = budget.saturating_sub(1);
        if *budget == 0 {
            found.dynamic = true;
            return;
        }
        match selection {
            Selection::Field(field) => {
                if found.denied.is_none()
                    && let Some(requirement) =
                        field_requirement(schema, set.ty.as_str(), &field.definition)
                    && !scopes.satisfies(requirement)
                {
                    found.denied = Some(field_denied(field.name.as_str(), requirement).message);
                }
                if is_abstract(schema, field.ty().inner_named_type()) {
                    found.dynamic = true;
                }
                walk(
                    schema,
                    document,
                    &field.selection_set,
                    scopes,
                    found,
                    budget,
                );
            }
            Selection::InlineFragment(inline) => walk(
                schema,
                document,
                &inline.selection_set,
                scopes,
                found,
                budget,
            ),
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.fragment_name) {
                    walk(
                        schema,
                        document,
                        &fragment.selection_set,
                        scopes,
                        found,
                        budget,
                    );
                }
            }
        }
    }
}

/// An object whose fields are checked against the granted scopes before they resolve; what
/// they resolve to is wrapped the same way.
pub(crate) struct Gated<'a> {
    inner: Box<dyn ObjectValue + 'a>,
    scopes: &'a AccessScopes,
}

impl<'a> Gated<'a> {
    pub(crate) fn new(inner: impl ObjectValue + 'a, scopes: &'a AccessScopes) -> Gated<'a> {
        Gated {
            inner: Box::new(inner),
            scopes,
        }
    }
}

impl ObjectValue for Gated<'_> {
    fn type_name(&self) -> &str {
        self.inner.type_name()
    }

    fn resolve_field<'b>(
        &'b self,
        info: &'b ResolveInfo<'b>,
    ) -> Result<ResolvedValue<'b>, FieldError> {
        let definition = info.field_definition();
        if let Some(requirement) =
            field_requirement(info.schema(), self.inner.type_name(), definition)
            && !self.scopes.satisfies(requirement)
        {
            return Err(field_denied(info.field_name(), requirement));
        }
        let check_objects = is_abstract(info.schema(), definition.ty.inner_named_type());
        let value = self.inner.resolve_field(info)?;
        gate(value, self.scopes, check_objects)
    }
}

/// Wraps the objects in `value`; where the schema promised an abstract type, first denies
/// objects of a type the scopes cannot read.
fn gate<'b>(
    value: ResolvedValue<'b>,
    scopes: &'b AccessScopes,
    check_objects: bool,
) -> Result<ResolvedValue<'b>, FieldError> {
    Ok(match value {
        ResolvedValue::Object(inner) => {
            if check_objects
                && let Some(requirement) = type_requirement(inner.type_name())
                && !scopes.satisfies(requirement)
            {
                return Err(object_denied(inner.type_name(), requirement));
            }
            ResolvedValue::Object(Box::new(Gated { inner, scopes }))
        }
        ResolvedValue::List(items) => ResolvedValue::List(Box::new(
            items.map(move |item| item.and_then(|value| gate(value, scopes, check_objects))),
        )),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_are_read_from_shopifys_texts() {
        let orders = Requirement::parse(
            "`read_orders` access scope, `read_marketplace_orders` access scope or `read_quick_sale` access scope.",
        )
        .expect("names scopes");
        assert_eq!(
            orders.any_of,
            ["read_orders", "read_marketplace_orders", "read_quick_sale"]
        );
        let staff = Requirement::parse(
            "`read_orders` access scope. Also: The user must have `manage_abandoned_checkouts` permission.",
        )
        .expect("names a scope");
        assert_eq!(staff.any_of, ["read_orders"]);
        assert_eq!(
            Requirement::parse("Only accessible by supported access tokens: https://shopify.dev"),
            None
        );
    }

    #[test]
    fn write_scopes_imply_read_and_the_default_reads_every_order() {
        let scopes: AccessScopes = ["write_orders"].into_iter().collect();
        assert!(scopes.grants("read_orders"));
        assert!(!scopes.grants("read_products"));
        assert!(!scopes.reads_all_orders());
        assert!(AccessScopes::default().reads_all_orders());
        assert!(AccessScopes::default().grants("read_locations"));
    }

    #[test]
    fn denials_carry_shopifys_extensions() {
        let requirement = Requirement::parse("`read_products` access scope.").expect("scope");
        let message = field_denied("products", &requirement).message;
        assert_eq!(
            message,
            "Access denied for products field. Required access: `read_products` access scope."
        );
        let prefixed = format!("resolver error: {message}");
        let (clean, extensions) = access_denied(&prefixed).expect("recognised");
        assert_eq!(clean, message);
        assert_eq!(
            serde_json::to_value(&extensions).expect("json"),
            serde_json::json!({"code": "ACCESS_DENIED",
                "documentation": "https://shopify.dev/api/usage/access-scopes",
                "requiredAccess": "`read_products` access scope."})
        );
        assert_eq!(access_denied("Throttled"), None);
    }
}
