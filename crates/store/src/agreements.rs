//! Sharing agreements as a workflow: drafts, signatures, agreement, ending. The status changes are made
//! by the app layer in one transaction each, after [`Tx::agreement_lock`] has taken the agreement's row.

use crate::tx::{AGREEMENT_COLS, agreement_from_row, now_ms, parse_date};
use crate::{Result, StoreError, Tx};
use chrono::NaiveDate;
use concordat_domain::model::{AgreementStatus, OrgId, SharingAgreement, UserId};
use concordat_domain::{DataCategory, LegalBasis};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A new agreement: a draft, or one recorded as agreed outside Concordat.
#[derive(Debug, Clone)]
pub struct NewAgreement {
    pub from: OrgId,
    pub to: OrgId,
    pub title: String,
    pub purpose: String,
    pub categories: Vec<DataCategory>,
    pub legal_basis: LegalBasis,
    pub in_force_from: NaiveDate,
    pub in_force_until: Option<NaiveDate>,
    pub review_date: NaiveDate,
    pub status: AgreementStatus,
    /// `signatures` (the workflow) or `recorded` (agreed outside Concordat).
    pub agreed_how: &'static str,
    pub drafted_by: Option<UserId>,
}

/// One party's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureRow {
    pub org_id: OrgId,
    pub user_id: Option<UserId>,
    pub signatory_name: String,
    /// A role code (`privacy_officer`) or, for signatures recorded outside Concordat, a label.
    pub signatory_role: String,
    pub position: String,
    pub signed_on: NaiveDate,
    pub signed_at: i64,
}

/// A stored agreement with everything its summary shows.
#[derive(Debug, Clone)]
pub struct AgreementRow {
    pub agreement: SharingAgreement,
    pub title: String,
    pub purpose: String,
    pub agreed_how: String,
    pub drafted_by: Option<UserId>,
    pub created_at: i64,
    pub ended_at: Option<i64>,
    pub ended_by: Option<UserId>,
    pub end_reason: Option<String>,
    pub signatures: Vec<SignatureRow>,
}

const DETAIL_COLS: &str =
    "title, purpose, agreed_how, drafted_by, created_at, ended_at, ended_by, end_reason";

fn row_from(r: &AnyRow) -> Result<AgreementRow> {
    Ok(AgreementRow {
        agreement: agreement_from_row(r)?,
        title: r.try_get("title")?,
        purpose: r.try_get("purpose")?,
        agreed_how: r.try_get("agreed_how")?,
        drafted_by: r.try_get::<Option<i64>, _>("drafted_by")?.map(UserId),
        created_at: r.try_get("created_at")?,
        ended_at: r.try_get("ended_at")?,
        ended_by: r.try_get::<Option<i64>, _>("ended_by")?.map(UserId),
        end_reason: r.try_get("end_reason")?,
        signatures: Vec::new(),
    })
}

