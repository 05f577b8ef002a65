//! Who is calling: the `api_access_token` header mapped to one of the two configured users,
//! and Chatwoot's error answers (bodies as `access_token_auth_helper.rb` and
//! `request_exception_handler.rb` render them).

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::world::model::AgentRole;

/// A user the simulator knows a token for.
#[derive(Debug, Clone)]
pub struct User {
    pub token: String,
    /// The `World` agent this token belongs to.
    pub agent_id: u64,
    pub role: AgentRole,
}

/// Chatwoot's error answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiError {
    /// A token was sent but matches no user.
    InvalidToken,
    /// No token at all: the request falls through to devise_token_auth.
    SignIn,
    /// Pundit refused (e.g. reports for a non-administrator); Chatwoot renders it as 401.
    NotAuthorized,
    /// `ActiveRecord::RecordNotFound`.
    NotFound,
    /// A bare `head :unprocessable_entity`.
    Unprocessable,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({"error": "Invalid Access Token"})),
            )
                .into_response(),
            Self::SignIn => (
                StatusCode::UNAUTHORIZED,
                axum::Json(
                    json!({"errors": ["You need to sign in or sign up before continuing."]}),
                ),
            )
                .into_response(),
            Self::NotAuthorized => (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({"error": "You are not authorized to do this action"})),
            )
                .into_response(),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"error": "Resource could not be found"})),
            )
                .into_response(),
            Self::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY.into_response(),
        }
    }
}

/// The token a request carries, if any. Rails treats a blank header as absent.
pub fn token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("api_access_token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The user behind the request's token, or the error Chatwoot gives.
pub fn authenticate<'u>(headers: &HeaderMap, users: &'u [User]) -> Result<&'u User, ApiError> {
    let token = token(headers).ok_or(ApiError::SignIn)?;
    users
        .iter()
        .find(|u| u.token == token)
        .ok_or(ApiError::InvalidToken)
}

/// Checks the caller against the account in the path: only one account exists, so any other
/// id is `Account.find` failing.
pub fn account(path_id: &str, account_id: u64) -> Result<(), ApiError> {
    match path_id.parse::<u64>() {
        Ok(id) if id == account_id => Ok(()),
        _ => Err(ApiError::NotFound),
    }
}

/// Pundit's `administrator?` check.
pub fn require_admin(user: &User) -> Result<(), ApiError> {
    match user.role {
        AgentRole::Administrator => Ok(()),
        AgentRole::Agent => Err(ApiError::NotAuthorized),
    }
}
