//! The store contract ("story") tests: run against SQLite always and against PostgreSQL when
//! CONCORDAT_TEST_POSTGRES_URL is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod auth;
mod members;
mod operations;
mod people;
mod plans;
mod running;
mod story;
