//! The OpenAPI document is structurally valid and agrees with the server: every API route is
//! documented and every documented operation is served, path parameters are in their paths,
//! every secured operation documents 401, every `$ref` resolves, and the answers the document
//! promises (422 for a bad `limit`, 401 without a token) are the ones the server gives.
//!
//! Offline and in-process: the document is checked as JSON here; `.ci/run` also runs pip's
//! openapi-spec-validator (the OpenAPI 3.1 JSON Schema) and schemathesis against a demo server.

use crate::harness::*;
use axum::http::StatusCode;
use serde_json::Value;
use std::collections::BTreeSet;

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

fn doc() -> Value {
    serde_json::from_str(&concordat_web::openapi_json()).expect("the document is JSON")
}

/// Every `$ref` in the document, wherever it is.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref"
                    && let Some(s) = x.as_str()
                {
                    out.push(s.to_string());
                }
                refs(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[test]
fn the_document_is_valid_and_documents_exactly_the_api_routes() {
    let d = doc();
    if let Ok(path) = std::env::var("CONCORDAT_OPENAPI_OUT") {
        std::fs::write(path, concordat_web::openapi_json()).unwrap();
    }
    assert!(
        d["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{}",
        d["openapi"]
    );
    let paths = d["paths"].as_object().expect("paths");
    let mut problems = Vec::new();
    let mut documented = BTreeSet::new();
    for (path, item) in paths {
        let in_path: BTreeSet<String> = path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(n, _)| n.to_string()))
            .collect();
        for m in METHODS {
            let Some(op) = item.get(*m) else { continue };
            documented.insert((m.to_uppercase(), path.clone()));
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let mut path_params = BTreeSet::new();
            for p in &params {
                let name = p["name"].as_str().unwrap_or("?").to_string();
                match p["in"].as_str() {
                    Some("path") => {
                        if !in_path.contains(&name) {
                            problems.push(format!(
                                "{m} {path}: path parameter {name} is not in the path"
                            ));
                        }
                        if p["required"] != Value::Bool(true) {
                            problems.push(format!(
                                "{m} {path}: path parameter {name} must be required"
                            ));
                        }
                        path_params.insert(name);
                    }
                    Some("query" | "header" | "cookie") => {}
                    other => problems.push(format!(
                        "{m} {path}: parameter {name} has no valid `in` ({other:?})"
                    )),
                }
            }
            for n in in_path.difference(&path_params) {
                problems.push(format!("{m} {path}: {{{n}}} has no path parameter"));
            }
            let responses = op["responses"].as_object().cloned().unwrap_or_default();
            if responses.is_empty() {
                problems.push(format!("{m} {path}: no responses"));
            }
            for (code, r) in &responses {
                if r["description"].as_str().is_none() {
                    problems.push(format!("{m} {path}: response {code} has no description"));
                }
            }
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if secured && !responses.contains_key("401") {
                problems.push(format!("{m} {path}: secured but 401 is not documented"));
            }
            let takes_input = !params.is_empty() || op.get("requestBody").is_some();
            if takes_input && !responses.contains_key("422") {
                problems.push(format!("{m} {path}: takes input but 422 is not documented"));
            }
        }
    }
    let mut all_refs = Vec::new();
    refs(&d, &mut all_refs);
    for r in all_refs {
        let Some(name) = r.strip_prefix("#/components/schemas/") else {
            problems.push(format!("unexpected $ref {r}"));
            continue;
        };
        if d["components"]["schemas"].get(name).is_none() {
            problems.push(format!("$ref {r} does not resolve"));
        }
    }
    // The document and the router agree, both ways.
    let served: BTreeSet<(String, String)> = concordat_web::routes()
        .into_iter()
        .filter(|(_, p)| p.starts_with("/api/v1/") && p != "/api/v1/openapi.json")
        .map(|(m, p)| (m.to_string(), p))
        .collect();
    for (m, p) in served.difference(&documented) {
        problems.push(format!("{m} {p} is served but not documented"));
    }
    for (m, p) in documented.difference(&served) {
        problems.push(format!("{m} {p} is documented but not served"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn the_server_answers_what_the_document_promises() {
    let d = doc();
    let limit = &d["paths"]["/api/v1/audit"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()["schema"];
    assert_eq!(limit["minimum"], 1, "{limit}");
    assert_eq!(limit["maximum"], 1000, "{limit}");
    for t in spawn_apps().await {
        let privacy = api_token(&t.router, "demo.privacy").await;
        for bad in ["-1", "0", "1001", "ten"] {
            let res = send(
                &t.router,
                json(
                    "GET",
                    &format!("/api/v1/audit?limit={bad}"),
                    Some(&privacy),
                    "",
                ),
            )
            .await;
            assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "limit={bad}");
            assert!(res.body.contains("limit"), "limit={bad}: {}", res.body);
        }
        let res = send(
            &t.router,
            json(
                "GET",
                "/api/v1/audit?limit=5&break_glass_only=true",
                Some(&privacy),
                "",
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        // No token: 401 with the documented error body, on every secured operation.
        for (path, item) in d["paths"].as_object().unwrap() {
            for m in METHODS {
                let Some(op) = item.get(*m) else { continue };
                if op["security"].as_array().is_none_or(|s| s.is_empty()) {
                    continue;
                }
                let uri = path.replace("{id}", "1");
                let res = send(&t.router, json(&m.to_uppercase(), &uri, None, "{}")).await;
                assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{m} {uri}");
                let body: Value = serde_json::from_str(&res.body).unwrap();
                assert!(body["error"].is_string(), "{m} {uri}: {}", res.body);
            }
        }
    }
}
