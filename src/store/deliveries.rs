//! Event delivery's rows: the subscriptions the file named, and one
//! delivery per event and subscription, written in commit order from the
//! events table, claimed by any replica under a lease, one at a time per
//! subscription and handshake.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, FromRow};

use super::{Store, StoreError};
use crate::domain::Subscription;

/// A delivery to write: one event for one subscription.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub event_id: i64,
    /// The handshake (or transfer) the event is about: one's deliveries
    /// go in commit order.
    pub handshake_id: String,
    pub cloud_event_id: String,
    pub kind: String,
    pub body: String,
    pub observe_time: DateTime<Utc>,
}

/// A delivery claimed for one attempt.
#[derive(Debug, Clone, FromRow)]
pub struct DueDelivery {
    pub subscription_id: String,
    pub event_id: i64,
    pub handshake_id: String,
    pub cloud_event_id: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub body: String,
    /// This attempt's number, from 1.
    pub attempts: i32,
    pub observe_time: DateTime<Utc>,
}

/// How an attempt went, as recorded.
#[derive(Debug, Clone)]
pub enum Attempted {
    Delivered {
        status: String,
    },
    /// Tried again at `at`.
    Retry {
        at: DateTime<Utc>,
        status: String,
        error: String,
    },
    Dead {
        status: String,
        error: String,
    },
    /// 410 Gone: the subscription is disabled; this delivery waits for it.
    Gone {
        status: String,
        error: String,
    },
}

/// A subscription as recorded, with its backlog.
#[derive(Debug, Clone, FromRow)]
pub struct SubscriptionRow {
    pub id: String,
    pub kind: String,
    pub target: String,
    pub state: String,
    pub disabled_reason: Option<String>,
    pub backlog: i64,
    pub oldest_undelivered_time: Option<DateTime<Utc>>,
    pub last_success_time: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// A delivery as listed.
#[derive(Debug, Clone, FromRow)]
pub struct DeliveryRow {
    pub subscription_id: String,
    pub event_id: i64,
    pub handshake_id: String,
    pub cloud_event_id: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub state: String,
    pub attempts: i32,
    pub last_attempt_time: Option<DateTime<Utc>>,
    pub next_attempt_time: DateTime<Utc>,
    pub last_status: Option<String>,
    pub last_error: Option<String>,
}

/// What a listed delivery reads (`DeliveryRow`).
const DELIVERY_COLUMNS: &str = "subscription_id, event_id, handshake_id, cloud_event_id, type, \
     state, attempts, last_attempt_time, next_attempt_time, last_status, last_error";

/// Records every subscription of the file; one named for the first time
/// takes the events recorded after now.
const SYNC: &str = "INSERT INTO subscriptions (id, kind, target, start_after, enqueued_through)
     SELECT id, kind, target, latest, latest
     FROM unnest($1::text[], $2::text[], $3::text[]) AS s(id, kind, target),
          (SELECT greatest((SELECT coalesce(max(event_id), 0) FROM handshake_events),
                           (SELECT coalesce(max(event_id), 0) FROM transfer_events)) AS latest) l
     ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, target = EXCLUDED.target";

/// The claim: the oldest pending delivery of each subscription and
/// handshake (commit order), when due and not leased, up to `$2`, leased
/// for `$3` seconds.
pub(super) const CLAIM: &str = "WITH heads AS (
         SELECT DISTINCT ON (d.subscription_id, d.handshake_id)
                d.subscription_id, d.event_id, d.next_attempt_time, d.lease_until
         FROM deliveries d
         WHERE d.state = 'PENDING' AND d.subscription_id = ANY($1)
         ORDER BY d.subscription_id, d.handshake_id, d.event_id),
     due AS (
         SELECT d.subscription_id, d.event_id FROM heads h
         JOIN deliveries d ON d.subscription_id = h.subscription_id AND d.event_id = h.event_id
         WHERE h.next_attempt_time <= now() AND (h.lease_until IS NULL OR h.lease_until < now())
         ORDER BY h.event_id LIMIT $2
         FOR UPDATE OF d SKIP LOCKED)
     UPDATE deliveries d
     SET lease_until = now() + make_interval(secs => $3), attempts = d.attempts + 1,
         last_attempt_time = now()
     FROM due WHERE d.subscription_id = due.subscription_id AND d.event_id = due.event_id
     RETURNING d.subscription_id, d.event_id, d.handshake_id, d.cloud_event_id, d.type,
               d.body, d.attempts, d.observe_time";

