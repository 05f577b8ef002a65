//! App-level objects and the mutations HotDash uses: the app's installation and its granted
//! access scopes (`currentAppInstallation`), webhook subscriptions
//! (`webhookSubscriptionCreate/Update/Delete`) and bulk operations (`bulkOperationRunQuery`,
//! `bulkOperationCancel`), with their payloads and `userErrors`.

use apollo_compiler::Name;
use apollo_compiler::resolvers::{ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::{JsonMap, JsonValue};

use super::{
    Connection, Cx, Resolved, fallback, gid_arg, id_leaf, leaf, null, object, opt_time_leaf,
    str_arg, string_list, time_leaf, u64_leaf,
};
use crate::shopify::bulk::{self, BulkOperation, BulkStatus, BulkUserError};
use crate::shopify::pagination::{Key, paginate};
use crate::shopify::search::{FieldValue, SearchQuery, Searchable};
use crate::shopify::subscriptions::{
    NewSubscription, Subscription, SubscriptionSource, SubscriptionUpdate,
};
use crate::world::model::gid;

/// Numeric part of the app installation's GID (one app on one shop).
pub const APP_INSTALLATION_ID: u64 = 3_141_592_001;

/// `currentAppInstallation`: the app on this shop and the scopes it holds.
pub struct AppInstallationObj<'c> {
    pub cx: &'c Cx<'c>,
}

impl ObjectValue for AppInstallationObj<'_> {
    fn type_name(&self) -> &str {
        "AppInstallation"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        match info.field_name() {
            "id" => id_leaf("AppInstallation", APP_INSTALLATION_ID),
            // The scopes of this request: what it was checked against.
            "accessScopes" => Ok(ResolvedValue::list(
                (self.cx.scopes.handles())
                    .map(|handle| ResolvedValue::object(AccessScopeObj(handle))),
            )),
            _ => fallback(info),
        }
    }
}

/// `AccessScope { handle description }`; descriptions are not simulated (empty).
struct AccessScopeObj<'a>(&'a str);

impl ObjectValue for AccessScopeObj<'_> {
    fn type_name(&self) -> &str {
        "AccessScope"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        match info.field_name() {
            "handle" => leaf(self.0),
            _ => fallback(info),
        }
    }
}

/// Stable versions the simulator admits to (`publicApiVersions`); it serves the pinned one.
pub const API_VERSIONS: &[&str] = &["2025-10", "2026-01", "2026-04", "2026-07", "2026-10"];

pub struct WebhookSubscriptionObj {
    pub subscription: Subscription,
}

impl ObjectValue for WebhookSubscriptionObj {
    fn type_name(&self) -> &str {
        "WebhookSubscription"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let s = &self.subscription;
        match info.field_name() {
            "id" => id_leaf("WebhookSubscription", s.id),
            "legacyResourceId" => u64_leaf(s.id),
            "topic" => leaf(s.topic.as_str()),
            "format" => leaf(s.format.as_str()),
            "uri" | "callbackUrl" => leaf(s.uri.as_str()),
            "endpoint" => object(HttpEndpointObj(s.uri.clone())),
            "includeFields" => string_list(&s.include_fields),
            "metafieldNamespaces" => string_list(&s.metafield_namespaces),
            "filter" => match &s.filter {
                Some(filter) => leaf(filter.as_str()),
                None => null(),
            },
            "name" => match &s.name {
                Some(name) => leaf(name.as_str()),
                None => null(),
            },
            "apiVersion" => object(ApiVersionObj(s.api_version.clone())),
            "createdAt" => time_leaf(s.created_at),
            "updatedAt" => time_leaf(s.updated_at),
            _ => fallback(info),
        }
    }
}

impl Searchable for Subscription {
    fn search_field(&self, field: &str) -> Option<FieldValue> {
        match field {
            "topic" => Some(FieldValue::Text(self.topic.clone())),
            "created_at" => Some(FieldValue::Time(self.created_at)),
            "updated_at" => Some(FieldValue::Time(self.updated_at)),
            "id" => Some(FieldValue::Number(self.id as f64)),
            _ => None,
        }
    }

    fn default_text(&self) -> Vec<String> {
        vec![self.topic.clone(), self.uri.clone()]
    }
}

struct HttpEndpointObj(String);

impl ObjectValue for HttpEndpointObj {
    fn type_name(&self) -> &str {
        "WebhookHttpEndpoint"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        match info.field_name() {
            "callbackUrl" => leaf(self.0.as_str()),
            _ => fallback(info),
        }
    }
}

pub struct ApiVersionObj(pub String);

