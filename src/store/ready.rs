//! Whether the database can be used: migrations ran once, and Postgres
//! still answers a ping each second. Background tasks wait for it; the
//! health service reports it.
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::{Store, StoreError};

/// How often Postgres is pinged.
const CHECK_EVERY: Duration = Duration::from_secs(1);

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
        let mut last = None;
        loop {
            let ok = if migrated {
                self.ping().await
            } else {
                self.migrate().await
            };
            migrated |= ok.is_ok();
            let now = ok.is_ok();
            if last != Some(now) {
                match &ok {
                    Ok(()) => info!("database reachable and migrated: SERVING"),
                    Err(e) => warn!(error = %e, "database unavailable: NOT_SERVING"),
                }
                last = Some(now);
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
