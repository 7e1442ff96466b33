//! Crisis plans through the router: section visibility by role, organisation and consent; withdrawal
//! taking effect at once; break-glass; one audit row per look; the FHIR export; concurrent edits; field
//! messages for malformed input; the support list for crisis clinicians only.

use crate::harness::*;
use axum::http::StatusCode;
use concordat_domain::model::{NewPerson, PersonId};
use concordat_domain::{NhsNumber, OrgKind};

async fn new_person(t: &TestApp, family: &str) -> PersonId {
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
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1985, 3, 4),
            nhs_number: Some(NhsNumber::parse("9434765919").unwrap()),
            sex: Some("female".into()),
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

pub(crate) fn plan_form<'a>(
    csrf: &'a str,
    version: &'a str,
    helps: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("version", version),
        ("coproduced", "yes"),
        ("participants", "Robin and their care coordinator"),
        ("own_words", "Please talk to me quietly"),
        ("text_what_helps", helps),
        ("sharing_what_helps", "all_responders"),
        (
            "text_medication_and_physical_health",
            "Takes lithium; check levels",
        ),
        ("sharing_medication_and_physical_health", "clinicians_only"),
        ("text_practical_needs", "Cat called Miso needs feeding"),
        ("sharing_practical_needs", "care_team"),
        ("last_reviewed_on", "01/01/2026"),
        ("review_due", "01/01/2030"),
    ]
}