impl ObjectValue for ApiVersionObj {
    fn type_name(&self) -> &str {
        "ApiVersion"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        match info.field_name() {
            "handle" => leaf(self.0.as_str()),
            "displayName" => leaf(format!("{} (Latest)", self.0)),
            "supported" => leaf(API_VERSIONS.contains(&self.0.as_str())),
            _ => fallback(info),
        }
    }
}

/// `webhookSubscriptions(first:, topics:, uri:, format:, query:, sortKey:, reverse:)`.
pub fn webhook_subscriptions<'c>(
    cx: &'c Cx<'c>,
    info: &ResolveInfo<'_>,
    top_level: bool,
) -> Result<Connection<'c>, apollo_compiler::resolvers::FieldError> {
    let args = cx.page_args(info, top_level)?;
    let query = SearchQuery::parse(str_arg(info, "query").unwrap_or_default());
    let topics = super::str_list_arg(info, "topics");
    let uri = str_arg(info, "uri").or_else(|| str_arg(info, "callbackUrl"));
    let format = str_arg(info, "format");
    let items = cx
        .state
        .subscriptions
        .api_created()
        .into_iter()
        .filter(|s| topics.as_ref().is_none_or(|t| t.contains(&s.topic)))
        .filter(|s| uri.is_none_or(|u| s.uri == u))
        .filter(|s| format.is_none_or(|f| s.format == f))
        .filter(|s| query.matches(s))
        .map(|subscription| {
            let key = match str_arg(info, "sortKey") {
                Some("ID") => Key::id(subscription.id),
                _ => Key::time(subscription.created_at, subscription.id),
            };
            (key, WebhookSubscriptionObj { subscription })
        })
        .collect();
    let page = paginate(items, &args);
    cx.note_page(&page, top_level);
    Ok(Connection::new(info, page))
}

pub struct BulkOperationObj<'c> {
    pub cx: &'c Cx<'c>,
    pub op: BulkOperation,
}

impl ObjectValue for BulkOperationObj<'_> {
    fn type_name(&self) -> &str {
        "BulkOperation"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let op = &self.op;
        match info.field_name() {
            "id" => leaf(op.gid()),
            "status" => leaf(op.status.as_enum()),
            "type" => leaf("QUERY"),
            "errorCode" => match op.error_code {
                Some(code) => leaf(code),
                None => null(),
            },
            "createdAt" => time_leaf(op.created_at),
            "completedAt" => opt_time_leaf(op.completed_at),
            "objectCount" => u64_leaf(op.object_count),
            "rootObjectCount" => u64_leaf(op.root_object_count),
            "fileSize" => match op.file_size {
                Some(size) if op.status == BulkStatus::Completed && op.object_count > 0 => {
                    u64_leaf(size)
                }
                _ => null(),
            },
            "url" => match self.cx.state.bulk.url(&self.cx.base_url, op) {
                Some(url) => leaf(url),
                None => null(),
            },
            "partialDataUrl" => null(),
            "query" => leaf(op.query.as_str()),
            _ => fallback(info),
        }
    }
}

impl Searchable for BulkOperation {
    fn search_field(&self, field: &str) -> Option<FieldValue> {
        match field {
            "status" => Some(FieldValue::Text(self.status.as_enum().to_owned())),
            "operation_type" => Some(FieldValue::Text("QUERY".to_owned())),
            "created_at" => Some(FieldValue::Time(self.created_at)),
            "id" => Some(FieldValue::Number(self.id as f64)),
            _ => None,
        }
    }

    fn default_text(&self) -> Vec<String> {
        Vec::new()
    }
}

/// `bulkOperations(first:, query:, sortKey:, reverse:)` (2026-01+).
pub fn bulk_operations<'c>(
    cx: &'c Cx<'c>,
    info: &ResolveInfo<'_>,
    top_level: bool,
) -> Result<Connection<'c>, apollo_compiler::resolvers::FieldError> {
    let args = cx.page_args(info, top_level)?;
    let query = SearchQuery::parse(str_arg(info, "query").unwrap_or_default());
    let by_completion = str_arg(info, "sortKey") == Some("COMPLETED_AT");
    let items = cx
        .state
        .bulk
        .list()
        .into_iter()
        .filter(|op| query.matches(op))
        .map(|op| {
            let key = match (by_completion, op.completed_at) {
                (true, Some(at)) => Key::time(at, op.id),
                _ => Key::time(op.created_at, op.id),
            };
            (key, BulkOperationObj { cx, op })
        })
        .collect();
    let page = paginate(items, &args);
    cx.note_page(&page, top_level);
    Ok(Connection::new(info, page))
}

