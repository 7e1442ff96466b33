//! The alliance's members: organisations and individuals with the profile each chose to show.
//! Visibility codes and kinds are checked by the domain (`concordat_domain::alliance`) when read.

use crate::tx::{corrupt, get_bool, now_ms};
use crate::{Result, StoreError, Tx};
use concordat_domain::alliance::{MemberKind, OrgSize, Visibility};
use concordat_domain::model::UserId;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A member as stored. Personal fields are here in full: the app decides which to show.
#[derive(Clone, PartialEq, Eq)]
pub struct AllianceMemberRow {
    pub id: i64,
    pub kind: MemberKind,
    pub name: String,
    pub org_identifier: Option<String>,
    pub org_size: Option<OrgSize>,
    pub user_id: Option<UserId>,
    pub expert_by_experience: bool,
    /// `YYYY-MM-DD`.
    pub joined_on: String,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub offers: Option<String>,
    pub communities: Option<String>,
    pub lived_experience: Option<String>,
    pub contact_visibility: Visibility,
    pub about_visibility: Visibility,
    pub lived_experience_visibility: Visibility,
}

impl std::fmt::Debug for AllianceMemberRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AllianceMemberRow")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A new member: an organisation the coordinator enters, or an individual invited by link
/// (`invitation_id`, linked to the account when the invitation is accepted).
#[derive(Clone, Default)]
pub struct NewAllianceMember {
    pub organisation: bool,
    pub name: String,
    pub org_identifier: Option<String>,
    pub org_size: Option<OrgSize>,
    pub invitation_id: Option<i64>,
    pub user_id: Option<UserId>,
    pub expert_by_experience: bool,
    pub joined_on: String,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub offers: Option<String>,
    pub communities: Option<String>,
    pub contact_visibility: Option<Visibility>,
}

/// What a member changes on their own profile.
#[derive(Clone, Default)]
pub struct ProfileFields {
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub offers: Option<String>,
    pub communities: Option<String>,
    pub lived_experience: Option<String>,
    pub contact_visibility: Option<Visibility>,
    pub about_visibility: Option<Visibility>,
    pub lived_experience_visibility: Option<Visibility>,
}

const COLS: &str = "id, kind, name, org_identifier, org_size, user_id, expert_by_experience, joined_on, contact_name, contact_email, contact_phone, offers, communities, lived_experience, contact_visibility, about_visibility, lived_experience_visibility";

fn vis(row: &AnyRow, col: &str) -> Result<Visibility> {
    let s: String = row.try_get(col)?;
    Visibility::from_code(&s).ok_or_else(|| corrupt("visibility", &s))
}

fn member_from(row: &AnyRow) -> Result<AllianceMemberRow> {
    let kind: String = row.try_get("kind")?;
    let size: Option<String> = row.try_get("org_size")?;
    Ok(AllianceMemberRow {
        id: row.try_get("id")?,
        kind: MemberKind::from_code(&kind).ok_or_else(|| corrupt("member kind", &kind))?,
        name: row.try_get("name")?,
        org_identifier: row.try_get("org_identifier")?,
        org_size: match size {
            None => None,
            Some(s) => Some(OrgSize::from_code(&s).ok_or_else(|| corrupt("org size", &s))?),
        },
        user_id: row.try_get::<Option<i64>, _>("user_id")?.map(UserId),
        expert_by_experience: get_bool(row, "expert_by_experience")?,
        joined_on: row.try_get("joined_on")?,
        contact_name: row.try_get("contact_name")?,
        contact_email: row.try_get("contact_email")?,
        contact_phone: row.try_get("contact_phone")?,
        offers: row.try_get("offers")?,
        communities: row.try_get("communities")?,
        lived_experience: row.try_get("lived_experience")?,
        contact_visibility: vis(row, "contact_visibility")?,
        about_visibility: vis(row, "about_visibility")?,
        lived_experience_visibility: vis(row, "lived_experience_visibility")?,
    })
}

