//! Consistent, plain and honest (Concordat issue 12): home pages and navigation offer exactly what the
//! policy lets each role do, a saved plan or consent is confirmed after the redirect, staff are named by
//! name rather than username, and dates are written and read as people write them.

use crate::harness::*;
use axum::http::StatusCode;
use concordat_domain::Role;
use concordat_domain::consent::may_write_plan;
use concordat_domain::model::{NewPerson, PersonId};
use concordat_domain::policy::{Action, may};
use concordat_domain::{NhsNumber, OrgKind};

/// Every demo login and its role.
const ROLES: [(&str, Role); 10] = [
    ("demo.responder", Role::Responder),
    ("demo.triage", Role::TriageClinician),
    ("demo.crisis", Role::CrisisClinician),
    ("demo.pos", Role::PlaceOfSafetyCoordinator),
    ("demo.analyst", Role::Analyst),
    ("demo.alliance", Role::AllianceCoordinator),
    ("demo.member", Role::AllianceMember),
    ("demo.ebe", Role::ExpertByExperience),
    ("demo.privacy", Role::PrivacyOfficer),
    ("demo.admin", Role::Administrator),
];

/// Each page a home card or navigation link can lead to, and whether the policy lets `role` use it.
fn offered(role: Role) -> Vec<(&'static str, bool)> {
    vec![
        ("/people", may(role, Action::SearchPeople)),
        ("/privacy/audit", may(role, Action::ViewAudit)),
        ("/privacy/break-glass", may(role, Action::ReviewBreakGlass)),
        ("/contacts", may(role, Action::RecordContact)),
        ("/board", may(role, Action::RecordDetention)),
        ("/exports", may(role, Action::ExportReturns)),
        ("/admin/users", may(role, Action::ManageUsers)),
        ("/admin/sign-in-locks", may(role, Action::ManageUsers)),
        (
            "/admin/organisations",
            may(role, Action::ManageOrganisations),
        ),
        (
            "/support/repeat-contact",
            may(role, Action::ViewRepeatContactList),
        ),
        (
            "/plans/reviews",
            may_write_plan(role) && may(role, Action::SearchPeople),
        ),
        ("/dashboard", may(role, Action::ViewAggregates)),
        ("/organisations", true),
    ]
}

/// The hrefs of the links in one part of a page.
fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_cards_and_navigation_offer_exactly_what_the_policy_allows_each_role() {
    for t in spawn_apps().await {
        for (user, role) in ROLES {
            let (s, _) = sign_in(&t.router, user).await;
            let home = send(&t.router, get("/home", &[&s])).await;
            assert_eq!(home.status, StatusCode::OK, "{user}");
            let (header, rest) = home.body.split_once("<main").unwrap();
            let nav = header.split_once("<nav").map(|(_, n)| n).unwrap_or("");
            let cards = rest.split_once("class=\"cards\"").unwrap().1;
            let cards = cards.split_once("</ul>").unwrap().0;
            let (nav_links, card_links) = (hrefs(nav), hrefs(cards));
            for (href, allowed) in offered(role) {
                let want = if allowed { "offered" } else { "not offered" };
                assert_eq!(
                    nav_links.iter().any(|h| h == href),
                    allowed && href != "/admin/sign-in-locks",
                    "{user}: {href} should be {want} in the navigation: {nav_links:?}"
                );
                assert_eq!(
                    card_links.iter().any(|h| h == href),
                    allowed,
                    "{user}: {href} should be {want} as a card: {card_links:?}"
                );
            }
            // Nothing offered leads to a refusal.
            for href in nav_links.iter().chain(card_links.iter()) {
                let res = send(&t.router, get(href, &[&s])).await;
                assert_ne!(res.status, StatusCode::FORBIDDEN, "{user}: {href}");
                assert_ne!(res.status, StatusCode::NOT_FOUND, "{user}: {href}");
            }
            // A responder is never offered the detention form, anywhere on the home page.
            if !may(role, Action::RecordDetention) {
                assert!(!home.body.contains("/episodes/new"), "{user}");
            }
        }
    }
}

