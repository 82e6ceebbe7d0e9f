//! Onboarding progress: the handshakes the polling replica may have work
//! on, and each step's outcome written back with the handshake.
use sqlx::{types::Json, AssertSqlSafe};

use super::{
    locks::EVENT_ORDER_LOCK,
    rows::{HandshakeRow, HANDSHAKE_COLUMNS},
    Store, StoreError,
};
use crate::domain::{EventKind, HandshakeEvent, HandshakeId, HandshakeRecord, Onboarding};

impl Store {
    /// Handshakes whose onboarding is unfinished, or failed to accept while
    /// a person may still accept (`onboarding_due`, a partial index).
    pub async fn due_onboardings(&self) -> Result<Vec<HandshakeRecord>, StoreError> {
        let rows: Vec<HandshakeRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {HANDSHAKE_COLUMNS} FROM handshakes WHERE onboarding_due ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(HandshakeRecord::try_from).collect()
    }

    /// Writes `onboarding` to the handshake. A new status is news: the
    /// record's version moves and an ONBOARDING event is appended (and
    /// announced), in one transaction; otherwise (another attempt, a retry
    /// time) the row alone changes.
    pub async fn save_onboarding(
        &self,
        id: &HandshakeId,
        onboarding: &Onboarding,
        new_status: bool,
    ) -> Result<(HandshakeRecord, Option<HandshakeEvent>), StoreError> {
        let mut tx = self.pool.begin().await?;
        if new_status {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(EVENT_ORDER_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        let bump = i64::from(new_status);
        let row: HandshakeRow = sqlx::query_as(AssertSqlSafe(format!(
            "UPDATE handshakes SET onboarding = $2, version = version + $3,
                 update_time = CASE WHEN $3 > 0 THEN now() ELSE update_time END
             WHERE id = $1
             RETURNING {HANDSHAKE_COLUMNS}"
        )))
        .bind(id.as_str())
        .bind(Json(onboarding))
        .bind(bump)
        .fetch_one(&mut *tx)
        .await?;
        let record = HandshakeRecord::try_from(row)?;
        let event = if new_status {
            let state = record.handshake.state;
            Some(super::events::append(&mut tx, &record, Some(state), EventKind::Onboarding).await?)
        } else {
            None
        };
        tx.commit().await?;
        Ok((record, event))
    }

    /// Whether an InviteAccount with this request_id was ever begun.
    pub async fn intent_exists(&self, request_id: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM invite_requests WHERE request_id = $1)",
        )
        .bind(request_id)
        .fetch_one(&self.pool)
        .await?)
    }
}