pub(crate) async fn user_id(t: &TestApp, username: &str) -> concordat_domain::model::UserId {
    let mut tx = t.store.begin().await.unwrap();
    tx.user_credentials(username)
        .await
        .unwrap()
        .unwrap()
        .user
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sections_follow_role_organisation_and_consent_and_every_look_is_audited() {
    for t in spawn_apps().await {
        let pid = new_person(&t, "Plantest").await;
        let page = format!("/people/{}", pid.0);
        let (crisis, ccsrf) = sign_in(&t.router, "demo.crisis").await;
        let res = send(&t.router, get(&format!("{page}/plan/edit"), &[&crisis])).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let res = send(
            &t.router,
            post_form(
                &format!("{page}/plan"),
                &[&crisis],
                &plan_form(&ccsrf, "", "A quiet room and a cup of tea"),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let consent = |status: &'static str, version: &'static str| {
            vec![
                ("csrf", ccsrf.as_str()),
                ("version", version),
                ("status", status),
                ("org_kinds", "police_force"),
                ("org_kinds", "ambulance_service"),
                ("sections", "what_helps"),
                ("sections", "medication_and_physical_health"),
                ("sections", "practical_needs"),
            ]
        };
        let res = send(
            &t.router,
            post_form(
                &format!("{page}/consent"),
                &[&crisis],
                &consent("given", ""),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let crisis_id = user_id(&t, "demo.crisis").await;
        let mut tx = t.store.begin().await.unwrap();
        tx.care_team_add(pid, crisis_id).await.unwrap();
        tx.commit().await.unwrap();

        // (user, sees what helps, sees medication, sees the care-team section)
        let table = [
            ("demo.responder", true, false, false),
            ("demo.paramedic", true, false, false),
            ("demo.firefighter", false, false, false), // consent does not cover fire services
            ("demo.amhp", false, false, false),        // nor the council
            ("demo.triage", true, true, false),        // own organisation, not care team
            ("demo.crisis", true, true, true),         // own organisation and care team
        ];
        for (user, helps, meds, cat) in table {
            let (s, _) = sign_in(&t.router, user).await;
            let before = audit_count(&t.store).await;
            let res = send(&t.router, get(&page, &[&s])).await;
            if user == "demo.firefighter" {
                // The fire service's agreement rests on consent, which does not cover it: not
                // even identity flows, and the refusal is audited.
                assert_eq!(res.status, StatusCode::FORBIDDEN, "{user}: {}", res.body);
                assert!(res.body.contains("not consented"), "{}", res.body);
                assert_eq!(audit_count(&t.store).await, before + 1);
                continue;
            }
            assert_eq!(res.status, StatusCode::OK, "{user}: {}", res.body);
            assert_eq!(res.body.contains("A quiet room"), helps, "{user}");
            assert_eq!(res.body.contains("lithium"), meds, "{user}");
            assert_eq!(res.body.contains("Miso"), cat, "{user}");
            assert_eq!(
                res.body.contains("class=\"card withheld\""),
                !(helps && meds && cat),
                "{user}"
            );
            assert_eq!(
                audit_count(&t.store).await,
                before + 1,
                "{user}: one audit row per look"
            );
        }
        // What helps comes before the clinical sections on the page.
        let (s, _) = sign_in(&t.router, "demo.crisis").await;
        let body = send(&t.router, get(&page, &[&s])).await.body;
        assert!(body.find("A quiet room").unwrap() < body.find("lithium").unwrap());

        // Withdrawal takes effect at once for the very next look.
        let res = send(
            &t.router,
            post_form(
                &format!("{page}/consent"),
                &[&crisis],
                &consent("withdrawn", "1"),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        // The police's agreement rests on consent: after withdrawal not even identity flows to
        // them (break-glass is offered); the paramedics' rests on direct care: identity, no sections.
        let (resp, rcsrf) = sign_in(&t.router, "demo.responder").await;
        let res = send(&t.router, get(&page, &[&resp])).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert!(!res.body.contains("A quiet room"));
        assert!(res.body.contains("withdrawn consent"), "{}", res.body);
        assert!(res.body.contains("Emergency access (break-glass)"));
        let (para, _) = sign_in(&t.router, "demo.paramedic").await;
        let res = send(&t.router, get(&page, &[&para])).await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(!res.body.contains("A quiet room"));
        assert!(res.body.contains("none of it is shared with you"));
        assert!(res.body.contains("Emergency access to the other sections"));
        // The clinicians of the holding organisation still see it.
        let (tri, _) = sign_in(&t.router, "demo.triage").await;
        assert!(
            send(&t.router, get(&page, &[&tri]))
                .await
                .body
                .contains("A quiet room")
        );

        // Break-glass: a short reason is refused with a field message; a real one shows the
        // all-responders section (never the clinical ones) and lands in the privacy officer's queue.
        let res = send(
            &t.router,
            post_form(&page, &[&resp], &[("reason", "now"), ("csrf", &rcsrf)]),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("href=\"#reason\""));
        let before = audit_count(&t.store).await;
        let res = send(
            &t.router,
            post_form(
                &page,
                &[&resp],
                &[
                    ("reason", "Found on a bridge, very distressed"),
                    ("csrf", &rcsrf),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(
            res.body.contains("A quiet room") && res.body.contains("shown by emergency access")
        );
        assert!(!res.body.contains("lithium"));
        assert_eq!(audit_count(&t.store).await, before + 1);
        let (ps, _) = sign_in(&t.router, "demo.privacy").await;
        let queue = send(&t.router, get("/privacy/break-glass", &[&ps])).await;
        assert!(queue.body.contains("Found on a bridge, very distressed"));
        let hist = send(
            &t.router,
            get(&format!("/privacy/people/{}/access-history", pid.0), &[&ps]),
        )
        .await;
        assert!(!hist.body.contains("person.view.plan") && hist.body.contains("demo.responder"));
        assert!(hist.body.contains("Viewed your crisis plan (Identity and contact details; Crisis plan: sections shared with all responders)"), "{}", hist.body);
        assert!(
            hist.body.contains("Police"),
            "organisation names in the access history"
        );

        // The API lookup and the FHIR export: same rules, one audit row each.
        let token = api_token(&t.router, "demo.triage").await;
        let before = audit_count(&t.store).await;
        let res = send(
            &t.router,
            json(
                "GET",
                &format!("/api/v1/people/{}/plan", pid.0),
                Some(&token),
                "",
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let v: serde_json::Value = serde_json::from_str(&res.body).unwrap();
        let kinds: Vec<&str> = v["plan"]["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, vec!["what_helps", "medication_and_physical_health"]);
        assert_eq!(v["plan"]["withheld"], 1);
        let res = send(
            &t.router,
            json(
                "GET",
                &format!("/api/v1/people/{}/fhir", pid.0),
                Some(&token),
                "",
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(audit_count(&t.store).await, before + 2);
        let b: serde_json::Value = serde_json::from_str(&res.body).unwrap();
        assert_eq!(b["resourceType"], "Bundle");
        let types: Vec<&str> = b["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["resource"]["resourceType"].as_str().unwrap())
            .collect();
        assert_eq!(types, vec!["Patient", "CarePlan", "Consent"]);
        assert_eq!(
            b["entry"][0]["resource"]["identifier"][0]["system"],
            "https://fhir.nhs.uk/Id/nhs-number"
        );
        assert_eq!(b["entry"][2]["resource"]["status"], "inactive");
        assert!(!res.body.contains("Miso"), "care-team section not exported");
        // An analyst gets nothing, and the refusal is audited.
        let analyst = api_token(&t.router, "demo.analyst").await;
        let before = audit_count(&t.store).await;
        let res = send(
            &t.router,
            json(
                "GET",
                &format!("/api/v1/people/{}/fhir", pid.0),
                Some(&analyst),
                "",
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert_eq!(audit_count(&t.store).await, before + 1);
        let report = t.app.verify_audit().await.unwrap();
        assert!(report.error.is_none() && report.head_matches);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_editing_at_once_the_second_is_told_and_shown_the_difference() {
    for t in spawn_apps().await {
        let pid = new_person(&t, "Conflict").await;
        let page = format!("/people/{}", pid.0);
        let (a, acsrf) = sign_in(&t.router, "demo.crisis").await;
        let (b, bcsrf) = sign_in(&t.router, "demo.crisis2").await;
        let res = send(
            &t.router,
            post_form(
                &format!("{page}/plan"),
                &[&a],
                &plan_form(&acsrf, "", "Version one"),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        // Both open the plan at version 1.
        for s in [&a, &b] {
            let res = send(&t.router, get(&format!("{page}/plan/edit"), &[s])).await;
            assert!(res.body.contains("name=\"version\" value=\"1\""));
        }
        let res = send(
            &t.router,
            post_form(
                &format!("{page}/plan"),
                &[&a],
                &plan_form(&acsrf, "1", "Walk with my sister"),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let res = send(
            &t.router,
            post_form(
                &format!("{page}/plan"),
                &[&b],
                &plan_form(&bcsrf, "1", "Music in headphones"),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::CONFLICT);
        assert!(
            res.body
                .contains("Someone else saved this plan first (version 2)")
        );
        assert!(
            res.body.contains("Walk with my sister"),
            "their version shown"
        );
        assert!(res.body.contains("Music in headphones"), "my text kept");
        assert!(res.body.contains("name=\"version\" value=\"2\""));
        // Nothing was lost: version 2 is the first writer's, and the history has both versions.
        let body = send(&t.router, get(&page, &[&a])).await.body;
        assert!(body.contains("Walk with my sister") && !body.contains("Music in headphones"));
        let hist = send(&t.router, get(&format!("{page}/plan/history"), &[&a])).await;
        assert!(hist.body.contains("Version 2") && hist.body.contains("Version 1"));
        let v1 = send(&t.router, get(&format!("{page}/plan/versions/1"), &[&a])).await;
        assert!(v1.body.contains("Version one"));
        // Saving again on top of version 2 works.
        let res = send(
            &t.router,
            post_form(
                &format!("{page}/plan"),
                &[&b],
                &plan_form(&bcsrf, "2", "Music in headphones"),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_input_gets_field_messages_and_only_clinicians_write_plans() {
    for t in spawn_apps().await {
        let pid = new_person(&t, "Fields").await;
        let page = format!("/people/{}", pid.0);
        let (c, csrf) = sign_in(&t.router, "demo.crisis").await;
        let mut form = plan_form(&csrf, "", "Tea");
        form.retain(|(k, _)| {
            *k != "sharing_what_helps" && *k != "review_due" && *k != "last_reviewed_on"
        });
        form.push(("last_reviewed_on", "31/02/2026"));
        form.push(("review_due", "01/01/2020"));
        let res = send(&t.router, post_form(&format!("{page}/plan"), &[&c], &form)).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.body.contains("href=\"#sharing_what_helps\""),
            "{}",
            res.body
        );
        assert!(res.body.contains("href=\"#last_reviewed_on\""));
        let mut form = plan_form(&csrf, "", "Tea");
        form.retain(|(k, _)| *k != "review_due");
        form.push(("review_due", "01/01/2025"));
        let res = send(&t.router, post_form(&format!("{page}/plan"), &[&c], &form)).await;
        assert!(
            res.body
                .contains("The next review must be after the last review")
        );
        let res = send(
            &t.router,
            post_form(
                &format!("{page}/consent"),
                &[&c],
                &[
                    ("csrf", &csrf),
                    ("status", "given"),
                    ("org_kinds", "starfleet"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.body.contains("href=\"#org_kinds\"") && res.body.contains("href=\"#sections\"")
        );
        let res = send(
            &t.router,
            post_form(
                &format!("{page}/consent"),
                &[&c],
                &[("csrf", &csrf), ("status", "maybe")],
            ),
        )
        .await;
        assert!(res.body.contains("href=\"#status\""));
        // Without the CSRF token nothing is saved.
        let res = send(
            &t.router,
            post_form(&format!("{page}/plan"), &[&c], &plan_form("", "", "x")),
        )
        .await;
        assert_ne!(res.status, StatusCode::SEE_OTHER);
        // Responders, coordinators and administrators cannot write plans; each refusal is audited.
        for user in ["demo.responder", "demo.pos", "demo.admin"] {
            let (s, _) = sign_in(&t.router, user).await;
            let before = audit_count(&t.store).await;
            let res = send(&t.router, get(&format!("{page}/plan/edit"), &[&s])).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{user}");
            assert_eq!(audit_count(&t.store).await, before + 1, "{user}");
        }
        // The support list: crisis clinicians only, audited, framed as support.
        let before = audit_count(&t.store).await;
        let res = send(&t.router, get("/support/repeat-contact", &[&c])).await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.body.contains("offer a named worker"));
        assert_eq!(audit_count(&t.store).await, before + 1);
        let res = send(
            &t.router,
            get("/support/repeat-contact?per_month=abc", &[&c]),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("href=\"#per_month\""));
        for user in ["demo.responder", "demo.triage", "demo.analyst"] {
            let (s, _) = sign_in(&t.router, user).await;
            let res = send(&t.router, get("/support/repeat-contact", &[&s])).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{user}");
            let home = send(&t.router, get("/home", &[&s])).await;
            assert!(!home.body.contains("repeated crisis"), "{user}");
        }
        // Overdue reviews for the holding organisation's clinicians.
        let res = send(&t.router, get("/plans/reviews", &[&c])).await;
        assert_eq!(res.status, StatusCode::OK);
    }
}
