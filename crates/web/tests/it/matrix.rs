//! The role × route access matrix, generated from the router's own route list
//! (`concordat_web::routes()`, the table the router is built from).
//!
//! Every route is requested by someone not signed in and by the demo login of every role, with its
//! path parameters pointing at records of an organisation that shares nothing with anyone. For each
//! (route, caller) the status must be the one in `EXPECT`, and no body may contain that person's
//! name. A new route without a row in `EXPECT` fails this test, and the failure prints the row
//! observed, for a reviewer to check against docs/roles.md before pasting it in.

use crate::harness::*;
use concordat_app::admin::NewUser;
use concordat_app::operations::ContactForm;
use concordat_app::people::PersonInput;
use concordat_app::plans::PlanInput;
use concordat_domain::model::{OrgId, PersonId, UserId};
use concordat_domain::policy::{Actor, UserActor};
use concordat_domain::{OrgKind, Role};
use std::collections::BTreeMap;

/// The callers, in the column order of `EXPECT`: nobody signed in, then one demo login per role.
const CALLERS: &[(&str, Option<&str>)] = &[
    ("anonymous", None),
    ("responder", Some("demo.responder")),
    ("triage", Some("demo.triage")),
    ("crisis", Some("demo.crisis")),
    ("pos", Some("demo.pos")),
    ("analyst", Some("demo.analyst")),
    ("alliance", Some("demo.alliance")),
    ("member", Some("demo.member")),
    ("ebe", Some("demo.ebe")),
    ("privacy", Some("demo.privacy")),
    ("admin", Some("demo.admin")),
];

/// The unshared person's names: they must never appear in a body.
const GIVEN: &str = "Quillon";
const FAMILY: &str = "Farthingale";
/// The unshared person's NHS number (valid check digit), for the searches.
const NHS_NUMBER: &str = "9434765919";

