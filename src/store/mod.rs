//! Postgres, through one concrete store type. SQL lives here and nowhere else.
mod budget;
mod campaigns;
mod deliveries;
mod error;
mod events;
mod handshakes;
mod indexes;
mod intent_row;
mod invite_leave;
mod invites;
mod leader;
mod lifecycle;
mod listen;
mod locks;
mod migrations;
mod new_invite;
#[cfg(any(test, feature = "test-support"))]
mod plans;
mod progress;
mod quota;
mod ready;
mod rows;
mod session;
mod snapshot;
mod stored;
mod transfer_events;
mod transfer_requests;
mod transfers;
mod unreadable;

pub use budget::Turn;
pub use campaigns::{CreatedCampaign, Followed, NextTarget};
pub use deliveries::{Attempted, DeliveryRow, DueDelivery, NewDelivery, SubscriptionRow};
pub use error::StoreError;
pub use events::EventBatch;
pub use handshakes::{Known, ListCursor, ListQuery};
pub use invites::{Abandoned, BeginInvite, UnresolvedInvite};
pub use leader::{Candidate, Leadership, Takeover};
pub use lifecycle::MemberCount;
pub use listen::{Heard, Notifications};
pub use locks::{POLLER_LOCK, QUOTA_LOCK};
pub use migrations::OutOfOrder;
#[cfg(any(test, feature = "test-support"))]
pub use plans::HotPlan;
pub use progress::{Notice, ONBOARDING_WORK};
pub use ready::DatabaseReady;
pub use session::{Owner, Session, SessionKeeper, FENCE};
pub use snapshot::StatusSnapshot;
pub use transfer_requests::{BeginTransfer, PendingTransfer};
pub use transfers::{TransferKnown, TransferQuery};
pub use unreadable::Unreadable;

use std::time::Duration;

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    PgPool,
};

use crate::metrics::Metrics;
use locks::MIGRATION_LOCK;
use unreadable::Reporter;

/// How long a call waits for a connection before it fails (UNAVAILABLE).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// Idle connections older than this are pinged before they are handed out.
const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct Store {
    pool: PgPool,
    unreadable: Reporter,
}

impl Store {
    /// A lazy pool: the service starts, and reports NOT_SERVING, even while
    /// Postgres is down. A short acquire timeout turns an outage into a
    /// prompt UNAVAILABLE instead of a hung call.
    pub fn connect_lazy(options: PgConnectOptions) -> Self {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // A connection back from a call a moment ago is used as is; one
            // that sat idle is pinged first, as sqlx does by default for
            // all (a round trip on every acquire, most of a hot call's).
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IDLE_AFTER {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_lazy_with(options);
        Self {
            pool,
            unreadable: Reporter::new(Metrics::new()),
        }
    }

    /// Rows this release cannot read are counted in `metrics` (a fresh
    /// registry nobody serves until this is called).
    pub fn reporting_to(self, metrics: &Metrics) -> Self {
        Self {
            unreadable: Reporter::new(metrics.clone()),
            ..self
        }
    }

    /// The pool, for tests and benchmarks that inspect the tables; the
    /// service's own SQL stays in this module.
    #[cfg(any(test, feature = "test-support"))]
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs the migrations (tolerating newer ones: see `migrations`), seeds
    /// the AWS request budget's row of every operation, then rebuilds any
    /// index an interrupted concurrent build left invalid: one
    /// replica at a time, on one connection of its own, whose session lock
    /// goes with it however this ends.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let one = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .connect_with((*self.pool.connect_options()).clone())
            .await?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&one)
            .await?;
        let mut conn = one.acquire().await?;
        migrations::run(&mut conn).await?;
        budget::seed(&mut conn).await?;
        indexes::rebuild_invalid(&mut conn).await?;
        drop(conn);
        one.close().await;
        Ok(())
    }
}
