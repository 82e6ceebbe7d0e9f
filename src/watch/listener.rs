//! The task that turns Postgres notifications into hub broadcasts. After a
//! dropped connection it reconnects and re-reads what it may have missed.
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::Hub;
use crate::store::{DatabaseReady, Heard, Store, StoreError};

const BATCH: i64 = 1000;
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

pub async fn run_listener(
    store: Store,
    hub: Hub,
    mut ready: DatabaseReady,
    stop: CancellationToken,
) {
    if !ready.wait(&stop).await {
        return;
    }
    loop {
        if let Err(e) = listen(&store, &hub, &stop).await {
            warn!(error = %e, "change listener lost Postgres; reconnecting");
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(RECONNECT_AFTER) => {}
        }
    }
}

async fn listen(store: &Store, hub: &Hub, stop: &CancellationToken) -> Result<(), StoreError> {
    let mut listener = store.listen_for_events().await?;
    if hub.last() < 0 {
        // First start: watchers see changes from now on; history is in Postgres.
        hub.start_after(store.latest_event_id().await?);
    }
    catch_up(store, hub).await?;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            heard = listener.next() => match heard? {
                Heard::Notified => catch_up(store, hub).await?,
                Heard::Reconnected => {
                    // The connection dropped and will be re-established on the
                    // next call; anything sent meanwhile is read back here.
                    debug!("LISTEN connection dropped; catching up");
                    catch_up(store, hub).await?;
                }
            }
        }
    }
}

/// Broadcasts every event after the last one broadcast, in order; a row
/// this release cannot read is passed over, never waited on.
async fn catch_up(store: &Store, hub: &Hub) -> Result<(), StoreError> {
    loop {
        let batch = store.events_after(hub.last(), BATCH).await?;
        for e in batch.events {
            hub.publish(e);
        }
        if let Some(last) = batch.last_id {
            hub.passed(last);
        }
        if (batch.rows as i64) < BATCH {
            return Ok(());
        }
    }
}
