//! One broadcast channel for all changes: publishers never block, a watcher
//! that falls behind is told it lagged and catches up from Postgres.
use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

use tokio::sync::broadcast;

use crate::domain::HandshakeEvent;

/// Changes buffered per replica before a slow watcher counts as lagging.
const CAPACITY: usize = 4096;

#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<HandshakeEvent>>,
    /// The last event id broadcast; the listener resumes after it.
    last: Arc<AtomicI64>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Self {
        Self::with_capacity(CAPACITY)
    }

    /// A hub that buffers `capacity` changes before a watcher counts as lagging.
    pub fn with_capacity(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity);
        Self {
            tx,
            last: Arc::new(AtomicI64::new(-1)),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<HandshakeEvent>> {
        self.tx.subscribe()
    }

    pub fn watchers(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Broadcasts `event` unless it was already (events arrive in id order).
    /// The change listener calls this; tests may too.
    pub fn publish(&self, event: HandshakeEvent) {
        if event.event_id <= self.last.load(Ordering::Acquire) {
            return;
        }
        self.last.store(event.event_id, Ordering::Release);
        // No receiver is fine: nobody is watching.
        let _ = self.tx.send(Arc::new(event));
    }

    /// The last event id broadcast, or -1 before the listener started.
    pub fn last(&self) -> i64 {
        self.last.load(Ordering::Acquire)
    }

    pub(super) fn start_after(&self, event_id: i64) {
        self.last.store(event_id, Ordering::Release);
    }
}
