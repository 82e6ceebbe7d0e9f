//! The intent of an InviteTransfer call (`transfer_requests`), written
//! before AWS is called, so a crash after the call is found and finished,
//! and a retry never sends twice.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{types::Json, AssertSqlSafe, FromRow};

use super::{
    session::{owner_gone, Owner},
    stored::{stored_tags, tags_of, StoredTag},
    Store, StoreError,
};
use crate::domain::{InviteTarget, Notes, PartyType, RequestId, TransferInvite};

/// What `begin_transfer` found, and so what the caller does next.
#[derive(Debug, PartialEq, Eq)]
pub enum BeginTransfer {
    /// A fresh attempt, owned by this call: send.
    Started,
    /// Sent before under this request_id: answer with this transfer.
    Sent { transfer_id: String },
    /// An earlier attempt was abandoned without a known outcome (its replica
    /// died, or it outlived the grace): this call now owns it. Look in AWS
    /// first; send only if AWS has nothing.
    Resume,
    /// Another call is sending under this request_id right now.
    InFlight,
    /// The request_id was used for a different request.
    Reused,
}

/// An abandoned intent, for the sweep to settle.
#[derive(Debug, Clone)]
pub struct PendingTransfer {
    pub request_id: RequestId,
    pub invite: TransferInvite,
    pub create_time: DateTime<Utc>,
}

#[derive(FromRow)]
struct IntentRow {
    request_id: String,
    target_type: String,
    target_id: String,
    start_time: DateTime<Utc>,
    source_name: String,
    notes: String,
    tags: Json<Vec<StoredTag>>,
    requested_by: Option<String>,
    create_time: DateTime<Utc>,
}

impl IntentRow {
    fn read(self) -> Result<PendingTransfer, StoreError> {
        let corrupt = || StoreError::Corrupt(format!("transfer request {}", self.request_id));
        let kind = PartyType::from_aws(&self.target_type);
        Ok(PendingTransfer {
            request_id: RequestId::parse(&self.request_id).map_err(|_| corrupt())?,
            invite: TransferInvite {
                target: InviteTarget::parse(kind, &self.target_id).map_err(|_| corrupt())?,
                start_time: self.start_time,
                source_name: self.source_name.clone(),
                notes: Notes::parse(&self.notes).map_err(|_| corrupt())?,
                tags: tags_of(self.tags.0),
                request_id: RequestId::parse(&self.request_id).ok(),
                requested_by: self.requested_by,
            },
            create_time: self.create_time,
        })
    }
}

/// Why a PENDING attempt counts as abandoned (`$2`: the grace in seconds).
fn abandoned() -> String {
    format!(
        "(attempt_time < now() - make_interval(secs => $2) OR {})",
        owner_gone("owner")
    )
}

impl Store {
    /// Claims `request_id` for one attempt owned by `owner`, or says why
    /// this call must not send (see `BeginTransfer`).
    pub async fn begin_transfer(
        &self,
        request_id: &RequestId,
        invite: &TransferInvite,
        owner: &Owner,
        grace: Duration,
    ) -> Result<BeginTransfer, StoreError> {
        let mut tx = self.pool.begin().await?;
        let inserted: Option<String> = sqlx::query_scalar(
            "INSERT INTO transfer_requests (request_id, status, digest, target_type, target_id,
                 start_time, source_name, notes, tags, requested_by, owner)
             VALUES ($1, 'PENDING', $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (request_id) DO NOTHING RETURNING request_id",
        )
        .bind(request_id.as_str())
        .bind(invite.digest())
        .bind(invite.target.kind().as_str())
        .bind(invite.target.id())
        .bind(invite.start_time)
        .bind(&invite.source_name)
        .bind(invite.notes.as_str())
        .bind(Json(stored_tags(&invite.tags)))
        .bind(invite.requested_by.as_deref())
        .bind(owner.id())
        .fetch_optional(&mut *tx)
        .await?;
        if inserted.is_some() {
            tx.commit().await?;
            return Ok(BeginTransfer::Started);
        }
        let (status, digest, transfer_id, abandoned): (String, String, Option<String>, bool) =
            sqlx::query_as(AssertSqlSafe(format!(
                "SELECT status, digest, transfer_id, {} FROM transfer_requests
                 WHERE request_id = $1 FOR UPDATE",
                abandoned()
            )))
            .bind(request_id.as_str())
            .bind(grace.as_secs_f64())
            .fetch_one(&mut *tx)
            .await?;
        let found = if digest != invite.digest() {
            BeginTransfer::Reused
        } else if let (Some(transfer_id), "SENT") = (transfer_id, status.as_str()) {
            BeginTransfer::Sent { transfer_id }
        } else if status == "FAILED" || abandoned {
            sqlx::query(
                "UPDATE transfer_requests
                 SET status = 'PENDING', owner = $2, attempts = attempts + 1,
                     attempt_time = now(), update_time = now()
                 WHERE request_id = $1",
            )
            .bind(request_id.as_str())
            .bind(owner.id())
            .execute(&mut *tx)
            .await?;
            if status == "FAILED" {
                BeginTransfer::Started
            } else {
                BeginTransfer::Resume
            }
        } else {
            BeginTransfer::InFlight
        };
        tx.commit().await?;
        Ok(found)
    }

    /// The attempt made `transfer_id`.
    pub async fn complete_transfer_request(
        &self,
        request_id: &RequestId,
        transfer_id: &str,
        handshake_id: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE transfer_requests
             SET status = 'SENT', transfer_id = $2, handshake_id = $3, update_time = now()
             WHERE request_id = $1",
        )
        .bind(request_id.as_str())
        .bind(transfer_id)
        .bind(handshake_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Nothing was sent (AWS refused, or AWS has no such transfer): a
    /// retry under the same request_id sends again.
    pub async fn fail_transfer_request(
        &self,
        request_id: &RequestId,
        code: &str,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE transfer_requests
             SET status = 'FAILED', error_code = $2, error_reason = $3, owner = NULL,
                 update_time = now()
             WHERE request_id = $1 AND status = 'PENDING'",
        )
        .bind(request_id.as_str())
        .bind(code)
        .bind(reason)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// PENDING intents older than `grace` or whose replica is gone, each
    /// claimed for `owner` so no other resolver takes it meanwhile.
    pub async fn claim_abandoned_transfers(
        &self,
        owner: &Owner,
        grace: Duration,
    ) -> Result<Vec<PendingTransfer>, StoreError> {
        let rows: Vec<IntentRow> = sqlx::query_as(AssertSqlSafe(format!(
            "WITH abandoned AS (
                 SELECT request_id FROM transfer_requests
                 WHERE status = 'PENDING' AND {}
                 ORDER BY create_time FOR UPDATE SKIP LOCKED)
             UPDATE transfer_requests r SET owner = $1, attempt_time = now()
             FROM abandoned a WHERE r.request_id = a.request_id
             RETURNING r.request_id, r.target_type, r.target_id, r.start_time, r.source_name,
                       r.notes, r.tags, r.requested_by, r.create_time",
            abandoned()
        )))
        .bind(owner.id())
        .bind(grace.as_secs_f64())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(IntentRow::read).collect()
    }
}
