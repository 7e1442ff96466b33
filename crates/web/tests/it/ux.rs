//! Small daily-use fixes (Concordat issue 12): an NHS-number search that finds exactly one person goes
//! straight to that person's page, an empty search says so in words, the navigation marks the current
//! page, and failed forms title the page "Error: …" with capitalised messages on the same form.

use crate::harness::*;
use axum::http::StatusCode;
use concordat_domain::model::{NewPerson, OrgId};
use concordat_domain::{NhsNumber, OrgKind, Postcode};

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

fn numbered(owner: OrgId, family: &str, nhs: NhsNumber) -> NewPerson {
    NewPerson {
        owner_org_id: owner,
        given_name: "Robin".into(),
        family_name: family.into(),
        date_of_birth: chrono::NaiveDate::from_ymd_opt(1985, 3, 4),
        nhs_number: Some(nhs),
        sex: None,
        postcode: Some(Postcode::parse("ZZ9 9ZZ").unwrap()),
        address_line: None,
        phone: None,
        email: None,
        synthetic: true,
    }
}

/// A valid NHS number outside the demo's 999 range.
fn other_number() -> NhsNumber {
    (400_000_000..).find_map(NhsNumber::from_stem).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_nhs_number_that_finds_one_visible_person_goes_straight_to_their_page() {
    for t in spawn_apps().await {
        let own = trust(&t).await;
        let (mine, _hidden) = {
            let mut tx = t.store.begin().await.unwrap();
            let far = tx
                .org_insert("Far Away NHS Trust", OrgKind::MentalHealthTrust, None, None)
                .await
                .unwrap();
            let mine = tx
                .person_insert(&numbered(
                    own,
                    "Zebedee",
                    NhsNumber::parse("9434765919").unwrap(),
                ))
                .await
                .unwrap();
            let hidden = tx
                .person_insert(&numbered(far, "Aardvark", other_number()))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            (mine, hidden)
        };
        let (s, _) = sign_in(&t.router, "demo.triage").await;

        // Exactly one person the user may see: 303 to their page, the search audited once for them.
        let before = audit_count(&t.store).await;
        let res = send(&t.router, get("/people?nhs_number=943+476+5919", &[&s])).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert_eq!(res.location(), Some(format!("/people/{}", mine.0).as_str()));
        assert_eq!(
            audit_count(&t.store).await,
            before + 1,
            "the search is audited per person found"
        );
        let page = send(&t.router, get(res.location().unwrap(), &[&s])).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Zebedee"));

        // A number whose person the user may not see: no redirect, no name, and the page says so in words.
        let typed = other_number().digits();
        let res = send(
            &t.router,
            get(&format!("/people?nhs_number={typed}"), &[&s]),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(!res.body.contains("Aardvark"));
        assert!(
            res.body
                .contains(&format!("No one matches NHS number {typed}")),
            "{}",
            res.body
        );

        // Other searches that find one person still list them (a name is not an identifier).
        let res = send(
            &t.router,
            get(
                "/people?family_name=Zebedee&date_of_birth=04/03/1985",
                &[&s],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.body.contains(&format!("href=\"/people/{}\"", mine.0)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_navigation_marks_the_current_page_and_only_that_page() {
    for t in spawn_apps().await {
        let (s, _) = sign_in(&t.router, "demo.privacy").await;
        for (path, href) in [
            ("/home", "/home"),
            ("/privacy/break-glass", "/privacy/break-glass"),
            ("/privacy/audit", "/privacy/audit"),
        ] {
            let res = send(&t.router, get(path, &[&s])).await;
            assert_eq!(res.status, StatusCode::OK, "{path}");
            assert_eq!(
                res.body.matches("aria-current=\"page\"").count(),
                1,
                "{path}: exactly one link is marked"
            );
            assert!(
                res.body
                    .contains(&format!("<a href=\"{href}\" aria-current=\"page\">")),
                "{path}: its own link is marked"
            );
        }
        // A page that is not in the navigation marks nothing.
        let res = send(&t.router, get("/privacy/people/1/access-history", &[&s])).await;
        assert!(!res.body.contains("aria-current"), "{}", res.status);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_break_glass_review_without_an_outcome_is_sent_back_on_the_same_form_with_the_error() {
    for t in spawn_apps().await {
        // A responder breaks the glass on a person of another organisation.
        let pid = {
            let mut tx = t.store.begin().await.unwrap();
            let far = tx
                .org_insert("Far Away NHS Trust", OrgKind::MentalHealthTrust, None, None)
                .await
                .unwrap();
            let pid = tx
                .person_insert(&numbered(far, "Unshared", other_number()))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            pid
        };
        let (r, csrf) = sign_in(&t.router, "demo.responder").await;
        let res = send(
            &t.router,
            post_form(
                &format!("/people/{}", pid.0),
                &[&r],
                &[
                    ("reason", "Person on a bridge parapet, threatening to jump"),
                    ("csrf", &csrf),
                ],
            ),
        )
        .await;
        assert!(
            res.status.is_success() || res.status.is_redirection(),
            "{}",
            res.status
        );
        let seq = {
            let mut tx = t.store.begin().await.unwrap();
            let (head, _) = tx.audit_head().await.unwrap();
            let mut found = None;
            for seq in (1..=head).rev() {
                if let Some(ev) = tx.audit_event(seq).await.unwrap()
                    && ev.draft.break_glass
                {
                    found = Some(seq);
                    break;
                }
            }
            found.expect("a break-glass event")
        };

        // The privacy officer sends the review without an outcome.
        let (p, csrf) = sign_in(&t.router, "demo.privacy").await;
        let before = audit_count(&t.store).await;
        let res = send(
            &t.router,
            post_form(
                &format!("/privacy/break-glass/{seq}"),
                &[&p],
                &[("notes", "Checked with the officer"), ("csrf", &csrf)],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let body = &res.body;
        assert!(
            body.contains("<title>Error: Break-glass reviews"),
            "the title starts with Error: {body}"
        );
        assert!(
            body.contains("There is a problem"),
            "the error summary is shown"
        );
        assert!(body.contains("Sign out"), "the normal header is shown");
        assert!(
            body.contains(&format!("<a href=\"#outcome-{seq}-")),
            "the summary links to the outcome of this access's form"
        );
        assert!(
            body.contains(&format!("id=\"outcome-{seq}-error\""))
                && body.contains("Choose an outcome"),
            "the field message is on the form, capitalised: {body}"
        );
        assert!(
            !body.contains(">choose an outcome"),
            "no lower-case message"
        );
        assert!(
            body.contains(&format!("action=\"/privacy/break-glass/{seq}\"")),
            "the same form is shown again"
        );
        assert_eq!(
            audit_count(&t.store).await,
            before + 1,
            "nothing recorded but the queue's own view"
        );
        // Other failed forms are titled the same way, with capitalised messages.
        let res = send(&t.router, get("/people?nhs_number=123", &[&r])).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.body.contains("<title>Error: Find a person"),
            "{}",
            res.body
        );
    }
}
