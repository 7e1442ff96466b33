//! Crisis contacts in full, s136/s135 episodes and places of safety (queries on [`crate::Tx`]).
//!
//! A contact is one row plus a row in `crisis_contact_versions` for every saved version (a JSON snapshot).
//! An episode keeps the domain's [`Episode`] as JSON in `record`, with the columns that lists filter on beside it;
//! the rules themselves (clock, validation) are applied by the app layer with `concordat_domain::mha`.

use crate::tx::{corrupt, get_bool, now_ms};
use crate::{Result, StoreError, Tx};
use concordat_domain::mha::Episode;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

/// Contact status: a draft is kept until someone finishes it.
pub const CONTACT_DRAFT: &str = "draft";
/// Contact status: finished.
pub const CONTACT_FINAL: &str = "final";

/// Everything about a crisis contact that the people on a response record. Codes are stable TEXT codes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactData {
    /// `draft` or `final`.
    pub status: String,
    pub person_id: Option<i64>,
    /// When someone was described but not identified.
    pub person_description: Option<String>,
    /// Milliseconds since the epoch.
    pub called_at: i64,
    pub arrived_at: Option<i64>,
    pub source: String,
    pub setting: String,
    /// Normalised postcode.
    pub postcode: Option<String>,
    /// Neighbourhood code.
    pub neighbourhood: Option<String>,
    pub response_type: Option<String>,
    /// Agency codes present (police, ambulance, trust, ...).
    pub agencies: Vec<String>,
    /// Presenting needs (clinical detail: hidden from roles without incident history).
    pub presenting_needs: Vec<String>,
    /// A physical health assessment was done at the scene (clinical detail).
    pub physical_health_check: bool,
    /// Every outcome recorded; the first is the main one.
    pub outcomes: Vec<String>,
    pub conveyance: Option<String>,
    pub conveyance_reason: Option<String>,
    pub police_minutes: Option<i64>,
    pub street_triage: bool,
    pub synthetic: bool,
}

/// A stored contact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactRecord {
    pub id: i64,
    pub owner_org_id: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: Option<i64>,
    pub updated_by: Option<String>,
    pub data: ContactData,
}

/// One saved version of a contact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactVersion {
    pub version: i64,
    pub saved_by: String,
    pub saved_at: i64,
    pub data: ContactData,
}

/// A place of safety, A&E, custody suite, crisis house or safe haven.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPlace {
    pub owner_org_id: i64,
    pub name: String,
    /// A `mha::PlaceOfSafetyKind` code, or `crisis_house` / `safe_haven`.
    pub kind: String,
    pub capacity: i64,
    pub open_24_7: bool,
    /// Opening hours in words ("Mon 18:00–23:00; ...") when not open at all hours.
    pub opening_hours: String,
    pub accepts_under_18: bool,
    pub address_line: String,
    pub postcode: Option<String>,
    /// The number to ring ahead on.
    pub phone: String,
    pub notes: String,
    pub synthetic: bool,
}

/// Who last changed a place's availability (a detention arriving, moving on or ending there), and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AvailabilityUpdate {
    /// Milliseconds since the epoch.
    pub at: i64,
    /// The user's display name (their name, not their username).
    pub by_name: String,
    /// The organisation they acted for.
    pub org_name: String,
}

/// A place with its occupancy, derived from open episodes whose current stay is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaceRow {
    pub id: i64,
    pub org_name: String,
    pub place: NewPlace,
    /// Open episodes whose person is there now.
    pub occupied: i64,
    /// The last change to who is there, when one was recorded.
    pub updated: Option<AvailabilityUpdate>,
}

/// A contact in a list, with what the list shows beside it (who and where): the owning organisation,
/// the partners that joined it, and the linked person's name and record owner (shown only where the app's
/// policy decision allows).
#[derive(Debug, Clone, PartialEq)]
pub struct ContactListRow {
    pub record: ContactRecord,
    pub owner_org_name: String,
    /// The organisations that joined it: (id, name).
    pub partners: Vec<(i64, String)>,
    pub person_name: Option<String>,
    pub person_owner_org_id: Option<i64>,
}

