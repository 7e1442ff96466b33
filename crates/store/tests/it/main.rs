//! The store contract ("story") test: one sequence of operations, run against SQLite always and against
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! PostgreSQL when CONCORDAT_TEST_POSTGRES_URL is set.

mod story;
mod operations;
mod plans;
