//! Concordat's web layer: axum router, thin handlers, askama templates, JSON API and OpenAPI.
