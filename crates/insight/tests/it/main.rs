//! Integration tests of concordat-insight: one binary, one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod chart;
mod cli;
mod economics;
mod forecast;
mod hotspots;
mod input;
mod its;
mod props;
mod rota;
mod spc;
mod survey;
