//! The change log: state history per handshake and `handshake_events` in
//! commit order, announced to every replica with `pg_notify`.
use chrono::{DateTime, Utc};
use sqlx::{types::Json, FromRow, PgConnection};

use super::{
    listen::EVENTS_CHANNEL,
    stored::{Lenient, StoredRecord},
    Store, StoreError, Unreadable,
};
use crate::{
    domain::{EventKind, HandshakeEvent, HandshakeId, HandshakeRecord, HandshakeState, StateSeen},
    metrics::StoredTable,
};

pub(super) const EVENTS_AFTER: &str =
    "SELECT event_id, kind, previous_state, snapshot, observe_time FROM handshake_events
     WHERE event_id > $1 ORDER BY event_id LIMIT $2";
pub(super) const LATEST_EVENT: &str = "SELECT max(event_id) FROM handshake_events";
pub(super) const OLDEST_EVENT: &str = "SELECT min(event_id) FROM handshake_events";
/// Events older than `$1` seconds but the newest (by the observe_time index).
pub(super) const PRUNE_EVENTS: &str = "DELETE FROM handshake_events
     WHERE observe_time < now() - make_interval(secs => $1)
       AND event_id < (SELECT max(event_id) FROM handshake_events)";
pub(super) const HISTORY_OF: &str = "SELECT state, first_seen_time FROM handshake_state_history
     WHERE handshake_id = $1 ORDER BY first_seen_time, state";

#[derive(FromRow)]
struct EventRow {
    event_id: i64,
    kind: String,
    previous_state: Option<String>,
    snapshot: Lenient<StoredRecord>,
    observe_time: DateTime<Utc>,
}

impl TryFrom<EventRow> for HandshakeEvent {
    type Error = Unreadable;

    fn try_from(r: EventRow) -> Result<Self, Unreadable> {
        let record: HandshakeRecord = r.snapshot.read().map_err(|_| Unreadable {
            table: StoredTable::HandshakeEvents,
            id: r.event_id.to_string(),
            column: "snapshot",
        })?;
        Ok(Self {
            event_id: r.event_id,
            kind: EventKind::from_db(&r.kind),
            previous_state: r
                .previous_state
                .as_deref()
                .map(HandshakeState::from_aws)
                .unwrap_or_default(),
            record,
            observe_time: r.observe_time,
        })
    }
}

/// A batch of the change log: the events this release can read, and how
/// far it reached (a reader resumes after `last_id`, past rows it skipped).
#[derive(Debug, Default)]
pub struct EventBatch {
    pub events: Vec<HandshakeEvent>,
    /// Rows read, readable or not: fewer than asked means the end.
    pub rows: usize,
    /// The last row's event id, readable or not.
    pub last_id: Option<i64>,
}

/// Records a change of `record` (its state, or its onboarding; the state
/// history only for the first); the caller holds the event-order lock.
pub(super) async fn append(
    tx: &mut PgConnection,
    record: &HandshakeRecord,
    previous: Option<HandshakeState>,
    kind: EventKind,
) -> Result<HandshakeEvent, StoreError> {
    let id = record.handshake.id.as_str();
    let state = record.handshake.state.as_str();
    // The history row (for a new state), the event and its notification,
    // which goes out with the commit: one round trip for all three. The
    // event is made from `record`, not read back from its snapshot.
    let (event_id, observe_time): (i64, DateTime<Utc>) = sqlx::query_as(
        "WITH history AS (
             INSERT INTO handshake_state_history (handshake_id, state)
             SELECT $1, $3 WHERE $8
             ON CONFLICT DO NOTHING),
         e AS (
             INSERT INTO handshake_events (handshake_id, previous_state, state, version, snapshot, kind)
             VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING event_id, observe_time)
         SELECT e.event_id, e.observe_time, pg_notify($7, e.event_id::text)::text FROM e",
    )
    .bind(id)
    .bind(previous.map(|p| p.as_str()))
    .bind(state)
    .bind(record.version)
    .bind(Json(StoredRecord::from(record)))
    .bind(kind.as_str())
    .bind(EVENTS_CHANNEL)
    .bind(kind == EventKind::StateChange)
    .fetch_one(&mut *tx)
    .await?;
    Ok(HandshakeEvent {
        event_id,
        kind,
        previous_state: previous.unwrap_or_default(),
        record: record.clone(),
        observe_time,
    })
}

impl Store {
    /// Events after `after`, oldest first, from at most `limit` rows; a
    /// row this release cannot read is skipped (and reported).
    pub async fn events_after(&self, after: i64, limit: i64) -> Result<EventBatch, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(EVENTS_AFTER)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let (count, last_id) = (rows.len(), rows.last().map(|r| r.event_id));
        Ok(EventBatch {
            events: self
                .unreadable
                .readable(rows.into_iter().map(HandshakeEvent::try_from)),
            rows: count,
            last_id,
        })
    }

    /// The newest event id (0 when there is none).
    pub async fn latest_event_id(&self) -> Result<i64, StoreError> {
        let id: Option<i64> = sqlx::query_scalar(LATEST_EVENT)
            .fetch_one(&self.pool)
            .await?;
        Ok(id.unwrap_or(0))
    }

    /// Deletes events observed more than `retention` ago, always keeping the
    /// newest (it anchors resume tokens: newer than it means "not ours").
    /// A resume token older than what is kept then gets OUT_OF_RANGE.
    pub async fn prune_events(&self, retention: std::time::Duration) -> Result<u64, StoreError> {
        let deleted = sqlx::query(PRUNE_EVENTS)
            .bind(retention.as_secs_f64())
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(deleted)
    }

    /// The oldest event id still kept (None when there is none).
    pub async fn oldest_event_id(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(OLDEST_EVENT)
            .fetch_one(&self.pool)
            .await?)
    }

    /// A handshake with its state history, for Get.
    pub async fn get_with_history(
        &self,
        id: &HandshakeId,
    ) -> Result<Option<HandshakeRecord>, StoreError> {
        let Some(mut record) = self.get(id).await? else {
            return Ok(None);
        };
        let rows: Vec<(String, DateTime<Utc>)> = sqlx::query_as(HISTORY_OF)
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await?;
        record.history = rows
            .into_iter()
            .map(|(state, first_seen_time)| StateSeen {
                state: HandshakeState::from_aws(&state),
                first_seen_time,
            })
            .collect();
        Ok(Some(record))
    }
}