/// The root `Mutation` type.
pub struct MutationRoot<'c> {
    pub cx: &'c Cx<'c>,
}

impl ObjectValue for MutationRoot<'_> {
    fn type_name(&self) -> &str {
        "Mutation"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        let cx = self.cx;
        let payload_type = info.field_definition().ty.inner_named_type().clone();
        match info.field_name() {
            "webhookSubscriptionCreate" => {
                let input = input_object(info, "webhookSubscription");
                let topic = str_arg(info, "topic").unwrap_or_default().to_owned();
                let uri = input_str(&input, "uri").or_else(|| input_str(&input, "callbackUrl"));
                let mut errors = Vec::new();
                match &uri {
                    None => errors.push(user_error(
                        &["webhookSubscription", "uri"],
                        "Address can't be blank",
                    )),
                    Some(uri) if !is_http_url(uri) => errors.push(user_error(
                        &["webhookSubscription", "uri"],
                        "Address is invalid",
                    )),
                    Some(uri) => {
                        let taken = (cx.state.subscriptions.for_topic(&topic).iter())
                            .any(|s| s.source == SubscriptionSource::AdminApi && &s.uri == uri);
                        if taken {
                            errors.push(user_error(
                                &["webhookSubscription", "uri"],
                                "Address for this topic has already been taken",
                            ));
                        }
                    }
                }
                let subscription = match (errors.is_empty(), uri) {
                    (true, Some(uri)) => Some(cx.state.subscriptions.create(NewSubscription {
                        topic,
                        uri,
                        format: input_str(&input, "format"),
                        include_fields: input_list(&input, "includeFields"),
                        metafield_namespaces: input_list(&input, "metafieldNamespaces"),
                        filter: input_str(&input, "filter"),
                        name: input_str(&input, "name"),
                    })),
                    _ => None,
                };
                object(Payload {
                    type_name: payload_type,
                    subscription,
                    deleted: None,
                    bulk: None,
                    errors,
                    cx,
                })
            }
            "webhookSubscriptionUpdate" => {
                let input = input_object(info, "webhookSubscription");
                // App-configured subscriptions do not exist for the Admin API.
                let id = gid_arg(info, "id", "WebhookSubscription")
                    .filter(|id| cx.state.subscriptions.get_api_created(*id).is_some());
                let uri = input_str(&input, "uri").or_else(|| input_str(&input, "callbackUrl"));
                let mut errors = Vec::new();
                if uri.as_deref().is_some_and(|u| !is_http_url(u)) {
                    errors.push(user_error(
                        &["webhookSubscription", "uri"],
                        "Address is invalid",
                    ));
                }
                // Moving to an address another subscription of the topic already has is the
                // same conflict as creating it twice.
                let current = id.and_then(|id| cx.state.subscriptions.get(id));
                if let (Some(current), Some(uri)) = (&current, &uri) {
                    let taken =
                        (cx.state.subscriptions.for_topic(&current.topic).iter()).any(|s| {
                            s.id != current.id
                                && s.source == SubscriptionSource::AdminApi
                                && &s.uri == uri
                        });
                    if taken {
                        errors.push(user_error(
                            &["webhookSubscription", "uri"],
                            "Address for this topic has already been taken",
                        ));
                    }
                }
                let subscription = match (errors.is_empty(), id) {
                    (true, Some(id)) => {
                        let update = SubscriptionUpdate {
                            uri,
                            format: input_str(&input, "format"),
                            include_fields: input
                                .contains_key("includeFields")
                                .then(|| input_list(&input, "includeFields")),
                            metafield_namespaces: input
                                .contains_key("metafieldNamespaces")
                                .then(|| input_list(&input, "metafieldNamespaces")),
                            filter: input
                                .contains_key("filter")
                                .then(|| input_str(&input, "filter")),
                            name: input
                                .contains_key("name")
                                .then(|| input_str(&input, "name")),
                        };
                        cx.state.subscriptions.update(id, update)
                    }
                    _ => None,
                };
                if subscription.is_none() && errors.is_empty() {
                    errors.push(user_error(&["id"], "Webhook subscription does not exist"));
                }
                object(Payload {
                    type_name: payload_type,
                    subscription,
                    deleted: None,
                    bulk: None,
                    errors,
                    cx,
                })
            }
            "webhookSubscriptionDelete" => {
                let id = gid_arg(info, "id", "WebhookSubscription")
                    .filter(|id| cx.state.subscriptions.get_api_created(*id).is_some());
                let deleted = id.filter(|id| cx.state.subscriptions.delete(*id));
                let errors = match deleted {
                    Some(_) => Vec::new(),
                    None => vec![user_error(&["id"], "Webhook subscription does not exist")],
                };
                object(Payload {
                    type_name: payload_type,
                    subscription: None,
                    deleted: Some(deleted.map(|id| gid("WebhookSubscription", id))),
                    bulk: None,
                    errors,
                    cx,
                })
            }
            "bulkOperationRunQuery" => {
                let query = str_arg(info, "query").unwrap_or_default();
                let (bulk, errors) = match bulk::run_query(cx.state, query) {
                    Ok(op) => (Some(op), Vec::new()),
                    Err(error) => (None, vec![bulk_error(error)]),
                };
                object(Payload {
                    type_name: payload_type,
                    subscription: None,
                    deleted: None,
                    bulk,
                    errors,
                    cx,
                })
            }
            "bulkOperationCancel" => {
                let id = gid_arg(info, "id", "BulkOperation").unwrap_or_default();
                let (bulk, errors) = match cx.state.bulk.cancel(id) {
                    Ok(op) => (Some(op), Vec::new()),
                    Err(error) => (cx.state.bulk.get(id), vec![bulk_error(error)]),
                };
                object(Payload {
                    type_name: payload_type,
                    subscription: None,
                    deleted: None,
                    bulk,
                    errors,
                    cx,
                })
            }
            _ => fallback(info),
        }
    }
}

