//! Broadcast channels for changes: one for every change (the org-wide
//! watch) and one per watched handshake, so a change wakes only the
//! watchers of its own handshake. Publishers never block; a watcher that
//! falls behind is told it lagged and catches up from Postgres.
use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc, Mutex,
    },
};

use tokio::sync::broadcast;

use crate::domain::{HandshakeEvent, HandshakeId};

/// Changes buffered per replica before a slow org-wide watcher lags.
const CAPACITY: usize = 4096;
/// Changes buffered per handshake: a handshake changes state a few times in
/// its life, so a watcher this far behind has missed something and reads
/// the latest state from Postgres instead.
const PER_HANDSHAKE_CAPACITY: usize = 16;
/// Handshakes nobody watches any more are dropped from the map when it has
/// grown to this many entries (and then to twice what is left), so the
/// clean-up costs O(1) per subscription over time.
const FIRST_CLEAN_UP_AT: usize = 64;

pub type Events = broadcast::Receiver<Arc<HandshakeEvent>>;

#[derive(Clone)]
pub struct Hub {
    all: broadcast::Sender<Arc<HandshakeEvent>>,
    by_id: Arc<Mutex<ById>>,
    per_handshake_capacity: usize,
    /// The last event id broadcast; the listener resumes after it.
    last: Arc<AtomicI64>,
    /// Told of every broadcast without counting as a watcher: event
    /// delivery wakes on it.
    published: Arc<tokio::sync::Notify>,
}

struct ById {
    senders: HashMap<HandshakeId, broadcast::Sender<Arc<HandshakeEvent>>>,
    clean_up_at: usize,
}

impl ById {
    fn drop_unwatched(&mut self) {
        self.senders.retain(|_, tx| tx.receiver_count() > 0);
        self.clean_up_at = (2 * self.senders.len()).max(FIRST_CLEAN_UP_AT);
    }
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

