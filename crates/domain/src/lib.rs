//! Concordat's domain: the types and rules every other layer shares.
//!
//! Nothing here does IO, async or SQL: the crate is a set of values and pure functions,
//! so the rules that matter most (who may see what, the s136 clock) can be tested exhaustively.

pub mod ids;
pub mod mha;
pub mod org;

pub use ids::{IdError, NhsNumber, Postcode};
pub use org::{DataCategory, LegalBasis, OrgKind, Role};
