//! The status page's starting point: the newest handshakes, the counts by
//! state and the last event, read together. Replaying the events after that
//! event onto those counts gives exactly the counts that follow.
use sqlx::AssertSqlSafe;

use super::{
    handshakes::counts_in,
    rows::{HandshakeRow, HANDSHAKE_COLUMNS},
    Store, StoreError,
};
use crate::domain::{HandshakeRecord, HandshakeState};

/// The newest `$1` handshakes.
pub(super) const RECENT: &str = "FROM handshakes ORDER BY create_time DESC, id DESC LIMIT $1";

pub struct StatusSnapshot {
    /// Every change up to this event is in `counts` and `recent`; none after.
    pub last_event_id: i64,
    /// Newest first.
    pub recent: Vec<HandshakeRecord>,
    /// States with none are absent.
    pub counts: Vec<(HandshakeState, i64)>,
}

impl Store {
    pub async fn status_snapshot(&self, recent: i64) -> Result<StatusSnapshot, StoreError> {
        let mut tx = self.pool.begin().await?;
        // One snapshot for the three reads. Read one by one, a change
        // committed between them would be in the counts and replayed by the
        // event stream too, and the page would count it twice. (Event ids
        // follow commit order, so the snapshot holds every event up to its
        // last one.)
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let last_event_id: Option<i64> = sqlx::query_scalar(super::events::LATEST_EVENT)
            .fetch_one(&mut *tx)
            .await?;
        let rows: Vec<HandshakeRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {HANDSHAKE_COLUMNS} {RECENT}"
        )))
        .bind(recent)
        .fetch_all(&mut *tx)
        .await?;
        let counts = counts_in(&mut tx).await?;
        tx.commit().await?;
        Ok(StatusSnapshot {
            last_event_id: last_event_id.unwrap_or(0),
            recent: self
                .unreadable
                .readable(rows.into_iter().map(HandshakeRecord::try_from)),
            counts,
        })
    }
}
