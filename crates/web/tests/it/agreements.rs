//! Sharing agreements as a workflow, through the router on both backends: an administrator drafts, each
//! party's privacy officer signs, and only then, and only between its dates, does the policy let
//! information flow under it.

use crate::harness::*;
use axum::http::StatusCode;
use concordat_domain::OrgKind;

/// A person of the demo's mental health trust (every demo person belongs to it).
const PERSON: &str = "/people/1";

async fn page(t: &TestApp, cookie: &str, uri: &str) -> Resp {
    send(&t.router, get(uri, &[cookie])).await
}

fn draft_form<'a>(
    csrf: &'a str,
    from: &'a str,
    to: &'a str,
    today: &'a str,
    review: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("title", "Identity for officers at the scene"),
        ("purpose", "Officers confirm who a person in crisis is."),
        ("from_org", from),
        ("to_org", to),
        ("categories", "identity"),
        ("legal_basis", "direct_care"),
        ("in_force_from", today),
        ("in_force_until", ""),
        ("review_date", review),
    ]
}

fn agreement_id(res: &Resp) -> i64 {
    let loc = res.location().expect("a redirect");
    loc.trim_start_matches("/agreements/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn an_agreement_lets_information_flow_only_once_every_party_signed_and_while_in_force() {
    for t in spawn_apps().await {
        let trust = org_of(&t, OrgKind::MentalHealthTrust).await;
        let police = org_of(&t, OrgKind::PoliceForce).await;
        // The demo's own agreement from the trust to the police ends: officers see nobody now.
        let mut tx = t.store.begin().await.unwrap();
        tx.testing_execute(&format!(
            "UPDATE sharing_agreements SET status = 'ended' WHERE from_org_id = {trust} AND to_org_id = {police}"
        ))
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let (officer, officer_csrf) = sign_in(&t.router, "demo.responder").await;
        assert_eq!(
            page(&t, &officer, PERSON).await.status,
            StatusCode::FORBIDDEN
        );

        // The trust's administrator drafts; bad input is named by field.
        let (admin, admin_csrf) = sign_in(&t.router, "demo.admin").await;
        assert_eq!(
            page(&t, &admin, "/agreements/new").await.status,
            StatusCode::OK
        );
        let bad = send(
            &t.router,
            post_form(
                "/agreements",
                &[&admin],
                &[
                    ("csrf", &admin_csrf),
                    ("to_org", &trust.to_string()),
                    ("from_org", &trust.to_string()),
                    ("in_force_from", "2027-13-01"),
                ],
            ),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in [
            "title",
            "purpose",
            "to_org",
            "categories",
            "legal_basis",
            "in_force_from",
            "review_date",
        ] {
            assert!(
                bad.body.contains(&format!("href=\"#{field}\"")),
                "{field}: {}",
                bad.body
            );
        }
        let today = chrono::Utc::now().date_naive();
        let today_s = today.format("%Y-%m-%d").to_string();
        let review = (today + chrono::Months::new(12))
            .format("%Y-%m-%d")
            .to_string();
        let (trust_s, police_s) = (trust.to_string(), police.to_string());
        let res = send(
            &t.router,
            post_form(
                "/agreements",
                &[&admin],
                &draft_form(&admin_csrf, &trust_s, &police_s, &today_s, &review),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let id = agreement_id(&res);
        let uri = format!("/agreements/{id}");
        let summary = page(&t, &admin, &uri).await;
        assert!(
            summary.body.contains("Draft: waiting for signatures"),
            "{}",
            summary.body
        );
        // Roles that do not draft are refused the form and the post, and the refusal is audited.
        let (triage, triage_csrf) = sign_in(&t.router, "demo.triage").await;
        let denied_before = events_named(&t, "agreement.draft").await.len();
        assert_eq!(
            page(&t, &triage, "/agreements/new").await.status,
            StatusCode::FORBIDDEN
        );
        let res = send(
            &t.router,
            post_form(
                "/agreements",
                &[&triage],
                &draft_form(&triage_csrf, &trust_s, &police_s, &today_s, &review),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert_eq!(
            events_named(&t, "agreement.draft").await.len(),
            denied_before + 2
        );
        // A draft lets nothing flow.
        assert_eq!(
            page(&t, &officer, PERSON).await.status,
            StatusCode::FORBIDDEN
        );

        // Only a privacy officer signs, and only for a party.
        let sign = format!("{uri}/sign");
        let res = send(
            &t.router,
            post_form(
                &sign,
                &[&officer],
                &[("csrf", &officer_csrf), ("position", "Sergeant")],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let (trust_po, trust_po_csrf) = sign_in(&t.router, "demo.privacy").await;
        assert!(
            page(&t, &trust_po, &uri)
                .await
                .body
                .contains("Sign the agreement")
        );
        let res = send(
            &t.router,
            post_form(
                &sign,
                &[&trust_po],
                &[("csrf", &trust_po_csrf), ("position", "")],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("href=\"#position\""), "{}", res.body);
        let res = send(
            &t.router,
            post_form(
                &sign,
                &[&trust_po],
                &[("csrf", &trust_po_csrf), ("position", "Caldicott Guardian")],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert_eq!(res.location(), Some(format!("{uri}?done=signed").as_str()));
        let again = send(
            &t.router,
            post_form(
                &sign,
                &[&trust_po],
                &[("csrf", &trust_po_csrf), ("position", "Caldicott Guardian")],
            ),
        )
        .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        // One signature of two: still nothing flows.
        assert_eq!(
            page(&t, &officer, PERSON).await.status,
            StatusCode::FORBIDDEN
        );

        let (police_po, police_po_csrf) = sign_in(&t.router, "demo.police.privacy").await;
        let res = send(
            &t.router,
            post_form(
                &sign,
                &[&police_po],
                &[
                    ("csrf", &police_po_csrf),
                    ("position", "Data Protection Officer"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert_eq!(res.location(), Some(format!("{uri}?done=agreed").as_str()));
        // Agreed and in force today: the officer sees the person.
        assert_eq!(page(&t, &officer, PERSON).await.status, StatusCode::OK);
        let summary = page(&t, &officer, &uri).await;
        assert!(summary.body.contains("In force"), "{}", summary.body);
        for shown in [
            "Ruth Castellan",
            "Ian Trelawney",
            "Caldicott Guardian",
            "Data Protection Officer",
            "Privacy officer",
        ] {
            assert!(summary.body.contains(shown), "{shown}: {}", summary.body);
        }
        assert_eq!(
            events_named(&t, "agreement.sign")
                .await
                .iter()
                .filter(|e| e.draft.outcome == concordat_domain::audit::AuditOutcome::Allowed)
                .count(),
            2
        );
        assert_eq!(events_named(&t, "agreement.agreed").await.len(), 1);

        // After its last day it is honoured no more; with no last day it is again.
        let yesterday = (today - chrono::Days::new(1))
            .format("%Y-%m-%d")
            .to_string();
        let long_ago = (today - chrono::Days::new(30))
            .format("%Y-%m-%d")
            .to_string();
        let set = |sql: String| {
            let store = t.store.clone();
            async move {
                let mut tx = store.begin().await.unwrap();
                tx.testing_execute(&sql).await.unwrap();
                tx.commit().await.unwrap();
            }
        };
        set(format!("UPDATE sharing_agreements SET in_force_from = '{long_ago}', in_force_until = '{yesterday}' WHERE id = {id}")).await;
        assert_eq!(
            page(&t, &officer, PERSON).await.status,
            StatusCode::FORBIDDEN
        );
        assert!(
            page(&t, &officer, &uri)
                .await
                .body
                .contains("not in force today")
        );
        set(format!(
            "UPDATE sharing_agreements SET in_force_until = NULL WHERE id = {id}"
        ))
        .await;
        assert_eq!(page(&t, &officer, PERSON).await.status, StatusCode::OK);

        // The administrator ends it, giving a reason: nothing flows from then on.
        let end = format!("{uri}/end");
        let res = send(
            &t.router,
            post_form(&end, &[&admin], &[("csrf", &admin_csrf), ("reason", "")]),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let res = send(
            &t.router,
            post_form(
                &end,
                &[&trust_po],
                &[("csrf", &trust_po_csrf), ("reason", "Replaced")],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let res = send(
            &t.router,
            post_form(
                &end,
                &[&admin],
                &[
                    ("csrf", &admin_csrf),
                    ("reason", "Replaced by the county-wide agreement"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert_eq!(
            page(&t, &officer, PERSON).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            events_named(&t, "agreement.end")
                .await
                .iter()
                .filter(|e| e.draft.outcome == concordat_domain::audit::AuditOutcome::Allowed)
                .count(),
            1
        );
        // Signing an ended agreement is refused as a conflict.
        let res = send(
            &t.router,
            post_form(
                &sign,
                &[&police_po],
                &[("csrf", &police_po_csrf), ("position", "DPO")],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::CONFLICT);

        // A privacy officer of another organisation cannot sign for a party; a draft can be withdrawn.
        let fire = org_of(&t, OrgKind::FireAndRescue).await.to_string();
        let res = send(
            &t.router,
            post_form(
                "/agreements",
                &[&admin],
                &draft_form(&admin_csrf, &trust_s, &fire, &today_s, &review),
            ),
        )
        .await;
        let other = agreement_id(&res);
        let res = send(
            &t.router,
            post_form(
                &format!("/agreements/{other}/sign"),
                &[&police_po],
                &[("csrf", &police_po_csrf), ("position", "DPO")],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let res = send(
            &t.router,
            post_form(
                &format!("/agreements/{other}/end"),
                &[&admin],
                &[("csrf", &admin_csrf), ("reason", "Drafted in error")],
            ),
        )
        .await;
        assert_eq!(
            res.location(),
            Some(format!("/agreements/{other}?done=withdrawn").as_str())
        );
        assert!(
            page(&t, &admin, "/agreements")
                .await
                .body
                .contains("Withdrawn before it was agreed")
        );
        assert_eq!(events_named(&t, "agreement.withdraw").await.len(), 1);
    }
}