async fn person(t: &TestApp, family: &str) -> PersonId {
    let mut tx = t.store.begin().await.unwrap();
    let trust = tx
        .org_list()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.kind == OrgKind::MentalHealthTrust)
        .unwrap()
        .id;
    let id = tx
        .person_insert(&NewPerson {
            owner_org_id: trust,
            given_name: "Robin".into(),
            family_name: family.into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1975, 12, 20),
            nhs_number: Some(NhsNumber::parse("9434765919").unwrap()),
            sex: None,
            postcode: None,
            address_line: None,
            phone: None,
            email: None,
            synthetic: true,
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_plan_and_recorded_consent_are_confirmed_and_the_saver_is_named() {
    for t in spawn_apps().await {
        let pid = person(&t, "Confirmtest").await;
        let page = format!("/people/{}", pid.0);
        let (crisis, csrf) = sign_in(&t.router, "demo.crisis").await;
        let res = send(
            &t.router,
            post_form(
                &format!("{page}/plan"),
                &[&crisis],
                &[
                    ("csrf", csrf.as_str()),
                    ("version", ""),
                    ("coproduced", "yes"),
                    ("participants", "Robin"),
                    ("own_words", ""),
                    ("text_what_helps", "A quiet room"),
                    ("sharing_what_helps", "all_responders"),
                    ("last_reviewed_on", "01-01-2026"),
                    ("review_due", "2030-01-01"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let to = res.location().unwrap().to_string();
        assert_eq!(to, format!("{page}?saved=plan#plan"));
        let shown = send(&t.router, get(&to, &[&crisis])).await;
        assert!(
            shown.body.contains("role=\"status\"") && shown.body.contains("Crisis plan saved"),
            "{}",
            shown.body
        );
        // Dates in words, the back link, and no confirmation without the flag or with an unknown one.
        assert!(
            shown.body.contains("Born 20 December 1975"),
            "{}",
            shown.body
        );
        assert!(shown.body.contains("next review 1 January 2030"));
        assert!(
            shown
                .body
                .contains("<a href=\"/people\">Back to find a person</a>")
        );
        for plain in [
            page.clone(),
            format!("{page}?saved=%3Cb%3Ehi"),
            format!("{page}?saved=1"),
        ] {
            let res = send(&t.router, get(&plain, &[&crisis])).await;
            assert_eq!(res.status, StatusCode::OK);
            assert!(!res.body.contains("role=\"status\""), "{plain}");
        }

        let res = send(
            &t.router,
            post_form(
                &format!("{page}/consent"),
                &[&crisis],
                &[
                    ("csrf", csrf.as_str()),
                    ("version", ""),
                    ("status", "given"),
                    ("org_kinds", "police_force"),
                    ("sections", "what_helps"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let to = res.location().unwrap().to_string();
        assert_eq!(to, format!("{page}?saved=consent"));
        let shown = send(&t.router, get(&to, &[&crisis])).await;
        assert!(shown.body.contains("Consent recorded"), "{}", shown.body);

        // The versions page names who saved the plan by name and role, never by username.
        let display = {
            let mut tx = t.store.begin().await.unwrap();
            tx.user_credentials("demo.crisis")
                .await
                .unwrap()
                .unwrap()
                .user
                .display_name
        };
        let res = send(&t.router, get(&format!("{page}/plan/history"), &[&crisis])).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let label = concordat_app::staff::staff_label(&display, &[Role::CrisisClinician]);
        assert!(
            res.body.contains(&format!("<td>{label}</td>")),
            "{label}: {}",
            res.body
        );
        assert!(!res.body.contains("demo.crisis"), "{}", res.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_of_birth_are_read_as_typed_and_two_digit_years_are_refused_by_name() {
    for t in spawn_apps().await {
        person(&t, "Datetest").await;
        let (s, _) = sign_in(&t.router, "demo.crisis").await;
        for typed in ["20/12/1975", "20-12-1975", "1975-12-20"] {
            let res = send(
                &t.router,
                get(
                    &format!("/people?family_name=Datetest&date_of_birth={typed}"),
                    &[&s],
                ),
            )
            .await;
            assert_eq!(res.status, StatusCode::OK, "{typed}: {}", res.body);
            assert!(
                res.body.contains("born 20 Dec 1975"),
                "{typed}: {}",
                res.body
            );
        }
        let res = send(
            &t.router,
            get("/people?family_name=Datetest&date_of_birth=20/12/75", &[&s]),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        assert!(res.body.contains("<title>Error: "), "{}", res.body);
        assert!(
            res.body
                .contains("Enter the year of the date of birth in full, with 4 digits"),
            "{}",
            res.body
        );
    }
}
