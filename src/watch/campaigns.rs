//! WatchCampaign's engine: every change to a campaign or its targets bumps
//! its version and is announced on one Postgres channel; this replica's
//! listener turns each announcement into a tick every campaign watcher
//! wakes on, and a watcher sends its campaign again when the version moved.
//! Ticks coalesce (a watch channel), so a burst costs each watcher one read.
use std::{pin::Pin, sync::Arc, time::Duration};

use tokio::sync::watch;
use tokio_stream::Stream;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::{WatchError, Watches};
use crate::{
    domain::Campaign,
    metrics::WatchMethod,
    store::{DatabaseReady, Store, StoreError},
};

const RECONNECT_AFTER: Duration = Duration::from_secs(1);
/// A watcher reads its campaign this often even without a tick (a
/// notification lost with a connection is then late, never missing).
const RECHECK: Duration = Duration::from_secs(30);

pub type CampaignStream = Pin<Box<dyn Stream<Item = Result<Campaign, WatchError>> + Send>>;

/// The tick every campaign watcher of this replica wakes on.
#[derive(Clone)]
pub struct CampaignTicks(Arc<watch::Sender<u64>>);

impl Default for CampaignTicks {
    fn default() -> Self {
        Self(Arc::new(watch::channel(0).0))
    }
}

/// Waits for the next tick, or RECHECK at the most (a notification lost
/// with a connection is then late, never missing); false when the server
/// is stopping.
pub(super) async fn next_tick(stop: &CancellationToken, ticks: &mut watch::Receiver<u64>) -> bool {
    tokio::select! {
        _ = stop.cancelled() => false,
        r = ticks.changed() => r.is_ok(),
        _ = tokio::time::sleep(RECHECK) => true,
    }
}

impl CampaignTicks {
    fn tick(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub(super) fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}

/// Ticks once per campaign (or transfer) change announced in Postgres, and once after
/// each reconnect (anything announced meanwhile was missed).
pub async fn run_campaign_listener(
    store: Store,
    ticks: CampaignTicks,
    mut ready: DatabaseReady,
    stop: CancellationToken,
) {
    if !ready.wait(&stop).await {
        return;
    }
    loop {
        if let Err(e) = listen(&store, &ticks, &stop).await {
            warn!(error = %e, "campaign listener lost Postgres; reconnecting");
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(RECONNECT_AFTER) => {}
        }
    }
}

async fn listen(
    store: &Store,
    ticks: &CampaignTicks,
    stop: &CancellationToken,
) -> Result<(), StoreError> {
    let mut listener = store.listen_for_ticks().await?;
    ticks.tick();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            heard = listener.next() => {
                heard?;
                ticks.tick();
            }
        }
    }
}

impl Watches {
    /// `first` as it is, then again after each change, until it is DONE or
    /// CANCELED. Subscribe (this call) before reading `first`: the tick
    /// subscription is taken first, so no change falls between.
    pub fn campaign(&self) -> impl FnOnce(Campaign) -> CampaignStream + Send {
        let mut ticks = self.campaign_ticks.0.subscribe();
        let (store, stop) = (self.store.clone(), self.stop.clone());
        let open = self.metrics.watch_stream(WatchMethod::WatchCampaign);
        move |first| {
            Box::pin(async_stream::stream! {
                let _open = open;
                let id = first.id.clone();
                let mut version = first.version;
                let mut over = first.is_over();
                yield Ok(first);
                while !over {
                    if !next_tick(&stop, &mut ticks).await {
                        yield Err(WatchError::ShuttingDown);
                        return;
                    }
                    match store.get_campaign(&id).await {
                        Ok(Some(c)) if c.version != version => {
                            version = c.version;
                            over = c.is_over();
                            yield Ok(c);
                        }
                        Ok(_) => {}
                        Err(e) => {
                            yield Err(e.into());
                            return;
                        }
                    }
                }
            })
        }
    }

    /// Streams open on this replica: handshake watchers and campaign
    /// watchers (while any is open, the poller sweeps more often).
    pub fn watchers(&self) -> usize {
        self.hub.watchers() + self.campaign_ticks.0.receiver_count()
    }

    /// What the campaign listener ticks.
    pub fn campaign_ticks(&self) -> CampaignTicks {
        self.campaign_ticks.clone()
    }
}
