//! Postgres, through one concrete store type. SQL lives here and nowhere else.
mod budget;
mod error;
mod events;
mod fresh;
mod handshakes;
mod invites;
mod leader;
mod lifecycle;
mod listen;
mod locks;
#[cfg(any(test, feature = "test-support"))]
mod plans;
mod progress;
mod quota;
mod ready;
mod rows;
mod session;
mod snapshot;

pub use budget::Turn;
pub use error::StoreError;
pub use handshakes::{Known, ListCursor, ListQuery};
pub use invites::{Abandoned, BeginInvite, UnresolvedInvite};
pub use leader::{Candidate, Leadership, Takeover};
pub use lifecycle::MemberCount;
pub use listen::{Heard, Notifications};
pub use locks::{POLLER_LOCK, QUOTA_LOCK};
#[cfg(any(test, feature = "test-support"))]
pub use plans::HotPlan;
pub use ready::DatabaseReady;
pub use session::{Owner, Session, SessionKeeper, FENCE};
pub use snapshot::StatusSnapshot;

use std::time::Duration;

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    PgPool,
};

/// Idle connections older than this are pinged before they are handed out.
const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone)]
pub struct Store {
    pool: PgPool,
}

impl Store {
    /// A lazy pool: the service starts, and reports NOT_SERVING, even while
    /// Postgres is down. A short acquire timeout turns an outage into a
    /// prompt UNAVAILABLE instead of a hung call.
    pub fn connect_lazy(options: PgConnectOptions) -> Self {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(3))
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
        Self { pool }
    }

    /// The pool, for tests and benchmarks that inspect the tables; the
    /// service's own SQL stays in this module.
    #[cfg(any(test, feature = "test-support"))]
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(StoreError::from)
    }
}
