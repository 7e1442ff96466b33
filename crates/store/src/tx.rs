//! A transaction and every query Concordat runs. Each method is one statement or a short, fixed sequence.

use crate::backend::dialect;
use crate::records::*;
use crate::{Backend, Result, StoreError};
use concordat_domain::audit::{AuditDraft, AuditEvent, AuditOutcome};
use concordat_domain::model::*;
use concordat_domain::text::search_key;
use concordat_domain::{DataCategory, LegalBasis, NhsNumber, OrgKind, Postcode, Role};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, AssertSqlSafe, Row};

pub(crate) type Query = sqlx::query::Query<'static, Any, AnyArguments>;

/// A database transaction. Dropping it without [`Tx::commit`] rolls everything back.
pub struct Tx {
    pub(crate) tx: sqlx::Transaction<'static, Any>,
    pub(crate) backend: Backend,
    /// A SQLite writer's turn ([`crate::Store::begin`]), released when the transaction ends (after its commit or drop).
    pub(crate) _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

pub(crate) fn get_bool(row: &AnyRow, col: &str) -> Result<bool> {
    // SQLite has no boolean type: flags come back as integers there and as booleans from PostgreSQL.
    match row.try_get::<bool, _>(col) {
        Ok(b) => Ok(b),
        Err(_) => Ok(row.try_get::<i64, _>(col)? != 0),
    }
}

pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {value:?}"))
}

pub(crate) fn parse_role(s: &str) -> Result<Role> {
    Role::from_code(s).ok_or_else(|| corrupt("role", s))
}

pub(crate) fn parse_kind(s: &str) -> Result<OrgKind> {
    OrgKind::from_code(s).ok_or_else(|| corrupt("organisation kind", s))
}

pub(crate) fn parse_date(s: &str) -> Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| corrupt("date", s))
}

pub(crate) const PERSON_COLS: &str = "id, owner_org_id, given_name, family_name, date_of_birth, nhs_number, sex, postcode, address_line, phone, email, synthetic, version";
pub(crate) const AUDIT_COLS: &str = "seq, at, user_id, username, role, org_id, action, outcome, person_id, resource_kind, resource_id, reason, legal_basis, break_glass, request_id, prev_hash, hash";

pub(crate) fn person_from(row: &AnyRow) -> Result<Person> {
    let dob: Option<String> = row.try_get("date_of_birth")?;
    let nhs: Option<String> = row.try_get("nhs_number")?;
    let pc: Option<String> = row.try_get("postcode")?;
    Ok(Person {
        id: PersonId(row.try_get("id")?),
        owner_org_id: OrgId(row.try_get("owner_org_id")?),
        given_name: row.try_get("given_name")?,
        family_name: row.try_get("family_name")?,
        date_of_birth: dob.as_deref().map(parse_date).transpose()?,
        nhs_number: nhs
            .as_deref()
            .map(|s| NhsNumber::parse(s).map_err(|_| corrupt("NHS number", "***")))
            .transpose()?,
        sex: row.try_get("sex")?,
        postcode: pc
            .as_deref()
            .map(|s| Postcode::parse(s).map_err(|_| corrupt("postcode", s)))
            .transpose()?,
        address_line: row.try_get("address_line")?,
        phone: row.try_get("phone")?,
        email: row.try_get("email")?,
        synthetic: get_bool(row, "synthetic")?,
        version: row.try_get("version")?,
    })
}