fn signature_from(r: &AnyRow) -> Result<SignatureRow> {
    Ok(SignatureRow {
        org_id: OrgId(r.try_get("org_id")?),
        user_id: r.try_get::<Option<i64>, _>("user_id")?.map(UserId),
        signatory_name: r.try_get("signatory_name")?,
        signatory_role: r.try_get("signatory_role")?,
        position: r.try_get("position")?,
        signed_on: parse_date(&r.try_get::<String, _>("signed_on")?)?,
        signed_at: r.try_get("signed_at")?,
    })
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl Tx {
    /// Inserts an agreement (a draft, or one agreed outside Concordat).
    pub async fn agreement_create(&mut self, a: &NewAgreement) -> Result<i64> {
        let cats: Vec<&str> = a.categories.iter().map(|c| c.code()).collect();
        let q = self
            .q("INSERT INTO sharing_agreements (from_org_id, to_org_id, categories, legal_basis, review_date, created_at, title, purpose, status, agreed_how, in_force_from, in_force_until, drafted_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id")
            .bind(a.from.0)
            .bind(a.to.0)
            .bind(cats.join(","))
            .bind(a.legal_basis.code())
            .bind(date(a.review_date))
            .bind(now_ms())
            .bind(a.title.clone())
            .bind(a.purpose.clone())
            .bind(a.status.code())
            .bind(a.agreed_how)
            .bind(date(a.in_force_from))
            .bind(a.in_force_until.map(date))
            .bind(a.drafted_by.map(|u| u.0));
        Ok(self.one(q).await?.try_get("id")?)
    }

    /// One agreement with its signatures, in the order they were signed.
    pub async fn agreement_get(&mut self, id: i64) -> Result<Option<AgreementRow>> {
        let q = self
            .q(&format!(
                "SELECT {AGREEMENT_COLS}, {DETAIL_COLS} FROM sharing_agreements WHERE id = $1"
            ))
            .bind(id);
        let Some(row) = self.opt(q).await? else {
            return Ok(None);
        };
        let mut a = row_from(&row)?;
        let q = self
            .q("SELECT org_id, user_id, signatory_name, signatory_role, position, signed_on, signed_at FROM agreement_signatures WHERE agreement_id = $1 ORDER BY signed_at, id")
            .bind(id);
        a.signatures = self
            .all(q)
            .await?
            .iter()
            .map(signature_from)
            .collect::<Result<_>>()?;
        Ok(Some(a))
    }

    /// Every agreement, without signatures, in id order.
    pub async fn agreement_list(&mut self) -> Result<Vec<AgreementRow>> {
        let q = self.q(&format!(
            "SELECT {AGREEMENT_COLS}, {DETAIL_COLS} FROM sharing_agreements ORDER BY id"
        ));
        self.all(q).await?.iter().map(row_from).collect()
    }

    /// Takes the agreement's row for the rest of the transaction if its status is `status` (on
    /// PostgreSQL a row lock, so two signatories signing at once are decided one after the other; on
    /// SQLite the transaction already holds the write lock). False if the status is another.
    pub async fn agreement_lock(&mut self, id: i64, status: AgreementStatus) -> Result<bool> {
        let q = self
            .q("UPDATE sharing_agreements SET status = $1 WHERE id = $2 AND status = $1")
            .bind(status.code())
            .bind(id);
        Ok(self.exec(q).await? == 1)
    }

    /// Records one party's signature; a second signature for the same party is a conflict.
    pub async fn agreement_sign(&mut self, id: i64, sig: &SignatureRow) -> Result<()> {
        let q = self
            .q("INSERT INTO agreement_signatures (agreement_id, org_id, user_id, signatory_name, signatory_role, position, signed_on, signed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(id)
            .bind(sig.org_id.0)
            .bind(sig.user_id.map(|u| u.0))
            .bind(sig.signatory_name.clone())
            .bind(sig.signatory_role.clone())
            .bind(sig.position.clone())
            .bind(date(sig.signed_on))
            .bind(sig.signed_at);
        match q.execute(&mut *self.tx).await {
            Ok(_) => Ok(()),
            Err(e) => Err(StoreError::conflict_as(e, "signature")),
        }
    }

    /// Sets a draft's status to agreed.
    pub async fn agreement_mark_agreed(&mut self, id: i64) -> Result<bool> {
        let q = self
            .q("UPDATE sharing_agreements SET status = 'agreed', agreed_how = 'signatures' WHERE id = $1 AND status = 'draft'")
            .bind(id);
        Ok(self.exec(q).await? == 1)
    }

    /// Withdraws a draft or ends an agreed agreement (`to` is `Withdrawn` or `Ended`), recording who,
    /// when and why. False if it was not in `from`.
    pub async fn agreement_close(
        &mut self,
        id: i64,
        from: AgreementStatus,
        to: AgreementStatus,
        by: Option<UserId>,
        reason: &str,
    ) -> Result<bool> {
        let q = self
            .q("UPDATE sharing_agreements SET status = $1, ended_at = $2, ended_by = $3, end_reason = $4 WHERE id = $5 AND status = $6")
            .bind(to.code())
            .bind(now_ms())
            .bind(by.map(|u| u.0))
            .bind(reason.to_string())
            .bind(id)
            .bind(from.code());
        Ok(self.exec(q).await? == 1)
    }
}
