//! The privacy officer's tools: the audit log, the break-glass review queue, a person's access history,
//! and verification of the hash chain.

use crate::access::Access;
use crate::{App, AppError, Subject, audit_allowed, decide_org_wide, require};
use concordat_domain::DataCategory;
use concordat_domain::audit::{Anchor, AnchorError, AuditEvent, ChainError, ChainVerifier};
use concordat_domain::model::PersonId;
use concordat_domain::policy::{Action, Actor};
use concordat_store::{AuditFilter, BreakGlassItem, Tx};
use std::collections::HashMap;

/// A person named in the audit trail, as the privacy officer may see them: the name and NHS number
/// only when the policy lets this privacy officer see the person's identity (decided per person and
/// audited as `person.view.identity.audit`), otherwise only the organisation that holds the record.
#[derive(Debug, Clone)]
pub struct PersonLabel {
    pub id: i64,
    /// "Robin Zebedee", when the policy allows.
    pub name: Option<String>,
    pub nhs_number: Option<String>,
    /// The organisation holding the record.
    pub held_by: String,
}

/// Audit events with the people and organisations they name, in words.
#[derive(Debug, Clone, Default)]
pub struct NamedEvents {
    /// Newest first.
    pub events: Vec<AuditEvent>,
    /// Every person the events name, by id.
    pub people: HashMap<i64, PersonLabel>,
    /// Every organisation's name, by id (organisations are not personal data).
    pub orgs: HashMap<i64, String>,
    /// The display name of each member of staff the events name, by username as written in the event
    /// (staff accounts are not the people the records are about; their names are the privacy officer's
    /// to see).
    pub staff: HashMap<String, String>,
}

/// The display names of the staff who acted in these events (system actors and deleted accounts have none).
async fn staff_names_of(
    tx: &mut concordat_store::Tx,
    usernames: impl Iterator<Item = String>,
) -> Result<HashMap<String, String>, AppError> {
    let mut wanted: Vec<String> = usernames.filter(|u| !u.starts_with("system:")).collect();
    wanted.sort();
    wanted.dedup();
    let found = tx.staff_names(&wanted).await?;
    Ok(wanted
        .into_iter()
        .filter_map(|u| {
            found
                .iter()
                .find(|(name, _, _)| name.eq_ignore_ascii_case(&u))
                .map(|(_, display, _)| (u, display.clone()))
        })
        .collect())
}

