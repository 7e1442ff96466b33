//! Integration tests of concordat-insight: one binary, one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod chart;
mod cli;
mod economics;
mod input;
mod its;
mod spc;
mod survey;
