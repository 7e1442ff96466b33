use chrono::NaiveDate;
use concordat_domain::audit::{AuditDraft, AuditOutcome, ChainError, ChainVerifier};
use concordat_domain::model::*;
use concordat_domain::{DataCategory, LegalBasis, NhsNumber, OrgKind, Postcode, Role};
use concordat_store::{
    AuditFilter, NewAgreement, PersonQuery, SessionRow, SignatureRow, Store, StoreError,
};

fn draft(action: &str, person: Option<i64>, break_glass: bool) -> AuditDraft {
    AuditDraft {
        at: 1_700_000_000_000,
        user_id: Some(1),
        username: "nurse".into(),
        role: Some("triage_clinician".into()),
        org_id: Some(1),
        action: action.into(),
        outcome: AuditOutcome::Allowed,
        person_id: person,
        resource_kind: "person".into(),
        resource_id: person.map(|p| p.to_string()),
        reason: break_glass.then(|| "collapsed at scene".to_string()),
        legal_basis: Some("direct_care".into()),
        break_glass,
        request_id: Some("req-1".into()),
    }
}

async fn verify(store: &Store) -> Result<u64, ChainError> {
    let mut tx = store.begin().await.unwrap();
    let mut v = ChainVerifier::default();
    let mut after = 0;
    loop {
        let page = tx.audit_page(after, 2).await.unwrap();
        if page.is_empty() {
            break;
        }
        for e in &page {
            v.push(e)?;
            after = e.seq;
        }
    }
    Ok(v.checked())
}

