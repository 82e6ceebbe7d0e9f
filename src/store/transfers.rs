//! Billing transfers: their rows and status history (the change log is
//! `transfer_events`).
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{types::Json, AssertSqlSafe, FromRow};

use super::{
    locks::{begin_locked, TRANSFER_EVENT_ORDER_LOCK},
    transfer_events::append,
    Store, StoreError,
};
use crate::domain::{
    HandshakeId, Participant, RequestId, Transfer, TransferDirection, TransferEvent,
    TransferEventKind, TransferId, TransferRecord, TransferStatus,
};

pub(super) const TRANSFER_COLUMNS: &str = "id, arn, name, type, status, direction, \
     source_account_id, source_email, target_account_id, target_email, start_time, end_time, \
     active_handshake_id, request_id, requested_by, deadline_warning_time, version, create_time, \
     update_time";

/// A `transfers` row, and an event's snapshot (the same fields as JSON).
#[derive(FromRow, Serialize, Deserialize)]
pub(super) struct TransferRow {
    pub(super) id: String,
    arn: String,
    name: String,
    #[sqlx(rename = "type")]
    kind: String,
    pub(super) status: String,
    direction: String,
    source_account_id: Option<String>,
    source_email: Option<String>,
    target_account_id: Option<String>,
    target_email: Option<String>,
    start_time: DateTime<Utc>,
    end_time: Option<DateTime<Utc>>,
    active_handshake_id: Option<String>,
    request_id: Option<String>,
    requested_by: Option<String>,
    deadline_warning_time: Option<DateTime<Utc>>,
    version: i64,
    create_time: DateTime<Utc>,
    update_time: DateTime<Utc>,
}

impl TransferRow {
    pub(super) fn read(self) -> Result<TransferRecord, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("transfer {}: {what}", self.id));
        Ok(TransferRecord {
            transfer: Transfer {
                id: TransferId::parse(&self.id).map_err(|_| corrupt("id"))?,
                arn: self.arn.clone(),
                name: self.name.clone(),
                kind: self.kind.clone(),
                status: TransferStatus::from_aws(&self.status).ok_or_else(|| corrupt("status"))?,
                source: Participant {
                    account_id: self.source_account_id.clone(),
                    email: self.source_email.clone(),
                },
                target: Participant {
                    account_id: self.target_account_id.clone(),
                    email: self.target_email.clone(),
                },
                start_time: self.start_time,
                end_time: self.end_time,
                active_handshake_id: self
                    .active_handshake_id
                    .as_deref()
                    .and_then(|h| HandshakeId::parse(h).ok()),
            },
            direction: TransferDirection::from_aws(&self.direction)
                .ok_or_else(|| corrupt("direction"))?,
            request_id: self
                .request_id
                .as_deref()
                .and_then(|r| RequestId::parse(r).ok()),
            requested_by: self.requested_by.clone(),
            deadline_warning_time: self.deadline_warning_time,
            history: Vec::new(),
            version: self.version,
            create_time: self.create_time,
            update_time: self.update_time,
        })
    }
}

/// What this service knows of a transfer beyond what AWS reports.
#[derive(Debug, Clone, Default)]
pub struct TransferKnown {
    pub request_id: Option<RequestId>,
    pub requested_by: Option<String>,
}

/// Newest first, from after `before` (create_time, id).
#[derive(Debug, Clone, Default)]
pub struct TransferQuery {
    pub direction: Option<TransferDirection>,
    pub statuses: Vec<TransferStatus>,
    pub before: Option<(DateTime<Utc>, String)>,
    pub limit: i64,
}