/// Expected status per route and caller (columns as in `CALLERS`). Pages answer an anonymous caller
/// with 303 to the sign-in page and the API with 401. POSTs are sent with a valid CSRF token and no
/// other fields, so "allowed" shows as 422 (the missing fields) or 303, "refused" as 403.
#[rustfmt::skip]
const EXPECT: &[(&str, &str, [u16; 11])] = &[
    //                                                     anon resp  tri  cri  pos  ana  all  mem  ebe priv  adm
    ("DELETE", "/api/v1/sessions/current",               [401, 204, 204, 204, 204, 204, 204, 204, 204, 204, 204]),
    ("GET", "/",                                         [303, 303, 303, 303, 303, 303, 303, 303, 303, 303, 303]),
    ("GET", "/agreements",                               [303, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/agreements/new",                           [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/agreements/{id}",                          [303, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("GET", "/api/v1/audit",                             [401, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403]),
    ("GET", "/api/v1/board",                             [401, 403, 200, 200, 200, 403, 403, 403, 403, 403, 403]),
    ("GET", "/api/v1/me",                                [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/openapi.json",                      [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/organisations",                     [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/people",                            [401, 200, 200, 200, 200, 403, 403, 403, 403, 200, 200]),
    ("GET", "/api/v1/people/{id}",                       [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/api/v1/people/{id}/fhir",                  [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/api/v1/people/{id}/plan",                  [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/api/v1/places",                            [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/board",                                    [303, 403, 200, 200, 200, 403, 403, 403, 403, 403, 403]),
    ("GET", "/contacts",                                 [303, 200, 200, 200, 403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/contacts/new",                             [303, 200, 200, 200, 403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/contacts/{id}",                            [303, 404, 404, 404, 403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/dashboard",                                [303, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/episodes/new",                             [303, 403, 200, 200, 200, 403, 403, 403, 403, 403, 403]),
    ("GET", "/episodes/{id}",                            [303, 403, 404, 404, 404, 403, 403, 403, 403, 403, 403]),
    ("GET", "/exports",                                  [303, 403, 403, 403, 200, 200, 200, 403, 403, 403, 403]),
    ("GET", "/exports/home-office.csv",                  [303, 403, 403, 403, 200, 200, 200, 403, 403, 403, 403]),
    ("GET", "/exports/outcomes.csv",                     [303, 403, 403, 403, 200, 200, 200, 403, 403, 403, 403]),
    ("GET", "/healthz",                                  [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/home",                                     [303, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/mfa/enrol",                                [303, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/organisations",                            [303, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/people",                                   [303, 200, 200, 200, 200, 403, 403, 403, 403, 200, 200]),
    ("GET", "/people/{id}",                              [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/people/{id}/care-team",                    [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/people/{id}/edit",                         [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/people/{id}/consent",                      [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/people/{id}/plan/edit",                    [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/people/{id}/plan/history",                 [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/people/{id}/plan/versions/{v}",            [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/places",                                   [303, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/plans/reviews",                            [303, 403, 200, 200, 403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/privacy/audit",                            [303, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403]),
    ("GET", "/privacy/break-glass",                      [303, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403]),
    ("GET", "/privacy/people/{id}/access-history",       [303, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403]),
    ("GET", "/readyz",                                   [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/sign-in",                                  [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/sign-in/mfa",                              [303, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/sign-in/oidc/callback",                    [403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/sign-in/with/{provider}",                  [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("GET", "/static/app.js",                            [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/static/style.css",                         [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/support/repeat-contact",                   [303, 403, 403, 200, 403, 403, 403, 403, 403, 403, 403]),
    ("POST", "/agreements",                              [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 422]),
    ("POST", "/agreements/{id}/end",                     [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 404]),
    ("POST", "/agreements/{id}/sign",                    [303, 403, 403, 403, 403, 403, 403, 403, 403, 404, 403]),
    ("POST", "/api/v1/people",                           [401, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422]),
    ("POST", "/api/v1/sessions",                         [422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422]),
    ("POST", "/contacts",                                [303, 422, 422, 422, 403, 403, 403, 403, 403, 403, 403]),
    ("POST", "/contacts/{id}",                           [303, 404, 404, 404, 403, 403, 403, 403, 403, 403, 403]),
    ("POST", "/contacts/{id}/join",                      [303, 404, 404, 404, 403, 403, 403, 403, 403, 403, 403]),
    ("POST", "/episodes",                                [303, 403, 422, 422, 422, 403, 403, 403, 403, 403, 403]),
    ("POST", "/episodes/{id}",                           [303, 403, 404, 404, 404, 403, 403, 403, 403, 403, 403]),
    ("POST", "/mfa/enrol",                               [303, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422]),
    ("POST", "/people/{id}",                             [303, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422]),
    ("POST", "/people/{id}/care-team",                   [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("POST", "/people/{id}/care-team/{membership}/end",  [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("POST", "/people/{id}/edit",                        [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("POST", "/people/{id}/consent",                     [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("POST", "/people/{id}/plan",                        [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("POST", "/privacy/break-glass/{seq}",               [303, 403, 403, 403, 403, 403, 403, 403, 403, 422, 403]),
    ("POST", "/sign-in",                                 [422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422]),
    ("POST", "/sign-in/mfa",                             [303, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401]),
    ("POST", "/sign-out",                                [303, 303, 303, 303, 303, 303, 303, 303, 303, 303, 303]),
    ("GET", "/alliance",                                   [303, 403, 403, 403, 403, 403, 200, 200, 200, 403, 403]),
    ("GET", "/alliance/members/new",                       [303, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403]),
    ("GET", "/alliance/members/{id}",                      [303, 403, 403, 403, 403, 403, 404, 404, 404, 403, 403]),
    ("GET", "/alliance/profile",                           [303, 403, 403, 403, 403, 403, 200, 200, 200, 403, 403]),
    ("GET", "/api/v1/alliance/members",                    [401, 403, 403, 403, 403, 403, 200, 200, 200, 403, 403]),
    ("GET", "/api/v1/alliance/members/{id}",               [401, 403, 403, 403, 403, 403, 404, 404, 404, 403, 403]),
    ("POST", "/alliance/invitations",                      [303, 403, 403, 403, 403, 403, 422, 403, 403, 403, 403]),
    ("POST", "/alliance/members",                          [303, 403, 403, 403, 403, 403, 422, 403, 403, 403, 403]),
    ("POST", "/alliance/profile",                          [303, 403, 403, 403, 403, 403, 422, 303, 303, 403, 403]),
    ("POST", "/api/v1/alliance/members",                   [401, 403, 403, 403, 403, 403, 422, 403, 403, 403, 403]),
    ("GET", "/account/role",                               [303, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/account/single-sign-on",                     [303, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/admin",                                      [303, 303, 303, 303, 303, 303, 303, 303, 303, 303, 303]),
    ("GET", "/admin/invitations/new",                      [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/admin/organisations",                        [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/admin/organisations/new",                    [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/admin/organisations/{id}",                   [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("GET", "/admin/sign-in-locks",                        [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/admin/users",                                [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/admin/users/{id}",                           [303, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("GET", "/api/v1/admin/organisations",                 [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/admin/users",                         [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200]),
    ("GET", "/invite",                                     [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("POST", "/account/role",                              [303, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422]),
    ("POST", "/account/single-sign-on/{provider}",         [303, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422]),
    ("POST", "/admin/invitations",                         [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 422]),
    ("POST", "/admin/invitations/{id}/cancel",             [303, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("POST", "/admin/organisations",                       [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("POST", "/admin/organisations/{id}",                  [303, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("POST", "/admin/organisations/{id}/{op}",             [303, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("POST", "/admin/users/{id}/{op}",                     [303, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("POST", "/api/v1/admin/invitations",                  [401, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422]),
    ("POST", "/api/v1/admin/organisations",                [401, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422]),
    ("POST", "/api/v1/admin/organisations/{id}/deactivate",[401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("POST", "/api/v1/admin/organisations/{id}/reactivate",[401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
    ("POST", "/api/v1/admin/users/{id}/disable",           [401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("POST", "/api/v1/admin/users/{id}/enable",            [401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("POST", "/api/v1/admin/users/{id}/mfa-reset",         [401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("POST", "/api/v1/admin/users/{id}/sessions/revoke",   [401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("POST", "/invite",                                    [422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422]),
    ("PUT", "/api/v1/admin/organisations/{id}",            [401, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422]),
];

/// (caller, route) pairs where a body currently shows the unshared person's name, being fixed on
/// other branches (sec-disclosures: the support list, the board, episode and contact pages;
/// sec-plans: the FHIR export and plan participants). The lead empties this after merging them;
/// an entry that no longer leaks fails the test so that it is removed.
const PENDING_FIXES: &[(&str, &str)] = &[];

struct Planted {
    owner: Actor,
    person: PersonId,
    contact: i64,
    episode: i64,
}

fn actor(user_id: UserId, username: &str, role: Role, org_id: OrgId) -> Actor {
    Actor::User(UserActor {
        user_id,
        username: username.into(),
        role,
        org_id,
        org_kind: OrgKind::MentalHealthTrust,
        mfa_satisfied: true,
        request_id: None,
    })
}

/// An organisation with no sharing agreements, and in it a person with a plan, repeated crisis
/// contacts and an open s136 episode: nobody outside it may see the person's name.
async fn plant(t: &TestApp) -> Planted {
    let org = t
        .app
        .add_organisation(
            &system(),
            "Elsewhere Unshared Trust",
            OrgKind::MentalHealthTrust,
            None,
            None,
        )
        .await
        .unwrap();
    let mut users = Vec::new();
    for (username, role) in [
        ("else.crisis", Role::CrisisClinician),
        ("else.pos", Role::PlaceOfSafetyCoordinator),
    ] {
        let id = t
            .app
            .add_user(
                &system(),
                &NewUser {
                    username: username.into(),
                    display_name: username.into(),
                    org_name: org.name.clone(),
                    role,
                    password: PASSWORD.into(),
                },
            )
            .await
            .unwrap();
        users.push(actor(id, username, role, org.id));
    }
    let (crisis, pos) = (&users[0], &users[1]);
    let person = t
        .app
        .create_person(
            crisis,
            &PersonInput {
                given_name: GIVEN.into(),
                family_name: FAMILY.into(),
                date_of_birth: "1979-02-03".into(),
                nhs_number: NHS_NUMBER.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut fields = std::collections::HashMap::new();
    fields.insert("text_what_helps".into(), "A quiet room".into());
    fields.insert("sharing_what_helps".into(), "all_responders".into());
    t.app
        .plan_save(
            crisis,
            person,
            &PlanInput {
                version: String::new(),
                coproduced: "yes".into(),
                participants: format!("{GIVEN} {FAMILY} and their nurse"),
                own_words: format!("I am {GIVEN}"),
                last_reviewed_on: "2026-01-01".into(),
                review_due: "2030-01-01".into(),
                fields,
            },
        )
        .await
        .unwrap();
    let outcome = concordat_app::operations::contacts_lists::OUTCOMES[0].0;
    let mut contact = 0;
    for days in 1..=7 {
        let at = concordat_app::operations::form_time(
            chrono::Utc::now() - chrono::TimeDelta::days(days),
        );
        let pid = person.0.to_string();
        let pairs: Vec<(String, String)> = [
            ("save_as", "final"),
            ("called_at", at.as_str()),
            ("source", "999"),
            ("setting", "street_or_public_place"),
            ("postcode", "ZZ1 4AB"),
            ("person_id", pid.as_str()),
            ("outcomes", outcome),
            ("conveyance", "none"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        contact = t
            .app
            .contact_create(crisis, &ContactForm::from_pairs(&pairs))
            .await
            .unwrap();
    }
    let detained =
        concordat_app::operations::form_time(chrono::Utc::now() - chrono::TimeDelta::hours(2));
    let pid = person.0.to_string();
    let pairs: Vec<(String, String)> = [
        ("power", "s136"),
        ("detained_at", detained.as_str()),
        ("detention_place", "street_or_public_place"),
        ("officer", "PC 4321"),
        ("person_id", pid.as_str()),
        ("consultation.reason", "Immediate risk on a bridge"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let episode = t.app.episode_create(pos, &pairs).await.unwrap();
    Planted {
        owner: crisis.clone(),
        person,
        contact,
        episode,
    }
}

struct Caller {
    name: &'static str,
    cookie: Option<String>,
    csrf: String,
    token: Option<String>,
}

async fn callers(t: &TestApp) -> Vec<Caller> {
    let mut out = Vec::new();
    for (name, login) in CALLERS {
        out.push(match login {
            None => Caller {
                name,
                cookie: None,
                csrf: String::new(),
                token: None,
            },
            Some(u) => {
                let (cookie, csrf) = sign_in(&t.router, u).await;
                Caller {
                    name,
                    cookie: Some(cookie),
                    csrf,
                    token: Some(api_token(&t.router, u).await),
                }
            }
        });
    }
    out
}

fn concrete(path: &str, p: &Planted) -> String {
    let id = if path.starts_with("/episodes/") {
        p.episode
    } else if path.starts_with("/contacts/") {
        p.contact
    } else {
        p.person.0
    };
    let query = QUERIES
        .iter()
        .find(|(p, _)| *p == path)
        .map_or("", |(_, q)| q);
    path.replace("{id}", &id.to_string())
        .replace("{seq}", "1")
        .replace("{v}", "1")
        .replace("{membership}", "1")
        .replace("{provider}", "test-idp")
        + query
}

/// Query strings that make a route do its real work: searches look for the unshared person,
/// exports cover the recent years, which hold the planted records.
const QUERIES: &[(&str, &str)] = &[
    // By NHS number, so that the page's echo of what was typed holds no name.
    ("/people", "?nhs_number=9434765919"),
    ("/api/v1/people", "?nhs_number=9434765919"),
    ("/exports/home-office.csv", "?from=2024-01-01&to=2028-12-31"),
    ("/exports/outcomes.csv", "?from=2024-01-01&to=2028-12-31"),
    ("/privacy/audit", "?from=01/01/2024"),
];

/// One request as `c`. Routes that end a session get a session or token of their own.
async fn request(t: &TestApp, c: &Caller, method: &str, path: &str, uri: &str) -> Resp {
    let login = CALLERS
        .iter()
        .find(|(n, _)| *n == c.name)
        .and_then(|(_, l)| *l);
    if path.starts_with("/api/") {
        let mut token = c.token.clone();
        if path == "/api/v1/sessions/current"
            && let Some(u) = login
        {
            token = Some(api_token(&t.router, u).await);
        }
        let body = if method == "GET" { "" } else { "{}" };
        return send(&t.router, json(method, uri, token.as_deref(), body)).await;
    }
    let (mut cookie, mut csrf) = (c.cookie.clone(), c.csrf.clone());
    if path == "/sign-out"
        && let Some(u) = login
    {
        let (k, s) = sign_in(&t.router, u).await;
        (cookie, csrf) = (Some(k), s);
    }
    let cookies: Vec<&str> = cookie.iter().map(String::as_str).collect();
    match method {
        "GET" => send(&t.router, get(uri, &cookies)).await,
        _ => send(&t.router, post_form(uri, &cookies, &[("csrf", &csrf)])).await,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_on_every_route_gets_the_expected_status_and_no_unshared_name() {
    let routes = concordat_web::routes();
    for t in spawn_apps().await {
        let planted = plant(&t).await;
        let callers = callers(&t).await;
        let mut observed: BTreeMap<(String, String), Vec<u16>> = BTreeMap::new();
        let mut problems = Vec::new();
        let mut leaks = Vec::new();
        for (method, path) in &routes {
            let uri = concrete(path, &planted);
            let mut row = Vec::new();
            for c in &callers {
                let res = request(&t, c, method.as_str(), path, &uri).await;
                if res.status.is_server_error() {
                    problems.push(format!("{method} {uri} as {}: {}", c.name, res.status));
                }
                if res.body.contains(GIVEN) || res.body.contains(FAMILY) {
                    leaks.push((c.name, path.clone()));
                }
                row.push(res.status.as_u16());
            }
            observed.insert((method.to_string(), path.clone()), row);
        }
        let mut missing = Vec::new();
        for ((method, path), row) in &observed {
            match EXPECT.iter().find(|(m, p, _)| m == method && p == path) {
                None => missing.push(format!(
                    "    ({method:?}, {path:?}, [{}]),",
                    row.iter()
                        .map(|s| format!("{s:>3}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                Some((_, _, want)) => {
                    for ((c, got), want) in callers.iter().zip(row).zip(want) {
                        if got != want {
                            problems.push(format!(
                                "{method} {path} as {}: expected {want}, got {got}",
                                c.name
                            ));
                        }
                    }
                }
            }
        }
        for (m, p, _) in EXPECT {
            if !observed.contains_key(&(m.to_string(), p.to_string())) {
                problems.push(format!(
                    "EXPECT has {m} {p}, which the router does not serve"
                ));
            }
        }
        if !missing.is_empty() {
            problems.push(format!(
                "routes without a row in EXPECT (observed statuses; check them against docs/roles.md):\n{}",
                missing.join("\n")
            ));
        }
        for (c, p) in &leaks {
            if !PENDING_FIXES.contains(&(c, p.as_str())) {
                problems.push(format!(
                    "{p} as {c}: the unshared person's name is in the body"
                ));
            }
        }
        for (c, p) in PENDING_FIXES {
            if !leaks.iter().any(|(lc, lp)| lc == c && lp == p) {
                problems.push(format!(
                    "PENDING_FIXES: {p} as {c} no longer shows the name: remove the entry"
                ));
            }
        }
        // A control: the owner does see the name, so its absence elsewhere means something.
        let seen = t
            .app
            .view_person(&planted.owner, planted.person, None)
            .await
            .unwrap();
        assert_eq!(seen.family_name, FAMILY);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
