//! The transfer change log: `transfer_events` in commit order (under its
//! own order lock), announced on the transfers channel, and the
//! DEADLINE_SOON warnings written into it.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{types::Json, AssertSqlSafe, PgConnection};

use super::{
    listen::TRANSFERS_CHANNEL,
    locks::{begin_locked, TRANSFER_EVENT_ORDER_LOCK},
    transfers::{TransferRow, TRANSFER_COLUMNS},
    Store, StoreError,
};
use crate::domain::{TransferEvent, TransferEventKind, TransferStatus};

/// A `transfer_events` row: id, kind, previous status, snapshot, time.
type EventRow = (
    i64,
    String,
    Option<String>,
    Json<TransferRow>,
    DateTime<Utc>,
);

impl Store {
    /// Records the DEADLINE_SOON warning of every open transfer whose
    /// acceptance deadline (start - 24 h) comes within `within` of `now`:
    /// once per transfer, whichever replica runs it, however often. `now`
    /// is the service's clock, the one InviteTransfer judged the start by.
    pub async fn warn_transfer_deadlines(
        &self,
        within: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<TransferEvent>, StoreError> {
        let mut tx = begin_locked(&self.pool, TRANSFER_EVENT_ORDER_LOCK).await?;
        let rows: Vec<TransferRow> = sqlx::query_as(AssertSqlSafe(format!(
            "UPDATE transfers
             SET deadline_warning_time = now(), version = version + 1, update_time = now()
             WHERE status = 'REQUESTED' AND deadline_warning_time IS NULL
               AND start_time - interval '24 hours' <= $2 + make_interval(secs => $1)
             RETURNING {TRANSFER_COLUMNS}"
        )))
        .bind(within.as_secs_f64())
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            let status = TransferStatus::from_aws(&row.status);
            let (event_id, observe_time) = append(
                &mut tx,
                &row.id,
                status,
                &row.status.clone(),
                Json(&row),
                TransferEventKind::DeadlineSoon,
            )
            .await?;
            events.push(TransferEvent {
                event_id,
                kind: TransferEventKind::DeadlineSoon,
                previous_status: status,
                record: row.read()?,
                observe_time,
            });
        }
        tx.commit().await?;
        Ok(events)
    }

    /// Transfer events after `after`, oldest first, at most `limit`.
    pub async fn transfer_events_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<TransferEvent>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT event_id, kind, previous_status, snapshot, observe_time
                 FROM transfer_events WHERE event_id > $1 ORDER BY event_id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(event_id, kind, previous, snapshot, observe_time)| {
                Ok(TransferEvent {
                    event_id,
                    kind: TransferEventKind::from_db(&kind),
                    previous_status: previous.as_deref().and_then(TransferStatus::from_aws),
                    record: snapshot.0.read()?,
                    observe_time,
                })
            })
            .collect()
    }

    /// The newest transfer event's id (0 when none).
    pub async fn latest_transfer_event_id(&self) -> Result<i64, StoreError> {
        let id: Option<i64> = sqlx::query_scalar("SELECT max(event_id) FROM transfer_events")
            .fetch_one(&self.pool)
            .await?;
        Ok(id.unwrap_or(0))
    }
}

/// Appends one event (and, for a status change, the history row) and
/// announces it with the commit; the caller holds the transfer event lock.
pub(super) async fn append(
    tx: &mut PgConnection,
    id: &str,
    previous: Option<TransferStatus>,
    status: &str,
    snapshot: Json<&TransferRow>,
    kind: TransferEventKind,
) -> Result<(i64, DateTime<Utc>), StoreError> {
    let (event_id, observe_time, _): (i64, DateTime<Utc>, Option<String>) = sqlx::query_as(
        "WITH history AS (
             INSERT INTO transfer_status_history (transfer_id, status)
             SELECT $1, $3 WHERE $7
             ON CONFLICT DO NOTHING),
         e AS (
             INSERT INTO transfer_events (transfer_id, previous_status, status, snapshot, kind)
             VALUES ($1, $2, $3, $4, $5)
             RETURNING event_id, observe_time)
         SELECT e.event_id, e.observe_time, pg_notify($6, e.event_id::text)::text FROM e",
    )
    .bind(id)
    .bind(previous.map(|p| p.as_str()))
    .bind(status)
    .bind(snapshot)
    .bind(kind.as_str())
    .bind(TRANSFERS_CHANNEL)
    .bind(kind == TransferEventKind::StatusChange)
    .fetch_one(&mut *tx)
    .await?;
    Ok((event_id, observe_time))
}