impl Store {
    pub async fn sync_subscriptions(&self, subs: &[Subscription]) -> Result<(), StoreError> {
        let ids: Vec<&str> = subs.iter().map(|s| s.id.as_str()).collect();
        let kinds: Vec<&str> = subs.iter().map(|s| s.endpoint.kind()).collect();
        let targets: Vec<String> = subs.iter().map(|s| s.endpoint.shown()).collect();
        sqlx::query(SYNC)
            .bind(&ids)
            .bind(&kinds)
            .bind(&targets)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Writes `subscription`'s deliveries of the next `batch` handshake
    /// events `select` takes, and moves its watermark past them; how many
    /// events were read (0 while another replica writes them).
    pub async fn enqueue_deliveries<F>(
        &self,
        subscription: &str,
        batch: i64,
        select: F,
    ) -> Result<usize, StoreError>
    where
        F: FnMut(&crate::domain::HandshakeEvent) -> Option<NewDelivery>,
    {
        let read = |after| async move {
            let b = self.events_after(after, batch).await?;
            Ok((b.events, b.rows, b.last_id))
        };
        self.enqueue_log(subscription, Log::Handshakes, read, select)
            .await
    }

    /// `enqueue_deliveries` for the transfer log: its own watermark, the
    /// same deliveries table (the two logs share one id sequence).
    pub async fn enqueue_transfer_deliveries<F>(
        &self,
        subscription: &str,
        batch: i64,
        select: F,
    ) -> Result<usize, StoreError>
    where
        F: FnMut(&crate::domain::TransferEvent) -> Option<NewDelivery>,
    {
        let read = |after| async move {
            let events = self.transfer_events_after(after, batch).await?;
            let (rows, last) = (events.len(), events.last().map(|e| e.event_id));
            Ok((events, rows, last))
        };
        self.enqueue_log(subscription, Log::Transfers, read, select)
            .await
    }

    /// One log's enqueue: the watermark, locked for this transaction (None
    /// while another replica writes it), the events after it (`read`: the
    /// events, the rows read, the last row's id), their deliveries and the
    /// new watermark, in one transaction.
    async fn enqueue_log<E, R, Fut>(
        &self,
        subscription: &str,
        log: Log,
        read: R,
        mut select: impl FnMut(&E) -> Option<NewDelivery>,
    ) -> Result<usize, StoreError>
    where
        R: FnOnce(i64) -> Fut,
        Fut: std::future::Future<Output = Result<(Vec<E>, usize, Option<i64>), StoreError>>,
    {
        let mut tx = self.pool.begin().await?;
        let through: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT {} FROM subscriptions WHERE id = $1 FOR UPDATE SKIP LOCKED",
            log.watermark()
        )))
        .bind(subscription)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(through) = through else {
            return Ok(0);
        };
        let (events, rows, last) = read(through).await?;
        let Some(last) = last else {
            return Ok(0);
        };
        let deliveries: Vec<NewDelivery> = events.iter().filter_map(&mut select).collect();
        insert(&mut tx, subscription, &deliveries).await?;
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE subscriptions SET {} = $2 WHERE id = $1",
            log.column()
        )))
        .bind(subscription)
        .bind(last)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Claims up to `limit` due deliveries of the ACTIVE `subscriptions`.
    pub async fn claim_deliveries(
        &self,
        subscriptions: &[String],
        limit: i64,
        lease: Duration,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let active: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM subscriptions WHERE id = ANY($1) AND state = 'ACTIVE'",
        )
        .bind(subscriptions)
        .fetch_all(&self.pool)
        .await?;
        if active.is_empty() {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_as(CLAIM)
            .bind(&active)
            .bind(limit)
            .bind(lease.as_secs_f64())
            .fetch_all(&self.pool)
            .await?)
    }

    /// What an attempt came to.
    pub async fn record_attempt(
        &self,
        d: &DueDelivery,
        outcome: &Attempted,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let (state, next, status, error) = match outcome {
            Attempted::Delivered { status } => ("DELIVERED", None, status, None),
            Attempted::Retry { at, status, error } => ("PENDING", Some(*at), status, Some(error)),
            Attempted::Dead { status, error } => ("DEAD", None, status, Some(error)),
            Attempted::Gone { status, error } => ("PENDING", Some(Utc::now()), status, Some(error)),
        };
        sqlx::query(
            "UPDATE deliveries
             SET state = $3, lease_until = NULL, next_attempt_time = coalesce($4, next_attempt_time),
                 last_status = $5, last_error = $6,
                 delivered_time = CASE WHEN $3 = 'DELIVERED' THEN now() END
             WHERE subscription_id = $1 AND event_id = $2",
        )
        .bind(&d.subscription_id)
        .bind(d.event_id)
        .bind(state)
        .bind(next)
        .bind(status)
        .bind(error)
        .execute(&mut *tx)
        .await?;
        let subscription = match outcome {
            Attempted::Delivered { .. } => {
                "UPDATE subscriptions SET last_success_time = now() WHERE id = $1"
            }
            Attempted::Gone { .. } => {
                "UPDATE subscriptions SET state = 'DISABLED', disabled_reason = $2, last_error = $2
                 WHERE id = $1"
            }
            _ => "UPDATE subscriptions SET last_error = $2 WHERE id = $1",
        };
        sqlx::query(subscription)
            .bind(&d.subscription_id)
            .bind(error)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The subscriptions named `ids`, with their backlogs, in that order.
    pub async fn subscription_rows(
        &self,
        ids: &[String],
    ) -> Result<Vec<SubscriptionRow>, StoreError> {
        let rows: Vec<SubscriptionRow> = sqlx::query_as(
            "SELECT s.id, s.kind, s.target, s.state, s.disabled_reason, s.last_success_time,
                    s.last_error, coalesce(b.n, 0) AS backlog, b.oldest AS oldest_undelivered_time
             FROM subscriptions s
             LEFT JOIN LATERAL (
                 SELECT count(*) AS n, min(observe_time) AS oldest FROM deliveries d
                 WHERE d.subscription_id = s.id AND d.state = 'PENDING') b ON true
             WHERE s.id = ANY($1)",
        )
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids
            .iter()
            .filter_map(|id| rows.iter().find(|r| &r.id == id).cloned())
            .collect())
    }

    /// Newest event first, before `before` (an event id).
    pub async fn list_deliveries(
        &self,
        subscription: &str,
        states: &[&str],
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries
             WHERE subscription_id = $1 AND event_id < coalesce($2, 9223372036854775807)
               AND (cardinality($3::text[]) = 0 OR state = ANY($3))
             ORDER BY event_id DESC LIMIT $4"
        )))
        .bind(subscription)
        .bind(before)
        .bind(states)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Queues `events` of `subscription` again (PENDING, due now, attempts
    /// from zero); returns them as they are now.
    pub async fn redeliver(
        &self,
        subscription: &str,
        events: &[i64],
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        // As queued, in one statement: a pass may claim them at once.
        let mut rows: Vec<DeliveryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE deliveries SET state = 'PENDING', attempts = 0, next_attempt_time = now(),
                                   lease_until = NULL, delivered_time = NULL
             WHERE subscription_id = $1 AND event_id = ANY($2)
             RETURNING {DELIVERY_COLUMNS}"
        )))
        .bind(subscription)
        .bind(events)
        .fetch_all(&self.pool)
        .await?;
        rows.sort_by_key(|r| r.event_id);
        Ok(rows)
    }

    /// ACTIVE again; false when it was not DISABLED.
    pub async fn enable_subscription(&self, id: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "UPDATE subscriptions SET state = 'ACTIVE', disabled_reason = NULL
             WHERE id = $1 AND state = 'DISABLED'",
        )
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected()
            > 0)
    }
}

