//! `GET /api/v1/accounts/{id}/contacts` (15 a page, Sift sorting) and `GET /api/v1/profile`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::AppState;
use super::auth::{self, ApiError};
use super::params::{Params, paginate};
use super::render;
use crate::world::model::Contact;

/// `ContactsController::RESULTS_PER_PAGE`
pub const PER_PAGE: usize = 15;

pub async fn list(
    State(app): State<AppState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    app.caller(&headers, &account)?;
    app.read(|data| {
        // `resolved_contacts`: anonymous widget visitors (no email, no phone) are left out.
        let mut contacts: Vec<&Contact> = data
            .contacts
            .iter()
            .filter(|c| c.email.is_some() || c.phone_number.is_some())
            .collect();
        sort(&mut contacts, params.get("sort"));
        let count = contacts.len();
        let payload: Vec<Value> = paginate(contacts, params.page(), PER_PAGE)
            .into_iter()
            .map(render::contact)
            .collect();
        // `@current_page = params[:page] || 1`: the raw string when given, else the integer 1.
        let current_page = params.get("page").map_or(json!(1), |p| json!(p));
        Ok(Json(json!({
            "meta": { "count": count, "current_page": current_page },
            "payload": payload,
        })))
    })
}

/// Sift's `sort=name|email|phone_number|last_activity_at|created_at`, `-` prefix for
/// descending; without it the database order (by id).
fn sort(contacts: &mut [&Contact], sort: Option<&str>) {
    let Some(sort) = sort else { return };
    let (field, descending) = match sort.strip_prefix('-') {
        Some(field) => (field, true),
        None => (sort, false),
    };
    match field {
        "name" => contacts.sort_by_key(|c| c.name.to_lowercase()),
        "email" => contacts.sort_by(|a, b| a.email.cmp(&b.email)),
        "phone_number" => contacts.sort_by(|a, b| a.phone_number.cmp(&b.phone_number)),
        "last_activity_at" => contacts.sort_by_key(|c| c.last_activity_at),
        "created_at" => contacts.sort_by_key(|c| c.created_at),
        _ => return,
    }
    if descending {
        contacts.reverse();
    }
}

/// `GET /api/v1/profile`: the token's user with its account membership.
pub async fn profile(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let user = auth::authenticate(&headers, &app.settings.users)?;
    let settings = &app.settings;
    app.read(|data| {
        let agent = data.agent(user.agent_id);
        let name = agent.map_or("Hot Rod AN", |a| a.name.as_str());
        let availability = agent.map_or("online", |a| a.availability_status.as_str());
        Ok(Json(json!({
            "id": user.agent_id,
            "name": name,
            "display_name": name,
            "available_name": name,
            "email": agent.map(|a| a.email.as_str()),
            "uid": agent.map(|a| a.email.as_str()),
            "provider": "email",
            "confirmed": true,
            "type": "User",
            "account_id": settings.account_id,
            "role": user.role,
            "access_token": user.token,
            "availability_status": availability,
            "avatar_url": "",
            "thumbnail": "",
            "message_signature": null,
            "custom_attributes": {},
            "ui_settings": {},
            "accounts": [{
                "id": settings.account_id,
                "name": settings.account_name,
                "status": "active",
                "role": user.role,
                "availability": availability,
                "availability_status": availability,
                "auto_offline": true,
                "custom_role_id": null,
            }],
        })))
    })
}
