//! The intent rows of InviteAccount: written before AWS is called, completed
//! after, and looked up in AWS when their outcome is unknown.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{types::Json, AssertSqlSafe, FromRow};

use super::{handshakes::Known, locks::QUOTA_LOCK, quota::quota_use, Store, StoreError};
use crate::domain::{
    Handshake, HandshakeId, HandshakeRecord, Invitation, InviteQuota, InviteTarget, Notes,
    Onboarding, OnboardingSpec, PartyType, QuotaUse, Renewal, RequestId, Tags,
};

/// What `begin_invite` found, and so what the caller must do next.
#[derive(Debug)]
pub enum BeginInvite {
    /// This call owns a fresh attempt: send the invitation.
    Started,
    /// Sent before: answer with this handshake and send nothing.
    AlreadySent(Box<HandshakeRecord>),
    /// Another call with this request_id is sending right now.
    InProgress,
    /// The request_id was used before with other parameters.
    Mismatch,
    /// An earlier attempt may have reached AWS: this call now owns it and
    /// must look the handshake up before sending anything.
    Unresolved(Box<UnresolvedInvite>),
    /// Sending now would pass the daily quota; nothing was written.
    QuotaExhausted(QuotaUse),
}

/// An intent whose earlier attempt ended without a known outcome.
#[derive(Debug, Clone)]
pub struct UnresolvedInvite {
    pub request_id: RequestId,
    pub invitation: Invitation,
    /// Any handshake it made was requested after this.
    pub create_time: DateTime<Utc>,
}

#[derive(FromRow)]
struct IntentRow {
    request_id: String,
    status: String,
    target_type: String,
    target_id: String,
    notes: String,
    tags: Json<Tags>,
    handshake_id: Option<String>,
    requested_by: Option<String>,
    onboarding: Option<Json<OnboardingSpec>>,
    renewal: Option<Json<Renewal>>,
    stale: bool,
    create_time: DateTime<Utc>,
}

impl IntentRow {
    fn same_request(&self, inv: &Invitation) -> bool {
        self.target_type == inv.target.kind().as_str()
            && self.target_id == inv.target.id()
            && self.notes == inv.notes.as_str()
            && self.tags.0 == inv.tags
            && self.onboarding.as_ref().map(|o| &o.0) == inv.onboarding.as_ref()
            && self.renewal.as_ref().map(|r| &r.0) == inv.renewal.as_ref()
    }

    fn into_unresolved(self) -> Result<UnresolvedInvite, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("invite request {what}"));
        let target = InviteTarget::parse(PartyType::from_aws(&self.target_type), &self.target_id)
            .map_err(|_| corrupt("target"))?;
        Ok(UnresolvedInvite {
            request_id: RequestId::parse(&self.request_id).map_err(|_| corrupt("request_id"))?,
            invitation: Invitation {
                target,
                notes: Notes::parse(&self.notes).map_err(|_| corrupt("notes"))?,
                tags: self.tags.0,
                requested_by: self.requested_by,
                onboarding: self.onboarding.map(|o| o.0),
                renewal: self.renewal.map(|r| r.0),
            },
            create_time: self.create_time,
        })
    }
}

const INTENT_COLUMNS: &str = "request_id, status, target_type, target_id, notes, tags, \
     handshake_id, create_time, requested_by, onboarding, renewal";

/// True when nobody can still be sending: `$2` is the grace in seconds.
const STALE: &str = "(status = 'UNKNOWN' OR (status = 'PENDING' AND \
     attempt_time < now() - make_interval(secs => $2)))";

