//! Disclosures of people outside the person page: the repeated-contact support list, the detentions board,
//! episode pages and contacts show or accept a person only as the policy allows for each viewer, every
//! name shown is audited with the person's id, refusals do not reveal which numbers exist, and the
//! access history holds all of it, page by page.

use crate::harness::*;
use axum::http::StatusCode;
use chrono::{TimeDelta, Utc};
use concordat_app::operations::form_time;
use concordat_domain::OrgKind;
use concordat_domain::audit::AuditEvent;
use concordat_domain::mha::{DetentionPlace, Episode, PersonAge, Power};
use concordat_store::NewEpisode;

fn ago(minutes: i64) -> String {
    form_time(Utc::now() - TimeDelta::minutes(minutes))
}

fn contact_form<'a>(csrf: &'a str, called: &'a str, person: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("save_as", "final"),
        ("called_at", called),
        ("source", "999"),
        ("setting", "street_or_public_place"),
        ("postcode", "ZZ1 4AB"),
        ("person_id", person),
        ("conveyance", "none"),
        ("outcomes", "signposted"),
    ]
}

/// An open s136 episode stored directly (as records linked before choices were checked would be).
async fn stored_episode(t: &TestApp, owner: i64, person: Option<i64>) -> i64 {
    let mut tx = t.store.begin().await.unwrap();
    let ep = Episode::new(
        Power::S136,
        Utc::now() - TimeDelta::minutes(90),
        DetentionPlace::StreetOrPublicPlace,
        PersonAge::Years(30),
    );
    let id = tx
        .episode_insert(&NewEpisode {
            owner_org_id: owner,
            person_id: person,
            contact_id: None,
            officer: "PC 4321".into(),
            current_place_id: None,
            sex: "not_known".into(),
            ethnicity: "not_stated".into(),
            synthetic: false,
            episode: ep,
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_support_list_names_only_people_the_viewer_may_see_and_audits_each() {
    for t in spawn_apps().await {
        // A fire service responder records two contacts for a person the fire service holds
        // (the fire service shares nothing with anyone).
        let fire_person = person_of(&t, "demo.firefighter", "Ffion", "Emberfield").await;
        let (fire, fire_csrf) = sign_in(&t.router, "demo.firefighter").await;
        let pid = fire_person.to_string();
        for minutes in [30, 10] {
            let called = ago(minutes);
            let res = send(
                &t.router,
                post_form(
                    "/contacts",
                    &[&fire],
                    &contact_form(&fire_csrf, &called, &pid),
                ),
            )
            .await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        }

        for user in ["demo.crisis", "demo.amhp", "demo.ae"] {
            let (s, _) = sign_in(&t.router, user).await;
            let page = send(&t.router, get(&format!("/people/{fire_person}"), &[&s])).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{user}");
            let before = audit_count(&t.store).await;
            let res = send(
                &t.router,
                get("/support/repeat-contact?per_month=1&per_year=1", &[&s]),
            )
            .await;
            assert_eq!(res.status, StatusCode::OK, "{user}: {}", res.body);
            assert!(!res.body.contains("Emberfield"), "{user} sees the name");
            assert!(
                !res.body.contains(&format!("/people/{fire_person}\"")),
                "{user} sees the record number"
            );
            assert!(
                res.body.contains("not shared with your organisation"),
                "{user}: the hidden people are counted"
            );
            // One event per person shown, each naming that person, plus one for the list; none for the fire person.
            let shown = res.body.matches("<tr><td><a href=\"/people/").count() as i64;
            assert_eq!(audit_count(&t.store).await, before + shown + 1, "{user}");
            let mut tx = t.store.begin().await.unwrap();
            let page = tx.audit_page(before, 10_000).await.unwrap();
            drop(tx);
            let per_person: Vec<&AuditEvent> = page
                .iter()
                .filter(|e| e.draft.action == "person.view.identity.support_list")
                .collect();
            assert_eq!(per_person.len() as i64, shown, "{user}");
            for e in &per_person {
                let id = e.draft.person_id.expect("the person's id");
                assert!(
                    res.body.contains(&format!("/people/{id}\"")),
                    "{user}: event for someone shown"
                );
                assert_eq!(e.draft.username, user);
            }
            assert!(
                events_of(&t, fire_person)
                    .await
                    .iter()
                    .all(|e| e.draft.action != "person.view.identity.support_list")
            );
        }

        // The trust's own crisis clinician still sees the people the trust may see, named.
        let trust_person = person_of(&t, "demo.triage", "Tamsin", "Wrenfold").await;
        let (nurse, nurse_csrf) = sign_in(&t.router, "demo.triage").await;
        let tp = trust_person.to_string();
        for minutes in [40, 20] {
            let called = ago(minutes);
            let res = send(
                &t.router,
                post_form(
                    "/contacts",
                    &[&nurse],
                    &contact_form(&nurse_csrf, &called, &tp),
                ),
            )
            .await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        }
        let (crisis, _) = sign_in(&t.router, "demo.crisis").await;
        let res = send(
            &t.router,
            get("/support/repeat-contact?per_month=1&per_year=1", &[&crisis]),
        )
        .await;
        assert!(res.body.contains("Tamsin Wrenfold"), "{}", res.body);
        assert!(
            events_of(&t, trust_person)
                .await
                .iter()
                .any(|e| e.draft.action == "person.view.identity.support_list"
                    && e.draft.username == "demo.crisis"
                    && e.draft.legal_basis.is_some())
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn episodes_and_contacts_accept_only_people_the_actor_may_see() {
    for t in spawn_apps().await {
        let fire_person = person_of(&t, "demo.firefighter", "Ffion", "Emberfield").await;
        let (pos, csrf) = sign_in(&t.router, "demo.pos").await;
        let suite = t
            .app
            .episode_places()
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.2 == "health_based")
            .unwrap()
            .0
            .to_string();
        let (det, arr) = (ago(120), ago(60));
        let episode = |person: String| -> Vec<(String, String)> {
            [
                ("csrf", csrf.as_str()),
                ("power", "s136"),
                ("detained_at", det.as_str()),
                ("detention_place", "street_or_public_place"),
                ("officer", "PC 1234"),
                ("age", "30"),
                ("consultation.reason", "Immediate risk on a bridge"),
                ("stays[0].place_id", suite.as_str()),
                ("stays[0].arrived_at", arr.as_str()),
                ("transport", "ambulance"),
                ("person_id", person.as_str()),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
        };
        let post = |uri: &str, cookie: &str, form: &[(String, String)]| {
            let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            post_form(uri, &[cookie], &f)
        };

        // Another organisation's person and a number nobody has: the same refusal, on the field, both audited.
        let mut bodies = Vec::new();
        for id in [fire_person, 987_654_321] {
            let before = audit_count(&t.store).await;
            let res = send(&t.router, post("/episodes", &pos, &episode(id.to_string()))).await;
            assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
            assert!(res.body.contains("href=\"#person_id\""), "{}", res.body);
            assert!(
                res.body
                    .contains("No person you may see has that record number")
            );
            assert!(!res.body.contains("Emberfield"));
            assert_eq!(
                audit_count(&t.store).await,
                before + 1,
                "the refusal is audited"
            );
            // Only the number typed back into the field differs (a bare replace would also hit a
            // time of day that happens to contain the same digits).
            bodies.push(res.body.replace(&format!("value=\"{id}\""), "value=\"N\""));
        }
        assert_eq!(bodies[0], bodies[1], "nothing tells the two apart");
        let refused = events_of(&t, fire_person).await;
        assert!(
            refused
                .iter()
                .any(|e| e.draft.action == "person.choose.episode"
                    && e.draft.username == "demo.pos"
                    && e.draft.outcome.code() == "denied")
        );
        let mut tx = t.store.begin().await.unwrap();
        assert!(
            tx.episodes_open()
                .await
                .unwrap()
                .iter()
                .all(|e| e.new.person_id != Some(fire_person)),
            "nothing was written"
        );
        drop(tx);

        // A person the trust holds is accepted, and named on the board for those who may see them.
        let trust_person = person_of(&t, "demo.triage", "Tamsin", "Wrenfold").await;
        let res = send(
            &t.router,
            post("/episodes", &pos, &episode(trust_person.to_string())),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);

        // Contacts: the same on create, and on update a number nobody has is a 422 on the field, not a 500.
        let (nurse, ncsrf) = sign_in(&t.router, "demo.triage").await;
        let called = ago(15);
        let fp = fire_person.to_string();
        let res = send(
            &t.router,
            post_form("/contacts", &[&nurse], &contact_form(&ncsrf, &called, &fp)),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        assert!(
            res.body
                .contains("No person you may see has that record number")
        );
        let res = send(
            &t.router,
            post_form("/contacts", &[&nurse], &contact_form(&ncsrf, &called, "")),
        )
        .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "needs a description"
        );
        let mut form = contact_form(&ncsrf, &called, "");
        form.push(("person_description", "Woman about 30"));
        let res = send(&t.router, post_form("/contacts", &[&nurse], &form)).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let cid: i64 = res
            .location()
            .unwrap()
            .trim_start_matches("/contacts/")
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        for bad in ["987654321", fp.as_str()] {
            let before = audit_count(&t.store).await;
            let mut form = contact_form(&ncsrf, &called, bad);
            form.push(("version", "1"));
            let res = send(
                &t.router,
                post_form(&format!("/contacts/{cid}"), &[&nurse], &form),
            )
            .await;
            assert_eq!(
                res.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{bad}: {}",
                res.body
            );
            assert!(res.body.contains("href=\"#person_id\""), "{}", res.body);
            // The refusal, and the contact read again to show the form with its history.
            assert_eq!(audit_count(&t.store).await, before + 2, "{bad}: audited");
        }
        let mut tx = t.store.begin().await.unwrap();
        let c = tx.contact_get(cid).await.unwrap().unwrap();
        assert_eq!(
            (c.version, c.data.person_id),
            (1, None),
            "nothing was saved"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_and_episode_pages_name_people_only_as_the_policy_allows() {
    for t in spawn_apps().await {
        let trust = org_of(&t, OrgKind::MentalHealthTrust).await;
        let fire_person = person_of(&t, "demo.firefighter", "Ffion", "Emberfield").await;
        let trust_person = person_of(&t, "demo.triage", "Tamsin", "Wrenfold").await;
        // Linked before choices were checked: the trust's episode names the fire service's person.
        let hidden = stored_episode(&t, trust, Some(fire_person)).await;
        let named = stored_episode(&t, trust, Some(trust_person)).await;

        for user in ["demo.pos", "demo.crisis", "demo.amhp"] {
            let (s, _) = sign_in(&t.router, user).await;
            let board = send(&t.router, get("/board", &[&s])).await;
            assert_eq!(board.status, StatusCode::OK, "{user}");
            assert!(!board.body.contains("Emberfield"), "{user}");
            assert!(board.body.contains("Tamsin Wrenfold"), "{user}");
            let card = board
                .body
                .split(&format!("href=\"/episodes/{hidden}\">"))
                .nth(1)
                .unwrap();
            assert!(
                card.starts_with("Person not shared with your organisation"),
                "{user}: {card}"
            );
            assert!(
                card.contains("Detained"),
                "the clock and place are still shown"
            );

            let page = send(&t.router, get(&format!("/episodes/{hidden}"), &[&s])).await;
            assert_eq!(page.status, StatusCode::OK);
            assert!(!page.body.contains("Emberfield"));
            assert!(
                page.body
                    .contains("Person not shared with your organisation")
            );
            assert!(!page.body.contains(&format!("/people/{fire_person}\"")));
            let page = send(&t.router, get(&format!("/episodes/{named}"), &[&s])).await;
            assert!(page.body.contains("Tamsin Wrenfold"));
            assert!(page.body.contains(&format!("/people/{trust_person}\"")));

            let token = api_token(&t.router, user).await;
            let res = send(&t.router, json("GET", "/api/v1/board", Some(&token), "")).await;
            assert_eq!(res.status, StatusCode::OK);
            assert!(!res.body.contains("Emberfield"));
            let rows: serde_json::Value = serde_json::from_str(&res.body).unwrap();
            let row = rows
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["episode_id"] == hidden)
                .unwrap();
            assert!(row["person"].is_null());
            assert_eq!(row["person_withheld"], true);
            assert!(row["level"].is_string(), "the clock is still shown");
        }

        // Every name shown is in the person's access history; the withheld one is not a name disclosure.
        let shown = events_of(&t, trust_person).await;
        for (action, n) in [
            ("person.view.identity.board", 6),
            ("person.view.identity.episode", 3),
        ] {
            let got = shown.iter().filter(|e| e.draft.action == action).count();
            assert_eq!(got, n, "{action}");
        }
        assert!(shown.iter().all(|e| e.draft.legal_basis.is_some()
            || e.draft.outcome.code() == "denied"
            || !e.draft.action.starts_with("person.view.identity")));
        let withheld = events_of(&t, fire_person).await;
        assert!(
            withheld
                .iter()
                .all(|e| !e.draft.action.starts_with("person.view.identity.")),
            "no name was shown"
        );
        assert!(
            withheld.iter().any(|e| e.draft.action == "episode.board"),
            "the board row is still in their history"
        );

        // The privacy officer's access history shows them, in words.
        let (privacy, _) = sign_in(&t.router, "demo.privacy").await;
        let res = send(
            &t.router,
            get(
                &format!("/privacy/people/{trust_person}/access-history"),
                &[&privacy],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.body.contains("Saw your name on the detentions board"));
        assert!(res.body.contains("Saw your name on a detention record"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_that_do_not_exist_are_refused_like_forbidden_ones_and_audited() {
    for t in spawn_apps().await {
        let fire = org_of(&t, OrgKind::FireAndRescue).await;
        let fire_episode = stored_episode(&t, fire, None).await;
        let (fire_s, fire_csrf) = sign_in(&t.router, "demo.firefighter").await;
        let called = ago(5);
        let mut form = contact_form(&fire_csrf, &called, "");
        form.push(("person_description", "Man about 50"));
        let res = send(&t.router, post_form("/contacts", &[&fire_s], &form)).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let fire_contact: i64 = res
            .location()
            .unwrap()
            .trim_start_matches("/contacts/")
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap();

        // A role that may use these pages: another organisation's record and a missing number look the same.
        let (pos, _) = sign_in(&t.router, "demo.pos").await;
        let (nurse, _) = sign_in(&t.router, "demo.triage").await;
        for (cookie, existing, missing) in [
            (
                &pos,
                format!("/episodes/{fire_episode}"),
                "/episodes/987654321".to_string(),
            ),
            (
                &nurse,
                format!("/contacts/{fire_contact}"),
                "/contacts/987654321".to_string(),
            ),
        ] {
            let mut seen = Vec::new();
            for uri in [&existing, &missing] {
                let before = audit_count(&t.store).await;
                let res = send(&t.router, get(uri, &[cookie])).await;
                assert_eq!(audit_count(&t.store).await, before + 1, "{uri}: audited");
                seen.push((res.status, res.body.len()));
            }
            assert_eq!(seen[0], seen[1], "{existing} and {missing}");
            assert_eq!(seen[0].0, StatusCode::NOT_FOUND);
        }

        // A person's record (the API's view): a missing number is refused and audited too; another
        // organisation's person is refused with the policy's reason, which break-glass may override.
        let fire_person = person_of(&t, "demo.firefighter", "Ffion", "Emberfield").await;
        let nurse_token = api_token(&t.router, "demo.triage").await;
        for (uri, status) in [
            (
                format!("/api/v1/people/{fire_person}"),
                StatusCode::FORBIDDEN,
            ),
            (
                "/api/v1/people/987654321".to_string(),
                StatusCode::NOT_FOUND,
            ),
        ] {
            let before = audit_count(&t.store).await;
            let res = send(&t.router, json("GET", &uri, Some(&nurse_token), "")).await;
            assert_eq!(res.status, status, "{uri}");
            assert_eq!(audit_count(&t.store).await, before + 1, "{uri}: audited");
        }

        // A role that may never open them is refused before the number is looked up.
        let (analyst, csrf) = sign_in(&t.router, "demo.analyst").await;
        let analyst_token = api_token(&t.router, "demo.analyst").await;
        for uri in [
            format!("/api/v1/people/{fire_person}"),
            "/api/v1/people/987654321".to_string(),
        ] {
            let before = audit_count(&t.store).await;
            let res = send(&t.router, json("GET", &uri, Some(&analyst_token), "")).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{uri}");
            assert_eq!(audit_count(&t.store).await, before + 1, "{uri}: audited");
        }
        for uri in [
            format!("/episodes/{fire_episode}"),
            "/episodes/987654321".to_string(),
            format!("/contacts/{fire_contact}"),
            "/contacts/987654321".to_string(),
        ] {
            let before = audit_count(&t.store).await;
            let res = send(&t.router, get(&uri, &[&analyst])).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{uri}");
            assert_eq!(audit_count(&t.store).await, before + 1, "{uri}: audited");
            let before = audit_count(&t.store).await;
            let res = send(
                &t.router,
                post_form(&uri, &[&analyst], &[("csrf", &csrf), ("version", "x")]),
            )
            .await;
            assert_eq!(
                res.status,
                StatusCode::FORBIDDEN,
                "POST {uri}: {}",
                res.body
            );
            assert_eq!(
                audit_count(&t.store).await,
                before + 1,
                "POST {uri}: audited"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_history_pages_through_every_event() {
    for t in spawn_apps().await {
        let person = person_of(&t, "demo.triage", "Tamsin", "Wrenfold").await;
        // 1,100 looks: more than the old silent limit of 1,000.
        let system = system();
        for _ in 0..1_100 {
            t.app
                .view_person(&system, concordat_domain::model::PersonId(person), None)
                .await
                .unwrap();
        }
        let (privacy, _) = sign_in(&t.router, "demo.privacy").await;
        let url = |page: usize| format!("/privacy/people/{person}/access-history?page={page}");
        // Created once and looked at 1,100 times.
        let total: usize = 1_101;
        let pages = total.div_ceil(200);
        let mut rows = 0;
        for page in 1..=pages {
            let res = send(&t.router, get(&url(page), &[&privacy])).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
            // The count includes the reads of the history before this one.
            let counted = total + page - 1;
            assert!(
                res.body.contains(&format!("{counted} events in all")),
                "page {page}"
            );
            rows += res.body.matches("<tr><td>").count();
            assert_eq!(res.body.contains("rel=\"prev\""), page > 1, "page {page}");
            assert_eq!(
                res.body.contains("rel=\"next\""),
                page < (counted).div_ceil(200),
                "page {page}"
            );
        }
        // Each read of the history adds one newer event, pushing one older event a page down.
        assert!(rows >= total, "{rows} of {total}");
        let res = send(&t.router, get(&url(0), &[&privacy])).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let res = send(
            &t.router,
            get(
                &format!("/privacy/people/{person}/access-history?page=abc"),
                &[&privacy],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

/// A measurement, not a check: the support list over 200 people with repeated contact (250 people given three
/// contacts each), for a viewer who may see some of them and one who may see none.
/// `cargo test --release -p concordat-web --test it support_list_timing -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement: run with --ignored --nocapture"]
async fn support_list_timing() {
    for t in spawn_apps().await {
        let mut tx = t.store.begin().await.unwrap();
        let now = chrono::Utc::now().timestamp_millis();
        let mut n = 0;
        for id in 1..=2000i64 {
            let Some(p) = tx
                .person_get(concordat_domain::model::PersonId(id))
                .await
                .unwrap()
            else {
                continue;
            };
            if n >= 250 {
                break;
            }
            n += 1;
            for k in 0..3 {
                let d = concordat_store::ContactData {
                    status: "final".into(),
                    person_id: Some(id),
                    called_at: now - 3_600_000 * (k + 1),
                    source: "999".into(),
                    setting: "other".into(),
                    outcomes: vec!["signposted".into()],
                    ..Default::default()
                };
                tx.contact_create(p.owner_org_id.0, &d, "test")
                    .await
                    .unwrap();
            }
        }
        tx.commit().await.unwrap();
        let (s, _) = sign_in(&t.router, "demo.crisis").await;
        let (a, _) = sign_in(&t.router, "demo.amhp").await;
        for (who, c) in [("crisis", &s), ("amhp", &a)] {
            let mut times = Vec::new();
            let mut rows = 0;
            for _ in 0..10 {
                let t0 = std::time::Instant::now();
                let res = send(
                    &t.router,
                    get("/support/repeat-contact?per_month=1&per_year=1", &[c]),
                )
                .await;
                times.push(t0.elapsed().as_secs_f64() * 1000.0);
                rows = res.body.matches("<tr><td><a href=\"/people/").count();
                assert!(res.status.is_success());
            }
            times.sort_by(|a, b| a.partial_cmp(b).unwrap());
            eprintln!(
                "TIMING {:?} {who}: rows {rows}, median {:.1} ms, max {:.1} ms",
                t.store.backend(),
                times[5],
                times[9]
            );
        }
    }
}