/// The two event logs deliveries are written from, each with its own
/// watermark column in `subscriptions`.
#[derive(Clone, Copy)]
enum Log {
    Handshakes,
    Transfers,
}

impl Log {
    fn column(self) -> &'static str {
        match self {
            Self::Handshakes => "enqueued_through",
            Self::Transfers => "transfers_enqueued_through",
        }
    }

    /// The watermark as read: a subscription the previous release wrote
    /// has no transfer watermark yet, so it starts where its events did.
    fn watermark(self) -> &'static str {
        match self {
            Self::Handshakes => "enqueued_through",
            Self::Transfers => "coalesce(transfers_enqueued_through, start_after)",
        }
    }
}

/// Writes `rows` as `subscription`'s pending deliveries (once each).
async fn insert(
    tx: &mut sqlx::PgConnection,
    subscription: &str,
    rows: &[NewDelivery],
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO deliveries (subscription_id, event_id, handshake_id, cloud_event_id,
                                 type, body, observe_time)
         SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[],
                                  $6::text[], $7::timestamptz[])
         ON CONFLICT DO NOTHING",
    )
    .bind(subscription)
    .bind(rows.iter().map(|r| r.event_id).collect::<Vec<_>>())
    .bind(
        rows.iter()
            .map(|r| r.handshake_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        rows.iter()
            .map(|r| r.cloud_event_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(rows.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.body.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.observe_time).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}
