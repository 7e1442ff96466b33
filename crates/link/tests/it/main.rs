//! Integration tests: the CLI entry point and the library API on small CSV files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod bad_input;
mod cli;
mod data;
