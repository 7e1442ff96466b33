//! Integration tests of concordat-insight: one binary, one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod its;
mod spc;
