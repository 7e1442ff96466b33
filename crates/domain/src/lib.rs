//! Concordat's domain: the types and rules every other layer shares.
//!
//! Nothing here does IO, async or SQL: the crate is a set of values and pure functions,
//! so the rules that matter most (who may see what, the s136 clock) can be tested exhaustively.

pub mod alliance;
pub mod audit;
pub mod consent;
pub mod dates;
pub mod ids;
pub mod mha;
pub mod model;
pub mod org;
pub mod password;
pub mod places;
pub mod policy;
pub mod text;

pub use ids::{IdError, NhsNumber, Postcode};
pub use org::{DataCategory, LegalBasis, OrgKind, Role};
