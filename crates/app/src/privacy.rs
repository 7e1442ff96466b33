//! The privacy officer's tools: the audit log, the break-glass review queue, a person's access history,
//! and verification of the hash chain.

use crate::{App, AppError, Subject, audit_allowed, decide_org_wide, require};
use concordat_domain::audit::{Anchor, AnchorError, AuditEvent, ChainError, ChainVerifier};
use concordat_domain::model::PersonId;
use concordat_domain::policy::{Action, Actor};
use concordat_store::{AuditFilter, BreakGlassItem};

/// The result of walking the audit chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub events_checked: u64,
    /// The first broken link, if any.
    pub error: Option<ChainError>,
    /// True when the stored head matches the last event.
    pub head_matches: bool,
    /// The last verified event: what `concordat audit anchor` writes down.
    pub head: Anchor,
    /// How many anchors kept outside the database were checked.
    pub anchors_checked: usize,
    /// The first anchor the chain no longer reaches, if any.
    pub anchor_error: Option<AnchorError>,
}

impl VerifyReport {
    /// True when the chain, the stored head and every anchor agree.
    pub fn intact(&self) -> bool {
        self.error.is_none() && self.head_matches && self.anchor_error.is_none()
    }
}

/// The most events one audit search returns.
pub const MAX_AUDIT_SEARCH: i64 = 1000;

/// Events per page of a person's access history.
pub const HISTORY_PAGE: i64 = 200;

/// One page of a person's access history.
#[derive(Debug, Clone)]
pub struct AccessHistory {
    /// Newest first.
    pub events: Vec<AuditEvent>,
    /// Every event that names the person, on all pages (before this read's own event).
    pub total: i64,
    /// This page, counting from 1.
    pub page: i64,
    /// How many pages there are (at least 1).
    pub pages: i64,
}

/// Outcomes a privacy officer can record for a break-glass access.
pub const REVIEW_OUTCOMES: &[(&str, &str)] = &[
    ("appropriate", "Appropriate: a real emergency"),
    (
        "follow_up",
        "Needs follow-up with the user or their manager",
    ),
    (
        "inappropriate",
        "Inappropriate: report under the organisation's policy",
    ),
];

