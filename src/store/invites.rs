//! The intent rows of InviteAccount: written before AWS is called, completed
//! after, and looked up in AWS when their outcome is unknown.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::{
    handshakes::Known,
    intent_row::{Intent, IntentRow, IntentStatus},
    listen::WAKE_CHANNEL,
    locks::{begin_locked, EVENT_ORDER_LOCK},
    quota::{quota_use_of, within_quota},
    session::{owner_gone, Owner},
    Store, StoreError,
};
use crate::domain::{
    Handshake, HandshakeId, HandshakeRecord, Invitation, InviteQuota, Onboarding, QuotaUse,
    RequestId,
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
    pub why: Abandoned,
}

/// Why nobody is still sending an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abandoned {
    /// Its call timed out: AWS may or may not have acted.
    Unknown,
    /// PENDING for longer than the grace period.
    Grace,
    /// Its owner's session ended: wait `FENCE` before looking AWS up.
    OwnerGone,
}

impl Abandoned {
    pub(super) fn parse(s: &str) -> Option<Self> {
        match s {
            "unknown" => Some(Self::Unknown),
            "grace" => Some(Self::Grace),
            "owner_gone" => Some(Self::OwnerGone),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Grace => "grace",
            Self::OwnerGone => "owner_gone",
        }
    }
}

const INTENT_COLUMNS: &str = "request_id, status, target_type, target_id, notes, tags, \
     handshake_id, create_time, requested_by, onboarding, renewal";

/// Why nobody can still be sending (`Abandoned`'s names), or NULL: `$2` is
/// the grace in seconds. A timed-out call, then the grace, then the owner.
fn abandoned() -> String {
    format!(
        "(CASE WHEN status = 'UNKNOWN' THEN 'unknown'
               WHEN status <> 'PENDING' THEN NULL
               WHEN attempt_time < now() - make_interval(secs => $2) THEN 'grace'
               WHEN {} THEN 'owner_gone' END)",
        owner_gone("owner")
    )
}

