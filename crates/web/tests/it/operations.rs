//! Crisis operations through the router: contacts with drafts, versions and locking; episodes refused with the rules'
//! field-level messages; the board's warnings in words; the availability board without personal data; exports; audit rows.

use crate::harness::*;
use axum::http::StatusCode;
use chrono::{TimeDelta, Utc};
use concordat_app::operations::form_time;

fn ago(minutes: i64) -> String {
    form_time(Utc::now() - TimeDelta::minutes(minutes))
}

fn id_from(location: Option<&str>, prefix: &str) -> i64 {
    let l = location.expect("a redirect");
    l.trim_start_matches(prefix)
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The id of the first place of that kind, from the app (the page lists places by name).
async fn place_of_kind(t: &TestApp, kind: &str) -> String {
    let places = t.app.episode_places().await.unwrap();
    places.iter().find(|p| p.2 == kind).unwrap().0.to_string()
}

#[tokio::test]
async fn contacts_keep_drafts_versions_and_refuse_lost_updates() {
    for t in spawn_apps().await {
        let (nurse, csrf) = sign_in(&t.router, "demo.triage").await;
        let page = send(&t.router, get("/contacts/new", &[&nurse])).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Time of the call"));
        assert!(page.body.contains("Presenting needs"));

        // A draft needs nothing but a time; it is audited.
        let before = audit_count(&t.store).await;
        let now = ago(0);
        let res = send(
            &t.router,
            post_form(
                "/contacts",
                &[&nurse],
                &[
                    ("csrf", &csrf),
                    ("save_as", "draft"),
                    ("called_at", &now),
                    ("source", "999"),
                    ("setting", "street_or_public_place"),
                    ("presenting_needs", "self_harm"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let id = id_from(res.location(), "/contacts/");
        assert_eq!(audit_count(&t.store).await, before + 1);
        let view = send(&t.router, get(&format!("/contacts/{id}"), &[&nurse])).await;
        assert!(view.body.contains("Draft: not finished"));
        assert_eq!(audit_count(&t.store).await, before + 2, "a read is audited");

        // Finishing needs the rest: each missing field is named.
        let finish = |version: &'static str, outcomes: &'static [&'static str]| {
            let mut f: Vec<(&str, &str)> = vec![
                ("csrf", csrf.as_str()),
                ("version", version),
                ("save_as", "final"),
                ("called_at", now.as_str()),
                ("source", "999"),
                ("setting", "street_or_public_place"),
                ("postcode", "ZZ1 4AB"),
                ("person_description", "Man about 40, blue coat"),
                ("conveyance", "none"),
                ("presenting_needs", "self_harm"),
            ];
            f.extend(outcomes.iter().map(|o| ("outcomes", *o)));
            f
        };
        let res = send(
            &t.router,
            post_form(&format!("/contacts/{id}"), &[&nurse], &finish("1", &[])),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("href=\"#outcomes\""), "{}", res.body);
        assert!(res.body.contains("Choose at least one outcome"));

        let res = send(
            &t.router,
            post_form(
                &format!("/contacts/{id}"),
                &[&nurse],
                &finish("1", &["referred_crisis_team", "signposted"]),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let view = send(&t.router, get(&format!("/contacts/{id}"), &[&nurse])).await;
        assert!(view.body.contains("Version 2"));
        // The saver by name and role, not username.
        assert!(view.body.contains("Version 1: "), "{}", view.body);
        assert!(
            !view.body.contains("Version 1: demo.triage"),
            "{}",
            view.body
        );
        assert!(!view.body.contains("Draft: not finished"));

        // A second writer still holding version 1 is told, and nothing is lost.
        let res = send(
            &t.router,
            post_form(
                &format!("/contacts/{id}"),
                &[&nurse],
                &finish("1", &["no_further_action"]),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::CONFLICT);
        assert!(res.body.contains("Someone else saved this contact"));
        let mut tx = t.store.begin().await.unwrap();
        let c = tx.contact_get(id).await.unwrap().unwrap();
        assert_eq!(c.version, 2);
        assert_eq!(c.data.outcomes, ["referred_crisis_team", "signposted"]);
        assert_eq!(tx.contact_versions(id).await.unwrap().len(), 2);
        drop(tx);

        // A postcode that is not one is refused on its field.
        let res = send(
            &t.router,
            post_form(
                "/contacts",
                &[&nurse],
                &[
                    ("csrf", &csrf),
                    ("save_as", "draft"),
                    ("called_at", &now),
                    ("postcode", "not a postcode"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("href=\"#postcode\""));
    }
}

#[tokio::test]
async fn police_record_contacts_but_never_see_clinical_detail() {
    for t in spawn_apps().await {
        let (officer, csrf) = sign_in(&t.router, "demo.responder").await;
        let page = send(&t.router, get("/contacts/new", &[&officer])).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("Presenting needs"));
        let now = ago(0);
        let res = send(
            &t.router,
            post_form(
                "/contacts",
                &[&officer],
                &[
                    ("csrf", &csrf),
                    ("save_as", "draft"),
                    ("called_at", &now),
                    // Submitted anyway: not stored, because the role may not record or see it.
                    ("presenting_needs", "psychosis"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let id = id_from(res.location(), "/contacts/");
        let mut tx = t.store.begin().await.unwrap();
        assert!(
            tx.contact_get(id)
                .await
                .unwrap()
                .unwrap()
                .data
                .presenting_needs
                .is_empty()
        );
        drop(tx);
        let view = send(&t.router, get(&format!("/contacts/{id}"), &[&officer])).await;
        assert_eq!(view.status, StatusCode::OK);
        assert!(view.body.contains("not shown to your role"));
        // Police never see the detentions board.
        let board = send(&t.router, get("/board", &[&officer])).await;
        assert_eq!(board.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn the_board_shows_the_clock_and_warnings_in_words() {
    for t in spawn_apps().await {
        let (pos, _) = sign_in(&t.router, "demo.pos").await;
        let before = audit_count(&t.store).await;
        let board = send(&t.router, get("/board", &[&pos])).await;
        assert_eq!(board.status, StatusCode::OK);
        for words in [
            "Under 4 hours left",
            "Under 1 hour left",
            "Within the time limit",
            "Time limit",
            "BST",
        ]
        .iter()
        .take(4)
        {
            assert!(board.body.contains(words), "board lacks {words:?}");
        }
        assert!(board.body.contains("GMT") || board.body.contains("BST"));
        assert!(!board.body.contains("<script>"), "no inline script");
        // One audit row per episode shown.
        let shown = board
            .body
            .split("href=\"/episodes/")
            .skip(1)
            .filter(|s| s.starts_with(|c: char| c.is_ascii_digit()))
            .count() as i64;
        assert!(shown >= 3, "{shown}");
        // And one more per name shown (each a disclosure of that person's identity).
        let unnamed = (board.body.matches("Person not identified").count()
            + board
                .body
                .matches("Person not shared with your organisation")
                .count()) as i64;
        assert_eq!(
            audit_count(&t.store).await,
            before + shown + shown - unnamed
        );

        let first = board
            .body
            .split("href=\"/episodes/")
            .find(|s| s.starts_with(|c: char| c.is_ascii_digit()))
            .unwrap();
        let id: i64 = first.split('"').next().unwrap().parse().unwrap();
        let ep = send(&t.router, get(&format!("/episodes/{id}"), &[&pos])).await;
        assert_eq!(ep.status, StatusCode::OK);
        assert!(ep.body.contains("The 24-hour clock"));
        assert!(ep.body.contains("Started"));
    }
}

#[tokio::test]
async fn impossible_and_unlawful_input_is_refused_field_by_field() {
    for t in spawn_apps().await {
        let (pos, csrf) = sign_in(&t.router, "demo.pos").await;
        let suite = place_of_kind(&t, "health_based").await;
        let custody = place_of_kind(&t, "police_station").await;
        let (det, arr) = (ago(120), ago(60));
        let base = |age: &'static str, place: &str, arrived: &str| -> Vec<(String, String)> {
            [
                ("csrf", csrf.as_str()),
                ("power", "s136"),
                ("detained_at", det.as_str()),
                ("detention_place", "street_or_public_place"),
                ("officer", "PC 1234"),
                ("age", age),
                ("consultation.reason", "Immediate risk on a bridge"),
                ("stays[0].place_id", place),
                ("stays[0].arrived_at", arrived),
                ("transport", "ambulance"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
        };
        let post = |form: Vec<(String, String)>, uri: String| {
            let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            post_form(&uri, &[&pos], &f)
        };

        // Arrival before detention.
        let early = ago(180);
        let res = send(
            &t.router,
            post(base("30", &suite, &early), "/episodes".into()),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.body.contains("href=\"#stays[0].arrived_at\""),
            "{}",
            res.body
        );
        assert!(res.body.contains("before the detention"));

        // A police station for a 16-year-old: never.
        let res = send(
            &t.router,
            post(base("16", &custody, &arr), "/episodes".into()),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.body
                .contains("never be a place of safety for anyone under 18"),
            "{}",
            res.body
        );
        // For an adult, not without the conditions and an inspector's authorisation.
        let res = send(
            &t.router,
            post(base("30", &custody, &arr), "/episodes".into()),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("stays[0].police_station"), "{}", res.body);

        // A lawful detention is recorded and audited.
        let before = audit_count(&t.store).await;
        let res = send(
            &t.router,
            post(base("30", &suite, &arr), "/episodes".into()),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let id = id_from(res.location(), "/episodes/");
        assert_eq!(audit_count(&t.store).await, before + 1);
        let page = send(&t.router, get(&format!("/episodes/{id}"), &[&pos])).await;
        assert!(page.body.contains("Within the time limit"));

        // "No AMHP available" is not accepted as a reason to extend (local policy, following the guidance).
        let now = ago(0);
        let ext = |reason: &str, at: &str, version: &str| -> Vec<(String, String)> {
            [
                ("csrf", csrf.as_str()),
                ("version", version),
                ("step", "extension"),
                ("extension.authorised_at", at),
                ("extension.minutes", "600"),
                ("extension.authorised_by", "Dr Rao"),
                ("extension.reason", reason),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
        };
        let res = send(
            &t.router,
            post(
                ext("amhp_unavailable", &now, "1"),
                format!("/episodes/{id}"),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.body.contains("is not accepted as a reason to extend")
                && res.body.contains("local policy"),
            "{}",
            res.body
        );
        assert!(res.body.contains("href=\"#extension.reason\""));

        // Record the examination, then an extension by someone else is refused; by the examining doctor, granted.
        let assess: Vec<(String, String)> = [
            ("csrf", csrf.as_str()),
            ("version", "1"),
            ("step", "assessment"),
            ("assessment.doctor", "Dr Rao"),
            ("assessment.doctor_examined_at", now.as_str()),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let res = send(&t.router, post(assess, format!("/episodes/{id}"))).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let mut other = ext("intoxication", &now, "2");
        other
            .iter_mut()
            .find(|(k, _)| k == "extension.authorised_by")
            .unwrap()
            .1 = "Dr Someone Else".into();
        let res = send(&t.router, post(other, format!("/episodes/{id}"))).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.body.contains("href=\"#extension.authorised_by\""),
            "{}",
            res.body
        );
        let res = send(
            &t.router,
            post(ext("intoxication", &now, "2"), format!("/episodes/{id}")),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let page = send(&t.router, get(&format!("/episodes/{id}"), &[&pos])).await;
        assert!(page.body.contains("Granted: 10 h"), "{}", page.body);

        // An extension after the 24 hours ran out is refused.
        let (old_det, old_arr) = (ago(31 * 60), ago(30 * 60));
        let mut late = base("30", &suite, &old_arr);
        late.iter_mut().find(|(k, _)| k == "detained_at").unwrap().1 = old_det;
        let res = send(&t.router, post(late, "/episodes".into())).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let late_id = id_from(res.location(), "/episodes/");
        let page = send(&t.router, get(&format!("/episodes/{late_id}"), &[&pos])).await;
        assert!(
            page.body.contains("Time limit passed (breach)"),
            "a breach is shown"
        );
        let res = send(
            &t.router,
            post(
                ext("intoxication", &now, "1"),
                format!("/episodes/{late_id}"),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.body
                .contains("an extension can only be made before they run out"),
            "{}",
            res.body
        );

        // Ending late is recorded, and stays a breach.
        let end: Vec<(String, String)> = [
            ("csrf", csrf.as_str()),
            ("version", "1"),
            ("step", "end"),
            ("ended_at", now.as_str()),
            ("outcome", "informal_admission"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let res = send(&t.router, post(end, format!("/episodes/{late_id}"))).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let page = send(&t.router, get(&format!("/episodes/{late_id}"), &[&pos])).await;
        assert!(page.body.contains("Ended after the time limit (breach)"));
    }
}

#[tokio::test]
async fn responders_see_availability_but_nobody_on_it() {
    for t in spawn_apps().await {
        let (pos, _) = sign_in(&t.router, "demo.pos").await;
        let board = send(&t.router, get("/board", &[&pos])).await;
        let names: Vec<String> = board
            .body
            .split("href=\"/episodes/")
            .skip(1)
            .filter(|s| s.starts_with(|c: char| c.is_ascii_digit()))
            .filter_map(|s| s.split('>').nth(1))
            .filter_map(|s| s.split('<').next())
            .map(str::to_string)
            .filter(|n| n != "Person not identified")
            .collect();
        assert!(!names.is_empty());

        let (officer, _) = sign_in(&t.router, "demo.responder").await;
        let before = audit_count(&t.store).await;
        let page = send(&t.router, get("/places", &[&officer])).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("free") || page.body.contains("Full"));
        for n in &names {
            assert!(
                !page.body.contains(n.as_str()),
                "{n} on the availability board"
            );
        }
        assert_eq!(audit_count(&t.store).await, before + 1);
    }
}

#[tokio::test]
async fn exports_are_policy_checked_and_audited() {
    for t in spawn_apps().await {
        let (analyst, _) = sign_in(&t.router, "demo.analyst").await;
        let today = Utc::now().date_naive();
        let from = (today - TimeDelta::days(365)).to_string();
        let uri = format!("/exports/home-office.csv?from={from}&to={today}");
        let before = audit_count(&t.store).await;
        let res = send(&t.router, get(&uri, &[&analyst])).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(
            res.body.starts_with(
                "police_force,power,detained_on,financial_year,age_group,sex,ethnicity,first_place_of_safety,police_station_used,transport,police_vehicle_reason,local_transferred,local_extended,local_outcome\r\n"
            ),
            "{}",
            res.body
        );
        // Every row names the force; "not known" transport is never folded into "other".
        for line in res.body.lines().skip(1) {
            assert!(!line.starts_with(','), "{line}");
            assert!(!line.contains("other_or_unknown"), "{line}");
        }
        assert!(res.body.lines().count() > 1);
        assert_eq!(audit_count(&t.store).await, before + 1);

        let uri = format!("/exports/outcomes.csv?from={from}&to={today}");
        let res = send(&t.router, get(&uri, &[&analyst])).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(res.body.starts_with("code,measure,"));

        let bad = send(
            &t.router,
            get("/exports/outcomes.csv?from=yesterday&to=", &[&analyst]),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

        let (officer, _) = sign_in(&t.router, "demo.responder").await;
        let before = audit_count(&t.store).await;
        let res = send(
            &t.router,
            get(
                &format!("/exports/home-office.csv?from={from}&to={today}"),
                &[&officer],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert_eq!(
            audit_count(&t.store).await,
            before + 1,
            "the refusal is audited"
        );
    }
}

#[tokio::test]
async fn the_api_gives_the_board_and_availability_under_the_same_policy() {
    for t in spawn_apps().await {
        let pos = api_token(&t.router, "demo.pos").await;
        let res = send(&t.router, json("GET", "/api/v1/board", Some(&pos), "")).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let rows: serde_json::Value = serde_json::from_str(&res.body).unwrap();
        let rows = rows.as_array().unwrap();
        assert!(rows.len() >= 3);
        assert!(rows.iter().any(|r| r["level_text"] == "Under 1 hour left"));

        let officer = api_token(&t.router, "demo.responder").await;
        let res = send(&t.router, json("GET", "/api/v1/board", Some(&officer), "")).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let res = send(&t.router, json("GET", "/api/v1/places", Some(&officer), "")).await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(!res.body.contains("\"person\""));
        let res = send(&t.router, json("GET", "/api/v1/places", Some("bogus"), "")).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn police_station_with_conditions_flags_overdue_welfare_checks_and_needs_a_superintendent() {
    for t in spawn_apps().await {
        let (pos, csrf) = sign_in(&t.router, "demo.pos").await;
        let custody = place_of_kind(&t, "police_station").await;
        let (det, arr, now) = (ago(150), ago(120), ago(0));
        let form: Vec<(&str, &str)> = vec![
            ("csrf", &csrf),
            ("power", "s136"),
            ("detained_at", &det),
            ("detention_place", "street_or_public_place"),
            ("officer", "PC 77"),
            ("age", "35"),
            ("consultation.with", "nurse"),
            ("stays[0].place_id", &custody),
            ("stays[0].arrived_at", &arr),
            ("stays[0].police_station.decided_by_rank", "sergeant"),
            ("stays[0].police_station.imminent_risk", "yes"),
            ("stays[0].police_station.no_other_place", "yes"),
            ("stays[0].police_station.healthcare_professional", "yes"),
            ("stays[0].police_station.consulted", "yes"),
            ("stays[0].police_station.authorised_by_rank", "inspector"),
            ("transport", "police_vehicle"),
            ("police_vehicle_reason", "no_ambulance_within_30_minutes"),
        ];
        let res = send(&t.router, post_form("/episodes", &[&pos], &form)).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let id = id_from(res.location(), "/episodes/");
        let uri = format!("/episodes/{id}");
        let page = send(&t.router, get(&uri, &[&pos])).await;
        assert!(page.body.contains("Welfare check overdue"), "{}", page.body);
        let board = send(&t.router, get("/board", &[&pos])).await;
        assert!(board.body.contains("Welfare check overdue"));

        // A check recorded now: no longer overdue.
        let res = send(
            &t.router,
            post_form(
                &uri,
                &[&pos],
                &[
                    ("csrf", &csrf),
                    ("version", "1"),
                    ("step", "welfare"),
                    ("welfare_check_at", &now),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let page = send(&t.router, get(&uri, &[&pos])).await;
        assert!(
            !page
                .body
                .contains("<strong class=\"tag warning\">Welfare check overdue")
        );

        // An extension at a police station needs a superintendent's approval too.
        let res = send(
            &t.router,
            post_form(
                &uri,
                &[&pos],
                &[
                    ("csrf", &csrf),
                    ("version", "2"),
                    ("step", "assessment"),
                    ("assessment.doctor", "Dr Rao"),
                    ("assessment.doctor_examined_at", &now),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let res = send(
            &t.router,
            post_form(
                &uri,
                &[&pos],
                &[
                    ("csrf", &csrf),
                    ("version", "3"),
                    ("step", "extension"),
                    ("extension.authorised_at", &now),
                    ("extension.minutes", "240"),
                    ("extension.authorised_by", "Dr Rao"),
                    ("extension.reason", "too_unwell_to_assess"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.body
                .contains("a superintendent or above must also approve"),
            "{}",
            res.body
        );
        assert!(
            res.body
                .contains("href=\"#extension.superintendent_approval\"")
        );

        // The same extension for someone about to be moved for the assessment needs none (s136B(3)).
        let res = send(
            &t.router,
            post_form(
                &uri,
                &[&pos],
                &[
                    ("csrf", &csrf),
                    ("version", "3"),
                    ("step", "extension"),
                    ("extension.authorised_at", &now),
                    ("extension.minutes", "240"),
                    ("extension.authorised_by", "Dr Rao"),
                    ("extension.reason", "too_unwell_to_assess"),
                    ("extension.assessment_at_police_station", "no"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let page = send(&t.router, get(&uri, &[&pos])).await;
        assert!(!page.body.contains("Time limit passed"), "{}", page.body);
    }
}

#[tokio::test]
async fn s135_2_retaking_shows_no_clock_and_a_child_held_at_a_police_station_is_refused() {
    for t in spawn_apps().await {
        let (pos, csrf) = sign_in(&t.router, "demo.pos").await;
        let hbpos = place_of_kind(&t, "health_based").await;
        // Retaken under s135(2) two days ago and still held: no clock, so no false breach.
        let (det, arr) = (ago(48 * 60), ago(48 * 60 - 30));
        let form: Vec<(&str, &str)> = vec![
            ("csrf", &csrf),
            ("power", "s135_2"),
            ("detained_at", &det),
            ("detention_place", "private_dwelling"),
            ("officer", "PC 12"),
            ("age", "40"),
            ("stays[0].place_id", &hbpos),
            ("stays[0].arrived_at", &arr),
        ];
        let res = send(&t.router, post_form("/episodes", &[&pos], &form)).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let id = id_from(res.location(), "/episodes/");
        let page = send(&t.router, get(&format!("/episodes/{id}"), &[&pos])).await;
        assert!(
            page.body.contains("No statutory time limit"),
            "{}",
            page.body
        );
        assert!(!page.body.contains("Time limit passed"));
        let board = send(&t.router, get("/board", &[&pos])).await;
        assert!(board.body.contains("No statutory time limit"));

        // A 16-year-old detained under s136 at a police station, no other place recorded: refused on the detention place.
        let det = ago(20);
        let form: Vec<(&str, &str)> = vec![
            ("csrf", &csrf),
            ("power", "s136"),
            ("detained_at", &det),
            ("detention_place", "police_station"),
            ("officer", "PC 13"),
            ("age", "16"),
            ("consultation.with", "nurse"),
        ];
        let res = send(&t.router, post_form("/episodes", &[&pos], &form)).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        assert!(
            res.body.contains("href=\"#detention_place\""),
            "{}",
            res.body
        );
        assert!(res.body.contains("under 18"), "{}", res.body);
    }
}
