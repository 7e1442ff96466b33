//! Care teams through the router: the owning organisation's clinicians and administrators see a
//! person's care team, add a clinician of that organisation and end a membership with a reason; the
//! care-team-only plan section follows at once; another organisation's staff are refused; every change
//! is audited with the person's id; bad input is named by field; forms need the CSRF token.

use crate::harness::*;
use crate::plans::{plan_form, user_id};
use axum::http::StatusCode;
use concordat_domain::model::PersonId;

/// The care-team-only section of the plan written by `plan_form`.
const CARE_TEAM_ONLY: &str = "Miso";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_and_ending_a_care_team_membership_shows_and_hides_the_care_team_section() {
    for t in spawn_apps().await {
        // A person of the mental health trust, with a plan that has a section for the care team only.
        let id = person_of(&t, "demo.crisis", "Robin", "Teamtest").await;
        let page = format!("/people/{id}");
        let team = format!("{page}/care-team");
        let (crisis, ccsrf) = sign_in(&t.router, "demo.crisis").await;
        let res = send(
            &t.router,
            post_form(
                &format!("{page}/plan"),
                &[&crisis],
                &plan_form(&ccsrf, "", "A quiet room"),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);

        // Sunita Varga (demo.crisis2), a crisis clinician of the same trust, is not in the care team.
        let (crisis2, _) = sign_in(&t.router, "demo.crisis2").await;
        let res = send(&t.router, get(&page, &[&crisis2])).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(!res.body.contains(CARE_TEAM_ONLY), "{}", res.body);

        // The triage clinician of the trust opens the care team and adds her.
        let (triage, tcsrf) = sign_in(&t.router, "demo.triage").await;
        let res = send(&t.router, get(&team, &[&triage])).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(
            res.body.contains("Nobody is in the care team"),
            "{}",
            res.body
        );
        assert!(res.body.contains("Sunita Varga"), "{}", res.body);
        // Nobody from another organisation is offered.
        assert!(!res.body.contains("Grace Odufuwa"), "{}", res.body);
        let sunita = user_id(&t, "demo.crisis2").await;
        let res = send(
            &t.router,
            post_form(
                &team,
                &[&triage],
                &[("csrf", &tcsrf), ("clinician", &sunita.0.to_string())],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert_eq!(res.location(), Some(team.as_str()));
        let added = events_named(&t, "care_team.add").await;
        assert_eq!(added.len(), 1);
        assert_eq!(added[0].draft.person_id, Some(id));

        // Now she sees the care team's section, and the person's page lists her in the care team.
        let res = send(&t.router, get(&page, &[&crisis2])).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(res.body.contains(CARE_TEAM_ONLY), "{}", res.body);
        assert!(res.body.contains("id=\"care-team\""), "{}", res.body);

        // Adding her again is refused, by field.
        let res = send(
            &t.router,
            post_form(
                &team,
                &[&triage],
                &[("csrf", &tcsrf), ("clinician", &sunita.0.to_string())],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        assert!(
            res.body.contains("already in the care team"),
            "{}",
            res.body
        );

        // Ending needs a reason, named by field; nothing changes without one.
        let membership = {
            let mut tx = t.store.begin().await.unwrap();
            tx.care_team_of(PersonId(id)).await.unwrap()[0].id
        };
        let end = format!("{team}/{membership}/end");
        let res = send(
            &t.router,
            post_form(&end, &[&triage], &[("csrf", &tcsrf), ("reason", "  ")]),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        assert!(
            res.body.contains("Say why this clinician is leaving"),
            "{}",
            res.body
        );
        assert!(
            res.body
                .contains(&format!("id=\"reason-{membership}-error\""))
        );
        let res = send(&t.router, get(&page, &[&crisis2])).await;
        assert!(res.body.contains(CARE_TEAM_ONLY));

        // The administrator of the trust ends it, with a reason.
        let (admin, acsrf) = sign_in(&t.router, "demo.admin").await;
        let res = send(
            &t.router,
            post_form(
                &end,
                &[&admin],
                &[
                    ("csrf", &acsrf),
                    ("reason", "Moved to the eating disorders team"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let ended = events_named(&t, "care_team.end").await;
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].draft.person_id, Some(id));

        // The section is gone for her at once; the history keeps who, when, by whom and why.
        let res = send(&t.router, get(&page, &[&crisis2])).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(!res.body.contains(CARE_TEAM_ONLY), "{}", res.body);
        let res = send(&t.router, get(&team, &[&triage])).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(
            res.body.contains("Nobody is in the care team"),
            "{}",
            res.body
        );
        assert!(
            res.body.contains("Moved to the eating disorders team"),
            "{}",
            res.body
        );
        assert!(res.body.contains("ended by Alex Brannigan"), "{}", res.body);
        assert!(!events_named(&t, "care_team.view").await.is_empty());

        // Ending it again finds nothing to end; the history row is still there, not deleted.
        let res = send(
            &t.router,
            post_form(&end, &[&admin], &[("csrf", &acsrf), ("reason", "Again")]),
        )
        .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
        let mut tx = t.store.begin().await.unwrap();
        let rows = tx.care_team_of(PersonId(id)).await.unwrap();
        drop(tx);
        assert_eq!(rows.len(), 1);
        assert!(rows[0].ended_at.is_some());

        // She can be added again: a new membership, the old one kept in the history.
        let res = send(
            &t.router,
            post_form(
                &team,
                &[&triage],
                &[("csrf", &tcsrf), ("clinician", &sunita.0.to_string())],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let res = send(&t.router, get(&page, &[&crisis2])).await;
        assert!(res.body.contains(CARE_TEAM_ONLY), "{}", res.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_organisations_and_other_roles_are_refused_and_bad_input_is_named() {
    for t in spawn_apps().await {
        let id = person_of(&t, "demo.crisis", "Robin", "Refusetest").await;
        let team = format!("/people/{id}/care-team");
        let sunita = user_id(&t, "demo.crisis2").await.0.to_string();
        let grace = user_id(&t, "demo.amhp").await.0.to_string();

        // Clinicians of other organisations (the council's AMHP, the acute trust's liaison
        // psychiatrist) and roles that do not manage care teams are refused, and audited.
        for user in ["demo.amhp", "demo.ae", "demo.responder", "demo.privacy"] {
            let (s, csrf) = sign_in(&t.router, user).await;
            let before = audit_count(&t.store).await;
            let res = send(&t.router, get(&team, &[&s])).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{user}: {}", res.body);
            assert!(!res.body.contains("Refusetest"), "{user}");
            assert_eq!(audit_count(&t.store).await, before + 1, "{user}");
            let res = send(
                &t.router,
                post_form(&team, &[&s], &[("csrf", &csrf), ("clinician", &sunita)]),
            )
            .await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{user}: {}", res.body);
        }
        let mut tx = t.store.begin().await.unwrap();
        assert!(tx.care_team_of(PersonId(id)).await.unwrap().is_empty());
        drop(tx);
        assert_eq!(
            events_named(&t, "care_team.manage")
                .await
                .iter()
                .filter(|e| e.draft.person_id == Some(id))
                .count(),
            8
        );

        // A person who does not exist is not found.
        let (triage, tcsrf) = sign_in(&t.router, "demo.triage").await;
        let res = send(&t.router, get("/people/987654/care-team", &[&triage])).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);

        // The forms need the CSRF token.
        let res = send(
            &t.router,
            post_form(
                &team,
                &[&triage],
                &[("csrf", "forged"), ("clinician", &sunita)],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        let res = send(
            &t.router,
            post_form(
                &format!("{team}/1/end"),
                &[&triage],
                &[("csrf", "forged"), ("reason", "Discharged")],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);

        // Bad choices are named by field: nothing chosen, not a number, another organisation's clinician.
        for choice in ["", "abc", grace.as_str()] {
            let res = send(
                &t.router,
                post_form(
                    &team,
                    &[&triage],
                    &[("csrf", &tcsrf), ("clinician", choice)],
                ),
            )
            .await;
            assert_eq!(
                res.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{choice}: {}",
                res.body
            );
            assert!(
                res.body.contains("id=\"clinician-error\""),
                "{choice}: {}",
                res.body
            );
            assert!(res.body.contains("Choose a clinician of the organisation"));
        }
        let mut tx = t.store.begin().await.unwrap();
        assert!(tx.care_team_of(PersonId(id)).await.unwrap().is_empty());
        drop(tx);
        assert!(events_named(&t, "care_team.add").await.is_empty());

        // A reason that is too long or holds a control character is named by field.
        let res = send(
            &t.router,
            post_form(
                &team,
                &[&triage],
                &[("csrf", &tcsrf), ("clinician", &sunita)],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let membership = {
            let mut tx = t.store.begin().await.unwrap();
            tx.care_team_of(PersonId(id)).await.unwrap()[0].id
        };
        let end = format!("{team}/{membership}/end");
        for reason in ["x".repeat(501), "Left\u{7}".to_string()] {
            let res = send(
                &t.router,
                post_form(&end, &[&triage], &[("csrf", &tcsrf), ("reason", &reason)]),
            )
            .await;
            assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
            assert!(
                res.body
                    .contains(&format!("id=\"reason-{membership}-error\""))
            );
        }
        // Another organisation's clinician cannot end it either.
        let (amhp, acsrf) = sign_in(&t.router, "demo.amhp").await;
        let res = send(
            &t.router,
            post_form(&end, &[&amhp], &[("csrf", &acsrf), ("reason", "Not mine")]),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
        let sunita = user_id(&t, "demo.crisis2").await;
        let mut tx = t.store.begin().await.unwrap();
        assert!(tx.care_team_contains(PersonId(id), sunita).await.unwrap());
    }
}