pub(crate) fn audit_from(row: &AnyRow) -> Result<AuditEvent> {
    let outcome: String = row.try_get("outcome")?;
    Ok(AuditEvent {
        seq: row.try_get("seq")?,
        draft: AuditDraft {
            at: row.try_get("at")?,
            user_id: row.try_get("user_id")?,
            username: row.try_get("username")?,
            role: row.try_get("role")?,
            org_id: row.try_get("org_id")?,
            action: row.try_get("action")?,
            outcome: AuditOutcome::from_code(&outcome)
                .ok_or_else(|| corrupt("audit outcome", &outcome))?,
            person_id: row.try_get("person_id")?,
            resource_kind: row.try_get("resource_kind")?,
            resource_id: row.try_get("resource_id")?,
            reason: row.try_get("reason")?,
            legal_basis: row.try_get("legal_basis")?,
            break_glass: get_bool(row, "break_glass")?,
            request_id: row.try_get("request_id")?,
        },
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

pub(crate) fn user_from(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: UserId(row.try_get("id")?),
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        totp_enabled: get_bool(row, "totp_enabled")?,
        mfa_demo_exempt: get_bool(row, "mfa_demo_exempt")?,
        disabled: get_bool(row, "disabled")?,
    })
}

const SESSION_COLS: &str = "token_hash, kind, user_id, membership_id, csrf_token, mfa_passed, created_at, last_seen_at, expires_at, revoked";

fn session_from(r: &AnyRow) -> Result<SessionRow> {
    Ok(SessionRow {
        token_hash: r.try_get("token_hash")?,
        kind: r.try_get("kind")?,
        user_id: UserId(r.try_get("user_id")?),
        membership_id: r
            .try_get::<Option<i64>, _>("membership_id")?
            .map(MembershipId),
        csrf_token: r.try_get("csrf_token")?,
        mfa_passed: get_bool(r, "mfa_passed")?,
        created_at: r.try_get("created_at")?,
        last_seen_at: r.try_get("last_seen_at")?,
        expires_at: r.try_get("expires_at")?,
        revoked: get_bool(r, "revoked")?,
    })
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Binds an audit draft's fields in the order of [`AUDIT_COLS`] after `seq`, up to `request_id`.
fn bind_draft(q: Query, draft: &AuditDraft) -> Query {
    q.bind(draft.at)
        .bind(draft.user_id)
        .bind(draft.username.clone())
        .bind(draft.role.clone())
        .bind(draft.org_id)
        .bind(draft.action.clone())
        .bind(draft.outcome.code())
        .bind(draft.person_id)
        .bind(draft.resource_kind.clone())
        .bind(draft.resource_id.clone())
        .bind(draft.reason.clone())
        .bind(draft.legal_basis.clone())
        .bind(draft.break_glass)
        .bind(draft.request_id.clone())
}

/// A sharing agreement from its stored columns (`until` empty or absent: no end date).
#[allow(clippy::too_many_arguments)]
pub(crate) fn agreement_from(
    id: i64,
    from: i64,
    to: i64,
    cats: &str,
    basis: &str,
    review: &str,
    status: &str,
    in_force_from: &str,
    until: Option<&str>,
) -> Result<SharingAgreement> {
    Ok(SharingAgreement {
        id,
        from_org_id: OrgId(from),
        to_org_id: OrgId(to),
        categories: cats
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|c| DataCategory::from_code(c).ok_or_else(|| corrupt("data category", c)))
            .collect::<Result<_>>()?,
        legal_basis: LegalBasis::from_code(basis).ok_or_else(|| corrupt("legal basis", basis))?,
        review_date: parse_date(review)?,
        status: AgreementStatus::from_code(status)
            .ok_or_else(|| corrupt("agreement status", status))?,
        in_force_from: parse_date(in_force_from)?,
        in_force_until: until
            .filter(|u| !u.is_empty())
            .map(parse_date)
            .transpose()?,
    })
}

/// The columns [`agreement_from_row`] reads.
pub(crate) const AGREEMENT_COLS: &str = "id, from_org_id, to_org_id, categories, legal_basis, review_date, status, in_force_from, in_force_until";

/// A sharing agreement from a row with [`AGREEMENT_COLS`].
pub(crate) fn agreement_from_row(r: &AnyRow) -> Result<SharingAgreement> {
    agreement_from(
        r.try_get("id")?,
        r.try_get("from_org_id")?,
        r.try_get("to_org_id")?,
        &r.try_get::<String, _>("categories")?,
        &r.try_get::<String, _>("legal_basis")?,
        &r.try_get::<String, _>("review_date")?,
        &r.try_get::<String, _>("status")?,
        &r.try_get::<String, _>("in_force_from")?,
        r.try_get::<Option<String>, _>("in_force_until")?.as_deref(),
    )
}

/// The statement of [`Tx::session_resolve`].
pub(crate) fn session_resolve_query(backend: Backend, token_hash: &str) -> Query {
    let session_cols = SESSION_COLS
        .split(", ")
        .map(|c| format!("s.{c} AS {c}"))
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::query(AssertSqlSafe(
        dialect(
            backend,
            &format!(
                "SELECT {session_cols}, u.id AS id, u.username AS username, u.display_name AS display_name, \
                 u.totp_enabled AS totp_enabled, u.mfa_demo_exempt AS mfa_demo_exempt, u.disabled AS disabled, \
                 m.id AS m_id, m.org_id AS m_org_id, m.role AS m_role, o.name AS m_org_name, o.kind AS m_org_kind, \
                 o.active AS m_org_active \
                 FROM sessions s JOIN users u ON u.id = s.user_id \
                 LEFT JOIN memberships m ON m.user_id = u.id \
                 LEFT JOIN organisations o ON o.id = m.org_id \
                 WHERE s.token_hash = $1 ORDER BY m.id"
            ),
        )
        .into_owned(),
    ))
    .bind(token_hash.to_string())
}

/// Session, user and the memberships in active organisations, from the rows of [`session_resolve_query`].
pub(crate) fn session_resolve_rows(
    rows: &[AnyRow],
) -> Result<Option<(SessionRow, User, Vec<Membership>)>> {
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let user = user_from(first)?;
    let mut memberships = Vec::new();
    for r in rows {
        let Some(id) = r.try_get::<Option<i64>, _>("m_id")? else {
            continue;
        };
        // A deactivated organisation's memberships are not usable (docs/roles.md).
        if !get_bool(r, "m_org_active")? {
            continue;
        }
        let role: String = r.try_get("m_role")?;
        let kind: String = r.try_get("m_org_kind")?;
        memberships.push(Membership {
            id: MembershipId(id),
            user_id: user.id,
            org_id: OrgId(r.try_get("m_org_id")?),
            org_name: r.try_get("m_org_name")?,
            org_kind: parse_kind(&kind)?,
            role: parse_role(&role)?,
        });
    }
    Ok(Some((session_from(first)?, user, memberships)))
}

impl Tx {
    pub(crate) fn q(&self, sql: &str) -> Query {
        sqlx::query(AssertSqlSafe(dialect(self.backend, sql).into_owned()))
    }

    pub(crate) async fn one(&mut self, q: Query) -> Result<AnyRow> {
        Ok(q.fetch_one(&mut *self.tx).await?)
    }

    pub(crate) async fn opt(&mut self, q: Query) -> Result<Option<AnyRow>> {
        Ok(q.fetch_optional(&mut *self.tx).await?)
    }

    pub(crate) async fn all(&mut self, q: Query) -> Result<Vec<AnyRow>> {
        Ok(q.fetch_all(&mut *self.tx).await?)
    }

    pub(crate) async fn exec(&mut self, q: Query) -> Result<u64> {
        Ok(q.execute(&mut *self.tx).await?.rows_affected())
    }

    /// Commits everything done in this transaction, audit events included.
    pub async fn commit(self) -> Result<()> {
        Ok(self.tx.commit().await?)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    // ---- organisations -------------------------------------------------------------------------

    pub async fn org_insert(
        &mut self,
        name: &str,
        kind: OrgKind,
        ods_code: Option<&str>,
        org_identifier: Option<&str>,
    ) -> Result<OrgId> {
        let q = self
            .q("INSERT INTO organisations (name, kind, ods_code, org_identifier, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(name.to_string())
            .bind(kind.code())
            .bind(ods_code.map(str::to_string))
            .bind(org_identifier.map(str::to_string))
            .bind(now_ms());
        match q.fetch_one(&mut *self.tx).await {
            Ok(row) => Ok(OrgId(row.try_get("id")?)),
            Err(e) => Err(StoreError::conflict_as(e, "organisation name")),
        }
    }

    fn org_from(row: &AnyRow) -> Result<Organisation> {
        let kind: String = row.try_get("kind")?;
        Ok(Organisation {
            id: OrgId(row.try_get("id")?),
            name: row.try_get("name")?,
            kind: parse_kind(&kind)?,
            ods_code: row.try_get("ods_code")?,
            org_identifier: row.try_get("org_identifier")?,
        })
    }

    pub async fn org_list(&mut self) -> Result<Vec<Organisation>> {
        let rows = self
            .all(self.q(
                "SELECT id, name, kind, ods_code, org_identifier FROM organisations ORDER BY name",
            ))
            .await?;
        rows.iter().map(Self::org_from).collect()
    }

    pub async fn org_get(&mut self, id: OrgId) -> Result<Option<Organisation>> {
        let q = self
            .q("SELECT id, name, kind, ods_code, org_identifier FROM organisations WHERE id = $1")
            .bind(id.0);
        self.opt(q).await?.as_ref().map(Self::org_from).transpose()
    }

    pub async fn org_by_name(&mut self, name: &str) -> Result<Option<Organisation>> {
        let q = self
            .q("SELECT id, name, kind, ods_code, org_identifier FROM organisations WHERE lower(name) = lower($1)")
            .bind(name.to_string());
        self.opt(q).await?.as_ref().map(Self::org_from).transpose()
    }

    // ---- users and memberships -----------------------------------------------------------------

    pub async fn user_insert(
        &mut self,
        username: &str,
        display_name: &str,
        password_hash: &str,
        mfa_demo_exempt: bool,
    ) -> Result<UserId> {
        let q = self
            .q("INSERT INTO users (username, display_name, password_hash, mfa_demo_exempt, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(username.to_string())
            .bind(display_name.to_string())
            .bind(password_hash.to_string())
            .bind(mfa_demo_exempt)
            .bind(now_ms());
        match q.fetch_one(&mut *self.tx).await {
            Ok(row) => Ok(UserId(row.try_get("id")?)),
            Err(e) => Err(StoreError::conflict_as(e, "username")),
        }
    }

    pub async fn user_get(&mut self, id: UserId) -> Result<Option<User>> {
        let q = self
            .q("SELECT id, username, display_name, totp_enabled, mfa_demo_exempt, disabled FROM users WHERE id = $1")
            .bind(id.0);
        self.opt(q).await?.as_ref().map(user_from).transpose()
    }

    pub async fn user_list(&mut self) -> Result<Vec<User>> {
        let q = self.q("SELECT id, username, display_name, totp_enabled, mfa_demo_exempt, disabled FROM users ORDER BY username");
        self.all(q).await?.iter().map(user_from).collect()
    }

    /// Looks a user up by username, ignoring ASCII case (usernames are ASCII; a unique index on
    /// `lower(username)` keeps the folded form unique).
    pub async fn user_credentials(&mut self, username: &str) -> Result<Option<UserCredentials>> {
        let q = self
            .q("SELECT id, username, display_name, totp_enabled, mfa_demo_exempt, disabled, password_hash, totp_secret, recovery_codes, totp_last_step FROM users WHERE lower(username) = lower($1)")
            .bind(username.to_string());
        let Some(row) = self.opt(q).await? else {
            return Ok(None);
        };
        let codes: String = row.try_get("recovery_codes")?;
        Ok(Some(UserCredentials {
            user: user_from(&row)?,
            password_hash: row.try_get("password_hash")?,
            totp_secret: row.try_get("totp_secret")?,
            totp_last_step: row.try_get("totp_last_step")?,
            recovery_code_hashes: codes
                .split('\n')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        }))
    }

    pub async fn user_credentials_by_id(&mut self, id: UserId) -> Result<Option<UserCredentials>> {
        let Some(user) = self.user_get(id).await? else {
            return Ok(None);
        };
        self.user_credentials(&user.username).await
    }

    /// Stores a TOTP secret (pending until `enabled`) and the hashes of recovery codes.
    pub async fn user_set_totp(
        &mut self,
        id: UserId,
        secret: Option<&str>,
        enabled: bool,
        recovery_code_hashes: &[String],
    ) -> Result<()> {
        let q = self
            .q("UPDATE users SET totp_secret = $1, totp_enabled = $2, recovery_codes = $3 WHERE id = $4")
            .bind(secret.map(str::to_string))
            .bind(enabled)
            .bind(recovery_code_hashes.join("\n"))
            .bind(id.0);
        self.exec(q).await?;
        Ok(())
    }

    /// Records that a TOTP code for `step` was accepted, only if `step` is newer than the last one
    /// accepted (RFC 6238 §5.2: a code is used at most once). Optionally rewrites the stored secret
    /// (to re-encrypt a secret stored in the clear). Returns false, changing nothing, for a replay.
    pub async fn user_totp_accept(
        &mut self,
        id: UserId,
        step: i64,
        rewrite_secret: Option<&str>,
    ) -> Result<bool> {
        let q = self
            .q("UPDATE users SET totp_last_step = $1, totp_secret = COALESCE($2, totp_secret) WHERE id = $3 AND totp_last_step < $1")
            .bind(step)
            .bind(rewrite_secret.map(str::to_string))
            .bind(id.0);
        Ok(self.exec(q).await? > 0)
    }

    /// Groups of usernames that differ only in case, described as `a (id 1), A (id 2)`.
    pub async fn usernames_clashing(&mut self) -> Result<Vec<String>> {
        let q = self.q("SELECT id, username, lower(username) AS folded FROM users WHERE lower(username) IN (SELECT lower(username) FROM users GROUP BY lower(username) HAVING COUNT(*) > 1) ORDER BY lower(username), id");
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for row in self.all(q).await? {
            let folded: String = row.try_get("folded")?;
            let name: String = row.try_get("username")?;
            let id: i64 = row.try_get("id")?;
            let entry = format!("{name} (id {id})");
            match groups.last_mut() {
                Some((f, v)) if *f == folded => v.push(entry),
                _ => groups.push((folded, vec![entry])),
            }
        }
        Ok(groups.into_iter().map(|(_, v)| v.join(", ")).collect())
    }

    pub async fn user_set_password(&mut self, id: UserId, hash: &str) -> Result<()> {
        let q = self
            .q("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash.to_string())
            .bind(id.0);
        self.exec(q).await?;
        Ok(())
    }

    pub async fn membership_insert(
        &mut self,
        user: UserId,
        org: OrgId,
        role: Role,
    ) -> Result<MembershipId> {
        let q = self
            .q("INSERT INTO memberships (user_id, org_id, role) VALUES ($1, $2, $3) RETURNING id")
            .bind(user.0)
            .bind(org.0)
            .bind(role.code());
        match q.fetch_one(&mut *self.tx).await {
            Ok(row) => Ok(MembershipId(row.try_get("id")?)),
            Err(e) => Err(StoreError::conflict_as(e, "membership")),
        }
    }

    /// Every membership of a user, deactivated organisations' included (what administrators see).
    pub async fn memberships_for_user(&mut self, user: UserId) -> Result<Vec<Membership>> {
        let (active, deactivated) = self.memberships_for_user_split(user).await?;
        let mut all = active;
        all.extend(deactivated);
        all.sort_by_key(|m| m.id.0);
        Ok(all)
    }

    /// A user's memberships: those in active organisations (usable), then those in deactivated ones.
    pub async fn memberships_for_user_split(
        &mut self,
        user: UserId,
    ) -> Result<(Vec<Membership>, Vec<Membership>)> {
        let q = self
            .q("SELECT m.id, m.user_id, m.org_id, m.role, o.name AS org_name, o.kind AS org_kind, o.active AS org_active FROM memberships m JOIN organisations o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY m.id")
            .bind(user.0);
        let rows = self.all(q).await?;
        let (mut active, mut deactivated) = (Vec::new(), Vec::new());
        for r in &rows {
            let role: String = r.try_get("role")?;
            let kind: String = r.try_get("org_kind")?;
            let m = Membership {
                id: MembershipId(r.try_get("id")?),
                user_id: UserId(r.try_get("user_id")?),
                org_id: OrgId(r.try_get("org_id")?),
                org_name: r.try_get("org_name")?,
                org_kind: parse_kind(&kind)?,
                role: parse_role(&role)?,
            };
            if get_bool(r, "org_active")? {
                active.push(m);
            } else {
                deactivated.push(m);
            }
        }
        Ok((active, deactivated))
    }

    // ---- sharing agreements --------------------------------------------------------------------

    /// Records an agreement as agreed outside Concordat (`agreed_how = 'recorded'`), in force from today
    /// with no end date: what `concordat agreement add` records. Drafts go through
    /// [`Tx::agreement_create`].
    pub async fn agreement_insert(
        &mut self,
        from: OrgId,
        to: OrgId,
        categories: &[DataCategory],
        legal_basis: LegalBasis,
        review_date: chrono::NaiveDate,
    ) -> Result<i64> {
        let cats: Vec<&str> = categories.iter().map(|c| c.code()).collect();
        let q = self
            .q("INSERT INTO sharing_agreements (from_org_id, to_org_id, categories, legal_basis, review_date, created_at, status, agreed_how, in_force_from) VALUES ($1, $2, $3, $4, $5, $6, 'agreed', 'recorded', $7) RETURNING id")
            .bind(from.0)
            .bind(to.0)
            .bind(cats.join(","))
            .bind(legal_basis.code())
            .bind(review_date.format("%Y-%m-%d").to_string())
            .bind(now_ms())
            .bind(chrono::Utc::now().date_naive().format("%Y-%m-%d").to_string());
        Ok(self.one(q).await?.try_get("id")?)
    }

    /// Agreements under which data flows to `to` (from anyone), or all agreements when `to` is `None`,
    /// whatever their status: the policy decides which are in force.
    pub async fn agreements(&mut self, to: Option<OrgId>) -> Result<Vec<SharingAgreement>> {
        let q = match to {
            Some(t) => self
                .q(&format!("SELECT {AGREEMENT_COLS} FROM sharing_agreements WHERE to_org_id = $1 ORDER BY id"))
                .bind(t.0),
            None => self.q(&format!("SELECT {AGREEMENT_COLS} FROM sharing_agreements ORDER BY id")),
        };
        let rows = self.all(q).await?;
        rows.iter().map(agreement_from_row).collect()
    }

    // ---- people --------------------------------------------------------------------------------

    pub async fn person_insert(&mut self, p: &NewPerson) -> Result<PersonId> {
        let now = now_ms();
        let q = self
            .q("INSERT INTO people (owner_org_id, given_name, family_name, date_of_birth, nhs_number, sex, postcode, address_line, phone, email, synthetic, version, created_at, updated_at, family_name_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $12, $13) RETURNING id")
            .bind(p.owner_org_id.0)
            .bind(p.given_name.clone())
            .bind(p.family_name.clone())
            .bind(p.date_of_birth.map(|d| d.format("%Y-%m-%d").to_string()))
            .bind(p.nhs_number.map(|n| n.digits()))
            .bind(p.sex.clone())
            .bind(p.postcode.as_ref().map(|p| p.to_string()))
            .bind(p.address_line.clone())
            .bind(p.phone.clone())
            .bind(p.email.clone())
            .bind(p.synthetic)
            .bind(now)
            .bind(search_key(&p.family_name));
        Ok(PersonId(self.one(q).await?.try_get("id")?))
    }

    /// Updates a person if nobody changed them since `expected_version`; returns the new version.
    pub async fn person_update(
        &mut self,
        id: PersonId,
        p: &NewPerson,
        expected_version: i64,
    ) -> Result<i64> {
        let q = self
            .q("UPDATE people SET given_name = $1, family_name = $2, date_of_birth = $3, nhs_number = $4, sex = $5, postcode = $6, address_line = $7, phone = $8, email = $9, version = version + 1, updated_at = $10, family_name_key = $13 WHERE id = $11 AND version = $12")
            .bind(p.given_name.clone())
            .bind(p.family_name.clone())
            .bind(p.date_of_birth.map(|d| d.format("%Y-%m-%d").to_string()))
            .bind(p.nhs_number.map(|n| n.digits()))
            .bind(p.sex.clone())
            .bind(p.postcode.as_ref().map(|p| p.to_string()))
            .bind(p.address_line.clone())
            .bind(p.phone.clone())
            .bind(p.email.clone())
            .bind(now_ms())
            .bind(id.0)
            .bind(expected_version)
            .bind(search_key(&p.family_name));
        if self.exec(q).await? == 0 {
            return Err(StoreError::StaleVersion {
                expected: expected_version,
            });
        }
        Ok(expected_version + 1)
    }

    /// Keeps a person's identity as it is now (`p.version`) before a save replaces it, with who saved
    /// the change and when (`person_versions` is append-only). Call it in the save's transaction.
    pub async fn person_version_insert(&mut self, p: &Person, saved_by: &str) -> Result<()> {
        let q = self
            .q("INSERT INTO person_versions (person_id, version, given_name, family_name, date_of_birth, nhs_number, postcode, saved_by, saved_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(p.id.0)
            .bind(p.version)
            .bind(p.given_name.clone())
            .bind(p.family_name.clone())
            .bind(p.date_of_birth.map(|d| d.format("%Y-%m-%d").to_string()))
            .bind(p.nhs_number.map(|n| n.digits()))
            .bind(p.postcode.as_ref().map(|p| p.to_string()))
            .bind(saved_by.to_string())
            .bind(now_ms());
        self.exec(q).await?;
        Ok(())
    }

    /// A person's earlier identities, newest first: each as it was at its version, with who replaced it and when.
    pub async fn person_versions(&mut self, id: PersonId) -> Result<Vec<PersonVersion>> {
        let q = self
            .q("SELECT version, given_name, family_name, date_of_birth, nhs_number, postcode, saved_by, saved_at FROM person_versions WHERE person_id = $1 ORDER BY version DESC")
            .bind(id.0);
        self.all(q)
            .await?
            .iter()
            .map(|r| {
                let dob: Option<String> = r.try_get("date_of_birth")?;
                Ok(PersonVersion {
                    version: r.try_get("version")?,
                    given_name: r.try_get("given_name")?,
                    family_name: r.try_get("family_name")?,
                    date_of_birth: dob.as_deref().map(parse_date).transpose()?,
                    nhs_number: r.try_get("nhs_number")?,
                    postcode: r.try_get("postcode")?,
                    saved_by: r.try_get("saved_by")?,
                    saved_at: r.try_get("saved_at")?,
                })
            })
            .collect()
    }

    pub async fn person_get(&mut self, id: PersonId) -> Result<Option<Person>> {
        let q = self
            .q(&format!("SELECT {PERSON_COLS} FROM people WHERE id = $1"))
            .bind(id.0);
        self.opt(q).await?.as_ref().map(person_from).transpose()
    }

    /// The organisation that owns a person's record: what the policy needs before any personal data is read.
    pub async fn person_owner(&mut self, id: PersonId) -> Result<Option<OrgId>> {
        let q = self
            .q("SELECT owner_org_id FROM people WHERE id = $1")
            .bind(id.0);
        Ok(self
            .opt(q)
            .await?
            .map(|r| r.try_get("owner_org_id").map(OrgId))
            .transpose()?)
    }

    /// People matching `query`, whoever holds their record (for tests and tools; the app searches with
    /// [`Tx::people_search_in`], so that people the caller may not see never take up the limit).
    pub async fn people_search(&mut self, query: &PersonQuery, limit: i64) -> Result<Vec<Person>> {
        self.people_search_in(query, None, limit, 0).await
    }

    /// People matching `query` whose record is held by one of `owners` (all owners when `None`), at most
    /// `limit`, skipping the first `offset` (to page on). A family name matches on its folded key ([`search_key`]: Unicode NFC and lower case),
    /// so "ødegård" finds "Ødegård" on both backends.
    pub async fn people_search_in(
        &mut self,
        query: &PersonQuery,
        owners: Option<&[OrgId]>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Person>> {
        // Owners are bound after the query's own parameters ($1.. as below), one placeholder each.
        let first = match query {
            PersonQuery::NhsNumber(_) | PersonQuery::Postcode(_) => 2,
            PersonQuery::NameDob { .. } => 3,
        };
        let owner_filter = match owners {
            None => String::new(),
            Some([]) => return Ok(Vec::new()),
            Some(list) => format!(
                " AND owner_org_id IN ({})",
                (0..list.len())
                    .map(|i| format!("${}", first + i))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let n = first + owners.map_or(0, <[OrgId]>::len);
        let lim = format!("${n} OFFSET ${}", n + 1);
        let mut q = match query {
            PersonQuery::NhsNumber(n) => self
                .q(&format!("SELECT {PERSON_COLS} FROM people WHERE nhs_number = $1{owner_filter} ORDER BY id LIMIT {lim}"))
                .bind(n.digits()),
            PersonQuery::NameDob { family_name, date_of_birth } => self
                .q(&format!("SELECT {PERSON_COLS} FROM people WHERE family_name_key = $1 AND date_of_birth = $2{owner_filter} ORDER BY id LIMIT {lim}"))
                .bind(search_key(family_name))
                .bind(date_of_birth.format("%Y-%m-%d").to_string()),
            PersonQuery::Postcode(p) => self
                .q(&format!("SELECT {PERSON_COLS} FROM people WHERE postcode = $1{owner_filter} ORDER BY family_name, given_name, id LIMIT {lim}"))
                .bind(p.to_string()),
        };
        for o in owners.unwrap_or(&[]) {
            q = q.bind(o.0);
        }
        q = q.bind(limit).bind(offset);
        self.all(q).await?.iter().map(person_from).collect()
    }

    /// Fills the folded family-name key of every person who has none (rows written before migration
    /// 0006); run by the migration runner in that migration's transaction. Returns the rows filled.
    pub(crate) async fn people_backfill_name_keys(&mut self) -> Result<u64> {
        let rows = self
            .all(self.q("SELECT id, family_name FROM people WHERE family_name_key IS NULL"))
            .await?;
        let mut n = 0;
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let name: String = r.try_get("family_name")?;
            let q = self
                .q("UPDATE people SET family_name_key = $1 WHERE id = $2")
                .bind(search_key(&name))
                .bind(id);
            n += self.exec(q).await?;
        }
        Ok(n)
    }

    pub async fn people_count(&mut self) -> Result<i64> {
        Ok(self
            .one(self.q("SELECT COUNT(*) AS n FROM people"))
            .await?
            .try_get("n")?)
    }

    // ---- neighbourhoods and contacts -----------------------------------------------------------

    pub async fn neighbourhood_insert(&mut self, n: &Neighbourhood) -> Result<()> {
        let q = self
            .q("INSERT INTO neighbourhoods (code, name, postcode_district, grid_x, grid_y, population) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(n.code.clone())
            .bind(n.name.clone())
            .bind(n.postcode_district.clone())
            .bind(n.grid_x)
            .bind(n.grid_y)
            .bind(n.population);
        self.exec(q).await?;
        Ok(())
    }

    pub async fn neighbourhoods(&mut self) -> Result<Vec<Neighbourhood>> {
        let rows = self.all(self.q("SELECT code, name, postcode_district, grid_x, grid_y, population FROM neighbourhoods ORDER BY code")).await?;
        rows.iter()
            .map(|r| {
                Ok(Neighbourhood {
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    postcode_district: r.try_get("postcode_district")?,
                    grid_x: r.try_get("grid_x")?,
                    grid_y: r.try_get("grid_y")?,
                    population: r.try_get("population")?,
                })
            })
            .collect()
    }

    pub async fn contact_insert(&mut self, c: &NewContact) -> Result<i64> {
        let q = self
            .q("INSERT INTO crisis_contacts (owner_org_id, person_id, called_at, arrived_at, source, setting, postcode, neighbourhood, grid_x, grid_y, outcome, street_triage, police_minutes, synthetic, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id")
            .bind(c.owner_org_id)
            .bind(c.person_id)
            .bind(c.called_at)
            .bind(c.arrived_at)
            .bind(c.source.clone())
            .bind(c.setting.clone())
            .bind(c.postcode.clone())
            .bind(c.neighbourhood.clone())
            .bind(c.grid_x)
            .bind(c.grid_y)
            .bind(c.outcome.clone())
            .bind(c.street_triage)
            .bind(c.police_minutes)
            .bind(c.synthetic)
            .bind(now_ms());
        Ok(self.one(q).await?.try_get("id")?)
    }

    /// The latest contact's call time (ms), if any.
    pub async fn contacts_latest(&mut self) -> Result<Option<i64>> {
        let r = self
            .one(self.q("SELECT MAX(called_at) AS t FROM crisis_contacts"))
            .await?;
        Ok(r.try_get("t")?)
    }

    /// Call times (ms) and neighbourhood codes of contacts since `since_ms`, oldest first: the input of demand forecasts.
    /// No person is identified.
    pub async fn contact_times(&mut self, since_ms: i64) -> Result<Vec<(i64, Option<String>)>> {
        let q = self
            .q("SELECT called_at, neighbourhood FROM crisis_contacts WHERE called_at >= $1 ORDER BY called_at")
            .bind(since_ms);
        self.all(q)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("called_at")?, r.try_get("neighbourhood")?)))
            .collect()
    }

    pub async fn contacts_count(&mut self) -> Result<i64> {
        Ok(self
            .one(self.q("SELECT COUNT(*) AS n FROM crisis_contacts"))
            .await?
            .try_get("n")?)
    }

    // ---- sessions and sign-in throttling -------------------------------------------------------

    pub async fn session_insert(&mut self, s: &SessionRow) -> Result<()> {
        let q = self
            .q("INSERT INTO sessions (token_hash, kind, user_id, membership_id, csrf_token, mfa_passed, created_at, last_seen_at, expires_at, revoked) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(s.token_hash.clone())
            .bind(s.kind.clone())
            .bind(s.user_id.0)
            .bind(s.membership_id.map(|m| m.0))
            .bind(s.csrf_token.clone())
            .bind(s.mfa_passed)
            .bind(s.created_at)
            .bind(s.last_seen_at)
            .bind(s.expires_at)
            .bind(s.revoked);
        self.exec(q).await?;
        Ok(())
    }

    pub async fn session_get(&mut self, token_hash: &str) -> Result<Option<SessionRow>> {
        let q = self
            .q(&format!(
                "SELECT {SESSION_COLS} FROM sessions WHERE token_hash = $1"
            ))
            .bind(token_hash.to_string());
        self.opt(q).await?.as_ref().map(session_from).transpose()
    }

    /// A session with its user and the user's memberships, in ONE statement (every request resolves
    /// its session, so this is the most frequent query there is). `None` if there is no such session;
    /// the caller decides whether it is still live. Memberships of deactivated organisations are left
    /// out: they cannot be used. [`crate::Store::session_resolve`] runs the same statement outside a
    /// transaction.
    pub async fn session_resolve(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<(SessionRow, User, Vec<Membership>)>> {
        let q = session_resolve_query(self.backend, token_hash);
        session_resolve_rows(&self.all(q).await?)
    }

    pub async fn session_touch(&mut self, token_hash: &str, at: i64) -> Result<()> {
        let q = self
            .q("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(at)
            .bind(token_hash.to_string());
        self.exec(q).await?;
        Ok(())
    }

    pub async fn session_set_state(
        &mut self,
        token_hash: &str,
        membership: Option<MembershipId>,
        mfa_passed: bool,
    ) -> Result<()> {
        let q = self
            .q("UPDATE sessions SET membership_id = $1, mfa_passed = $2 WHERE token_hash = $3")
            .bind(membership.map(|m| m.0))
            .bind(mfa_passed)
            .bind(token_hash.to_string());
        self.exec(q).await?;
        Ok(())
    }

    pub async fn session_revoke(&mut self, token_hash: &str) -> Result<bool> {
        let q = self
            .q("UPDATE sessions SET revoked = $1 WHERE token_hash = $2 AND revoked = $3")
            .bind(true)
            .bind(token_hash.to_string())
            .bind(false);
        Ok(self.exec(q).await? > 0)
    }

    /// Failed sign-ins under `key` within the window that started at `window_start` or later.
    pub async fn failures_get(&mut self, key: &str, window_start: i64) -> Result<i64> {
        let q = self
            .q("SELECT failures FROM sign_in_failures WHERE key = $1 AND window_start >= $2")
            .bind(key.to_string())
            .bind(window_start);
        Ok(self
            .opt(q)
            .await?
            .map(|r| r.try_get("failures"))
            .transpose()?
            .unwrap_or(0))
    }

    /// Failures under `key` within the window that started at `window_start` or later, with the
    /// window's start, or `None` when there are none.
    pub async fn failures_window(
        &mut self,
        key: &str,
        window_start: i64,
    ) -> Result<Option<(i64, i64)>> {
        let q = self
            .q("SELECT failures, window_start FROM sign_in_failures WHERE key = $1 AND window_start >= $2")
            .bind(key.to_string())
            .bind(window_start);
        match self.opt(q).await? {
            Some(r) => Ok(Some((r.try_get("failures")?, r.try_get("window_start")?))),
            None => Ok(None),
        }
    }

    /// Throttle counters whose window started at `since` or later: (key, failures, window start).
    pub async fn failures_since(&mut self, since: i64) -> Result<Vec<(String, i64, i64)>> {
        let q = self
            .q("SELECT key, failures, window_start FROM sign_in_failures WHERE window_start >= $1 ORDER BY window_start")
            .bind(since);
        self.all(q)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("key")?,
                    r.try_get("failures")?,
                    r.try_get("window_start")?,
                ))
            })
            .collect()
    }

    /// Records one failure; a window older than `window_start` restarts at `now`.
    pub async fn failures_record(&mut self, key: &str, now: i64, window_start: i64) -> Result<i64> {
        let q = self
            .q("INSERT INTO sign_in_failures (key, failures, window_start) VALUES ($1, 1, $2) ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN sign_in_failures.window_start < $3 THEN 1 ELSE sign_in_failures.failures + 1 END, window_start = CASE WHEN sign_in_failures.window_start < $3 THEN $2 ELSE sign_in_failures.window_start END RETURNING failures")
            .bind(key.to_string())
            .bind(now)
            .bind(window_start);
        Ok(self.one(q).await?.try_get("failures")?)
    }

    pub async fn failures_clear(&mut self, key: &str) -> Result<()> {
        let q = self
            .q("DELETE FROM sign_in_failures WHERE key = $1")
            .bind(key.to_string());
        self.exec(q).await?;
        Ok(())
    }

    // ---- audit ---------------------------------------------------------------------------------

    /// Appends an event to the hash chain. Locks the chain head for the rest of the transaction,
    /// so concurrent appends queue rather than fork the chain. Call it last, just before the commit:
    /// the head stays locked until then.
    pub async fn audit_append(&mut self, draft: &AuditDraft) -> Result<AuditEvent> {
        let started = std::time::Instant::now();
        let event = match self.backend {
            Backend::Postgres => self.audit_append_postgres(draft).await?,
            Backend::Sqlite => self.audit_append_sqlite(draft).await?,
        };
        crate::metrics::record_audit_append(started.elapsed());
        Ok(event)
    }

    /// SQLite: the transaction began IMMEDIATE and so already holds the write lock.
    async fn audit_append_sqlite(&mut self, draft: &AuditDraft) -> Result<AuditEvent> {
        let head = self
            .one(self.q("SELECT seq, hash FROM audit_head WHERE id = 1"))
            .await?;
        let prev_seq: i64 = head.try_get("seq")?;
        let prev_hash: String = head.try_get("hash")?;
        let seq = prev_seq + 1;
        let hash = draft.chain_hash(seq, &prev_hash);
        let q = self
            .q(&format!(
                "INSERT INTO audit_events ({AUDIT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
            ))
            .bind(seq);
        let q = bind_draft(q, draft)
            .bind(prev_hash.clone())
            .bind(hash.clone());
        self.exec(q).await?;
        let q = self
            .q("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(hash.clone());
        self.exec(q).await?;
        Ok(AuditEvent {
            seq,
            draft: draft.clone(),
            prev_hash,
            hash,
        })
    }

    /// PostgreSQL: ONE statement locks the head row, computes the next hash from it, inserts the event
    /// and moves the head, so the head is locked for this one round trip and the commit. The hash is
    /// SHA-256 over the previous hash, a newline and the canonical content (as [`AuditDraft::chain_hash`]):
    /// the content after the sequence number is sent as UTF-8 bytes, and the hash the database computed
    /// is checked here against the same function before the transaction may commit.
    async fn audit_append_postgres(&mut self, draft: &AuditDraft) -> Result<AuditEvent> {
        // canonical(seq) is `[seq,` followed by the rest, which does not depend on seq.
        let canonical = draft.canonical(0);
        let rest = canonical
            .strip_prefix("[0,")
            .ok_or_else(|| corrupt("audit canonical form", "without a sequence number"))?
            .as_bytes()
            .to_vec();
        let sql = format!(
            "WITH h AS (SELECT seq + 1 AS seq, hash AS prev_hash, \
               encode(sha256(convert_to(hash || chr(10) || '[' || CAST(seq + 1 AS TEXT) || ',', 'UTF8') || $15), 'hex') AS hash \
               FROM audit_head WHERE id = 1 FOR UPDATE), \
             u AS (UPDATE audit_head SET seq = h.seq, hash = h.hash FROM h WHERE audit_head.id = 1) \
             INSERT INTO audit_events ({AUDIT_COLS}) \
             SELECT h.seq, CAST($1 AS BIGINT), CAST($2 AS BIGINT), CAST($3 AS TEXT), CAST($4 AS TEXT), CAST($5 AS BIGINT), \
               CAST($6 AS TEXT), CAST($7 AS TEXT), CAST($8 AS BIGINT), CAST($9 AS TEXT), CAST($10 AS TEXT), CAST($11 AS TEXT), \
               CAST($12 AS TEXT), CAST($13 AS BOOLEAN), CAST($14 AS TEXT), h.prev_hash, h.hash FROM h \
             RETURNING seq, prev_hash, hash"
        );
        let q = bind_draft(self.q(&sql), draft).bind(rest);
        let row = self.one(q).await?;
        let seq: i64 = row.try_get("seq")?;
        let prev_hash: String = row.try_get("prev_hash")?;
        let hash: String = row.try_get("hash")?;
        // Never commit a link this code would not verify (the caller drops the transaction on error).
        if hash != draft.chain_hash(seq, &prev_hash) {
            return Err(corrupt(
                "audit hash computed by the database for event",
                &seq.to_string(),
            ));
        }
        Ok(AuditEvent {
            seq,
            draft: draft.clone(),
            prev_hash,
            hash,
        })
    }

    /// Events with `seq > after`, in order, at most `limit` (for verification in pages).
    pub async fn audit_page(&mut self, after: i64, limit: i64) -> Result<Vec<AuditEvent>> {
        let q = self
            .q(&format!(
                "SELECT {AUDIT_COLS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"
            ))
            .bind(after)
            .bind(limit);
        self.all(q).await?.iter().map(audit_from).collect()
    }

    /// The stored chain head (sequence number and hash).
    pub async fn audit_head(&mut self) -> Result<(i64, String)> {
        let r = self
            .one(self.q("SELECT seq, hash FROM audit_head WHERE id = 1"))
            .await?;
        Ok((r.try_get("seq")?, r.try_get("hash")?))
    }

    /// Newest first.
    pub async fn audit_search(&mut self, f: &AuditFilter) -> Result<Vec<AuditEvent>> {
        let mut sql = format!("SELECT {AUDIT_COLS} FROM audit_events WHERE 1 = 1");
        let mut n = 0;
        let mut next = |col: &str, op: &str| {
            n += 1;
            format!(" AND {col} {op} ${n}")
        };
        let mut binds: Vec<i64> = Vec::new();
        for (col, op, v) in [
            ("person_id", "=", f.person_id),
            ("user_id", "=", f.user_id),
            ("org_id", "=", f.org_id),
            ("at", ">=", f.from_ms),
            ("at", "<", f.to_ms),
        ] {
            if let Some(v) = v {
                sql.push_str(&next(col, op));
                binds.push(v);
            }
        }
        if f.break_glass_only {
            sql.push_str(&next("break_glass", "="));
        }
        sql.push_str(&format!(
            " ORDER BY seq DESC LIMIT {}",
            f.limit.clamp(1, 1000)
        ));
        let mut q = self.q(&sql);
        for b in binds {
            q = q.bind(b);
        }
        if f.break_glass_only {
            q = q.bind(true);
        }
        self.all(q).await?.iter().map(audit_from).collect()
    }

    /// How many audit events name a person (their whole access history).
    pub async fn audit_person_count(&mut self, person_id: i64) -> Result<i64> {
        let q = self
            .q("SELECT COUNT(*) AS n FROM audit_events WHERE person_id = $1")
            .bind(person_id);
        Ok(self.one(q).await?.try_get("n")?)
    }

    /// One page of the audit events that name a person, newest first: `limit` events after skipping `offset`.
    pub async fn audit_person_page(
        &mut self,
        person_id: i64,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<AuditEvent>> {
        let q = self
            .q(&format!(
                "SELECT {AUDIT_COLS} FROM audit_events WHERE person_id = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3"
            ))
            .bind(person_id)
            .bind(limit.max(1))
            .bind(offset.max(0));
        self.all(q).await?.iter().map(audit_from).collect()
    }

    /// Break-glass events, unreviewed first, newest first within each group.
    pub async fn break_glass_queue(&mut self, limit: i64) -> Result<Vec<BreakGlassItem>> {
        let cols: String = AUDIT_COLS
            .split(", ")
            .map(|c| format!("a.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let q = self
            .q(&format!("SELECT {cols}, u.username AS reviewer, r.reviewed_at, r.outcome AS review_outcome, r.notes FROM audit_events a LEFT JOIN break_glass_reviews r ON r.audit_seq = a.seq LEFT JOIN users u ON u.id = r.reviewed_by WHERE a.break_glass = $1 ORDER BY CASE WHEN r.audit_seq IS NULL THEN 0 ELSE 1 END, a.seq DESC LIMIT $2"))
            .bind(true)
            .bind(limit);
        let rows = self.all(q).await?;
        rows.iter()
            .map(|r| {
                Ok(BreakGlassItem {
                    event: audit_from(r)?,
                    reviewed_by: r.try_get("reviewer")?,
                    reviewed_at: r.try_get("reviewed_at")?,
                    outcome: r.try_get("review_outcome")?,
                    notes: r.try_get("notes")?,
                })
            })
            .collect()
    }

    pub async fn audit_event(&mut self, seq: i64) -> Result<Option<AuditEvent>> {
        let q = self
            .q(&format!(
                "SELECT {AUDIT_COLS} FROM audit_events WHERE seq = $1"
            ))
            .bind(seq);
        self.opt(q).await?.as_ref().map(audit_from).transpose()
    }

    pub async fn break_glass_review(
        &mut self,
        seq: i64,
        reviewer: UserId,
        outcome: &str,
        notes: &str,
    ) -> Result<()> {
        let q = self
            .q("INSERT INTO break_glass_reviews (audit_seq, reviewed_by, reviewed_at, outcome, notes) VALUES ($1, $2, $3, $4, $5)")
            .bind(seq)
            .bind(reviewer.0)
            .bind(now_ms())
            .bind(outcome.to_string())
            .bind(notes.to_string());
        self.exec(q).await.map_err(|e| match e {
            StoreError::Db(e) => StoreError::conflict_as(e, "review of this event"),
            e => e,
        })?;
        Ok(())
    }

    // ---- settings ------------------------------------------------------------------------------

    pub async fn setting_get(&mut self, key: &str) -> Result<Option<String>> {
        let q = self
            .q("SELECT value FROM settings WHERE key = $1")
            .bind(key.to_string());
        Ok(self.opt(q).await?.map(|r| r.try_get("value")).transpose()?)
    }

    pub async fn setting_set(&mut self, key: &str, value: &str) -> Result<()> {
        let q = self
            .q("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key.to_string())
            .bind(value.to_string());
        self.exec(q).await?;
        Ok(())
    }

    /// For tests only: removes the append-only triggers so a test can prove `verify` catches tampering.
    /// Compiled only with the `testing` feature, which only dev-dependencies enable.
    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub async fn testing_drop_audit_triggers(&mut self) -> Result<()> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;"
            }
            Backend::Postgres => {
                "DROP TRIGGER audit_events_no_update ON audit_events; DROP TRIGGER audit_events_no_truncate ON audit_events;"
            }
        };
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// For tests only: runs raw SQL (to tamper with rows in tests).
    /// Compiled only with the `testing` feature, which only dev-dependencies enable.
    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub async fn testing_execute(&mut self, sql: &str) -> Result<u64> {
        Ok(sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
            .execute(&mut *self.tx)
            .await?
            .rows_affected())
    }
}
