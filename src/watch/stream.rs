//! The watch engine: one handshake's changes (WatchHandshake) and every
//! change in commit order from a resume point (WatchHandshakes, the status
//! page). Each is a stream polled by its consumer (no task and no channel
//! per watcher, which keeps an idle stream small) that yields domain
//! values: replayed from Postgres, then live from the hub, and caught up
//! from Postgres when a watcher falls behind. It ends when dropped, after a
//! terminal state (one handshake), or at shutdown with `ShuttingDown`.
use std::{pin::Pin, sync::Arc};

use thiserror::Error;
use tokio::sync::broadcast::error::RecvError;
use tokio_stream::Stream;
use tokio_util::sync::CancellationToken;

use super::{Events, Hub};
use crate::{
    domain::{HandshakeEvent, HandshakeId, HandshakeRecord, HandshakeState, OnboardingStatus},
    metrics::{Metrics, WatchMethod},
    store::{Store, StoreError},
};

const REPLAY_BATCH: i64 = 500;

/// What one handshake's watcher is sent.
#[derive(Debug, Clone)]
pub enum Change {
    /// A recorded change: it has an event id, and so a resume token.
    Recorded(Arc<HandshakeEvent>),
    /// The handshake as Postgres has it now (a watch's first message, or a
    /// slow watcher's catch-up), with the state the watcher last saw.
    Current {
        record: Box<HandshakeRecord>,
        previous: HandshakeState,
    },
}

#[derive(Debug, Error)]
pub enum WatchError {
    /// The server is stopping: the client should reconnect elsewhere.
    #[error("server shutting down")]
    ShuttingDown,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type ChangeStream = Pin<Box<dyn Stream<Item = Result<Change, WatchError>> + Send>>;
pub type EventStream = Pin<Box<dyn Stream<Item = Result<Arc<HandshakeEvent>, WatchError>> + Send>>;

/// Opens watch streams on this replica.
#[derive(Clone)]
pub struct Watches {
    pub(super) store: Store,
    pub(super) hub: Hub,
    pub(super) metrics: Metrics,
    /// Cancelled at shutdown: open streams end with `ShuttingDown`.
    pub(super) stop: CancellationToken,
    /// Campaign changes (`campaigns`).
    pub(super) campaign_ticks: super::campaigns::CampaignTicks,
}

/// What one handshake's watcher last saw of it.
struct Seen {
    version: i64,
    state: HandshakeState,
    onboarding: Option<OnboardingStatus>,
    settled: bool,
}

impl Seen {
    fn of(r: &HandshakeRecord) -> Self {
        Self {
            version: r.version,
            state: r.handshake.state,
            onboarding: r.onboarding.as_ref().map(|o| o.status),
            settled: r.is_settled(),
        }
    }

    /// Whether `r` is news a watcher is told about.
    fn differs(&self, r: &HandshakeRecord) -> bool {
        r.handshake.state != self.state
            || r.onboarding.as_ref().map(|o| o.status) != self.onboarding
    }
}

/// What woke a watch stream.
enum Next {
    Stop,
    Event(Result<Arc<HandshakeEvent>, RecvError>),
}

async fn next(stop: &CancellationToken, events: &mut Events) -> Next {
    tokio::select! {
        _ = stop.cancelled() => Next::Stop,
        r = events.recv() => Next::Event(r),
    }
}

impl Watches {
    pub fn new(store: Store, hub: Hub, metrics: Metrics, stop: CancellationToken) -> Self {
        Self {
            store,
            hub,
            metrics,
            stop,
            campaign_ticks: Default::default(),
        }
    }

    /// Live deliveries only: a replayed event is history, not latency.
    fn delivered(&self, e: &HandshakeEvent) {
        let since = (chrono::Utc::now() - e.observe_time)
            .to_std()
            .unwrap_or_default();
        self.metrics.event_delivered(since);
    }

    /// Subscribes to `id`'s changes. Read the handshake *after* this and
    /// hand both to `one`, so no change between the two is lost.
    pub fn subscribe_to(&self, id: &HandshakeId) -> Events {
        self.hub.subscribe_to(id)
    }