/// Which contacts a list asks for, beyond the organisations it may see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactFilter {
    /// Called at or after this instant (ms), e.g. the start of today in London.
    pub called_from: Option<i64>,
    /// Only drafts.
    pub drafts_only: bool,
    /// Only contacts with a version saved by this username.
    pub saved_by: Option<String>,
    /// Only contacts about this person.
    pub person_id: Option<i64>,
}

/// A new s136/s135 episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEpisode {
    pub owner_org_id: i64,
    pub person_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// The detaining officer (name or collar number), as recorded.
    pub officer: String,
    /// The place the person is at now (or was at last).
    pub current_place_id: Option<i64>,
    /// Home Office return codes (mha::Sex, mha::Ethnicity).
    pub sex: String,
    pub ethnicity: String,
    pub synthetic: bool,
    pub episode: Episode,
}

/// A stored episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpisodeRow {
    pub id: i64,
    pub version: i64,
    pub updated_at: i64,
    /// The person's name, when linked. The app shows it only where the policy allows identity.
    pub person_name: Option<String>,
    /// The organisation that owns the linked person's record.
    pub person_owner_org_id: Option<i64>,
    pub place_name: Option<String>,
    pub new: NewEpisode,
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

fn join(v: &[String]) -> String {
    v.join(",")
}

const CONTACT_COLS: &str = "id, owner_org_id, person_id, called_at, arrived_at, source, setting, postcode, neighbourhood, outcome, street_triage, police_minutes, synthetic, created_at, status, version, response_type, agencies, person_description, presenting_needs, physical_health_check, outcomes, conveyance, conveyance_reason, updated_at, updated_by";

fn contact_from(r: &AnyRow) -> Result<ContactRecord> {
    let agencies: String = r.try_get("agencies")?;
    let needs: String = r.try_get("presenting_needs")?;
    let outcomes: String = r.try_get("outcomes")?;
    let main: String = r.try_get("outcome")?;
    let mut outcomes = list(&outcomes);
    // Contacts loaded before this migration have only the single foundation outcome.
    if outcomes.is_empty() && !main.is_empty() {
        outcomes.push(main);
    }
    Ok(ContactRecord {
        id: r.try_get("id")?,
        owner_org_id: r.try_get("owner_org_id")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        updated_by: r.try_get("updated_by")?,
        data: ContactData {
            status: r.try_get("status")?,
            person_id: r.try_get("person_id")?,
            person_description: r.try_get("person_description")?,
            called_at: r.try_get("called_at")?,
            arrived_at: r.try_get("arrived_at")?,
            source: r.try_get("source")?,
            setting: r.try_get("setting")?,
            postcode: r.try_get("postcode")?,
            neighbourhood: r.try_get("neighbourhood")?,
            response_type: r.try_get("response_type")?,
            agencies: list(&agencies),
            presenting_needs: list(&needs),
            physical_health_check: get_bool(r, "physical_health_check")?,
            outcomes,
            conveyance: r.try_get("conveyance")?,
            conveyance_reason: r.try_get("conveyance_reason")?,
            police_minutes: r.try_get("police_minutes")?,
            street_triage: get_bool(r, "street_triage")?,
            synthetic: get_bool(r, "synthetic")?,
        },
    })
}

const PLACE_COLS: &str = "p.id, p.owner_org_id, o.name AS org_name, p.name, p.kind, p.capacity, p.open_24_7, p.opening_hours, p.accepts_under_18, p.address_line, p.postcode, p.phone, p.notes, p.synthetic, p.availability_updated_at, u.display_name AS updated_by_name, uo.name AS updated_org_name";
const PLACE_FROM: &str = "places_of_safety p JOIN organisations o ON o.id = p.owner_org_id LEFT JOIN users u ON u.id = p.availability_updated_by LEFT JOIN organisations uo ON uo.id = p.availability_updated_org";