impl Store {
    /// Claims `request_id` for one attempt, or says why this call must not send.
    /// `grace` is how long a PENDING attempt may be in flight elsewhere; a
    /// new attempt must also fit in `quota`.
    #[tracing::instrument(name = "postgres begin_invite", skip_all, fields(db.system = "postgresql"))]
    pub async fn begin_invite(
        &self,
        request_id: &RequestId,
        inv: &Invitation,
        grace: Duration,
        quota: InviteQuota,
    ) -> Result<BeginInvite, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(QUOTA_LOCK)
            .execute(&mut *tx)
            .await?;
        // Counted before this call's own intent exists.
        let quota_use = quota_use(&mut tx, quota).await?;
        let inserted = sqlx::query(
            "INSERT INTO invite_requests (request_id, status, target_type, target_id, notes, tags,
                                          requested_by, onboarding, renewal)
             VALUES ($1, 'PENDING', $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(request_id.as_str())
        .bind(inv.target.kind().as_str())
        .bind(inv.target.id())
        .bind(inv.notes.as_str())
        .bind(Json(&inv.tags))
        .bind(inv.requested_by.as_deref())
        .bind(inv.onboarding.as_ref().map(Json))
        .bind(inv.renewal.as_ref().map(Json))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            if quota_use.exhausted() {
                // Dropping the transaction removes the intent row again.
                return Ok(BeginInvite::QuotaExhausted(quota_use));
            }
            tx.commit().await?;
            return Ok(BeginInvite::Started);
        }
        let row: IntentRow = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {INTENT_COLUMNS}, {STALE} AS stale
             FROM invite_requests WHERE request_id = $1 FOR UPDATE"
        )))
        .bind(request_id.as_str())
        .bind(grace.as_secs_f64())
        .fetch_one(&mut *tx)
        .await?;
        if !row.same_request(inv) {
            return Ok(BeginInvite::Mismatch);
        }
        let outcome = match row.status.as_str() {
            "SENT" => {
                let id = row.handshake_id.as_deref().unwrap_or_default();
                let id = HandshakeId::parse(id).map_err(|_| {
                    StoreError::Corrupt(format!("sent invite without handshake {id:?}"))
                })?;
                let record = self
                    .get(&id)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt(format!("handshake {id} missing")))?;
                return Ok(BeginInvite::AlreadySent(Box::new(record)));
            }
            "PENDING" if !row.stale => return Ok(BeginInvite::InProgress),
            "FAILED" if quota_use.exhausted() => return Ok(BeginInvite::QuotaExhausted(quota_use)),
            "FAILED" => BeginInvite::Started,
            _ => BeginInvite::Unresolved(Box::new(row.into_unresolved()?)),
        };
        claim(&mut *tx, request_id).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// The handshake AWS made for `request_id`, recorded and linked in one transaction.
    #[tracing::instrument(name = "postgres complete_invite", skip_all, fields(db.system = "postgresql"))]
    pub async fn complete_invite(
        &self,
        request_id: &RequestId,
        inv: &Invitation,
        handshake: &Handshake,
    ) -> Result<HandshakeRecord, StoreError> {
        let known = Known {
            target: Some((inv.target.kind(), inv.target.id().to_string())),
            notes: inv.notes.clone(),
            tags: inv.tags.clone(),
            request_id: Some(request_id.as_str().to_string()),
            requested_by: inv.requested_by.clone(),
            canceled_by: None,
            onboarding: inv.onboarding.clone().map(Onboarding::new),
            renewal: inv.renewal.clone(),
        };
        let mut tx = self.pool.begin().await?;
        let (record, _event) = super::handshakes::upsert(&mut tx, handshake, &known).await?;
        sqlx::query(
            "UPDATE invite_requests
             SET status = 'SENT', handshake_id = $2, error_code = NULL, error_reason = NULL,
                 update_time = now()
             WHERE request_id = $1",
        )
        .bind(request_id.as_str())
        .bind(handshake.id.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// The request's answer is a handshake already recorded (an open
    /// invitation reused): the intent points at it, as if it had sent it.
    #[tracing::instrument(name = "postgres link_invite", skip_all, fields(db.system = "postgresql"))]
    pub async fn link_invite(
        &self,
        request_id: &RequestId,
        handshake: &HandshakeId,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE invite_requests
             SET status = 'SENT', handshake_id = $2, error_code = NULL, error_reason = NULL,
                 update_time = now()
             WHERE request_id = $1",
        )
        .bind(request_id.as_str())
        .bind(handshake.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// AWS refused the invitation: nothing was sent, a retry may send again.
    #[tracing::instrument(name = "postgres fail_invite", skip_all, fields(db.system = "postgresql"))]
    pub async fn fail_invite(
        &self,
        request_id: &RequestId,
        code: &str,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE invite_requests
             SET status = 'FAILED', error_code = $2, error_reason = $3, update_time = now()
             WHERE request_id = $1 AND status <> 'SENT'",
        )
        .bind(request_id.as_str())
        .bind(code)
        .bind(reason)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The attempt ended without knowing whether AWS acted.
    #[tracing::instrument(name = "postgres mark_invite_unknown", skip_all, fields(db.system = "postgresql"))]
    pub async fn mark_invite_unknown(&self, request_id: &RequestId) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE invite_requests SET status = 'UNKNOWN', update_time = now()
             WHERE request_id = $1 AND status = 'PENDING'",
        )
        .bind(request_id.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Intents whose outcome must be looked up in AWS: UNKNOWN ones, and
    /// PENDING ones older than `grace` (their process died mid-call).
    /// Each is claimed, so another replica's repair skips it for `grace`.
    pub async fn claim_unresolved_invites(
        &self,
        grace: Duration,
    ) -> Result<Vec<UnresolvedInvite>, StoreError> {
        let rows: Vec<IntentRow> = sqlx::query_as(AssertSqlSafe(claim_unresolved_sql()))
            // $1 is unused: it keeps STALE's placeholder at $2 in both queries.
            .bind(None::<i32>)
            .bind(grace.as_secs_f64())
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(IntentRow::into_unresolved).collect()
    }
}

/// Claims every stale intent (`$2`: the grace in seconds) for repair.
pub(super) fn claim_unresolved_sql() -> String {
    format!(
        "WITH claimed AS (
             UPDATE invite_requests SET status = 'PENDING', attempt_time = now()
             WHERE request_id IN (
                 SELECT request_id FROM invite_requests
                 WHERE {STALE} AND $1::int IS NULL
                 ORDER BY create_time
                 FOR UPDATE SKIP LOCKED)
             RETURNING *)
         SELECT {INTENT_COLUMNS}, false AS stale FROM claimed"
    )
}

/// Marks a fresh attempt as in flight.
async fn claim(db: impl sqlx::PgExecutor<'_>, request_id: &RequestId) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE invite_requests
         SET status = 'PENDING', attempts = attempts + 1, attempt_time = now(),
             update_time = now()
         WHERE request_id = $1",
    )
    .bind(request_id.as_str())
    .execute(db)
    .await?;
    Ok(())
}
