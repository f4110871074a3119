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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m.clone()),
            ApiError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m.clone()),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m.clone()),
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
            Json(json!({ "error": message, "status": status.as_u16() })),
        )
            .into_response()
    }
}