fn place_from(r: &AnyRow, occupied: i64) -> Result<PlaceRow> {
    let at: Option<i64> = r.try_get("availability_updated_at")?;
    let by: Option<String> = r.try_get("updated_by_name")?;
    let org: Option<String> = r.try_get("updated_org_name")?;
    Ok(PlaceRow {
        id: r.try_get("id")?,
        org_name: r.try_get("org_name")?,
        occupied,
        updated: at.map(|at| AvailabilityUpdate {
            at,
            by_name: by.unwrap_or_default(),
            org_name: org.unwrap_or_default(),
        }),
        place: NewPlace {
            owner_org_id: r.try_get("owner_org_id")?,
            name: r.try_get("name")?,
            kind: r.try_get("kind")?,
            capacity: r.try_get("capacity")?,
            open_24_7: get_bool(r, "open_24_7")?,
            opening_hours: r.try_get("opening_hours")?,
            accepts_under_18: get_bool(r, "accepts_under_18")?,
            address_line: r.try_get("address_line")?,
            postcode: r.try_get("postcode")?,
            phone: r.try_get("phone")?,
            notes: r.try_get("notes")?,
            synthetic: get_bool(r, "synthetic")?,
        },
    })
}

const EPISODE_COLS: &str = "e.id, e.owner_org_id, e.person_id, e.contact_id, e.officer, e.current_place_id, e.sex, e.ethnicity, e.record, e.version, e.synthetic, e.updated_at, p.given_name, p.family_name, p.owner_org_id AS person_owner_org_id, pl.name AS place_name";
const EPISODE_FROM: &str = "mha_episodes e LEFT JOIN people p ON p.id = e.person_id LEFT JOIN places_of_safety pl ON pl.id = e.current_place_id";

fn episode_from(r: &AnyRow) -> Result<EpisodeRow> {
    let record: String = r.try_get("record")?;
    let episode: Episode =
        serde_json::from_str(&record).map_err(|e| corrupt("episode record", &e.to_string()))?;
    let given: Option<String> = r.try_get("given_name")?;
    let family: Option<String> = r.try_get("family_name")?;
    Ok(EpisodeRow {
        id: r.try_get("id")?,
        version: r.try_get("version")?,
        updated_at: r.try_get("updated_at")?,
        person_name: match (given, family) {
            (Some(g), Some(f)) => Some(format!("{g} {f}")),
            _ => None,
        },
        person_owner_org_id: r.try_get("person_owner_org_id")?,
        place_name: r.try_get("place_name")?,
        new: NewEpisode {
            owner_org_id: r.try_get("owner_org_id")?,
            person_id: r.try_get("person_id")?,
            contact_id: r.try_get("contact_id")?,
            officer: r.try_get("officer")?,
            current_place_id: r.try_get("current_place_id")?,
            sex: r.try_get("sex")?,
            ethnicity: r.try_get("ethnicity")?,
            synthetic: get_bool(r, "synthetic")?,
            episode,
        },
    })
}

fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("serialising: {e}")))
}

impl Tx {
    // ---- contacts ------------------------------------------------------------------------------

    /// Creates a contact owned by `owner_org_id` at version 1 and keeps that version.
    pub async fn contact_create(
        &mut self,
        owner_org_id: i64,
        d: &ContactData,
        saved_by: &str,
    ) -> Result<i64> {
        let now = now_ms();
        let q = self
            .q("INSERT INTO crisis_contacts (owner_org_id, person_id, called_at, arrived_at, source, setting, postcode, neighbourhood, outcome, street_triage, police_minutes, synthetic, created_at, status, version, response_type, agencies, person_description, presenting_needs, physical_health_check, outcomes, conveyance, conveyance_reason, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $16, $17, $18, $19, $20, $21, $22, $13, $23) RETURNING id")
            .bind(owner_org_id)
            .bind(d.person_id)
            .bind(d.called_at)
            .bind(d.arrived_at)
            .bind(d.source.clone())
            .bind(d.setting.clone())
            .bind(d.postcode.clone())
            .bind(d.neighbourhood.clone())
            .bind(d.outcomes.first().cloned().unwrap_or_default())
            .bind(d.street_triage)
            .bind(d.police_minutes)
            .bind(d.synthetic)
            .bind(now)
            .bind(d.status.clone())
            .bind(d.response_type.clone())
            .bind(join(&d.agencies))
            .bind(d.person_description.clone())
            .bind(join(&d.presenting_needs))
            .bind(d.physical_health_check)
            .bind(join(&d.outcomes))
            .bind(d.conveyance.clone())
            .bind(d.conveyance_reason.clone())
            .bind(saved_by.to_string());
        let id: i64 = self.one(q).await?.try_get("id")?;
        self.contact_version_insert(id, 1, d, saved_by, now).await?;
        Ok(id)
    }

