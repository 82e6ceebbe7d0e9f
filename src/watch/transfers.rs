//! WatchTransfers' engine: transfer events are few, so each watcher reads
//! `transfer_events` after its last id whenever the tick the campaign
//! listener also serves moves (a transfer event announces itself on the
//! transfers channel), and every RECHECK regardless.
use std::{pin::Pin, time::Duration};

use tokio_stream::Stream;

use super::{WatchError, Watches};
use crate::{
    domain::{TransferDirection, TransferEvent},
    metrics::WatchMethod,
};

const RECHECK: Duration = Duration::from_secs(30);
const BATCH: i64 = 100;

pub type TransferStream = Pin<Box<dyn Stream<Item = Result<TransferEvent, WatchError>> + Send>>;

impl Watches {
    /// Every transfer event after `after` (None: from now on) whose
    /// direction is in `directions` (empty: both), in commit order.
    pub async fn transfers(
        &self,
        after: Option<i64>,
        directions: Vec<TransferDirection>,
    ) -> Result<TransferStream, WatchError> {
        // Subscribe before reading where "now" is, so nothing falls between.
        let mut ticks = self.campaign_ticks.subscribe();
        let mut last = match after {
            Some(id) => id,
            None => self.store.latest_transfer_event_id().await?,
        };
        let (store, stop) = (self.store.clone(), self.stop.clone());
        let open = self.metrics.watch_stream(WatchMethod::WatchTransfers);
        Ok(Box::pin(async_stream::stream! {
            let _open = open;
            loop {
                let batch = match store.transfer_events_after(last, BATCH).await {
                    Ok(b) => b,
                    Err(e) => {
                        yield Err(e.into());
                        return;
                    }
                };
                let full = batch.len() as i64 == BATCH;
                for e in batch {
                    last = e.event_id;
                    if directions.is_empty() || directions.contains(&e.record.direction) {
                        yield Ok(e);
                    }
                }
                if full {
                    continue;
                }
                tokio::select! {
                    _ = stop.cancelled() => {
                        yield Err(WatchError::ShuttingDown);
                        return;
                    }
                    r = ticks.changed() => if r.is_err() {
                        yield Err(WatchError::ShuttingDown);
                        return;
                    },
                    _ = tokio::time::sleep(RECHECK) => {}
                }
            }
        }))
    }
}
