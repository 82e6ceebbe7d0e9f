//! An invitation's whole life in Postgres: the expiry warning (recorded
//! once, with its event), the expired handshakes due a renewal, a target's
//! open invitation, and the counts of account slots.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::{
    locks::{begin_locked, EVENT_ORDER_LOCK},
    rows::{HandshakeRow, HANDSHAKE_COLUMNS},
    Store, StoreError,
};
use crate::domain::{EventKind, HandshakeEvent, HandshakeRecord, InviteTarget};

/// Open handshakes not warned about yet whose expiry is within `$1` s.
pub(super) const WARN_EXPIRING: &str = "UPDATE handshakes
     SET expiry_warning_time = now(), version = version + 1, update_time = now()
     WHERE state = 'OPEN' AND expiry_warning_time IS NULL
       AND expiration_time <= now() + make_interval(secs => $1)";
/// Expired handshakes still to be renewed. `renewal_due` (migration 0006)
/// is `Renewal::is_due` in SQL, exactly (tests/api/due.rs).
pub(super) const DUE_RENEWALS: &str = "FROM handshakes WHERE renewal_due ORDER BY id";
pub(super) const OPEN_FOR_TARGET: &str = "FROM handshakes
     WHERE state = 'OPEN' AND action = 'INVITE'
       AND lower(target_id) = lower($1) AND target_type = $2
     ORDER BY create_time DESC LIMIT 1";
pub(super) const PENDING_INVITATIONS: &str =
    "SELECT count(*) FROM handshakes WHERE state = 'OPEN' AND action = 'INVITE'";
pub(super) const EXPIRING_INVITATIONS: &str =
    "SELECT count(*) FROM handshakes WHERE state = 'OPEN' AND expiry_warning_time IS NOT NULL";

/// The organization's member accounts, as last counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberCount {
    pub accounts: i64,
    pub counted: DateTime<Utc>,
}

impl Store {
    /// Records the EXPIRING_SOON warning of every OPEN handshake that
    /// expires within `within` and was not warned about yet: the warning
    /// time, a new version and an event, in one transaction. Once per
    /// handshake, whichever replica runs it, however often.
    pub async fn warn_expiring(&self, within: Duration) -> Result<Vec<HandshakeEvent>, StoreError> {
        let mut tx = begin_locked(&self.pool, EVENT_ORDER_LOCK).await?;
        let rows: Vec<HandshakeRow> = sqlx::query_as(AssertSqlSafe(format!(
            "{WARN_EXPIRING} RETURNING {HANDSHAKE_COLUMNS}"
        )))
        .bind(within.as_secs_f64())
        .fetch_all(&mut *tx)
        .await?;
        let records = self
            .unreadable
            .readable(rows.into_iter().map(HandshakeRecord::try_from));
        let mut events = Vec::with_capacity(records.len());
        for record in records {
            let state = Some(record.handshake.state);
            events.push(
                super::events::append(&mut tx, &record, state, EventKind::ExpiringSoon).await?,
            );
        }
        tx.commit().await?;
        Ok(events)
    }

    /// Expired handshakes this service made that are still to be renewed.
    pub async fn due_renewals(&self) -> Result<Vec<HandshakeRecord>, StoreError> {
        let rows: Vec<HandshakeRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {HANDSHAKE_COLUMNS} {DUE_RENEWALS}"
        )))
        .fetch_all(&self.pool)
        .await?;
        Ok(self
            .unreadable
            .readable(rows.into_iter().map(HandshakeRecord::try_from)))
    }

    /// The target's OPEN invitation, if this service knows one.
    pub async fn open_invitation_for(
        &self,
        target: &InviteTarget,
    ) -> Result<Option<HandshakeRecord>, StoreError> {
        let row: Option<HandshakeRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {HANDSHAKE_COLUMNS} {OPEN_FOR_TARGET}"
        )))
        .bind(target.id())
        .bind(target.kind().as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(HandshakeRecord::try_from).transpose()?)
    }

    /// OPEN INVITE handshakes: AWS counts them against the account limit.
    pub async fn pending_invitations(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(PENDING_INVITATIONS)
            .fetch_one(&self.pool)
            .await?)
    }

    /// OPEN handshakes warned about as expiring soon.
    pub async fn expiring_invitations(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(EXPIRING_INVITATIONS)
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn member_accounts(&self) -> Result<Option<MemberCount>, StoreError> {
        let row: Option<(i32, DateTime<Utc>)> =
            sqlx::query_as("SELECT member_accounts, member_accounts_time FROM organization_stats")
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(accounts, counted)| MemberCount {
            accounts: i64::from(accounts),
            counted,
        }))
    }

    pub async fn set_member_accounts(&self, accounts: usize) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO organization_stats (member_accounts, member_accounts_time)
             VALUES ($1, now())
             ON CONFLICT (one) DO UPDATE
             SET member_accounts = EXCLUDED.member_accounts,
                 member_accounts_time = EXCLUDED.member_accounts_time",
        )
        .bind(i32::try_from(accounts).unwrap_or(i32::MAX))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