    /// A hub that buffers `capacity` changes (at most 16 per handshake)
    /// before a watcher counts as lagging.
    pub fn with_capacity(capacity: usize) -> Self {
        let (all, _) = broadcast::channel(capacity);
        Self {
            all,
            by_id: Arc::new(Mutex::new(ById {
                senders: HashMap::new(),
                clean_up_at: FIRST_CLEAN_UP_AT,
            })),
            per_handshake_capacity: capacity.min(PER_HANDSHAKE_CAPACITY),
            last: Arc::new(AtomicI64::new(-1)),
            published: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Every change, in commit order.
    pub fn subscribe(&self) -> Events {
        self.all.subscribe()
    }

    /// The changes of one handshake.
    pub fn subscribe_to(&self, id: &HandshakeId) -> Events {
        let mut by_id = self.by_id.lock().expect("hub lock");
        if let Some(tx) = by_id.senders.get(id) {
            return tx.subscribe();
        }
        if by_id.senders.len() >= by_id.clean_up_at {
            by_id.drop_unwatched();
        }
        let (tx, rx) = broadcast::channel(self.per_handshake_capacity);
        by_id.senders.insert(id.clone(), tx);
        rx
    }

    /// Open subscriptions on this replica, org-wide and per handshake.
    pub fn watchers(&self) -> usize {
        let by_id = self.by_id.lock().expect("hub lock");
        self.all.receiver_count()
            + by_id
                .senders
                .values()
                .map(|tx| tx.receiver_count())
                .sum::<usize>()
    }

    /// Handshakes with a channel of their own (watched, or not yet cleaned up).
    pub fn watched_handshakes(&self) -> usize {
        self.by_id.lock().expect("hub lock").senders.len()
    }

    /// Broadcasts `event` unless it was already (events arrive in id order).
    /// The change listener calls this; tests may too.
    pub fn publish(&self, event: HandshakeEvent) {
        if event.event_id <= self.last.load(Ordering::Acquire) {
            return;
        }
        self.last.store(event.event_id, Ordering::Release);
        let event = Arc::new(event);
        let id = &event.record.handshake.id;
        // Sent outside the lock: waking thousands of watchers takes a while,
        // and new watchers of other handshakes need not wait for it.
        let own = self
            .by_id
            .lock()
            .expect("hub lock")
            .senders
            .get(id)
            .cloned();
        if let Some(tx) = own {
            if tx.send(event.clone()).is_err() {
                self.forget_if_unwatched(id, &tx);
            }
        }
        // No receiver is fine: nobody is watching.
        let _ = self.all.send(event);
        self.published.notify_one();
    }

    /// Returns once an event was broadcast since the last return (at once
    /// if one was meanwhile); for one waiter.
    pub async fn published(&self) {
        self.published.notified().await;
    }

    /// Drops `tx`, the channel of `id` that just found no receiver, unless
    /// someone subscribed since; the map may also hold a newer channel for
    /// `id` by now (a clean-up dropped this one meanwhile), which stays.
    fn forget_if_unwatched(&self, id: &HandshakeId, tx: &broadcast::Sender<Arc<HandshakeEvent>>) {
        let mut by_id = self.by_id.lock().expect("hub lock");
        let current = by_id.senders.get(id).is_some_and(|t| t.same_channel(tx));
        if current && tx.receiver_count() == 0 {
            by_id.senders.remove(id);
        }
    }

    /// The last event id broadcast, or -1 before the listener started.
    pub fn last(&self) -> i64 {
        self.last.load(Ordering::Acquire)
    }

    /// Broadcasts from just after `event_id` on, unless a start point is
    /// set already; returns the one in force. Whoever fixes "now" first
    /// (the listener starting, or a watcher opened before it) sets it, so
    /// nothing after a watcher's "now" goes unbroadcast.
    pub(super) fn start_after(&self, event_id: i64) -> i64 {
        match self
            .last
            .compare_exchange(-1, event_id, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => event_id,
            Err(set) => set,
        }
    }

    /// The listener read up to `event_id`, including rows this release
    /// could not read and so never broadcast: it resumes after them.
    pub(super) fn passed(&self, event_id: i64) {
        self.last.fetch_max(event_id, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use tokio::sync::broadcast::error::TryRecvError;

    use super::*;
    use crate::domain::{Handshake, HandshakeAction, HandshakeRecord, HandshakeState};

    fn id(n: u32) -> HandshakeId {
        HandshakeId::parse(&format!("h-{n:010}")).unwrap()
    }

    fn event(event_id: i64, of: &HandshakeId) -> HandshakeEvent {
        let now = Utc::now();
        HandshakeEvent {
            event_id,
            kind: Default::default(),
            previous_state: HandshakeState::Open,
            observe_time: now,
            record: HandshakeRecord {
                handshake: Handshake {
                    id: of.clone(),
                    arn: String::new(),
                    parties: vec![],
                    state: HandshakeState::Accepted,
                    requested_time: None,
                    expiration_time: None,
                    action: HandshakeAction::Invite,
                    resources: vec![],
                },
                target: None,
                notes: Default::default(),
                tags: Default::default(),
                request_id: None,
                requested_by: None,
                canceled_by: None,
                create_time: now,
                update_time: now,
                version: event_id,
                history: vec![],
                onboarding: None,
                expiry_warning_time: None,
                renewal: None,
                campaign_id: None,
            },
        }
    }

    #[test]
    fn a_change_reaches_its_own_watchers_and_the_org_wide_ones_only() {
        let hub = Hub::new();
        let (a, b) = (id(1), id(2));
        let mut watches_a = hub.subscribe_to(&a);
        let mut watches_b = hub.subscribe_to(&b);
        let mut watches_all = hub.subscribe();

        hub.publish(event(1, &a));

        assert_eq!(watches_a.try_recv().unwrap().record.handshake.id, a);
        assert_eq!(watches_all.try_recv().unwrap().event_id, 1);
        assert_eq!(
            watches_b.try_recv().unwrap_err(),
            TryRecvError::Empty,
            "a watcher of another handshake is not woken"
        );
        assert_eq!(hub.watchers(), 3);
    }

    #[test]
    fn a_handshake_nobody_watches_any_more_loses_its_channel() {
        let hub = Hub::new();
        let a = id(1);
        drop(hub.subscribe_to(&a));
        assert_eq!(hub.watched_handshakes(), 1);
        hub.publish(event(1, &a));
        assert_eq!(hub.watched_handshakes(), 0);
        assert_eq!(hub.watchers(), 0);
    }

    #[test]
    fn channels_of_abandoned_watches_are_cleaned_up_as_the_map_grows() {
        let hub = Hub::new();
        let kept = hub.subscribe_to(&id(0));
        for n in 1..1000 {
            drop(hub.subscribe_to(&id(n)));
        }
        // Never more than twice what is watched, or the first threshold.
        assert!(
            hub.watched_handshakes() <= FIRST_CLEAN_UP_AT,
            "{} channels kept for 1 watched handshake",
            hub.watched_handshakes()
        );
        assert_eq!(hub.watchers(), 1);
        drop(kept);
    }

    #[test]
    fn a_stale_channel_never_takes_a_newer_watched_one_with_it() {
        let hub = Hub::new();
        let a = id(1);
        drop(hub.subscribe_to(&a));
        let stale = hub.by_id.lock().unwrap().senders[&a].clone();
        // A clean-up drops the unwatched channel, then a new watcher comes.
        hub.by_id.lock().unwrap().drop_unwatched();
        let mut watches_a = hub.subscribe_to(&a);
        // What publish does when the stale channel's send finds no receiver.
        hub.forget_if_unwatched(&a, &stale);
        hub.publish(event(1, &a));
        assert_eq!(watches_a.try_recv().unwrap().event_id, 1);
    }

    #[test]
    fn an_event_already_broadcast_is_not_sent_again() {
        let hub = Hub::new();
        let a = id(1);
        let mut watches_a = hub.subscribe_to(&a);
        hub.publish(event(5, &a));
        hub.publish(event(5, &a));
        hub.publish(event(4, &a));
        assert_eq!(watches_a.try_recv().unwrap().event_id, 5);
        assert_eq!(watches_a.try_recv().unwrap_err(), TryRecvError::Empty);
    }
}
