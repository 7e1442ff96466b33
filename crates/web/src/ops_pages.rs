//! Crisis operations: crisis contacts, the live s136/s135 board, places of safety.

use crate::AppState;
use crate::pages::Card;
use axum::Router;
use concordat_domain::Role;
use std::sync::Arc;

/// Routes for these pages (merged into the main router).
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
}

/// Navigation links for a role.
pub(crate) fn nav(_role: Role) -> Vec<(&'static str, &'static str)> {
    Vec::new()
}

/// Home-page cards for a role.
pub(crate) fn cards(_role: Role) -> Vec<Card> {
    Vec::new()
}
