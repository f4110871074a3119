//! The one error type that becomes an HTTP response.
//!
//! 4xx answers say exactly what was wrong with the request; 5xx answers hide internals from
//! the client and are logged once, with the cause.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::analysis::AnalysisError;
use crate::analysis::service::ServiceError;
use crate::intervention::InterventionError;
use crate::store::StoreError;

/// An error answered to the client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed; the message names the parameter.
    #[error("{0}")]
    BadRequest(String),
    /// Nothing is there.
    #[error("{0}")]
    NotFound(String),
    /// The body is too large.
    #[error("{0}")]
    TooLarge(String),
    /// The request conflicts with stored data (e.g. an overlapping duplicate intervention).
    #[error("{0}")]
    Conflict(String),
    /// No valid credentials (answered with `WWW-Authenticate: Bearer`).
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but the role does not allow it (or a CSRF check failed).
    #[error("{0}")]
    Forbidden(String),
    /// A rate limit was hit; retry after this many seconds.
    #[error("{0}")]
    TooMany(String, u64),
    /// The database cannot be reached now; the client may retry (503 with `Retry-After`).
    #[error("{0}")]
    Unavailable(String),
    /// Something failed on our side.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Analysis(a) => ApiError::from(a),
            ServiceError::Store(s) => ApiError::from(s),
        }
    }
}

impl From<AnalysisError> for ApiError {
    fn from(e: AnalysisError) -> Self {
        ApiError::BadRequest(e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Intervention(e) => ApiError::from(e),
            e @ (StoreError::Unavailable(_) | StoreError::Open { .. }) => {
                ApiError::Unavailable(e.to_string())
            }
            e => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<InterventionError> for ApiError {
    fn from(e: InterventionError) -> Self {
        match e {
            InterventionError::OverlappingDuplicate { .. } => ApiError::Conflict(e.to_string()),
            e => ApiError::BadRequest(e.to_string()),
        }
    }
}

impl From<crate::access::AccessError> for ApiError {
    fn from(e: crate::access::AccessError) -> Self {
        use crate::access::AccessError as A;
        match e {
            A::Invalid(m) => ApiError::BadRequest(m),
            A::UnknownPartner(_) | A::UnknownToken(_) => ApiError::NotFound(e.to_string()),
            A::Store(_) => ApiError::Internal(e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut extra = axum::http::HeaderMap::new();
        match &self {
            ApiError::Unauthorized(_) => {
                extra.insert(
                    axum::http::header::WWW_AUTHENTICATE,
                    axum::http::HeaderValue::from_static("Bearer realm=\"lagesbild\""),
                );
            }
            ApiError::TooMany(_, secs) => {
                extra.insert(axum::http::header::RETRY_AFTER, (*secs).into());
            }
            ApiError::Unavailable(_) => {
                extra.insert(axum::http::header::RETRY_AFTER, 5u64.into());
            }
            _ => {}
        }
        let (status, message) = match &self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m.clone()),
            ApiError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m.clone()),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m.clone()),
            ApiError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, m.clone()),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m.clone()),
            ApiError::TooMany(m, _) => (StatusCode::TOO_MANY_REQUESTS, m.clone()),
            ApiError::Unavailable(cause) => {
                tracing::warn!(%cause, "request failed: the database is unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database is unavailable; nothing was changed, try again shortly / databasen svarar inte; inget ändrades, försök igen om en stund".to_owned(),
                )
            }
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal server error; the cause is in the server log".to_owned(),
                )
            }
        };
        (
            status,
            extra,
            Json(json!({ "error": message, "status": status.as_u16() })),
        )
            .into_response()
    }
}
