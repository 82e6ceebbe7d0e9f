//! Postgres, through one concrete store type. SQL lives here and nowhere else.
mod budget;
mod error;
mod events;
mod handshakes;
mod invites;
mod quota;
mod rows;
mod snapshot;

pub use error::StoreError;
pub use events::{EVENTS_CHANNEL, WAKE_CHANNEL};
pub use handshakes::{Known, ListCursor, ListQuery};
pub use invites::{BeginInvite, UnresolvedInvite};
pub use snapshot::StatusSnapshot;

use std::time::Duration;

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    PgPool,
};

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
            .connect_lazy_with(options);
        Self { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(StoreError::from)
    }

    /// A round trip, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