    async fn contact_version_insert(
        &mut self,
        id: i64,
        version: i64,
        d: &ContactData,
        saved_by: &str,
        at: i64,
    ) -> Result<()> {
        let q = self
            .q("INSERT INTO crisis_contact_versions (contact_id, version, snapshot, saved_by, saved_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(version)
            .bind(to_json(d)?)
            .bind(saved_by.to_string())
            .bind(at);
        self.exec(q).await?;
        Ok(())
    }

    /// Saves a new version of a contact if nobody changed it since `expected_version`; returns the new version.
    pub async fn contact_update(
        &mut self,
        id: i64,
        expected_version: i64,
        d: &ContactData,
        saved_by: &str,
    ) -> Result<i64> {
        let now = now_ms();
        let q = self
            .q("UPDATE crisis_contacts SET person_id = $1, called_at = $2, arrived_at = $3, source = $4, setting = $5, postcode = $6, neighbourhood = $7, outcome = $8, street_triage = $9, police_minutes = $10, status = $11, response_type = $12, agencies = $13, person_description = $14, presenting_needs = $15, physical_health_check = $16, outcomes = $17, conveyance = $18, conveyance_reason = $19, updated_at = $20, updated_by = $21, version = version + 1 WHERE id = $22 AND version = $23")
            .bind(d.person_id)
            .bind(d.called_at)
            .bind(d.arrived_at)
            .bind(d.source.clone())
            .bind(d.setting.clone())
            .bind(d.postcode.clone())
            .bind(d.neighbourhood.clone())
            .bind(d.outcomes.first().cloned().unwrap_or_default())
            .bind(d.street_triage)
            .bind(d.police_minutes)
            .bind(d.status.clone())
            .bind(d.response_type.clone())
            .bind(join(&d.agencies))
            .bind(d.person_description.clone())
            .bind(join(&d.presenting_needs))
            .bind(d.physical_health_check)
            .bind(join(&d.outcomes))
            .bind(d.conveyance.clone())
            .bind(d.conveyance_reason.clone())
            .bind(now)
            .bind(saved_by.to_string())
            .bind(id)
            .bind(expected_version);
        if self.exec(q).await? == 0 {
            return Err(StoreError::StaleVersion {
                expected: expected_version,
            });
        }
        let version = expected_version + 1;
        self.contact_version_insert(id, version, d, saved_by, now)
            .await?;
        Ok(version)
    }

    pub async fn contact_get(&mut self, id: i64) -> Result<Option<ContactRecord>> {
        let sql = format!("SELECT {CONTACT_COLS} FROM crisis_contacts WHERE id = $1");
        let q = self.q(&sql).bind(id);
        self.opt(q).await?.as_ref().map(contact_from).transpose()
    }

    /// Every saved version of a contact, newest first.
    pub async fn contact_versions(&mut self, id: i64) -> Result<Vec<ContactVersion>> {
        let q = self
            .q("SELECT version, snapshot, saved_by, saved_at FROM crisis_contact_versions WHERE contact_id = $1 ORDER BY version DESC")
            .bind(id);
        let rows = self.all(q).await?;
        rows.iter()
            .map(|r| {
                let s: String = r.try_get("snapshot")?;
                Ok(ContactVersion {
                    version: r.try_get("version")?,
                    saved_by: r.try_get("saved_by")?,
                    saved_at: r.try_get("saved_at")?,
                    data: serde_json::from_str(&s)
                        .map_err(|e| corrupt("contact snapshot", &e.to_string()))?,
                })
            })
            .collect()
    }

    /// The newest contacts of some organisations (drafts first), at most `limit`.
    pub async fn contacts_recent(
        &mut self,
        org_ids: &[i64],
        limit: i64,
    ) -> Result<Vec<ContactRecord>> {
        if org_ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..org_ids.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT {CONTACT_COLS} FROM crisis_contacts WHERE owner_org_id IN ({}) ORDER BY CASE WHEN status = 'draft' THEN 0 ELSE 1 END, called_at DESC, id DESC LIMIT $1",
            marks.join(", ")
        );
        let mut q = self.q(&sql).bind(limit);
        for o in org_ids {
            q = q.bind(*o);
        }
        let rows = self.all(q).await?;
        rows.iter().map(contact_from).collect()
    }

