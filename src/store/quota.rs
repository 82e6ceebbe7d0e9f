//! Counting the invitations in the quota window, from what Postgres knows:
//! every INVITE handshake AWS says was requested in the window (ours and
//! adopted ones), plus our attempts still in flight that may have reached AWS.
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::{Store, StoreError};
use crate::domain::{InviteQuota, QuotaUse};

/// Invitations in the last `$1` seconds, and attempts in flight: both
/// read through partial indexes (the window's, the unresolved intents').
macro_rules! counted {
    () => {
        "counted AS (
             SELECT requested_time AS t FROM handshakes
             WHERE action = 'INVITE' AND requested_time > now() - make_interval(secs => $1)
             UNION ALL
             SELECT attempt_time FROM invite_requests
             WHERE status IN ('PENDING', 'UNKNOWN') AND handshake_id IS NULL
               AND attempt_time > now() - make_interval(secs => $1))"
    };
}

pub(super) const QUOTA_USE: &str = concat!(
    "WITH ",
    counted!(),
    " SELECT count(*), min(t), now() FROM counted"
);

/// The quota count and, when fewer than `$2` were used, the new intent, in
/// one statement (the common case of InviteAccount in one round trip). The
/// caller holds the quota lock, taken in an earlier statement so this one's
/// snapshot sees every intent committed before it. No row is inserted when
/// the quota is used up or the request_id exists: the caller looks closer.
pub(super) const INSERT_WITHIN_QUOTA: &str = concat!(
    "WITH ",
    counted!(),
    ", quota AS (SELECT count(*) AS used, min(t) AS oldest, now() AS now FROM counted),
     inserted AS (
         INSERT INTO invite_requests (request_id, status, target_type, target_id, notes, tags,
                                      requested_by, onboarding, renewal, owner)
         SELECT $3, 'PENDING', $4, $5, $6, $7, $8, $9, $10, $11 FROM quota WHERE used < $2
         ON CONFLICT (request_id) DO NOTHING
         RETURNING 1)
     SELECT used, oldest, now, EXISTS (SELECT 1 FROM inserted) FROM quota"
);

pub(super) async fn quota_use(
    conn: &mut PgConnection,
    quota: InviteQuota,
) -> Result<QuotaUse, StoreError> {
    let counted: Counted = sqlx::query_as(QUOTA_USE)
        .bind(quota.window.as_secs_f64())
        .fetch_one(&mut *conn)
        .await?;
    Ok(quota_use_of(quota, counted))
}

/// What the quota count returns: how many, the oldest, and Postgres' now.
pub(super) type Counted = (i64, Option<DateTime<Utc>>, DateTime<Utc>);

pub(super) fn quota_use_of(quota: InviteQuota, (used, oldest, now): Counted) -> QuotaUse {
    QuotaUse::new(quota, u32::try_from(used).unwrap_or(u32::MAX), oldest, now)
}

impl Store {
    pub async fn invite_quota(&self, quota: InviteQuota) -> Result<QuotaUse, StoreError> {
        let mut conn = self.pool.acquire().await?;
        quota_use(&mut conn, quota).await
    }
}
