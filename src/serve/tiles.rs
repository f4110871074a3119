//! Tile endpoints (`/tiles/...`): built out by the serving issue's tile work.

use axum::Router;

use super::AppState;

/// The tile routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
}
