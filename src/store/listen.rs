//! `LISTEN` for the three kinds of notification: a change was recorded
//! (every replica fans it out), "sweep soon" (for the polling replica) and
//! "the poller's lock is free" (for the others).
use sqlx::postgres::PgListener;

use super::{Store, StoreError};

/// The channel every replica LISTENs on; the payload is the event id.
pub(super) const EVENTS_CHANNEL: &str = "org_invites_events";
/// The channel of campaign changes; the payload is the campaign id.
pub(super) const CAMPAIGNS_CHANNEL: &str = "org_invites_campaigns";
/// The channel of transfer changes; the payload is the event id.
pub(super) const TRANSFERS_CHANNEL: &str = "org_invites_transfers";
/// The channel the polling replica LISTENs on for "sweep soon".
pub(super) const WAKE_CHANNEL: &str = "org_invites_wake";
/// The channel the other replicas LISTEN on for a released poller lock.
pub(super) const FREED_CHANNEL: &str = "org_invites_poller_freed";

/// A connection listening on one channel.
pub struct Notifications(PgListener);

/// What `Notifications::next` heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    Notified,
    /// The connection dropped and was re-established: anything sent
    /// meanwhile was missed and must be read back from the tables.
    Reconnected,
}

impl Store {
    /// Notifications of recorded changes (`handshake_events` rows).
    pub async fn listen_for_events(&self) -> Result<Notifications, StoreError> {
        self.listen(EVENTS_CHANNEL).await
    }

    /// Changes to campaigns and their targets, and to transfers: what the
    /// watchers that re-read on a tick wake on (WatchCampaign,
    /// WatchTransfers).
    pub async fn listen_for_ticks(&self) -> Result<Notifications, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener
            .listen_all([CAMPAIGNS_CHANNEL, TRANSFERS_CHANNEL])
            .await?;
        Ok(Notifications(listener))
    }

    /// Wake-ups for the poller (`wake_poller`).
    pub async fn listen_for_wake_ups(&self) -> Result<Notifications, StoreError> {
        self.listen(WAKE_CHANNEL).await
    }

    /// Word that the polling replica let its lock go (`Leadership::release`).
    pub async fn listen_for_freed_poller(&self) -> Result<Notifications, StoreError> {
        self.listen(FREED_CHANNEL).await
    }

    async fn listen(&self, channel: &str) -> Result<Notifications, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(channel).await?;
        Ok(Notifications(listener))
    }

    /// Asks the polling replica, wherever it runs, for a sweep soon.
    pub async fn wake_poller(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(WAKE_CHANNEL)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl Notifications {
    /// Waits for the next notification, reconnecting after a drop.
    pub async fn next(&mut self) -> Result<Heard, StoreError> {
        Ok(match self.0.try_recv().await? {
            Some(_) => Heard::Notified,
            None => Heard::Reconnected,
        })
    }

    /// Drops the notifications already received: whoever reads the tables
    /// next sees what they announced.
    pub fn clear_buffered(&mut self) {
        while self.0.next_buffered().is_some() {}
    }
}