/// What an audit event disclosed, in words: the categories after the last ": " of a plan lookup's
/// description ("… ]: identity, crisis_plan_summary" becomes "Identity and contact details; …").
pub fn revealed(e: &AuditEvent) -> String {
    e.draft
        .resource_id
        .as_deref()
        .and_then(|r| r.rsplit_once("]: ").map(|(_, c)| c))
        .map(|c| {
            c.split(", ")
                .filter_map(DataCategory::from_code)
                .map(|c| c.label())
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

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
    /// The person, named when the policy lets the privacy officer see their identity.
    pub person: PersonLabel,
    /// Every organisation's name, by id.
    pub orgs: HashMap<i64, String>,
    /// The display name of each member of staff on this page, by username.
    pub staff: HashMap<String, String>,
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

/// Names the people that `events` mention, each decided by the policy as opening their record would be
/// for this actor; every name shown is audited with the person's id (`person.view.identity.audit`), in
/// the caller's transaction. People the actor may not see are labelled with their holder only.
async fn label_people(
    tx: &mut Tx,
    actor: &Actor,
    events: &[AuditEvent],
    context: &str,
) -> Result<HashMap<i64, PersonLabel>, AppError> {
    let mut ids: Vec<i64> = events.iter().filter_map(|e| e.draft.person_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let orgs: HashMap<i64, String> = tx
        .org_list()
        .await?
        .into_iter()
        .map(|o| (o.id.0, o.name))
        .collect();
    let access = Access::load(tx, actor).await?;
    let people: Vec<PersonId> = ids.iter().map(|i| PersonId(*i)).collect();
    let inputs = access.people_inputs(tx, &people).await?;
    for id in people {
        let Some(person) = tx.person_get(id).await? else {
            continue;
        };
        let held_by = orgs
            .get(&person.owner_org_id.0)
            .cloned()
            .unwrap_or_default();
        let Some(input) = inputs.get(&id) else {
            continue;
        };
        let action = Action::ViewPerson(DataCategory::Identity);
        let d = access.decide_person(input, person.owner_org_id, action, None);
        let label = if d.is_allowed() {
            let subject = Subject {
                person_id: Some(id.0),
                resource_kind: "audit",
                resource_id: Some(context.to_string()),
            };
            audit_allowed(tx, actor, "person.view.identity.audit", &subject, &d, None).await?;
            PersonLabel {
                id: id.0,
                name: Some(format!("{} {}", person.given_name, person.family_name)),
                nhs_number: person.nhs_number.map(|n| n.to_string()),
                held_by,
            }
        } else {
            PersonLabel {
                id: id.0,
                name: None,
                nhs_number: None,
                held_by,
            }
        };
        out.insert(id.0, label);
    }
    Ok(out)
}

impl App {
    /// Refuses (and audits the refusal) unless the actor may read the audit log: asked before a search's
    /// input is judged.
    pub async fn may_view_audit(&self, actor: &Actor) -> Result<(), AppError> {
        let subject = Subject {
            resource_kind: "audit",
            ..Default::default()
        };
        require(self, actor, Action::ViewAudit, &subject).await
    }

    /// The privacy officer's audit log page: the events, with the people they name (as the policy
    /// allows, each name audited) and every organisation's name. The search itself is audited.
    pub async fn audit_search_named(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
    ) -> Result<NamedEvents, AppError> {
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
        let people = label_people(&mut tx, actor, &events, "audit log").await?;
        let staff =
            staff_names_of(&mut tx, events.iter().map(|e| e.draft.username.clone())).await?;
        let orgs = tx
            .org_list()
            .await?
            .into_iter()
            .map(|o| (o.id.0, o.name))
            .collect();
        let decision = decide_org_wide(actor, Action::ViewAudit);
        audit_allowed(&mut tx, actor, "audit.search", &subject, &decision, None).await?;
        tx.commit().await?;
        Ok(NamedEvents {
            events,
            people,
            orgs,
            staff,
        })
    }

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
        let Some(found) = tx.person_get(person).await? else {
            return Err(AppError::NotFound);
        };
        let orgs: HashMap<i64, String> = tx
            .org_list()
            .await?
            .into_iter()
            .map(|o| (o.id.0, o.name))
            .collect();
        let access = Access::load(&mut tx, actor).await?;
        let identity = access
            .person(
                &mut tx,
                person,
                found.owner_org_id,
                Action::ViewPerson(DataCategory::Identity),
                None,
            )
            .await?;
        let label = PersonLabel {
            id: person.0,
            name: identity
                .is_allowed()
                .then(|| format!("{} {}", found.given_name, found.family_name)),
            nhs_number: identity
                .is_allowed()
                .then_some(found.nhs_number)
                .flatten()
                .map(|n| n.to_string()),
            held_by: orgs.get(&found.owner_org_id.0).cloned().unwrap_or_default(),
        };
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
            resource_id: Some(format!(
                "access history page {page}{}",
                if label.name.is_some() {
                    ", name shown"
                } else {
                    ""
                }
            )),
            ..subject
        };
        audit_allowed(&mut tx, actor, "audit.search", &subject, &decision, None).await?;
        let staff =
            staff_names_of(&mut tx, events.iter().map(|e| e.draft.username.clone())).await?;
        tx.commit().await?;
        Ok(AccessHistory {
            events,
            total,
            person: label,
            orgs,
            staff,
            page,
            pages: ((total + HISTORY_PAGE - 1) / HISTORY_PAGE).max(1),
        })
    }

    /// The break-glass queue with the people named as the policy allows (each name audited) and every
    /// organisation's name.
    pub async fn break_glass_queue_named(
        &self,
        actor: &Actor,
    ) -> Result<(Vec<BreakGlassItem>, NamedEvents), AppError> {
        let subject = Subject {
            resource_kind: "break_glass_queue",
            ..Default::default()
        };
        require(self, actor, Action::ReviewBreakGlass, &subject).await?;
        let mut tx = self.store.begin().await?;
        let items = tx.break_glass_queue(200).await?;
        let events: Vec<AuditEvent> = items.iter().map(|i| i.event.clone()).collect();
        let people = label_people(&mut tx, actor, &events, "break-glass review queue").await?;
        let staff =
            staff_names_of(&mut tx, events.iter().map(|e| e.draft.username.clone())).await?;
        let orgs = tx
            .org_list()
            .await?
            .into_iter()
            .map(|o| (o.id.0, o.name))
            .collect();
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
        Ok((
            items,
            NamedEvents {
                events: Vec::new(),
                people,
                orgs,
                staff,
            },
        ))
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
