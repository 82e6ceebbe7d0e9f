//! Whether the database can be used: migrations ran once, and Postgres
//! still answers a ping each second. Background tasks wait for it; the
//! health service reports it.
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use sqlx::{Connection, PgConnection};

use super::{Store, StoreError};

/// How often Postgres is pinged.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// How long a diagnosing connection may take.
const DIAGNOSE_FOR: Duration = Duration::from_secs(3);

/// The database's readiness as last checked; cheap to clone.
#[derive(Clone)]
pub struct DatabaseReady(watch::Receiver<bool>);

impl DatabaseReady {
    /// Waits for the database; false when shutdown came first.
    pub async fn wait(&mut self, stop: &CancellationToken) -> bool {
        tokio::select! {
            _ = stop.cancelled() => false,
            r = self.0.wait_for(|r| *r) => r.is_ok(),
        }
    }

    /// The next readiness that differs from the last one seen; None once
    /// the checks have stopped.
    pub async fn changed(&mut self) -> Option<bool> {
        self.0.changed().await.ok()?;
        Some(*self.0.borrow_and_update())
    }
}

impl Store {
    /// A round trip, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Readiness, and the task that keeps it current until `stop`: it
    /// migrates until that works once, then pings.
    pub fn watch_readiness(
        &self,
        stop: CancellationToken,
    ) -> (
        DatabaseReady,
        impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let (tx, rx) = watch::channel(false);
        let store = self.clone();
        (DatabaseReady(rx), async move {
            store.check_readiness(tx, stop).await
        })
    }

    async fn check_readiness(self, ready: watch::Sender<bool>, stop: CancellationToken) {
        let mut migrated = false;
        // What was last logged: Ok, or the reason the database is unusable.
        let mut last: Option<Result<(), String>> = None;
        loop {
            let ok = if migrated {
                self.ping().await
            } else {
                self.migrate().await
            };
            migrated |= ok.is_ok();
            let now = ok.is_ok();
            let seen = match ok {
                Ok(()) => Ok(()),
                Err(e) => Err(self.why_unavailable(e).await),
            };
            if last.as_ref() != Some(&seen) {
                match &seen {
                    Ok(()) => info!("database reachable and migrated: SERVING"),
                    Err(why) => warn!(database = %self.target(), error = %why,
                                      "database unavailable: NOT_SERVING"),
                }
                last = Some(seen);
            }
            if stop.is_cancelled() {
                return;
            }
            // Watchers wake only when readiness flips.
            ready.send_if_modified(|r| std::mem::replace(r, now) != now);
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(CHECK_EVERY) => {}
            }
        }
    }
}

impl Store {
    /// Where the pool connects: host, port, database and user, never the
    /// password.
    pub fn target(&self) -> String {
        let o = self.pool.connect_options();
        format!(
            "{}:{} (database {:?}, user {:?})",
            o.get_host(),
            o.get_port(),
            o.get_database().unwrap_or_default(),
            o.get_username()
        )
    }

    /// Why the database cannot be used, in words. The pool only says it
    /// timed out waiting, so that case connects once directly to learn
    /// the cause: refused, authentication failed, no such database.
    async fn why_unavailable(&self, e: StoreError) -> String {
        let sql = match &e {
            StoreError::Unavailable(e) | StoreError::Other(e) => e,
            StoreError::Migrate(sqlx::migrate::MigrateError::Execute(e)) => e,
            _ => return e.to_string(),
        };
        if !matches!(sql, sqlx::Error::PoolTimedOut) {
            return cause(sql);
        }
        let options = self.pool.connect_options();
        match tokio::time::timeout(DIAGNOSE_FOR, PgConnection::connect_with(&options)).await {
            Err(_) => format!("no answer within {} s", DIAGNOSE_FOR.as_secs()),
            Ok(Err(e)) => cause(&e),
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
                "the pool timed out, though a direct connection works".into()
            }
        }
    }
}

/// A connection failure in words a person can act on.
fn cause(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused (is Postgres running on that port?)".into()
        }
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("28P01" | "28000") => format!("authentication failed: {}", db.message()),
            Some("3D000") => format!("no such database: {}", db.message()),
            _ => db.message().to_string(),
        },
        other => other.to_string(),
    }
}
