//! OGC API - Features under `/ogc`: built out by the serving issue's OGC work.

use axum::Router;

use super::AppState;

/// The OGC API routes, nested under `/ogc`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
}