    /// The contacts an organisation may find, newest first (drafts first), at most `limit`: its own, those it
    /// joined as a partner, and the drafts of `joinable_owners` (organisations whose contacts it may join).
    /// The app decides each one with the policy before showing it.
    pub async fn contacts_listed(
        &mut self,
        org_id: i64,
        joinable_owners: &[i64],
        filter: &ContactFilter,
        limit: i64,
    ) -> Result<Vec<ContactListRow>> {
        let cols: Vec<String> = CONTACT_COLS.split(", ").map(|c| format!("c.{c}")).collect();
        let mut marks = 2;
        let mut next = || {
            marks += 1;
            format!("${marks}")
        };
        let joinable: Vec<String> = joinable_owners.iter().map(|_| next()).collect();
        let mut reach = vec![
            "c.owner_org_id = $1".to_string(),
            "EXISTS (SELECT 1 FROM crisis_contact_partners cp WHERE cp.contact_id = c.id AND cp.org_id = $1)".to_string(),
        ];
        if !joinable.is_empty() {
            reach.push(format!(
                "(c.status = '{CONTACT_DRAFT}' AND c.owner_org_id IN ({}))",
                joinable.join(", ")
            ));
        }
        let mut conds = vec![format!("({})", reach.join(" OR "))];
        if filter.called_from.is_some() {
            conds.push(format!("c.called_at >= {}", next()));
        }
        if filter.drafts_only {
            conds.push(format!("c.status = '{CONTACT_DRAFT}'"));
        }
        if filter.saved_by.is_some() {
            conds.push(format!(
                "EXISTS (SELECT 1 FROM crisis_contact_versions v WHERE v.contact_id = c.id AND lower(v.saved_by) = lower({}))",
                next()
            ));
        }
        if filter.person_id.is_some() {
            conds.push(format!("c.person_id = {}", next()));
        }
        let sql = format!(
            "SELECT {}, o.name AS owner_org_name, pe.given_name, pe.family_name, pe.owner_org_id AS person_owner_org_id FROM crisis_contacts c JOIN organisations o ON o.id = c.owner_org_id LEFT JOIN people pe ON pe.id = c.person_id WHERE {} ORDER BY CASE WHEN c.status = '{CONTACT_DRAFT}' THEN 0 ELSE 1 END, c.called_at DESC, c.id DESC LIMIT $2",
            cols.join(", "),
            conds.join(" AND ")
        );
        let mut q = self.q(&sql).bind(org_id).bind(limit);
        for o in joinable_owners {
            q = q.bind(*o);
        }
        if let Some(t) = filter.called_from {
            q = q.bind(t);
        }
        if let Some(u) = &filter.saved_by {
            q = q.bind(u.clone());
        }
        if let Some(p) = filter.person_id {
            q = q.bind(p);
        }
        let rows = self.all(q).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let given: Option<String> = r.try_get("given_name")?;
            let family: Option<String> = r.try_get("family_name")?;
            out.push(ContactListRow {
                record: contact_from(r)?,
                owner_org_name: r.try_get("owner_org_name")?,
                partners: Vec::new(),
                person_name: match (given, family) {
                    (Some(g), Some(f)) => Some(format!("{g} {f}")),
                    _ => None,
                },
                person_owner_org_id: r.try_get("person_owner_org_id")?,
            });
        }
        let ids: Vec<i64> = out.iter().map(|c| c.record.id).collect();
        let partners = self.contact_partners_of(&ids).await?;
        for c in &mut out {
            c.partners = partners
                .iter()
                .filter(|(cid, _, _)| *cid == c.record.id)
                .map(|(_, o, n)| (*o, n.clone()))
                .collect();
        }
        Ok(out)
    }

    /// The partners of some contacts: (contact id, organisation id, organisation name), in joining order.
    pub async fn contact_partners_of(
        &mut self,
        contact_ids: &[i64],
    ) -> Result<Vec<(i64, i64, String)>> {
        if contact_ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=contact_ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT cp.contact_id, cp.org_id, o.name FROM crisis_contact_partners cp JOIN organisations o ON o.id = cp.org_id WHERE cp.contact_id IN ({}) ORDER BY cp.joined_at, cp.org_id",
            marks.join(", ")
        );
        let mut q = self.q(&sql);
        for id in contact_ids {
            q = q.bind(*id);
        }
        let rows = self.all(q).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("contact_id")?,
                    r.try_get("org_id")?,
                    r.try_get("name")?,
                ))
            })
            .collect()
    }

    /// Adds an organisation as a partner on a contact; false when it was one already.
    pub async fn contact_partner_add(
        &mut self,
        contact_id: i64,
        org_id: i64,
        joined_by: Option<i64>,
    ) -> Result<bool> {
        let q = self
            .q("INSERT INTO crisis_contact_partners (contact_id, org_id, joined_by, joined_at) VALUES ($1, $2, $3, $4) ON CONFLICT (contact_id, org_id) DO NOTHING")
            .bind(contact_id)
            .bind(org_id)
            .bind(joined_by)
            .bind(now_ms());
        Ok(self.exec(q).await? > 0)
    }

    // ---- places of safety ----------------------------------------------------------------------

    pub async fn place_insert(&mut self, p: &NewPlace) -> Result<i64> {
        let q = self
            .q("INSERT INTO places_of_safety (owner_org_id, name, kind, capacity, open_24_7, opening_hours, accepts_under_18, address_line, postcode, notes, synthetic, created_at, phone) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id")
            .bind(p.owner_org_id)
            .bind(p.name.clone())
            .bind(p.kind.clone())
            .bind(p.capacity)
            .bind(p.open_24_7)
            .bind(p.opening_hours.clone())
            .bind(p.accepts_under_18)
            .bind(p.address_line.clone())
            .bind(p.postcode.clone())
            .bind(p.notes.clone())
            .bind(p.synthetic)
            .bind(now_ms())
            .bind(p.phone.clone());
        match q.fetch_one(&mut *self.tx).await {
            Ok(row) => Ok(row.try_get("id")?),
            Err(e) => Err(StoreError::conflict_as(e, "place name")),
        }
    }

    /// Every place with the number of open episodes whose person is there now.
    pub async fn places_with_occupancy(&mut self) -> Result<Vec<PlaceRow>> {
        let sql = format!(
            "SELECT {PLACE_COLS}, (SELECT COUNT(*) FROM mha_episodes e WHERE e.current_place_id = p.id AND e.is_open = $1) AS occupied FROM {PLACE_FROM} ORDER BY p.kind, p.name"
        );
        let rows = self.all(self.q(&sql).bind(true)).await?;
        rows.iter()
            .map(|r| place_from(r, r.try_get("occupied")?))
            .collect()
    }

    pub async fn place_get(&mut self, id: i64) -> Result<Option<PlaceRow>> {
        let sql = format!(
            "SELECT {PLACE_COLS}, (SELECT COUNT(*) FROM mha_episodes e WHERE e.current_place_id = p.id AND e.is_open = $1) AS occupied FROM {PLACE_FROM} WHERE p.id = $2"
        );
        let q = self.q(&sql).bind(true).bind(id);
        match self.opt(q).await? {
            Some(r) => Ok(Some(place_from(&r, r.try_get("occupied")?)?)),
            None => Ok(None),
        }
    }

    /// Records that a user at an organisation changed who is at a place (a detention arrived, moved on or ended).
    pub async fn place_availability_touch(
        &mut self,
        place_id: i64,
        user_id: Option<i64>,
        org_id: Option<i64>,
        at_ms: i64,
    ) -> Result<()> {
        let q = self
            .q("UPDATE places_of_safety SET availability_updated_at = $1, availability_updated_by = $2, availability_updated_org = $3 WHERE id = $4")
            .bind(at_ms)
            .bind(user_id)
            .bind(org_id)
            .bind(place_id);
        self.exec(q).await?;
        Ok(())
    }

    // ---- s136/s135 episodes --------------------------------------------------------------------

    pub async fn episode_insert(&mut self, e: &NewEpisode) -> Result<i64> {
        let now = now_ms();
        let ep = &e.episode;
        let q = self
            .q("INSERT INTO mha_episodes (owner_org_id, person_id, contact_id, power, detained_at, officer, is_open, ended_at, current_place_id, sex, ethnicity, record, version, synthetic, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $14, $14) RETURNING id")
            .bind(e.owner_org_id)
            .bind(e.person_id)
            .bind(e.contact_id)
            .bind(ep.power.code())
            .bind(ep.detained_at.timestamp_millis())
            .bind(e.officer.clone())
            .bind(ep.ended_at.is_none())
            .bind(ep.ended_at.map(|t| t.timestamp_millis()))
            .bind(e.current_place_id)
            .bind(e.sex.clone())
            .bind(e.ethnicity.clone())
            .bind(to_json(ep)?)
            .bind(e.synthetic)
            .bind(now);
        Ok(self.one(q).await?.try_get("id")?)
    }

    /// Saves the episode's record if nobody changed it since `expected_version`; returns the new version.
    pub async fn episode_update(
        &mut self,
        id: i64,
        expected_version: i64,
        ep: &Episode,
        current_place_id: Option<i64>,
    ) -> Result<i64> {
        let q = self
            .q("UPDATE mha_episodes SET power = $1, detained_at = $2, is_open = $3, ended_at = $4, current_place_id = $5, record = $6, version = version + 1, updated_at = $7 WHERE id = $8 AND version = $9")
            .bind(ep.power.code())
            .bind(ep.detained_at.timestamp_millis())
            .bind(ep.ended_at.is_none())
            .bind(ep.ended_at.map(|t| t.timestamp_millis()))
            .bind(current_place_id)
            .bind(to_json(ep)?)
            .bind(now_ms())
            .bind(id)
            .bind(expected_version);
        if self.exec(q).await? == 0 {
            return Err(StoreError::StaleVersion {
                expected: expected_version,
            });
        }
        Ok(expected_version + 1)
    }

    pub async fn episode_get(&mut self, id: i64) -> Result<Option<EpisodeRow>> {
        let sql = format!("SELECT {EPISODE_COLS} FROM {EPISODE_FROM} WHERE e.id = $1");
        let q = self.q(&sql).bind(id);
        self.opt(q).await?.as_ref().map(episode_from).transpose()
    }

    /// Open episodes, oldest detention first.
    pub async fn episodes_open(&mut self) -> Result<Vec<EpisodeRow>> {
        let sql = format!(
            "SELECT {EPISODE_COLS} FROM {EPISODE_FROM} WHERE e.is_open = $1 ORDER BY e.detained_at, e.id"
        );
        let rows = self.all(self.q(&sql).bind(true)).await?;
        rows.iter().map(episode_from).collect()
    }

    /// Episodes detained in `[from_ms, to_ms)`, oldest first.
    pub async fn episodes_detained_between(
        &mut self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<EpisodeRow>> {
        let sql = format!(
            "SELECT {EPISODE_COLS} FROM {EPISODE_FROM} WHERE e.detained_at >= $1 AND e.detained_at < $2 ORDER BY e.detained_at, e.id"
        );
        let q = self.q(&sql).bind(from_ms).bind(to_ms);
        let rows = self.all(q).await?;
        rows.iter().map(episode_from).collect()
    }
}
