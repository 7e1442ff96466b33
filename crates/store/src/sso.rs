//! Single sign-on: identities at OpenID Connect providers linked to users, and sign-in flows in
//! progress (single use: taking a flow deletes it in the same statement).

use crate::tx::now_ms;
use crate::{Result, StoreError, Tx};
use concordat_domain::model::UserId;
use sqlx::Row;

/// A sign-in (or linking) flow between the redirect to a provider and its callback.
/// Keyed by the SHA-256 of the `state` sent to the provider; `browser_hash` is the SHA-256 of the
/// secret in the browser's flow cookie, so only the browser that started the flow can finish it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcFlowRow {
    pub state_hash: String,
    pub provider: String,
    pub browser_hash: String,
    pub nonce: String,
    /// Set when a signed-in user is linking this provider to their account.
    pub link_user_id: Option<UserId>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// An identity at a provider linked to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIdentity {
    pub provider: String,
    pub subject: String,
    pub user_id: UserId,
    pub linked_at: i64,
    pub last_used_at: Option<i64>,
}

const IDENTITY_COLS: &str = "provider, subject, user_id, linked_at, last_used_at";

fn identity_from(row: &sqlx::any::AnyRow) -> Result<ExternalIdentity> {
    Ok(ExternalIdentity {
        provider: row.try_get("provider")?,
        subject: row.try_get("subject")?,
        user_id: UserId(row.try_get("user_id")?),
        linked_at: row.try_get("linked_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

impl Tx {
    pub async fn oidc_flow_insert(&mut self, f: &OidcFlowRow) -> Result<()> {
        let q = self
            .q("INSERT INTO oidc_flows (state_hash, provider, browser_hash, nonce, link_user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(f.state_hash.clone())
            .bind(f.provider.clone())
            .bind(f.browser_hash.clone())
            .bind(f.nonce.clone())
            .bind(f.link_user_id.map(|u| u.0))
            .bind(f.created_at)
            .bind(f.expires_at);
        q.execute(&mut *self.tx)
            .await
            .map_err(|e| StoreError::conflict_as(e, "sign-in flow"))?;
        Ok(())
    }

    /// Takes a flow by its state's hash: returns it and deletes it in one statement, so a state is
    /// used once however many callbacks race for it. Expired flows are returned too (the caller
    /// refuses them with a message); unknown or used ones are `None`.
    pub async fn oidc_flow_take(&mut self, state_hash: &str) -> Result<Option<OidcFlowRow>> {
        let row = self
            .q("DELETE FROM oidc_flows WHERE state_hash = $1 RETURNING state_hash, provider, browser_hash, nonce, link_user_id, created_at, expires_at")
            .bind(state_hash.to_string())
            .fetch_optional(&mut *self.tx)
            .await?;
        row.map(|r| {
            Ok(OidcFlowRow {
                state_hash: r.try_get("state_hash")?,
                provider: r.try_get("provider")?,
                browser_hash: r.try_get("browser_hash")?,
                nonce: r.try_get("nonce")?,
                link_user_id: r.try_get::<Option<i64>, _>("link_user_id")?.map(UserId),
                created_at: r.try_get("created_at")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    /// Deletes flows that expired before `before`; returns how many.
    pub async fn oidc_flows_purge(&mut self, before: i64) -> Result<u64> {
        let r = self
            .q("DELETE FROM oidc_flows WHERE expires_at < $1")
            .bind(before)
            .execute(&mut *self.tx)
            .await?;
        Ok(r.rows_affected())
    }

    /// The identity at `provider` with this subject (the configured claim's value), if linked.
    pub async fn external_identity(
        &mut self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<ExternalIdentity>> {
        let row = self
            .q(&format!(
                "SELECT {IDENTITY_COLS} FROM external_identities WHERE provider = $1 AND subject = $2"
            ))
            .bind(provider.to_string())
            .bind(subject.to_string())
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(identity_from).transpose()
    }

    /// The identities linked to a user, by provider.
    pub async fn external_identities_for_user(
        &mut self,
        user: UserId,
    ) -> Result<Vec<ExternalIdentity>> {
        let rows = self
            .q(&format!(
                "SELECT {IDENTITY_COLS} FROM external_identities WHERE user_id = $1 ORDER BY provider"
            ))
            .bind(user.0)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(identity_from).collect()
    }

    /// Links an identity to a user, replacing the user's earlier link at the same provider.
    /// `Conflict` when the identity is linked to someone else already.
    pub async fn external_identity_link(
        &mut self,
        provider: &str,
        subject: &str,
        user: UserId,
    ) -> Result<()> {
        self.q("DELETE FROM external_identities WHERE user_id = $1 AND provider = $2")
            .bind(user.0)
            .bind(provider.to_string())
            .execute(&mut *self.tx)
            .await?;
        self.q("INSERT INTO external_identities (provider, subject, user_id, linked_at) VALUES ($1, $2, $3, $4)")
            .bind(provider.to_string())
            .bind(subject.to_string())
            .bind(user.0)
            .bind(now_ms())
            .execute(&mut *self.tx)
            .await
            .map_err(|e| StoreError::conflict_as(e, "link to another account"))?;
        Ok(())
    }

    /// Removes a user's link at a provider; false when there was none.
    pub async fn external_identity_unlink(&mut self, provider: &str, user: UserId) -> Result<bool> {
        let r = self
            .q("DELETE FROM external_identities WHERE user_id = $1 AND provider = $2")
            .bind(user.0)
            .bind(provider.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Records a sign-in through a linked identity.
    pub async fn external_identity_touch(
        &mut self,
        provider: &str,
        subject: &str,
        at: i64,
    ) -> Result<()> {
        self.q(
            "UPDATE external_identities SET last_used_at = $1 WHERE provider = $2 AND subject = $3",
        )
        .bind(at)
        .bind(provider.to_string())
        .bind(subject.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
