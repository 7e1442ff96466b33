//! Administration queries on both backends: invitations used once and purged, organisation details and the
//! active flag, users with last sign-in, disabling and revoking every session, the count of administrators.

use concordat_domain::model::UserId;
use concordat_domain::{OrgKind, Role};
use concordat_store::{NewInvitation, OrgFields, SessionRow, StoreError};

const DAY: i64 = 86_400_000;

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn session(hash: &str, user: UserId, kind: &str) -> SessionRow {
    SessionRow {
        token_hash: hash.into(),
        kind: kind.into(),
        user_id: user,
        membership_id: None,
        csrf_token: "c".into(),
        mfa_passed: false,
        created_at: now(),
        last_seen_at: now(),
        expires_at: now() + DAY,
        revoked: false,
    }
}

#[tokio::test]
async fn members_story_on_every_backend() {
    for store in concordat_store::testing::all_backends().await.unwrap() {
        let mut tx = store.begin().await.unwrap();
        let fields = OrgFields {
            name: "Canal Cafe".into(),
            kind: Some(OrgKind::Vcse),
            org_identifier: Some("GB-CHC-1234567".into()),
            contact_email: Some("jo@canal.example.org".into()),
            ..Default::default()
        };
        let cafe = tx.org_insert_details(&fields).await.unwrap();
        let trust = tx
            .org_insert("Trust", OrgKind::MentalHealthTrust, Some("ZZA"), None)
            .await
            .unwrap();
        let d = tx.org_details(cafe).await.unwrap().unwrap();
        assert!(d.active);
        assert_eq!(d.contact_email.as_deref(), Some("jo@canal.example.org"));
        assert!(
            tx.org_details(trust).await.unwrap().unwrap().active,
            "default active"
        );
        assert!(tx.org_set_active(cafe, false).await.unwrap());
        assert!(!tx.org_details(cafe).await.unwrap().unwrap().active);
        let renamed = OrgFields {
            name: "Canal Side Cafe".into(),
            contact_phone: Some("0113 496 0000".into()),
            crisis_line: Some("0800 123 4567".into()),
            ..fields.clone()
        };
        assert!(tx.org_update(cafe, &renamed).await.unwrap());
        assert_eq!(
            tx.org_details(cafe)
                .await
                .unwrap()
                .unwrap()
                .crisis_line
                .as_deref(),
            Some("0800 123 4567"),
            "the crisis line is kept"
        );
        assert_eq!(tx.org_details_list().await.unwrap().len(), 2);
        assert_eq!(tx.org_open_detentions(trust).await.unwrap(), 0);

        // Invitations: single use, expiring.
        let admin = tx.user_insert("admin", "Admin", "x", false).await.unwrap();
        tx.membership_insert(admin, trust, Role::Administrator)
            .await
            .unwrap();
        let inv = |hash: &str, expires_at: i64| NewInvitation {
            token_hash: hash.into(),
            display_name: "Sam".into(),
            org_id: Some(trust),
            role: Some(Role::TriageClinician),
            purpose: "staff".into(),
            created_by: Some(admin),
            expires_at,
        };
        let live = tx
            .invitation_insert(&inv("h1", now() + 7 * DAY))
            .await
            .unwrap();
        let old = tx.invitation_insert(&inv("h2", now() - DAY)).await.unwrap();
        let none = tx
            .invitation_insert(&NewInvitation {
                org_id: None,
                role: None,
                ..inv("h3", now() + DAY)
            })
            .await
            .unwrap();
        let got = tx.invitation_by_hash("h1").await.unwrap().unwrap();
        assert_eq!((got.id, got.org_name.as_deref()), (live, Some("Trust")));
        assert_eq!(got.role, Some(Role::TriageClinician));
        assert_eq!(tx.invitation_get(none).await.unwrap().unwrap().org_id, None);
        let pending = tx.invitations_pending(Some(trust), now()).await.unwrap();
        assert_eq!(pending.iter().map(|i| i.id).collect::<Vec<_>>(), vec![live]);
        assert_eq!(tx.invitations_pending(None, now()).await.unwrap().len(), 2);
        let sam = tx.user_insert("sam", "Sam", "x", false).await.unwrap();
        assert!(tx.invitation_use(live, sam, now()).await.unwrap());
        assert!(
            !tx.invitation_use(live, sam, now()).await.unwrap(),
            "used once"
        );
        assert!(
            !tx.invitation_use(old, sam, now()).await.unwrap(),
            "expired"
        );
        assert!(tx.invitation_cancel(none, now()).await.unwrap());
        assert!(
            tx.invitations_pending(None, now() + 1)
                .await
                .unwrap()
                .is_empty()
        );
        // The same hash twice is a conflict.
        tx.commit().await.unwrap();
        let mut tx = store.begin().await.unwrap();
        assert!(matches!(
            tx.invitation_insert(&inv("h1", now() + DAY)).await,
            Err(StoreError::Conflict(_))
        ));
        drop(tx);
        let mut tx = store.begin().await.unwrap();
        // Purge: used and expired ones before the cut-off go; nothing else.
        let n = tx.invitations_purge(now() + 10).await.unwrap();
        assert_eq!(n, 3);
        assert!(tx.invitation_get(live).await.unwrap().is_none());

        // Users: last sign-in, disabling, revoking every session and token.
        assert_eq!(
            tx.user_admin_get(sam).await.unwrap().unwrap().last_sign_in,
            None
        );
        tx.session_insert(&session("s1", sam, "cookie"))
            .await
            .unwrap();
        tx.session_insert(&session("s2", sam, "bearer"))
            .await
            .unwrap();
        tx.session_insert(&session("s3", admin, "cookie"))
            .await
            .unwrap();
        assert!(
            tx.user_admin_get(sam)
                .await
                .unwrap()
                .unwrap()
                .last_sign_in
                .is_some()
        );
        let in_trust = tx.users_admin_list(Some(trust)).await.unwrap();
        assert_eq!(
            in_trust
                .iter()
                .map(|u| u.user.username.as_str())
                .collect::<Vec<_>>(),
            vec!["admin"]
        );
        assert_eq!(tx.users_admin_list(None).await.unwrap().len(), 2);
        assert_eq!(tx.sessions_live_for_user(sam, now()).await.unwrap(), 2);
        assert!(tx.user_set_disabled(sam, true).await.unwrap());
        assert_eq!(tx.sessions_revoke_for_user(sam).await.unwrap(), 2);
        assert_eq!(tx.sessions_live_for_user(sam, now()).await.unwrap(), 0);
        assert_eq!(tx.sessions_live_for_user(admin, now()).await.unwrap(), 1);
        assert!(tx.user_get(sam).await.unwrap().unwrap().disabled);

        // Administrators counted per organisation, disabled ones left out.
        assert_eq!(tx.org_enabled_admins(trust).await.unwrap(), 1);
        tx.user_set_disabled(admin, true).await.unwrap();
        assert_eq!(tx.org_enabled_admins(trust).await.unwrap(), 0);
        tx.commit().await.unwrap();
    }
}
