//! The handshake AWS has just made for InviteAccount, recorded in one round
//! trip when it is new here: `record_new_invite` (migration 0017) inserts
//! it with its history row and event, links the intent and notifies, under
//! the event-order lock, as the general path (upsert, then event) would.
use chrono::Utc;
use sqlx::{types::Json, AssertSqlSafe};

use super::{
    handshakes::{bind_row, Known},
    listen::{EVENTS_CHANNEL, WAKE_CHANNEL},
    locks::EVENT_ORDER_LOCK,
    rows::{new_invite_record, HandshakeRow, HANDSHAKE_COLUMNS},
    stored::StoredRecord,
    StoreError,
};
use crate::domain::{Handshake, HandshakeRecord};

/// Records `h`, made for the intent `known.request_id`, when no row of it
/// exists yet. None when one does (the poller listed it first): nothing was
/// written, and the caller takes the general path.
pub(super) async fn record_new_invite(
    pool: &sqlx::PgPool,
    h: &Handshake,
    known: &Known,
) -> Result<Option<HandshakeRecord>, StoreError> {
    // The event's snapshot is the record this row makes, serialised here as
    // every other snapshot is; Postgres fills in the times it assigns.
    let snapshot = StoredRecord::from(&new_invite_record(h, known, Utc::now()));
    let row: Option<HandshakeRow> = bind_row(
        sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {HANDSHAKE_COLUMNS} FROM record_new_invite(
                 $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                 $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
        )))
        .bind(EVENT_ORDER_LOCK),
        h,
        known,
    )
    .bind(Json(&snapshot))
    .bind(EVENTS_CHANNEL)
    .bind(WAKE_CHANNEL)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(HandshakeRecord::try_from).transpose()?)
}