const UPSERT: &str = "WITH old AS (SELECT status FROM transfers WHERE id = $1),
     up AS (
       INSERT INTO transfers (id, arn, name, type, status, direction, source_account_id,
           source_email, target_account_id, target_email, start_time, end_time,
           active_handshake_id, request_id, requested_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (id) DO UPDATE SET
           arn = EXCLUDED.arn, name = EXCLUDED.name, status = EXCLUDED.status,
           source_account_id = COALESCE(EXCLUDED.source_account_id, transfers.source_account_id),
           source_email = COALESCE(EXCLUDED.source_email, transfers.source_email),
           target_account_id = COALESCE(EXCLUDED.target_account_id, transfers.target_account_id),
           target_email = COALESCE(EXCLUDED.target_email, transfers.target_email),
           start_time = EXCLUDED.start_time,
           end_time = COALESCE(EXCLUDED.end_time, transfers.end_time),
           active_handshake_id = COALESCE(EXCLUDED.active_handshake_id, transfers.active_handshake_id),
           request_id = COALESCE(transfers.request_id, EXCLUDED.request_id),
           requested_by = COALESCE(transfers.requested_by, EXCLUDED.requested_by),
           version = transfers.version + 1, update_time = now()
       WHERE ((transfers.arn, transfers.name, transfers.status, transfers.start_time)
               IS DISTINCT FROM (EXCLUDED.arn, EXCLUDED.name, EXCLUDED.status, EXCLUDED.start_time)
          OR (EXCLUDED.end_time IS NOT NULL AND transfers.end_time IS DISTINCT FROM EXCLUDED.end_time)
          OR (EXCLUDED.active_handshake_id IS NOT NULL
              AND transfers.active_handshake_id IS DISTINCT FROM EXCLUDED.active_handshake_id)
          OR (transfers.request_id IS NULL AND EXCLUDED.request_id IS NOT NULL))
         -- A list read before a newer write (a withdrawal, a rename) must
         -- not undo it: the sweep says when it read ($16); RPCs pass NULL.
         AND ($16::timestamptz IS NULL OR transfers.update_time <= $16)
       RETURNING *)
     SELECT (SELECT status FROM old) AS previous, up.* FROM up";

#[derive(FromRow)]
struct Upserted {
    previous: Option<String>,
    #[sqlx(flatten)]
    row: TransferRow,
}

impl Store {
    /// Records what AWS says of a transfer; a new status (or a first
    /// sighting) gets its history row and a STATUS_CHANGE event. None when
    /// nothing changed, or when the row was written after `read_at` (what
    /// AWS said then is older than the row).
    pub async fn save_transfer(
        &self,
        t: &Transfer,
        direction: TransferDirection,
        known: &TransferKnown,
        read_at: Option<DateTime<Utc>>,
    ) -> Result<Option<(TransferRecord, Option<TransferEvent>)>, StoreError> {
        let mut tx = begin_locked(&self.pool, TRANSFER_EVENT_ORDER_LOCK).await?;
        let up: Option<Upserted> = sqlx::query_as(UPSERT)
            .bind(t.id.as_str())
            .bind(&t.arn)
            .bind(&t.name)
            .bind(&t.kind)
            .bind(t.status.as_str())
            .bind(direction.as_str())
            .bind(t.source.account_id.as_deref())
            .bind(t.source.email.as_deref())
            .bind(t.target.account_id.as_deref())
            .bind(t.target.email.as_deref())
            .bind(t.start_time)
            .bind(t.end_time)
            .bind(t.active_handshake_id.as_ref().map(|h| h.as_str()))
            .bind(known.request_id.as_ref().map(|r| r.as_str()))
            .bind(known.requested_by.as_deref())
            .bind(read_at)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(up) = up else {
            return Ok(None);
        };
        let previous = up.previous.as_deref().and_then(TransferStatus::from_aws);
        let row_status = up.row.status.clone();
        let snapshot = Json(&up.row);
        let mut event = None;
        if previous.map(|p| p.as_str()) != Some(row_status.as_str()) {
            event = Some(
                append(
                    &mut tx,
                    &up.row.id,
                    previous,
                    &row_status,
                    snapshot,
                    TransferEventKind::StatusChange,
                )
                .await?,
            );
        }
        let record = up.row.read()?;
        tx.commit().await?;
        let event = event.map(|(event_id, observe_time)| TransferEvent {
            event_id,
            kind: TransferEventKind::StatusChange,
            previous_status: previous,
            record: record.clone(),
            observe_time,
        });
        Ok(Some((record, event)))
    }

    /// Postgres' clock: when a list read from AWS now was read, in the
    /// rows' own terms (`save_transfer`'s `read_at`).
    pub async fn db_now(&self) -> Result<DateTime<Utc>, StoreError> {
        Ok(sqlx::query_scalar("SELECT now()")
            .fetch_one(&self.pool)
            .await?)
    }

    /// One transfer with its status history.
    pub async fn get_transfer(&self, id: &str) -> Result<Option<TransferRecord>, StoreError> {
        let row: Option<TransferRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {TRANSFER_COLUMNS} FROM transfers WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut record = row.read()?;
        let history: Vec<(String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT status, first_seen_time FROM transfer_status_history
             WHERE transfer_id = $1 ORDER BY first_seen_time, status",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        record.history = history
            .into_iter()
            .filter_map(|(s, t)| TransferStatus::from_aws(&s).map(|s| (s, t)))
            .collect();
        Ok(Some(record))
    }

    /// The transfer whose (last) handshake is `handshake`, if recorded.
    pub async fn transfer_of_handshake(
        &self,
        handshake: &HandshakeId,
    ) -> Result<Option<TransferRecord>, StoreError> {
        let row: Option<TransferRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {TRANSFER_COLUMNS} FROM transfers WHERE active_handshake_id = $1"
        )))
        .bind(handshake.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(TransferRow::read).transpose()
    }

    /// Newest first (`TransferQuery`).
    pub async fn list_transfers(
        &self,
        q: &TransferQuery,
    ) -> Result<Vec<TransferRecord>, StoreError> {
        let statuses: Vec<&str> = q.statuses.iter().map(|s| s.as_str()).collect();
        let (before_time, before_id) = match &q.before {
            Some((t, id)) => (Some(*t), Some(id.as_str())),
            None => (None, None),
        };
        let rows: Vec<TransferRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {TRANSFER_COLUMNS} FROM transfers
             WHERE ($1::text IS NULL OR direction = $1)
               AND (cardinality($2::text[]) = 0 OR status = ANY($2))
               AND ($3::timestamptz IS NULL OR (create_time, id) < ($3, $4))
             ORDER BY create_time DESC, id DESC LIMIT $5"
        )))
        .bind(q.direction.map(|d| d.as_str()))
        .bind(&statuses)
        .bind(before_time)
        .bind(before_id)
        .bind(q.limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TransferRow::read).collect()
    }

    /// The open transfers (REQUESTED): what the sweep checks when AWS's
    /// lists no longer show one.
    pub async fn open_transfers(&self) -> Result<Vec<TransferRecord>, StoreError> {
        let rows: Vec<TransferRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {TRANSFER_COLUMNS} FROM transfers WHERE status = 'REQUESTED' ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TransferRow::read).collect()
    }

    /// Transfers by direction and status, for the metrics.
    pub async fn count_transfers(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT direction, status, count(*) FROM transfers GROUP BY direction, status",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