impl Store {
    /// Whether an InviteAccount with this request_id was ever begun.
    pub async fn intent_exists(&self, request_id: &RequestId) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM invite_requests WHERE request_id = $1)",
        )
        .bind(request_id.as_str())
        .fetch_one(&self.pool)
        .await?)
    }

    /// Claims `request_id` for one attempt owned by the replica session
    /// `owner`, or says why this call must not send. `grace` is how long a
    /// PENDING attempt of a live owner may be in flight; a new attempt must
    /// also fit in `quota`.
    #[tracing::instrument(name = "postgres begin_invite", skip_all, fields(db.system = "postgresql"))]
    pub async fn begin_invite(
        &self,
        request_id: &RequestId,
        inv: &Invitation,
        owner: &Owner,
        grace: Duration,
        quota: InviteQuota,
    ) -> Result<BeginInvite, StoreError> {
        let owner = owner.id();
        // Most calls: a new request_id within the quota, counted and its
        // intent committed in one round trip.
        let (_, _, _, inserted) = within_quota(&self.pool, request_id, inv, owner, quota).await?;
        if inserted {
            return Ok(BeginInvite::Started);
        }
        // Otherwise a closer look, holding the quota lock to the end.
        let mut tx = self.pool.begin().await?;
        let (used, oldest, now, inserted) =
            within_quota(&mut *tx, request_id, inv, owner, quota).await?;
        if inserted {
            tx.commit().await?;
            return Ok(BeginInvite::Started);
        }
        let quota_use = quota_use_of(quota, (used, oldest, now));
        let row: Option<IntentRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {INTENT_COLUMNS}, {} AS abandoned
             FROM invite_requests WHERE request_id = $1 FOR UPDATE",
            abandoned()
        )))
        .bind(request_id.as_str())
        .bind(grace.as_secs_f64())
        .fetch_optional(&mut *tx)
        .await?;
        // Not inserted and not there: the quota is used up.
        let Some(row) = row else {
            return Ok(BeginInvite::QuotaExhausted(quota_use));
        };
        let row = row.read().inspect_err(|u| self.unreadable.met(u))?;
        if !row.same_request(inv) {
            return Ok(BeginInvite::Mismatch);
        }
        let outcome = match row.status {
            IntentStatus::Sent => {
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
            IntentStatus::Pending if row.abandoned.is_none() => return Ok(BeginInvite::InProgress),
            IntentStatus::Failed if quota_use.exhausted() => {
                return Ok(BeginInvite::QuotaExhausted(quota_use))
            }
            IntentStatus::Failed => BeginInvite::Started,
            IntentStatus::Pending | IntentStatus::Unknown => {
                BeginInvite::Unresolved(Box::new(row.into_unresolved()?))
            }
        };
        claim(&mut *tx, request_id, owner).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// The handshake AWS made for `request_id`, recorded and linked in one
    /// transaction, which also asks the poller for a sweep soon: one round
    /// trip when the handshake is new here, as it nearly always is.
    #[tracing::instrument(name = "postgres complete_invite", skip_all, fields(db.system = "postgresql"))]
    pub async fn complete_invite(
        &self,
        request_id: &RequestId,
        inv: &Invitation,
        handshake: &Handshake,
    ) -> Result<HandshakeRecord, StoreError> {
        // A leave it needed first shows among the onboarding's steps (one
        // more read, only for invitations that may have left).
        let onboarding = match &inv.onboarding {
            Some(spec) if spec.leave_previous_organization => {
                let leave = self.invite_leave(request_id).await?;
                Some(Onboarding::after_leave(spec.clone(), leave, Utc::now()))
            }
            spec => spec.clone().map(Onboarding::new),
        };
        let known = Known {
            target: Some(inv.target.clone()),
            notes: inv.notes.clone(),
            tags: inv.tags.clone(),
            request_id: Some(request_id.clone()),
            requested_by: inv.requested_by.clone(),
            canceled_by: None,
            onboarding,
            renewal: inv.renewal.clone(),
        };
        if let Some(record) =
            super::new_invite::record_new_invite(&self.pool, handshake, &known).await?
        {
            return Ok(record);
        }
        // The poller recorded it first: the general upsert, then the link.
        let mut tx = begin_locked(&self.pool, EVENT_ORDER_LOCK).await?;
        let (record, _event) = super::handshakes::upsert(&mut tx, handshake, &known).await?;
        sqlx::query("SELECT mark_intent_sent($1, $2), pg_notify($3, '')")
            .bind(request_id.as_str())
            .bind(handshake.id.as_str())
            .bind(WAKE_CHANNEL)
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
        sqlx::query("SELECT mark_intent_sent($1, $2)")
            .bind(request_id.as_str())
            .bind(handshake.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// AWS refused the invitation: nothing was sent, a retry may send again.
    /// Only while `owner` still owns the attempt: one that was taken over
    /// (its owner fenced or past the grace) is the new owner's to settle.
    #[tracing::instrument(name = "postgres fail_invite", skip_all, fields(db.system = "postgresql"))]
    pub async fn fail_invite(
        &self,
        request_id: &RequestId,
        owner: &Owner,
        code: &str,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let owner = owner.id();
        sqlx::query(
            "UPDATE invite_requests
             SET status = 'FAILED', error_code = $2, error_reason = $3, update_time = now()
             WHERE request_id = $1 AND status <> 'SENT' AND owner IS NOT DISTINCT FROM $4",
        )
        .bind(request_id.as_str())
        .bind(code)
        .bind(reason)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The attempt ended without knowing whether AWS acted (while `owner`
    /// still owns it).
    #[tracing::instrument(name = "postgres mark_invite_unknown", skip_all, fields(db.system = "postgresql"))]
    pub async fn mark_invite_unknown(
        &self,
        request_id: &RequestId,
        owner: &Owner,
    ) -> Result<(), StoreError> {
        let owner = owner.id();
        sqlx::query(
            "UPDATE invite_requests SET status = 'UNKNOWN', update_time = now()
             WHERE request_id = $1 AND status = 'PENDING' AND owner IS NOT DISTINCT FROM $2",
        )
        .bind(request_id.as_str())
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Intents whose outcome must be looked up in AWS: UNKNOWN ones, and
    /// PENDING ones older than `grace` or whose owner's session ended.
    /// Each is claimed for `owner`, so other resolvers leave it alone.
    pub async fn claim_unresolved_invites(
        &self,
        owner: &Owner,
        grace: Duration,
    ) -> Result<Vec<UnresolvedInvite>, StoreError> {
        let owner = owner.id();
        let rows: Vec<IntentRow> = sqlx::query_as(AssertSqlSafe(claim_unresolved_sql()))
            .bind(owner)
            .bind(grace.as_secs_f64())
            .fetch_all(&self.pool)
            .await?;
        self.unreadable
            .readable(rows.into_iter().map(IntentRow::read))
            .into_iter()
            .map(Intent::into_unresolved)
            .collect()
    }
}

/// Claims every abandoned intent for the session `$1` (`$2`: the grace in
/// seconds), saying why each was abandoned.
pub(super) fn claim_unresolved_sql() -> String {
    format!(
        "WITH abandoned AS (
             SELECT request_id, {why} AS why FROM invite_requests
             WHERE status IN ('PENDING', 'UNKNOWN') AND {why} IS NOT NULL
             ORDER BY create_time
             FOR UPDATE SKIP LOCKED),
         claimed AS (
             UPDATE invite_requests i
             SET status = 'PENDING', attempt_time = now(), owner = $1
             FROM abandoned a
             WHERE i.request_id = a.request_id
             RETURNING i.*, a.why)
         SELECT {INTENT_COLUMNS}, why AS abandoned FROM claimed",
        why = abandoned()
    )
}

/// Marks a fresh attempt as in flight, owned by the session `owner`.
async fn claim(
    db: impl sqlx::PgExecutor<'_>,
    request_id: &RequestId,
    owner: i32,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE invite_requests
         SET status = 'PENDING', attempts = attempts + 1, attempt_time = now(),
             update_time = now(), owner = $2
         WHERE request_id = $1",
    )
    .bind(request_id.as_str())
    .bind(owner)
    .execute(db)
    .await?;
    Ok(())
}