impl App {
    /// Searches the audit log (privacy officers only). The search itself is audited.
    pub async fn audit_search(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEvent>, AppError> {
        let subject = Subject {
            person_id: filter.person_id,
            resource_kind: "audit",
            resource_id: None,
        };
        require(self, actor, Action::ViewAudit, &subject).await?;
        if !(1..=MAX_AUDIT_SEARCH).contains(&filter.limit) {
            return Err(AppError::invalid(
                "limit",
                format!("ask for between 1 and {MAX_AUDIT_SEARCH} events"),
            ));
        }
        let mut tx = self.store.begin().await?;
        let events = tx.audit_search(filter).await?;
        let decision = decide_org_wide(actor, Action::ViewAudit);
        audit_allowed(&mut tx, actor, "audit.search", &subject, &decision, None).await?;
        tx.commit().await?;
        Ok(events)
    }

    /// Everyone who looked at a person's record, for the person to have a copy (privacy officers only):
    /// every audit event that names them, newest first, one page of [`HISTORY_PAGE`] at a time.
    /// `page` counts from 1; a page past the end is empty (the count says how many there are).
    /// Opening it is audited, with the person's id, in the same transaction as the read.
    pub async fn access_history(
        &self,
        actor: &Actor,
        person: PersonId,
        page: i64,
    ) -> Result<AccessHistory, AppError> {
        let subject = Subject {
            person_id: Some(person.0),
            resource_kind: "audit",
            resource_id: None,
        };
        require(self, actor, Action::ViewAudit, &subject).await?;
        if page < 1 {
            return Err(AppError::invalid("page", "use a page number of 1 or more"));
        }
        let mut tx = self.store.begin().await?;
        let total = tx.audit_person_count(person.0).await?;
        let events = tx
            .audit_person_page(
                person.0,
                (page - 1).saturating_mul(HISTORY_PAGE),
                HISTORY_PAGE,
            )
            .await?;
        let decision = decide_org_wide(actor, Action::ViewAudit);
        let subject = Subject {
            resource_id: Some(format!("access history page {page}")),
            ..subject
        };
        audit_allowed(&mut tx, actor, "audit.search", &subject, &decision, None).await?;
        tx.commit().await?;
        Ok(AccessHistory {
            events,
            total,
            page,
            pages: ((total + HISTORY_PAGE - 1) / HISTORY_PAGE).max(1),
        })
    }

    pub async fn break_glass_queue(&self, actor: &Actor) -> Result<Vec<BreakGlassItem>, AppError> {
        let subject = Subject {
            resource_kind: "break_glass_queue",
            ..Default::default()
        };
        require(self, actor, Action::ReviewBreakGlass, &subject).await?;
        let mut tx = self.store.begin().await?;
        let items = tx.break_glass_queue(200).await?;
        let decision = decide_org_wide(actor, Action::ReviewBreakGlass);
        audit_allowed(
            &mut tx,
            actor,
            "audit.view_break_glass_queue",
            &subject,
            &decision,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(items)
    }

    /// Marks a break-glass event reviewed with an outcome.
    pub async fn review_break_glass(
        &self,
        actor: &Actor,
        seq: i64,
        outcome: &str,
        notes: &str,
    ) -> Result<(), AppError> {
        let subject = Subject {
            resource_kind: "audit_event",
            resource_id: Some(seq.to_string()),
            person_id: None,
        };
        require(self, actor, Action::ReviewBreakGlass, &subject).await?;
        if !REVIEW_OUTCOMES.iter().any(|(code, _)| *code == outcome) {
            return Err(AppError::invalid("outcome", "choose an outcome"));
        }
        if notes.chars().count() > 2000 {
            return Err(AppError::invalid("notes", "use at most 2,000 characters"));
        }
        let Some(user) = actor.as_user() else {
            return Err(AppError::invalid(
                "reviewer",
                "a person must review break-glass access",
            ));
        };
        let mut tx = self.store.begin().await?;
        match tx.audit_event(seq).await? {
            Some(ev) if ev.draft.break_glass => {}
            _ => return Err(AppError::NotFound),
        }
        tx.break_glass_review(seq, user.user_id, outcome, notes.trim())
            .await?;
        let decision = decide_org_wide(actor, Action::ReviewBreakGlass);
        let subject = Subject {
            person_id: None,
            ..subject
        };
        audit_allowed(
            &mut tx,
            actor,
            "audit.review_break_glass",
            &subject,
            &decision,
            Some(outcome),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Walks the whole audit chain in pages and reports the first broken link.
    pub async fn verify_audit(&self) -> Result<VerifyReport, AppError> {
        self.verify_audit_with(&[]).await
    }

    /// Walks the whole audit chain and also checks that it still reaches every anchor kept outside
    /// the database with the same hash: this catches the newest events deleted and the head moved
    /// back, which leaves a chain that is valid on its own.
    pub async fn verify_audit_with(&self, anchors: &[Anchor]) -> Result<VerifyReport, AppError> {
        let mut v = ChainVerifier::default();
        let mut after = 0;
        let mut anchor_error = None;
        let anchored: std::collections::HashMap<i64, &str> =
            anchors.iter().map(|a| (a.seq, a.hash.as_str())).collect();
        let check = |seq: i64, hash: &str, err: &mut Option<AnchorError>| {
            if err.is_none() && anchored.get(&seq).is_some_and(|h| *h != hash) {
                *err = Some(AnchorError::Differs { seq });
            }
        };
        // Seq 0 is the genesis: an anchor taken of an empty chain.
        check(0, concordat_domain::audit::GENESIS_HASH, &mut anchor_error);
        // A snapshot: verification must not hold the write lock while it walks the chain.
        let mut tx = self.store.begin_read().await?;
        loop {
            let page = tx.audit_page(after, 5000).await?;
            if page.is_empty() {
                break;
            }
            for e in &page {
                if let Err(err) = v.push(e) {
                    let (seq, hash) = v.head();
                    return Ok(VerifyReport {
                        events_checked: v.checked(),
                        error: Some(err),
                        head_matches: false,
                        head: Anchor {
                            seq,
                            hash: hash.to_string(),
                        },
                        anchors_checked: anchors.len(),
                        anchor_error,
                    });
                }
                check(e.seq, &e.hash, &mut anchor_error);
                after = e.seq;
            }
        }
        let (seq, hash) = tx.audit_head().await?;
        let head_matches = v.head() == (seq, hash.as_str());
        let (last, last_hash) = v.head();
        if anchor_error.is_none()
            && let Some(a) = anchors
                .iter()
                .filter(|a| a.seq > last)
                .max_by_key(|a| a.seq)
        {
            anchor_error = Some(AnchorError::Missing {
                seq: a.seq,
                chain_ends: last,
            });
        }
        Ok(VerifyReport {
            events_checked: v.checked(),
            error: None,
            head_matches,
            head: Anchor {
                seq: last,
                hash: last_hash.to_string(),
            },
            anchors_checked: anchors.len(),
            anchor_error,
        })
    }
}
