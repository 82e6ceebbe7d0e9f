//! The subscriptions in force: read at start (a bad file stops the
//! service), then read again whenever the file changes; a file that no
//! longer reads is reported and the last good set stays in force.
use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, RwLock,
    },
    time::Duration,
};

use tokio_util::sync::CancellationToken;
use tracing::{error, info};

use crate::domain::{parse_subscriptions, Subscription};

const RELOAD_EVERY: Duration = Duration::from_secs(2);

#[derive(Clone, Default)]
pub struct SubscriptionSet {
    current: Arc<RwLock<Arc<Vec<Subscription>>>>,
    /// Set when the set changed and the store has not been told yet.
    changed: Arc<AtomicBool>,
}

impl SubscriptionSet {
    /// The file at `path`, or why it cannot be used (naming the
    /// subscription and the field).
    pub fn load(path: &Path) -> Result<Self, String> {
        let subs = read(path)?;
        Ok(Self::of(subs))
    }

    pub fn of(subs: Vec<Subscription>) -> Self {
        Self {
            current: Arc::new(RwLock::new(Arc::new(subs))),
            changed: Arc::new(AtomicBool::new(true)),
        }
    }

    pub fn current(&self) -> Arc<Vec<Subscription>> {
        self.current.read().expect("subscriptions lock").clone()
    }

    /// Whether the set changed since the last call.
    pub fn take_changed(&self) -> bool {
        self.changed.swap(false, Ordering::AcqRel)
    }

    /// The store must hear of the set again (its last sync failed).
    pub fn mark_changed(&self) {
        self.changed.store(true, Ordering::Release);
    }

    /// Reads the file again whenever it, or a secret file it names,
    /// changes; `reloaded` hears each outcome (true: the new set is in
    /// force).
    pub async fn watch_file(
        self,
        path: PathBuf,
        stop: CancellationToken,
        reloaded: impl Fn(bool) + Send,
    ) {
        // The file and the secret files it names are read whole each time:
        // a secret rotated in its own file counts as a change too.
        let mut last = read(&path);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(RELOAD_EVERY) => {}
            }
            let now = read(&path);
            if now == last {
                continue;
            }
            last = now.clone();
            match now {
                Ok(subs) => {
                    info!(subscriptions = subs.len(), "subscriptions file reloaded");
                    *self.current.write().expect("subscriptions lock") = Arc::new(subs);
                    self.changed.store(true, Ordering::Release);
                    reloaded(true);
                }
                Err(e) => {
                    error!(error = %e, "subscriptions file not reloaded; keeping the previous one");
                    reloaded(false);
                }
            }
        }
    }
}

fn read(path: &Path) -> Result<Vec<Subscription>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("subscriptions file {}: {}", path.display(), e.kind()))?;
    parse_subscriptions(&text).map_err(|e| format!("subscriptions file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_the_store_was_not_told_of_is_reported_again() {
        let set = SubscriptionSet::of(Vec::new());
        assert!(set.take_changed(), "new: the store has not been told");
        assert!(!set.take_changed());
        set.mark_changed();
        assert!(set.take_changed());
        assert!(!set.take_changed());
    }
}
