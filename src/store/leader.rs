//! Which replica polls AWS: the one holding a session-level advisory lock
//! on a connection of its own. If that replica dies its connection closes,
//! Postgres frees the lock, and another replica's next try takes it.
use sqlx::{Connection, PgConnection};

use super::{locks::POLLER_LOCK, Store, StoreError};

/// The poller's lock, held as long as this value (and its connection) lives.
pub struct Leadership {
    conn: PgConnection,
}

impl Store {
    /// Takes the poller's lock if no other replica holds it.
    pub async fn try_lead(&self) -> Result<Option<Leadership>, StoreError> {
        let options = self.pool.connect_options();
        let mut conn = PgConnection::connect_with(&options).await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(POLLER_LOCK)
            .fetch_one(&mut conn)
            .await?;
        Ok(got.then_some(Leadership { conn }))
    }
}

impl Leadership {
    /// Fails once the lock's connection is gone, and with it the lock.
    pub async fn check(&mut self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&mut self.conn).await?;
        Ok(())
    }
}