async fn story(store: Store) {
    // Migrations are idempotent.
    assert!(store.migrate().await.unwrap().is_empty());
    assert!(store.ping().await);

    let mut tx = store.begin().await.unwrap();
    let trust = tx
        .org_insert(
            "Northvale MH Trust",
            OrgKind::MentalHealthTrust,
            Some("ZZA"),
            None,
        )
        .await
        .unwrap();
    let police = tx
        .org_insert("Northvale Police", OrgKind::PoliceForce, None, None)
        .await
        .unwrap();
    let user = tx
        .user_insert("nurse.amy", "Amy Nurse", "$argon2id$fake", false)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // A failed statement aborts a PostgreSQL transaction, so each conflict gets its own.
    let mut tx = store.begin().await.unwrap();
    assert!(matches!(
        tx.user_insert("nurse.amy", "Dup", "x", false).await,
        Err(StoreError::Conflict("username"))
    ));
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    assert!(matches!(
        tx.org_insert("Northvale Police", OrgKind::PoliceForce, None, None)
            .await,
        Err(StoreError::Conflict("organisation name"))
    ));
    drop(tx);

    let mut tx = store.begin().await.unwrap();
    let m = tx
        .membership_insert(user, trust, Role::TriageClinician)
        .await
        .unwrap();
    let ms = tx.memberships_for_user(user).await.unwrap();
    assert_eq!(ms.len(), 1);
    assert_eq!(
        (ms[0].id, ms[0].role, ms[0].org_kind),
        (m, Role::TriageClinician, OrgKind::MentalHealthTrust)
    );
    let review = NaiveDate::from_ymd_opt(2027, 3, 31).unwrap();
    tx.agreement_insert(
        trust,
        police,
        &[DataCategory::Identity, DataCategory::CrisisPlanSummary],
        LegalBasis::DirectCare,
        review,
    )
    .await
    .unwrap();
    let ag = tx.agreements(Some(police)).await.unwrap();
    assert_eq!(ag.len(), 1);
    let today = chrono::Utc::now().date_naive();
    // Recorded at the command line: agreed outside Concordat, in force from today.
    assert_eq!(ag[0].status, AgreementStatus::Agreed);
    assert_eq!(ag[0].in_force_from, today);
    assert!(ag[0].covers(trust, police, DataCategory::CrisisPlanSummary, today));
    assert!(!ag[0].covers(trust, police, DataCategory::CrisisPlanClinical, today));
    assert!(tx.agreements(Some(trust)).await.unwrap().is_empty());

    // The workflow: a dsa, one signature per party, agreed, ended.
    let dsa = tx
        .agreement_create(&NewAgreement {
            from: police,
            to: trust,
            title: "Incidents to the trust".into(),
            purpose: "Care after a crisis".into(),
            categories: vec![DataCategory::IncidentHistory],
            legal_basis: LegalBasis::DirectCare,
            in_force_from: today,
            in_force_until: Some(today),
            review_date: review,
            status: AgreementStatus::Draft,
            agreed_how: "signatures",
            drafted_by: None,
        })
        .await
        .unwrap();
    let stored = tx.agreements(Some(trust)).await.unwrap();
    assert_eq!(stored[0].status, AgreementStatus::Draft);
    assert!(!stored[0].covers(police, trust, DataCategory::IncidentHistory, today));
    assert!(
        tx.agreement_lock(dsa, AgreementStatus::Draft)
            .await
            .unwrap()
    );
    assert!(
        !tx.agreement_lock(dsa, AgreementStatus::Agreed)
            .await
            .unwrap()
    );
    let sig = |org| SignatureRow {
        org_id: org,
        user_id: None,
        signatory_name: "A Signatory".into(),
        signatory_role: "privacy_officer".into(),
        position: "Caldicott Guardian".into(),
        signed_on: today,
        signed_at: 1,
    };
    tx.agreement_sign(dsa, &sig(police)).await.unwrap();
    tx.agreement_sign(dsa, &sig(trust)).await.unwrap();
    assert!(tx.agreement_mark_agreed(dsa).await.unwrap());
    let row = tx.agreement_get(dsa).await.unwrap().unwrap();
    assert_eq!(row.signatures.len(), 2);
    assert_eq!(row.agreement.in_force_until, Some(today));
    assert!(
        row.agreement
            .covers(police, trust, DataCategory::IncidentHistory, today)
    );
    assert!(!row.agreement.covers(
        police,
        trust,
        DataCategory::IncidentHistory,
        today + chrono::Days::new(1)
    ));
    assert!(
        tx.agreement_close(
            dsa,
            AgreementStatus::Agreed,
            AgreementStatus::Ended,
            None,
            "test"
        )
        .await
        .unwrap()
    );
    assert_eq!(
        tx.agreement_get(dsa)
            .await
            .unwrap()
            .unwrap()
            .agreement
            .status,
        AgreementStatus::Ended
    );

    let new = NewPerson {
        owner_org_id: trust,
        given_name: "Sam".into(),
        family_name: "O'Neill".into(),
        date_of_birth: NaiveDate::from_ymd_opt(1990, 2, 28),
        nhs_number: Some(NhsNumber::parse("943 476 5919").unwrap()),
        sex: Some("female".into()),
        postcode: Some(Postcode::parse("zz1 4ab").unwrap()),
        address_line: Some("1 Canal Row".into()),
        phone: None,
        email: None,
        synthetic: true,
    };
    let pid = tx.person_insert(&new).await.unwrap();
    tx.commit().await.unwrap();

    // A rolled-back transaction leaves nothing behind: neither the record nor its audit event.
    {
        let mut tx = store.begin().await.unwrap();
        tx.person_insert(&new).await.unwrap();
        tx.audit_append(&draft("person.create", None, false))
            .await
            .unwrap();
        drop(tx);
    }
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.people_count().await.unwrap(), 1);
    assert_eq!(tx.audit_head().await.unwrap().0, 0);

    let got = tx.person_get(pid).await.unwrap().unwrap();
    assert_eq!(got.family_name, "O'Neill");
    assert_eq!(got.postcode.as_ref().map(|p| p.as_str()), Some("ZZ1 4AB"));
    assert!(got.synthetic);
    assert_eq!(tx.person_owner(pid).await.unwrap(), Some(trust));
    assert_eq!(tx.person_owner(PersonId(9999)).await.unwrap(), None);
    for q in [
        PersonQuery::NhsNumber(NhsNumber::parse("9434765919").unwrap()),
        PersonQuery::NameDob {
            family_name: "o'neill".into(),
            date_of_birth: NaiveDate::from_ymd_opt(1990, 2, 28).unwrap(),
        },
        PersonQuery::Postcode(Postcode::parse("ZZ14AB").unwrap()),
    ] {
        let found = tx.people_search(&q, 10).await.unwrap();
        assert_eq!(found.iter().map(|p| p.id).collect::<Vec<_>>(), vec![pid]);
    }
    // Optimistic locking: the second writer with the old version is refused.
    let mut changed = new.clone();
    changed.given_name = "Samantha".into();
    assert_eq!(tx.person_update(pid, &changed, 1).await.unwrap(), 2);
    assert!(matches!(
        tx.person_update(pid, &changed, 1).await,
        Err(StoreError::StaleVersion { expected: 1 })
    ));
    // A stale update is not a database error, so the transaction carries on.
    tx.care_team_add(pid, user).await.unwrap();
    assert!(tx.care_team_contains(pid, user).await.unwrap());

    // Sessions and throttling.
    let s = SessionRow {
        token_hash: "h1".into(),
        kind: "cookie".into(),
        user_id: user,
        membership_id: None,
        csrf_token: "c".into(),
        mfa_passed: false,
        created_at: 1,
        last_seen_at: 1,
        expires_at: 100,
        revoked: false,
    };
    tx.session_insert(&s).await.unwrap();
    tx.session_set_state("h1", Some(m), true).await.unwrap();
    let got = tx.session_get("h1").await.unwrap().unwrap();
    assert_eq!((got.membership_id, got.mfa_passed), (Some(m), true));
    // The one-statement resolution agrees with the separate reads.
    let (row, u, ms) = tx.session_resolve("h1").await.unwrap().unwrap();
    assert_eq!(row, got);
    assert_eq!(Some(u), tx.user_get(user).await.unwrap());
    assert_eq!(ms, tx.memberships_for_user(user).await.unwrap());
    assert!(!ms.is_empty());
    assert!(tx.session_resolve("no such").await.unwrap().is_none());
    assert!(tx.session_revoke("h1").await.unwrap());
    assert!(!tx.session_revoke("h1").await.unwrap());
    assert!(tx.session_get("h1").await.unwrap().unwrap().revoked);
    assert_eq!(tx.failures_record("acct:amy", 1000, 0).await.unwrap(), 1);
    assert_eq!(tx.failures_record("acct:amy", 1001, 0).await.unwrap(), 2);
    assert_eq!(tx.failures_get("acct:amy", 0).await.unwrap(), 2);
    // A new window restarts the count.
    assert_eq!(tx.failures_record("acct:amy", 5000, 2000).await.unwrap(), 1);
    tx.failures_clear("acct:amy").await.unwrap();
    assert_eq!(tx.failures_get("acct:amy", 0).await.unwrap(), 0);

    // Audit chain.
    for i in 0..5 {
        tx.audit_append(&draft("person.view.identity", Some(pid.0), i == 3))
            .await
            .unwrap();
    }
    tx.setting_set("k", "v1").await.unwrap();
    tx.setting_set("k", "v2").await.unwrap();
    assert_eq!(tx.setting_get("k").await.unwrap().as_deref(), Some("v2"));
    tx.commit().await.unwrap();
    assert_eq!(verify(&store).await, Ok(5));

    let mut tx = store.begin().await.unwrap();
    let by_person = tx
        .audit_search(&AuditFilter {
            person_id: Some(pid.0),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_person.len(), 5);
    assert!(by_person[0].seq > by_person[1].seq, "newest first");
    let glass = tx
        .audit_search(&AuditFilter {
            break_glass_only: true,
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(glass.len(), 1);
    let queue = tx.break_glass_queue(10).await.unwrap();
    assert_eq!(queue.len(), 1);
    assert!(queue[0].reviewed_by.is_none());
    tx.break_glass_review(queue[0].event.seq, user, "appropriate", "checked with team")
        .await
        .unwrap();
    let queue = tx.break_glass_queue(10).await.unwrap();
    assert_eq!(queue[0].reviewed_by.as_deref(), Some("nurse.amy"));
    tx.commit().await.unwrap();

    // The database itself refuses to change or delete audit rows.
    let mut tx = store.begin().await.unwrap();
    assert!(
        tx.testing_execute("UPDATE audit_events SET username = 'x' WHERE seq = 2")
            .await
            .is_err()
    );
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    assert!(
        tx.testing_execute("DELETE FROM audit_events WHERE seq = 2")
            .await
            .is_err()
    );
    drop(tx);

    // With the triggers dropped, tampering is possible, and verification catches it.
    let mut tx = store.begin().await.unwrap();
    tx.testing_drop_audit_triggers().await.unwrap();
    tx.testing_execute("UPDATE audit_events SET username = 'someone else' WHERE seq = 3")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(verify(&store).await, Err(ChainError::AlteredRow { seq: 3 }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_story_on_every_backend() {
    let backends = concordat_store::testing::all_backends()
        .await
        .expect("a test database (is CONCORDAT_TEST_POSTGRES_URL reachable?)");
    for store in backends {
        story(store).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_audit_appends_keep_one_chain() {
    for store in concordat_store::testing::all_backends().await.unwrap() {
        let mut handles = Vec::new();
        for t in 0..8 {
            let s = store.clone();
            handles.push(tokio::spawn(async move {
                for i in 0..10 {
                    let mut tx = s.begin().await.unwrap();
                    tx.audit_append(&draft(&format!("t{t}.{i}"), None, false))
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(verify(&store).await, Ok(80));
    }
}

/// The hash PostgreSQL computes in the append statement is the one `chain_hash` computes, whatever the
/// text: quotes, backslashes, new lines, accents, emoji, absent fields. The stored chain verifies.
#[tokio::test]
async fn audit_links_are_the_same_whatever_the_text() {
    for store in concordat_store::testing::all_backends().await.unwrap() {
        let texts = [
            "plain",
            "Zoë \"quoted\" back\\slash",
            "two\nlines\tand a tab",
            "emoji \u{1f6a8} and a delete \u{7f}",
            "",
        ];
        for (i, text) in texts.iter().enumerate() {
            let mut d = draft("odd.text", Some(i64::try_from(i).unwrap()), i % 2 == 0);
            d.username = (*text).to_string();
            d.reason = Some(format!("{text} reason"));
            d.user_id = None;
            d.role = None;
            d.request_id = None;
            d.at = -1 - i64::try_from(i).unwrap() * 1_000_000_007;
            let mut tx = store.begin().await.unwrap();
            let ev = tx.audit_append(&d).await.unwrap();
            assert_eq!(ev.hash, d.chain_hash(ev.seq, &ev.prev_hash));
            tx.commit().await.unwrap();
        }
        assert_eq!(verify(&store).await, Ok(5));
        let mut tx = store.begin().await.unwrap();
        let page = tx.audit_page(0, 10).await.unwrap();
        assert_eq!(page[1].draft.username, texts[1]);
        assert_eq!(tx.audit_head().await.unwrap(), (5, page[4].hash.clone()));
    }
}

/// SQLite writers queue in the process, first come first served; one that waits longer than
/// `writer_wait` gets `Busy` (a clear, retryable error) and the queue carries on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writers_queue_and_a_long_wait_is_busy() {
    use concordat_store::ConnectOptionsCfg;
    use std::time::{Duration, Instant};
    let path = std::env::temp_dir().join(format!(
        "concordat_writer_queue_{}_{}.db",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    let store = Store::connect(
        &format!("sqlite:{}", path.display()),
        ConnectOptionsCfg {
            create: true,
            writer_wait: Some(Duration::from_millis(300)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    store.migrate().await.unwrap();

    let holder = store.begin().await.unwrap();
    let t0 = Instant::now();
    let e = store
        .begin()
        .await
        .err()
        .expect("the second writer must wait, then give up");
    assert!(matches!(e, StoreError::Busy), "{e:?}");
    assert!(
        t0.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t0.elapsed()
    );
    assert!(e.to_string().contains("busy"), "{e}");
    // Readers are not queued behind the writer.
    let mut r = store.begin_read().await.unwrap();
    r.audit_page(0, 10).await.unwrap();
    drop(r);
    holder.commit().await.unwrap();

    // Many writers at once (more than the pool's connections) all get their turn.
    let mut handles = Vec::new();
    for t in 0..24 {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            let mut tx = s.begin().await.unwrap();
            tx.audit_append(&draft(&format!("q{t}"), None, false))
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(verify(&store).await, Ok(24));
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn bad_urls_are_refused_clearly() {
    use concordat_store::ConnectOptionsCfg;
    let e = Store::connect(
        "sqlite:/definitely/not/here.db",
        ConnectOptionsCfg::default(),
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("no SQLite database at /definitely/not/here.db"),
        "{e}"
    );
    assert!(!std::path::Path::new("/definitely/not/here.db").exists());
    let e = Store::connect("postgress://localhost/x", ConnectOptionsCfg::default())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not understood"), "{e}");
    let e = Store::connect(
        "postgres://nobody:pw@127.0.0.1:1/x",
        ConnectOptionsCfg::default(),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("cannot reach"), "{e}");
    assert!(!e.to_string().contains("pw@"), "password leaked: {e}");
}
