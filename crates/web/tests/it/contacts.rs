//! Contacts partners can find, and places of safety that tell the truth: the contacts list shows what each
//! organisation may see (its own, joined, partners' drafts to join) with filters; joining is decided and
//! audited; each person named in the list is decided and audited per person, others shown without names;
//! the person chooser lists and accepts only people the user may see; places warn in words when over
//! capacity, say open or closed from their hours, give a phone number and who last updated them.

use crate::harness::*;
use axum::http::StatusCode;
use chrono::{Datelike, TimeDelta, Timelike, Utc};
use concordat_app::operations::form_time;
use concordat_domain::OrgKind;
use concordat_store::{CONTACT_DRAFT, ContactData, NewPlace};

fn now_form() -> String {
    form_time(Utc::now() - TimeDelta::minutes(5))
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

async fn org_name(t: &TestApp, kind: OrgKind) -> String {
    let mut tx = t.store.begin().await.unwrap();
    tx.org_list()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.kind == kind)
        .unwrap()
        .name
}

fn actions_by(events: &[concordat_domain::audit::AuditEvent], user: &str, action: &str) -> usize {
    events
        .iter()
        .filter(|e| e.draft.username == user && e.draft.action == action)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn police_record_a_contact_choosing_the_person_and_a_paramedic_joins_it() {
    for t in spawn_apps().await {
        // A person the police hold: the ambulance service and the trust may see them (agreements), the fire
        // service may not.
        let person = person_of(&t, "demo.responder", "Morwenna", "Quillfeather").await;
        let pid = person.to_string();
        let (police, csrf) = sign_in(&t.router, "demo.responder").await;

        // The form has no record number to type: the person is found by name and date of birth.
        let form = send(&t.router, get("/contacts/new", &[&police])).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("Find the person"));
        assert!(!form.body.contains("record number"), "no number to type");
        let called = now_form();
        let found = send(
            &t.router,
            post_form(
                "/contacts",
                &[&police],
                &[
                    ("csrf", &csrf),
                    ("called_at", &called),
                    ("person_description", "kept while searching"),
                    ("find.family_name", "Quillfeather"),
                    ("find.date_of_birth", "06/05/1990"),
                    ("find_person", "1"),
                ],
            ),
        )
        .await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.body);
        assert!(found.body.contains("Morwenna Quillfeather"));
        assert!(
            found
                .body
                .contains(&format!("name=\"person_id\" value=\"{pid}\""))
        );
        assert!(
            found.body.contains("kept while searching"),
            "what was typed is kept"
        );
        // Searching saved nothing.
        let list = send(&t.router, get("/contacts", &[&police])).await;
        assert!(!list.body.contains("kept while searching"));

        // By NHS number too: a search by a number nobody has finds nobody, and says so.
        let none = send(
            &t.router,
            post_form(
                "/contacts",
                &[&police],
                &[
                    ("csrf", &csrf),
                    ("find.nhs_number", "9434765919"),
                    ("find_person", "1"),
                ],
            ),
        )
        .await;
        assert_eq!(none.status, StatusCode::OK, "{}", none.body);
        assert!(none.body.contains("No one you may see matches"));
        // An empty search is a field error.
        let empty = send(
            &t.router,
            post_form(
                "/contacts",
                &[&police],
                &[("csrf", &csrf), ("find_person", "1")],
            ),
        )
        .await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            empty.body.contains("href=\"#find.family_name\"")
                || empty.body.contains("Enter the family name")
        );

        // "Record a contact" from the person's page chooses them by name.
        let page = send(&t.router, get(&format!("/people/{person}"), &[&police])).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.body
                .contains(&format!("/contacts/new?person={person}"))
        );
        assert!(
            !page.body.contains("/episodes/new?person="),
            "the police do not record detentions"
        );
        let prefilled = send(
            &t.router,
            get(&format!("/contacts/new?person={person}"), &[&police]),
        )
        .await;
        assert!(prefilled.body.contains("Morwenna Quillfeather"));

        // The police keep a draft about them.
        let res = send(
            &t.router,
            post_form(
                "/contacts",
                &[&police],
                &[
                    ("csrf", &csrf),
                    ("save_as", "draft"),
                    ("called_at", &called),
                    ("source", "999"),
                    ("setting", "street_or_public_place"),
                    ("postcode", "ZZ1 4AB"),
                    ("person_id", &pid),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let id = id_from(res.location(), "/contacts/");
        let link = format!("href=\"/contacts/{id}\"");

        // The police list it, with who and where, under every filter that fits.
        for q in [
            "",
            "?today=1",
            "?mine=1",
            "?drafts=1",
            &format!("?person={person}"),
        ] {
            let l = send(&t.router, get(&format!("/contacts{q}"), &[&police])).await;
            assert_eq!(l.status, StatusCode::OK, "{q}: {}", l.body);
            assert!(l.body.contains(&link), "police, {q}");
            assert!(l.body.contains("Morwenna Quillfeather"), "police, {q}");
            assert!(!l.body.contains("Join this contact"), "their own contact");
        }
        // The person page lists their contact history.
        let page = send(&t.router, get(&format!("/people/{person}"), &[&police])).await;
        assert!(
            page.body.contains(&link),
            "contact history on the person page"
        );

        // The paramedic finds it in their list (a partner's draft) with the person's name, and may join it.
        let (para, para_csrf) = sign_in(&t.router, "demo.paramedic").await;
        let before = events_of(&t, person).await;
        let l = send(&t.router, get("/contacts", &[&para])).await;
        assert_eq!(l.status, StatusCode::OK, "{}", l.body);
        assert!(l.body.contains(&link));
        assert!(l.body.contains("Morwenna Quillfeather"));
        assert!(l.body.contains(&format!("action=\"/contacts/{id}/join\"")));
        let after = events_of(&t, person).await;
        assert_eq!(
            actions_by(&after, "demo.paramedic", "person.view.identity.contacts")
                - actions_by(&before, "demo.paramedic", "person.view.identity.contacts"),
            1,
            "one audit event for the person named"
        );
        // Not theirs yet: "mine" does not show it.
        let mine = send(&t.router, get("/contacts?mine=1", &[&para])).await;
        assert!(!mine.body.contains(&link));

        // Joining is audited, once; the contact then names the ambulance service as a partner.
        let res = send(
            &t.router,
            post_form(
                &format!("/contacts/{id}/join"),
                &[&para],
                &[("csrf", &para_csrf)],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert_eq!(
            res.location(),
            Some(format!("/contacts/{id}?joined=1").as_str())
        );
        let again = send(
            &t.router,
            post_form(
                &format!("/contacts/{id}/join"),
                &[&para],
                &[("csrf", &para_csrf)],
            ),
        )
        .await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);
        let events = events_of(&t, person).await;
        assert_eq!(actions_by(&events, "demo.paramedic", "contact.join"), 1);
        let ambulance = org_name(&t, OrgKind::AmbulanceService).await;
        let view = send(&t.router, get(&format!("/contacts/{id}"), &[&para])).await;
        assert_eq!(view.status, StatusCode::OK);
        assert!(
            view.body.contains(&format!("joined by {ambulance}")),
            "{}",
            view.body
        );
        assert!(!view.body.contains("Join this contact"));
        // Whoever saved it is named by name and role, never by username.
        assert!(view.body.contains("last saved by "), "{}", view.body);
        assert!(!view.body.contains("last saved by demo."), "{}", view.body);
        assert!(!view.body.contains(": demo.pos,"), "{}", view.body);
        let l = send(&t.router, get("/contacts?drafts=1", &[&para])).await;
        assert!(l.body.contains(&link));
        assert!(l.body.contains("(your organisation joined)"));
        // The police see the partner too.
        let l = send(&t.router, get("/contacts", &[&police])).await;
        assert!(l.body.contains(&ambulance));

        // The fire service shares nothing with the police: the contact is not in its list, and joining it is
        // "not found", audited as a refusal.
        let (fire, fire_csrf) = sign_in(&t.router, "demo.firefighter").await;
        let l = send(&t.router, get("/contacts", &[&fire])).await;
        assert_eq!(l.status, StatusCode::OK);
        assert!(!l.body.contains(&link));
        assert!(!l.body.contains("Quillfeather"));
        let res = send(
            &t.router,
            post_form(
                &format!("/contacts/{id}/join"),
                &[&fire],
                &[("csrf", &fire_csrf)],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        // A role that does not record contacts is refused the join with the reason.
        let (pos, pos_csrf) = sign_in(&t.router, "demo.pos").await;
        let res = send(
            &t.router,
            post_form(
                &format!("/contacts/{id}/join"),
                &[&pos],
                &[("csrf", &pos_csrf)],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_shows_people_the_viewer_may_not_see_without_names() {
    for t in spawn_apps().await {
        // A person the fire service holds (it shares nothing), linked to a police draft as an old record
        // might be: the paramedic may see the police's contact but not who it is about.
        let hidden = person_of(&t, "demo.firefighter", "Ffion", "Emberfield").await;
        let police = org_of(&t, OrgKind::PoliceForce).await;
        let mut tx = t.store.begin().await.unwrap();
        let id = tx
            .contact_create(
                police,
                &ContactData {
                    status: CONTACT_DRAFT.into(),
                    person_id: Some(hidden),
                    called_at: Utc::now().timestamp_millis() - 60_000,
                    source: "999".into(),
                    setting: "street_or_public_place".into(),
                    ..Default::default()
                },
                "demo.responder2",
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (para, _) = sign_in(&t.router, "demo.paramedic").await;
        let l = send(&t.router, get("/contacts", &[&para])).await;
        assert_eq!(l.status, StatusCode::OK);
        assert!(l.body.contains(&format!("href=\"/contacts/{id}\"")));
        assert!(!l.body.contains("Emberfield"));
        assert!(!l.body.contains(&format!("/people/{hidden}\"")));
        assert!(
            l.body
                .contains("A person not shared with your organisation")
        );
        let events = events_of(&t, hidden).await;
        assert_eq!(
            actions_by(&events, "demo.paramedic", "person.view.identity.contacts"),
            0,
            "no name shown, no name audited"
        );
        assert_eq!(
            actions_by(&events, "demo.paramedic", "contact.list"),
            1,
            "the contact listed is in their access history"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chooser_refuses_people_the_user_may_not_see() {
    for t in spawn_apps().await {
        let hidden = person_of(&t, "demo.firefighter", "Ffion", "Emberfield").await;
        let hid = hidden.to_string();
        for (user, form_path, post_path) in [
            ("demo.responder", "/contacts/new", "/contacts"),
            ("demo.triage", "/episodes/new", "/episodes"),
        ] {
            let (s, csrf) = sign_in(&t.router, user).await;
            // The search does not list them.
            let found = send(
                &t.router,
                post_form(
                    post_path,
                    &[&s],
                    &[
                        ("csrf", &csrf),
                        ("find.family_name", "Emberfield"),
                        ("find.date_of_birth", "1990-05-06"),
                        ("find_person", "1"),
                    ],
                ),
            )
            .await;
            assert_eq!(found.status, StatusCode::OK, "{user}: {}", found.body);
            assert!(!found.body.contains("Ffion"), "{user}");
            assert!(!found.body.contains(&format!("value=\"{hid}\"")), "{user}");
            assert!(found.body.contains("No one you may see matches"), "{user}");
            // Coming with their number names nobody.
            let page = send(&t.router, get(&format!("{form_path}?person={hid}"), &[&s])).await;
            assert_eq!(page.status, StatusCode::OK, "{user}");
            assert!(!page.body.contains("Emberfield"), "{user}");
            // Narrowing the contacts list to them is refused like a choice.
            if user == "demo.responder" {
                let l = send(&t.router, get(&format!("/contacts?person={hid}"), &[&s])).await;
                assert_eq!(l.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", l.body);
                assert!(!l.body.contains("Emberfield"));
            }
        }
        // Saving a contact with their number is refused on the field.
        let (s, csrf) = sign_in(&t.router, "demo.responder").await;
        let called = now_form();
        let res = send(
            &t.router,
            post_form(
                "/contacts",
                &[&s],
                &[
                    ("csrf", &csrf),
                    ("save_as", "draft"),
                    ("called_at", &called),
                    ("person_id", &hid),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.body
                .contains("No person you may see has that record number")
        );
        assert!(!res.body.contains("Emberfield"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn places_warn_over_capacity_and_say_open_or_closed_now() {
    for t in spawn_apps().await {
        // Two places with hours around now (London time): one open, one that opens in two hours.
        let trust = org_of(&t, OrgKind::MentalHealthTrust).await;
        let london = Utc::now().with_timezone(&chrono_tz::Europe::London);
        let later = london + TimeDelta::hours(2);
        let earlier = london - TimeDelta::hours(1);
        let session = |t: chrono::DateTime<chrono_tz::Tz>| {
            let end = t + TimeDelta::hours(2);
            format!(
                "{} {:02}:{:02}–{:02}:{:02}",
                t.weekday(),
                t.hour(),
                t.minute(),
                end.hour(),
                end.minute()
            )
        };
        let mut tx = t.store.begin().await.unwrap();
        for (name, hours) in [
            ("Test café opening later", session(later)),
            ("Test café open now", session(earlier)),
        ] {
            tx.place_insert(&NewPlace {
                owner_org_id: trust,
                name: name.into(),
                kind: "safe_haven".into(),
                capacity: 5,
                open_24_7: false,
                opening_hours: hours,
                accepts_under_18: false,
                address_line: "1 Canal Street".into(),
                postcode: None,
                phone: "01632 960999".into(),
                notes: String::new(),
                synthetic: true,
            })
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let (pos, csrf) = sign_in(&t.router, "demo.pos").await;
        let page = send(&t.router, get("/places", &[&pos])).await;
        assert_eq!(page.status, StatusCode::OK);
        let card = |body: &str, name: &str| -> String {
            let i = body.find(name).unwrap_or_else(|| panic!("{name} listed"));
            body[i..].split("</li>").next().unwrap().to_string()
        };
        let closed = card(&page.body, "Test café opening later");
        assert!(
            closed.contains(&format!(
                "Closed now: opens {} {:02}:{:02}",
                later.weekday(),
                later.hour(),
                later.minute()
            )),
            "{closed}"
        );
        assert!(
            closed.contains("Closed now: no places until it opens"),
            "{closed}"
        );
        assert!(!closed.contains("5 of 5 free"));
        let open = card(&page.body, "Test café open now");
        assert!(
            open.contains("Open now") && open.contains("5 of 5 free"),
            "{open}"
        );
        assert!(open.contains("01632 960999"));
        // Every demo place has a phone number.
        assert!(page.body.contains("01632 960101"));

        // Fill a health-based place past its capacity: each detention is accepted, with a warning in words.
        let places = t.app.places_availability(&system()).await.unwrap();
        let place = places
            .iter()
            .filter(|p| {
                p.kind_label.contains("Health-based") || p.kind_label.contains("health-based")
            })
            .min_by_key(|p| p.capacity - p.occupied)
            .expect("a health-based place of safety");
        let need = (place.capacity - place.occupied + 1).max(1);
        let place_id = place.id.to_string();
        let mut last = None;
        for i in 0..need {
            let at = form_time(Utc::now() - TimeDelta::minutes(30 + i));
            let arrived = form_time(Utc::now() - TimeDelta::minutes(20 + i));
            let res = send(
                &t.router,
                post_form(
                    "/episodes",
                    &[&pos],
                    &[
                        ("csrf", &csrf),
                        ("power", "s136"),
                        ("detained_at", &at),
                        ("detention_place", "street_or_public_place"),
                        ("officer", "PC 4321"),
                        ("age", "30"),
                        ("consultation.with", "nurse"),
                        ("stays[0].place_id", &place_id),
                        ("stays[0].arrived_at", &arrived),
                    ],
                ),
            )
            .await;
            assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
            last = Some(id_from(res.location(), "/episodes/"));
        }
        let ep = send(
            &t.router,
            get(&format!("/episodes/{}", last.unwrap()), &[&pos]),
        )
        .await;
        assert_eq!(ep.status, StatusCode::OK);
        assert!(ep.body.contains("id=\"place-warning\""), "{}", ep.body);
        assert!(ep.body.contains("Over capacity"));
        let page = send(&t.router, get("/places", &[&pos])).await;
        let c = card(&page.body, &place.name);
        assert!(c.contains("Over capacity"), "{c}");
        assert!(c.contains("Warning:"), "{c}");
        // Who updated it, by name and organisation, not username.
        let trust_name = org_name(&t, OrgKind::MentalHealthTrust).await;
        assert!(
            c.contains(&format!("by Mags Penrose ({trust_name})")),
            "{c}"
        );
        assert!(!c.contains("demo.pos"));
        // The new-detention form says so before anyone chooses it.
        let form = send(&t.router, get("/episodes/new", &[&pos])).await;
        assert!(
            form.body.contains("(over capacity:"),
            "the place list warns"
        );
        // The API says so too.
        let token = api_token(&t.router, "demo.pos").await;
        let api = send(&t.router, json("GET", "/api/v1/places", Some(&token), "")).await;
        let v: serde_json::Value = serde_json::from_str(&api.body).unwrap();
        let row = v
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == place.id)
            .unwrap();
        assert_eq!(row["over_capacity"], true);
        assert!(row["phone"].as_str().unwrap().starts_with("01632 960"));
    }
}