    /// `first` as it is, then each change of its handshake (state, or
    /// onboarding status), until it is settled: a terminal state and, when
    /// onboarding was asked for, onboarding finished.
    pub fn one(&self, mut events: Events, first: HandshakeRecord) -> ChangeStream {
        let this = self.clone();
        let open = self.metrics.watch_stream(WatchMethod::WatchHandshake);
        Box::pin(async_stream::stream! {
            let _open = open;
            let id = first.handshake.id.clone();
            let mut seen = Seen::of(&first);
            yield Ok(Change::Current { record: Box::new(first), previous: HandshakeState::Unspecified });
            while !seen.settled {
                match next(&this.stop, &mut events).await {
                    Next::Stop | Next::Event(Err(RecvError::Closed)) => {
                        yield Err(WatchError::ShuttingDown);
                        return;
                    }
                    Next::Event(Ok(e)) => {
                        if e.record.handshake.id == id && e.record.version > seen.version {
                            seen = Seen::of(&e.record);
                            this.delivered(&e);
                            yield Ok(Change::Recorded(e));
                        }
                    }
                    // Too slow for the hub: the latest state from Postgres.
                    Next::Event(Err(RecvError::Lagged(_))) => match this.store.get(&id).await {
                        Ok(Some(r)) if r.version > seen.version && seen.differs(&r) => {
                            let previous = seen.state;
                            seen = Seen::of(&r);
                            yield Ok(Change::Current { record: Box::new(r), previous });
                        }
                        Ok(_) => {}
                        Err(e) => {
                            yield Err(e.into());
                            return;
                        }
                    },
                }
            }
        })
    }

    /// Every change from just after event `after` (from now when None):
    /// replayed from Postgres, then live, in commit order, keeping only
    /// changes into `states` (all when empty). `counted_as` names the
    /// stream in `org_invites_watch_streams`. "Now" is fixed before this
    /// returns, so a change made after the caller is answered is streamed
    /// even while the change listener is still starting.
    pub async fn all(
        &self,
        after: Option<i64>,
        states: Vec<HandshakeState>,
        counted_as: WatchMethod,
    ) -> Result<EventStream, StoreError> {
        let mut events = self.hub.subscribe();
        // Everything up to the hub's last broadcast happened before subscribing.
        let now = self.hub.last();
        let mut last = match after {
            Some(id) => id,
            None if now >= 0 => now,
            // The listener has not started: it will broadcast from this
            // watcher's "now" (or from a point set meanwhile, which the
            // replay from Postgres covers).
            None => {
                let latest = self.store.latest_event_id().await?;
                self.hub.start_after(latest);
                latest
            }
        };
        let this = self.clone();
        let open = self.metrics.watch_stream(counted_as);
        Ok(Box::pin(async_stream::stream! {
            let _open = open;
            let wanted =
                |e: &HandshakeEvent| states.is_empty() || states.contains(&e.record.handshake.state);
            // `catching_up`: replay from Postgres (at the start, and after lagging).
            let mut catching_up = true;
            loop {
                if catching_up {
                    match this.store.events_after(last, REPLAY_BATCH).await {
                        Ok(batch) => {
                            catching_up = batch.rows as i64 == REPLAY_BATCH;
                            for e in batch.events {
                                last = e.event_id;
                                if wanted(&e) {
                                    yield Ok(Arc::new(e));
                                }
                            }
                            // Past rows this release could not read, too.
                            last = last.max(batch.last_id.unwrap_or(last));
                        }
                        Err(e) => {
                            yield Err(e.into());
                            return;
                        }
                    }
                    continue;
                }
                match next(&this.stop, &mut events).await {
                    Next::Stop | Next::Event(Err(RecvError::Closed)) => {
                        yield Err(WatchError::ShuttingDown);
                        return;
                    }
                    Next::Event(Ok(e)) => {
                        if e.event_id > last {
                            last = e.event_id;
                            if wanted(&e) {
                                this.delivered(&e);
                                yield Ok(e);
                            }
                        }
                    }
                    Next::Event(Err(RecvError::Lagged(_))) => catching_up = true,
                }
            }
        }))
    }
}