fn is_http_url(uri: &str) -> bool {
    (uri.starts_with("https://") || uri.starts_with("http://")) && uri.len() > "https://".len()
}

fn input_object(info: &ResolveInfo<'_>, name: &str) -> JsonMap {
    match info.arguments().get(name) {
        Some(JsonValue::Object(map)) => map.clone(),
        _ => JsonMap::new(),
    }
}

fn input_str(input: &JsonMap, name: &str) -> Option<String> {
    input.get(name).and_then(|v| v.as_str()).map(str::to_owned)
}

fn input_list(input: &JsonMap, name: &str) -> Vec<String> {
    input
        .get(name)
        .and_then(|v| v.as_array())
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn user_error(field: &[&str], message: &str) -> UserErrorData {
    UserErrorData {
        field: Some(field.iter().map(|f| (*f).to_owned()).collect()),
        message: message.to_owned(),
        code: None,
    }
}

fn bulk_error(error: BulkUserError) -> UserErrorData {
    UserErrorData {
        field: error.field,
        message: error.message,
        code: error.code,
    }
}

struct UserErrorData {
    field: Option<Vec<String>>,
    message: String,
    code: Option<&'static str>,
}

/// Every mutation payload HotDash uses, by field name.
struct Payload<'c> {
    type_name: Name,
    subscription: Option<Subscription>,
    /// `Some(None)` when a delete found nothing.
    deleted: Option<Option<String>>,
    bulk: Option<BulkOperation>,
    errors: Vec<UserErrorData>,
    cx: &'c Cx<'c>,
}

impl ObjectValue for Payload<'_> {
    fn type_name(&self) -> &str {
        self.type_name.as_str()
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        match info.field_name() {
            "webhookSubscription" => match &self.subscription {
                Some(subscription) => object(WebhookSubscriptionObj {
                    subscription: subscription.clone(),
                }),
                None => null(),
            },
            "deletedWebhookSubscriptionId" => {
                match self.deleted.as_ref().and_then(Option::as_ref) {
                    Some(id) => leaf(id.as_str()),
                    None => null(),
                }
            }
            "bulkOperation" => match &self.bulk {
                Some(op) => object(BulkOperationObj {
                    cx: self.cx,
                    op: op.clone(),
                }),
                None => null(),
            },
            "userErrors" => {
                let type_name = info.field_definition().ty.inner_named_type().clone();
                Ok(ResolvedValue::list(self.errors.iter().map(move |error| {
                    ResolvedValue::object(UserErrorObj {
                        type_name: type_name.clone(),
                        error,
                    })
                })))
            }
            _ => fallback(info),
        }
    }
}

struct UserErrorObj<'a> {
    type_name: Name,
    error: &'a UserErrorData,
}

impl ObjectValue for UserErrorObj<'_> {
    fn type_name(&self) -> &str {
        self.type_name.as_str()
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Resolved<'a> {
        match info.field_name() {
            "message" => leaf(self.error.message.as_str()),
            "field" => match &self.error.field {
                Some(field) => string_list(field),
                None => null(),
            },
            "code" => match self.error.code {
                Some(code) => leaf(code),
                None => null(),
            },
            _ => fallback(info),
        }
    }
}
