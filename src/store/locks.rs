//! Every Postgres advisory-lock key this service takes, in one place so no
//! two uses can collide (any constants unique to this service would do).

/// Orders the writers of `handshake_events`, so event ids follow commit order.
pub(super) const EVENT_ORDER_LOCK: i64 = 0x6f72_6769_6e76_0001;
/// Held, for as long as it polls, by the one replica that polls AWS.
pub const POLLER_LOCK: i64 = 0x6f72_6769_6e76_0002;
/// Serialises the count-then-claim of concurrent InviteAccount calls on
/// every replica, so two calls cannot both take the last quota slot.
pub const QUOTA_LOCK: i64 = 0x6f72_6769_6e76_0003;
/// Held by the replica migrating, and rebuilding invalid indexes, at start.
pub(super) const MIGRATION_LOCK: i64 = 0x6f72_6769_6e76_0004;
/// Orders the writers of `transfer_events`, as EVENT_ORDER_LOCK does
/// handshake events'.
pub(super) const TRANSFER_EVENT_ORDER_LOCK: i64 = 0x6f72_6769_6e76_0005;
/// With a replica session's number, the lock that says the session is
/// alive (the two-key form, so it never meets the keys above).
pub(super) const OWNER_LOCK_CLASS: i32 = 0x6f72_6769;

/// A transaction that holds `key` from its first round trip on: BEGIN and
/// the lock go in one simple query.
pub(super) async fn begin_locked(
    pool: &sqlx::PgPool,
    key: i64,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    pool.begin_with(sqlx::AssertSqlSafe(format!(
        "BEGIN; SELECT pg_advisory_xact_lock({key})"
    )))
    .await
}
