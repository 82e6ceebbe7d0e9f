//! Which replica polls AWS: the one holding a session-level advisory lock
//! on a connection of its own. If that replica dies its connection closes
//! and Postgres frees the lock at once; the others try it every second on
//! connections they keep. A replica that stops gracefully releases it and
//! says so on `FREED_CHANNEL`, so the others try at once.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{Connection, PgConnection};

use super::{listen::FREED_CHANNEL, locks::POLLER_LOCK, Store, StoreError};

/// A connection to try the poller's lock on, kept between tries.
pub struct Candidate {
    conn: PgConnection,
}

/// The poller's lock, held as long as this value (and its connection) lives.
pub struct Leadership {
    conn: PgConnection,
    session: i32,
}

/// What taking the lock found of the previous poller.
#[derive(Debug, Clone, Copy)]
pub struct Takeover {
    /// Since the previous poller's last heartbeat; None for the first
    /// poller this database has had.
    pub gap: Option<Duration>,
}

impl Store {
    /// A connection of its own to try the poller's lock on.
    pub async fn candidate(&self) -> Result<Candidate, StoreError> {
        let options = self.pool.connect_options();
        Ok(Candidate {
            conn: PgConnection::connect_with(&options).await?,
        })
    }
}

impl Candidate {
    /// Takes the poller's lock if no other replica holds it; `session`
    /// (this replica's) is written into the heartbeat.
    pub async fn try_lead(
        mut self,
        session: i32,
    ) -> Result<Result<(Leadership, Takeover), Candidate>, StoreError> {
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(POLLER_LOCK)
            .fetch_one(&mut self.conn)
            .await?;
        if !got {
            return Ok(Err(self));
        }
        let (last, now): (Option<DateTime<Utc>>, DateTime<Utc>) =
            sqlx::query_as("SELECT (SELECT beat_time FROM poller_heartbeat), now()")
                .fetch_one(&mut self.conn)
                .await?;
        let mut lead = Leadership {
            conn: self.conn,
            session,
        };
        lead.beat().await?;
        let gap = last.map(|t| (now - t).to_std().unwrap_or_default());
        Ok(Ok((lead, Takeover { gap })))
    }
}

impl Leadership {
    /// Fails once the lock's connection is gone, and with it the lock;
    /// otherwise records that the poller is alive now.
    pub async fn beat(&mut self) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO poller_heartbeat (session, beat_time) VALUES ($1, now())
             ON CONFLICT (one) DO UPDATE SET session = $1, beat_time = now()",
        )
        .bind(self.session)
        .execute(&mut self.conn)
        .await?;
        Ok(())
    }

    /// Frees the lock and tells the other replicas, which try it at once.
    /// The last heartbeat is now, so their gap is the time they took.
    pub async fn release(mut self) -> Result<(), StoreError> {
        self.beat().await?;
        sqlx::query("SELECT pg_advisory_unlock($1), pg_notify($2, '')")
            .bind(POLLER_LOCK)
            .bind(FREED_CHANNEL)
            .execute(&mut self.conn)
            .await?;
        self.conn.close().await?;
        Ok(())
    }
}
