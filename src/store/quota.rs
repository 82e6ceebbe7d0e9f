//! Counting the invitations in the quota window, from what Postgres knows:
//! every INVITE handshake AWS says was requested in the window (ours and
//! adopted ones), plus our attempts still in flight that may have reached AWS.
use chrono::{DateTime, Utc};
use sqlx::{types::Json, PgConnection};

use super::{
    locks::QUOTA_LOCK,
    stored::{stored_tags, StoredRenewal, StoredSpec},
    Store, StoreError,
};
use crate::domain::{Invitation, InviteQuota, QuotaUse, RequestId};

/// Invitations in the last `$1` seconds, and attempts in flight: the
/// `quota_counted` function (migration 0016), inlined by the planner.
pub(super) const QUOTA_USE: &str = "SELECT count(*), min(t), now() FROM quota_counted($1)";

/// The quota count and, when fewer than `$3` were used, the new intent, in
/// one round trip: `invite_within_quota` (migration 0016) takes the quota
/// lock `$1` first, to the end of the caller's transaction. No row is
/// inserted when the quota is used up or the request_id exists: the caller
/// looks closer.
const INSERT_WITHIN_QUOTA: &str = "SELECT quota_used, quota_oldest, db_now, intent_inserted
     FROM invite_within_quota($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

/// Counts the quota and, within it, inserts the intent of a new request_id
/// (`INSERT_WITHIN_QUOTA`): the count, the oldest counted, Postgres' now,
/// and whether the intent was inserted.
pub(super) async fn within_quota(
    db: impl sqlx::PgExecutor<'_>,
    request_id: &RequestId,
    inv: &Invitation,
    owner: i32,
    quota: InviteQuota,
) -> Result<(i64, Option<DateTime<Utc>>, DateTime<Utc>, bool), StoreError> {
    Ok(sqlx::query_as(INSERT_WITHIN_QUOTA)
        .bind(QUOTA_LOCK)
        .bind(quota.window.as_secs_f64())
        .bind(i64::from(quota.limit))
        .bind(request_id.as_str())
        .bind(inv.target.kind().as_str())
        .bind(inv.target.id())
        .bind(inv.notes.as_str())
        .bind(Json(stored_tags(&inv.tags)))
        .bind(inv.requested_by.as_deref())
        .bind(inv.onboarding.as_ref().map(|o| Json(StoredSpec::from(o))))
        .bind(inv.renewal.as_ref().map(|r| Json(StoredRenewal::from(r))))
        .bind(owner)
        .fetch_one(db)
        .await?)
}

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