impl Tx {
    /// Adds a member; a taken org-id identifier is a conflict.
    pub async fn alliance_member_insert(&mut self, m: &NewAllianceMember) -> Result<i64> {
        let kind = if m.organisation {
            MemberKind::Organisation
        } else {
            MemberKind::Individual
        };
        let q = self
            .q("INSERT INTO alliance_members (kind, name, org_identifier, org_size, user_id, invitation_id, expert_by_experience, joined_on, contact_name, contact_email, contact_phone, offers, communities, contact_visibility, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id")
            .bind(kind.code())
            .bind(m.name.clone())
            .bind(m.org_identifier.clone())
            .bind(m.org_size.map(OrgSize::code))
            .bind(m.user_id.map(|u| u.0))
            .bind(m.invitation_id)
            .bind(m.expert_by_experience)
            .bind(m.joined_on.clone())
            .bind(m.contact_name.clone())
            .bind(m.contact_email.clone())
            .bind(m.contact_phone.clone())
            .bind(m.offers.clone())
            .bind(m.communities.clone())
            .bind(
                m.contact_visibility
                    .unwrap_or(Visibility::Coordinators)
                    .code(),
            )
            .bind(now_ms());
        match q.fetch_one(&mut *self.tx).await {
            Ok(row) => Ok(row.try_get("id")?),
            Err(e) => Err(StoreError::conflict_as(e, "organisation identifier")),
        }
    }

    /// Every member linked to an account or an organisation (individuals whose invitation is still
    /// open are left out), organisations first, then by name.
    pub async fn alliance_members(&mut self) -> Result<Vec<AllianceMemberRow>> {
        let q = self.q(&format!(
            "SELECT {COLS} FROM alliance_members WHERE kind = 'organisation' OR user_id IS NOT NULL ORDER BY kind DESC, name, id"
        ));
        self.all(q).await?.iter().map(member_from).collect()
    }

    pub async fn alliance_member(&mut self, id: i64) -> Result<Option<AllianceMemberRow>> {
        let q = self
            .q(&format!(
                "SELECT {COLS} FROM alliance_members WHERE id = $1"
            ))
            .bind(id);
        self.opt(q).await?.as_ref().map(member_from).transpose()
    }

    /// The member whose account is `user`, if any.
    pub async fn alliance_member_of_user(
        &mut self,
        user: UserId,
    ) -> Result<Option<AllianceMemberRow>> {
        let q = self
            .q(&format!(
                "SELECT {COLS} FROM alliance_members WHERE user_id = $1"
            ))
            .bind(user.0);
        self.opt(q).await?.as_ref().map(member_from).transpose()
    }

    /// Links the member invited by `invitation_id` to the account that accepted it, joining on
    /// `joined_on`; false when the invitation was not an alliance one.
    pub async fn alliance_member_accept(
        &mut self,
        invitation_id: i64,
        user: UserId,
        joined_on: &str,
    ) -> Result<bool> {
        let q = self
            .q("UPDATE alliance_members SET user_id = $1, joined_on = $2 WHERE invitation_id = $3 AND user_id IS NULL")
            .bind(user.0)
            .bind(joined_on.to_string())
            .bind(invitation_id);
        Ok(self.exec(q).await? == 1)
    }

    /// Changes a member's own profile; false if there is no such member.
    pub async fn alliance_profile_update(&mut self, id: i64, p: &ProfileFields) -> Result<bool> {
        let v = |x: Option<Visibility>, d: Visibility| x.unwrap_or(d).code();
        let q = self
            .q("UPDATE alliance_members SET contact_email = $1, contact_phone = $2, offers = $3, communities = $4, lived_experience = $5, contact_visibility = $6, about_visibility = $7, lived_experience_visibility = $8 WHERE id = $9")
            .bind(p.contact_email.clone())
            .bind(p.contact_phone.clone())
            .bind(p.offers.clone())
            .bind(p.communities.clone())
            .bind(p.lived_experience.clone())
            .bind(v(p.contact_visibility, Visibility::Coordinators))
            .bind(v(p.about_visibility, Visibility::Alliance))
            .bind(v(p.lived_experience_visibility, Visibility::OnlyMe))
            .bind(id);
        Ok(self.exec(q).await? == 1)
    }
}
