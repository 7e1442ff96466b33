//! The plan first at 2am (issue 12): a withheld plan says why in words and whom to call (the holding
//! service's crisis line) before it offers emergency access; "In my own words" follows the person's
//! sharing choice like every section. And the privacy officer works with people: names as the policy
//! allows (each audited), searches by NHS number, name and organisation name, a request's events
//! grouped in one row, and an access history in plain words and local times.

use crate::harness::*;
use axum::http::StatusCode;
use concordat_domain::model::{NewPerson, OrgId, PersonId};
use concordat_domain::{NhsNumber, OrgKind};

async fn trust(t: &TestApp) -> OrgId {
    let mut tx = t.store.begin().await.unwrap();
    tx.org_list()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.kind == OrgKind::MentalHealthTrust)
        .unwrap()
        .id
}

async fn person(t: &TestApp, family: &str, nhs: Option<&str>) -> PersonId {
    let owner = trust(t).await;
    let mut tx = t.store.begin().await.unwrap();
    let id = tx
        .person_insert(&NewPerson {
            owner_org_id: owner,
            given_name: "Robin".into(),
            family_name: family.into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1985, 3, 4),
            nhs_number: nhs.map(|n| NhsNumber::parse(n).unwrap()),
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

/// A plan written by the trust's crisis clinician: what helps for all responders, medication for
/// clinicians only, and the person's own words.
async fn write_plan(t: &TestApp, pid: PersonId, crisis: &str, csrf: &str) {
    let res = send(
        &t.router,
        post_form(
            &format!("/people/{}/plan", pid.0),
            &[crisis],
            &[
                ("csrf", csrf),
                ("version", ""),
                ("coproduced", "yes"),
                ("participants", "Robin"),
                ("own_words", "I go quiet when I am frightened"),
                ("text_what_helps", "Sit with me somewhere quiet"),
                ("sharing_what_helps", "all_responders"),
                ("text_medication_and_physical_health", "Takes lithium"),
                ("sharing_medication_and_physical_health", "clinicians_only"),
                ("last_reviewed_on", "01/01/2026"),
                ("review_due", "01/01/2030"),
            ],
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
}

async fn consent(t: &TestApp, pid: PersonId, crisis: &str, form: &[(&str, &str)]) {
    let res = send(
        &t.router,
        post_form(&format!("/people/{}/consent", pid.0), &[crisis], form),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
}

/// The position of `needle` in `body`, failing the test with the body when it is missing.
fn at(body: &str, needle: &str) -> usize {
    body.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not on the page: {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withheld_plan_says_why_and_whom_to_call_before_emergency_access() {
    for t in spawn_apps().await {
        let pid = person(&t, "Withheldtest", None).await;
        let page = format!("/people/{}", pid.0);
        let (crisis, ccsrf) = sign_in(&t.router, "demo.crisis").await;
        write_plan(&t, pid, &crisis, &ccsrf).await;

        // No decision recorded: a paramedic (direct care) sees who the person is, the reason in words
        // and the trust's crisis line, and only then the emergency access.
        let (para, _) = sign_in(&t.router, "demo.paramedic").await;
        let res = send(&t.router, get(&page, &[&para])).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(!res.body.contains("Sit with me somewhere quiet"));
        let reason = at(
            &res.body,
            "has not agreed to share these parts of their plan",
        );
        let line = at(&res.body, "0808 157 0136");
        assert!(res.body.contains("href=\"tel:08081570136\""));
        let emergency = at(&res.body, "Emergency access to the other sections");
        assert!(
            reason < line && line < emergency,
            "reason, then crisis line, then break-glass"
        );

        // Consent to police and ambulance for what helps only: the clinical section is withheld from
        // the paramedic because of their role, said so in words.
        consent(
            &t,
            pid,
            &crisis,
            &[
                ("csrf", &ccsrf),
                ("version", ""),
                ("status", "given"),
                ("org_kinds", "police_force"),
                ("org_kinds", "ambulance_service"),
                ("sections", "what_helps"),
                ("sections", "medication_and_physical_health"),
            ],
        )
        .await;
        let res = send(&t.router, get(&page, &[&para])).await;
        assert!(res.body.contains("Sit with me somewhere quiet"));
        assert!(!res.body.contains("Takes lithium"));
        assert!(
            res.body
                .contains("These parts are for clinicians and are not shared with your role."),
            "{}",
            res.body
        );
        assert!(res.body.contains("0808 157 0136"));
        // The plan's first section comes before the identity details.
        assert!(
            at(&res.body, "Sit with me somewhere quiet") < at(&res.body, "Identity and contact")
        );

        // Withdrawn: the paramedic is told so.
        consent(
            &t,
            pid,
            &crisis,
            &[("csrf", &ccsrf), ("version", "1"), ("status", "withdrawn")],
        )
        .await;
        let res = send(&t.router, get(&page, &[&para])).await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(
            res.body
                .contains("The person has withdrawn their consent to share their plan."),
            "{}",
            res.body
        );
        assert!(at(&res.body, "withdrawn their consent") < at(&res.body, "0808 157 0136"));

        // The holding organisation's clinicians see the whole plan: nothing withheld, no crisis line.
        let res = send(&t.router, get(&page, &[&crisis])).await;
        assert!(res.body.contains("Takes lithium"));
        assert!(!res.body.contains("class=\"card withheld\""));
        assert!(!res.body.contains("0808 157 0136"));

        // An organisation without a crisis line: the page says so and what to do instead.
        let owner = trust(&t).await;
        let mut tx = t.store.begin().await.unwrap();
        tx.org_set_crisis_line(owner, None).await.unwrap();
        tx.commit().await.unwrap();
        let res = send(&t.router, get(&page, &[&para])).await;
        assert!(
            res.body.contains("has no crisis line recorded") && res.body.contains("NHS 111"),
            "{}",
            res.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_my_own_words_follows_the_persons_sharing_choice() {
    for t in spawn_apps().await {
        let pid = person(&t, "Ownwordstest", None).await;
        let page = format!("/people/{}", pid.0);
        let (crisis, ccsrf) = sign_in(&t.router, "demo.crisis").await;
        write_plan(&t, pid, &crisis, &ccsrf).await;
        let (resp, _) = sign_in(&t.router, "demo.responder").await;
        let words = "I go quiet when I am frightened";

        // Shared with police, what helps only: the responder sees what helps, not the own words.
        consent(
            &t,
            pid,
            &crisis,
            &[
                ("csrf", &ccsrf),
                ("version", ""),
                ("status", "given"),
                ("org_kinds", "police_force"),
                ("sections", "what_helps"),
            ],
        )
        .await;
        let res = send(&t.router, get(&page, &[&resp])).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(res.body.contains("Sit with me somewhere quiet"));
        assert!(
            !res.body.contains(words),
            "own words not chosen for sharing"
        );
        assert!(!res.body.contains("In my own words"));
        assert!(res.body.contains("class=\"card withheld\""));

        // The person adds their own words to what is shared: now the responder sees them.
        consent(
            &t,
            pid,
            &crisis,
            &[
                ("csrf", &ccsrf),
                ("version", "1"),
                ("status", "given"),
                ("org_kinds", "police_force"),
                ("sections", "what_helps"),
                ("sections", "own_words"),
            ],
        )
        .await;
        let res = send(&t.router, get(&page, &[&resp])).await;
        assert!(res.body.contains("In my own words") && res.body.contains(words));

        // Not with the fire service, whatever the person chose for police.
        let (fire, _) = sign_in(&t.router, "demo.firefighter").await;
        let res = send(&t.router, get(&page, &[&fire])).await;
        assert!(!res.body.contains(words));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_privacy_officer_finds_people_by_name_number_and_organisation() {
    for t in spawn_apps().await {
        let pid = person(&t, "Privacytest", Some("9434765919")).await;
        // Three people a search finds at once: one request, three events.
        for _ in 0..2 {
            person(&t, "Privacytest", None).await;
        }
        let (triage, _) = sign_in(&t.router, "demo.triage").await;
        let res = send(
            &t.router,
            get(
                "/people?family_name=Privacytest&date_of_birth=04/03/1985",
                &[&triage],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK);
        let res = send(&t.router, get(&format!("/people/{}", pid.0), &[&triage])).await;
        assert_eq!(res.status, StatusCode::OK);

        let (ps, _) = sign_in(&t.router, "demo.privacy").await;
        // "Find a person" is in the privacy officer's navigation, and an exact NHS number goes
        // straight to the person's access history.
        let home = send(&t.router, get("/home", &[&ps])).await;
        assert!(home.body.contains("<a href=\"/people\">Find a person</a>"));
        let res = send(&t.router, get("/people?nhs_number=9434765919", &[&ps])).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert_eq!(
            res.location(),
            Some(format!("/privacy/people/{}/access-history", pid.0).as_str())
        );

        // The audit log by NHS number names the person and the organisation, never a bare number,
        // and each name shown is audited in the person's own history.
        let before = audit_count(&t.store).await;
        let log = send(&t.router, get("/privacy/audit?person=943+476+5919", &[&ps])).await;
        assert_eq!(log.status, StatusCode::OK, "{}", log.body);
        assert!(
            log.body.contains("Robin Privacytest (NHS 943 476 5919)"),
            "{}",
            log.body
        );
        assert!(!log.body.contains("Person number") && !log.body.contains("Organisation number"));
        let trust_name = {
            let mut tx = t.store.begin().await.unwrap();
            tx.org_list()
                .await
                .unwrap()
                .into_iter()
                .find(|o| o.kind == OrgKind::MentalHealthTrust)
                .unwrap()
                .name
        };
        assert!(log.body.contains(&trust_name));
        assert!(
            log.body
                .contains("Viewed the person&#39;s name and contact details"),
            "{}",
            log.body
        );
        let mut tx = t.store.begin().await.unwrap();
        let named = tx
            .audit_person_page(pid.0, 0, 50)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.seq > before && e.draft.action == "person.view.identity.audit")
            .count();
        drop(tx);
        assert_eq!(named, 1, "the name shown is in the person's access history");

        // By family name and date of birth, and by organisation name.
        let log = send(
            &t.router,
            get(
                "/privacy/audit?person=Privacytest&date_of_birth=04/03/1985",
                &[&ps],
            ),
        )
        .await;
        assert_eq!(log.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(log.body.contains("3 people match"), "{}", log.body);
        let log = send(
            &t.router,
            get("/privacy/audit?organisation=no+such+place", &[&ps]),
        )
        .await;
        assert_eq!(log.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(log.body.contains("href=\"#organisation\""));
        let part = trust_name.split_whitespace().next().unwrap().to_string();
        let q = format!(
            "/privacy/audit?organisation={}&username=demo.triage",
            trust_name.replace(' ', "+")
        );
        let log = send(&t.router, get(&q, &[&ps])).await;
        assert_eq!(log.status, StatusCode::OK, "{part}: {}", log.body);
        // The search that found three people is one row, opening to the three of them.
        assert!(
            log.body.contains("<summary>3 events</summary>"),
            "{}",
            log.body
        );
        assert_eq!(
            log.body.matches("Found the person in a search").count(),
            4,
            "once in the row's words and once for each person"
        );
        // Staff by name, with the username to trace the account.
        assert!(
            log.body.contains("Priya Okonjo (demo.triage)"),
            "{}",
            log.body
        );

        // The access history: the person's name, local times, plain words, no codes.
        let hist = send(
            &t.router,
            get(&format!("/privacy/people/{}/access-history", pid.0), &[&ps]),
        )
        .await;
        assert_eq!(hist.status, StatusCode::OK);
        assert!(
            hist.body
                .contains("Who has seen Robin Privacytest's record"),
            "{}",
            hist.body
        );
        assert!(hist.body.contains("Viewed your name and contact details"));
        assert!(hist.body.contains("Found you in a search"));
        assert!(
            hist.body.contains("Priya Okonjo (demo.triage)"),
            "{}",
            hist.body
        );
        assert!(hist.body.contains("UK time"));
        assert!(!hist.body.contains(" UTC"));
        for code in ["person.view", "person.search_result", "audit.search"] {
            assert!(!hist.body.contains(code), "{code} in {}", hist.body);
        }
    }
}
