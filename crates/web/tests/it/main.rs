//! HTTP tests through the router: sign-in, CSRF, throttling, MFA, denial across organisations,
//! an audit row for every read, and malformed bodies answered with 4xx on every API route.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod agreements;
mod alliance;
mod auth;
mod care_team;
mod config;
mod contacts;
mod dashboard;
mod demo_dates;
mod disclosure;
mod disclosures;
mod governance;
mod harness;
mod http;
mod identity;
mod limits;
mod matrix;
mod metrics;
mod oidc;
mod openapi;
mod operations;
mod plain;
mod plan_first;
mod plans;
mod ux;
