//! WatchTransfers' engine: transfer events are few, so each watcher reads
//! `transfer_events` after its last id whenever the tick the campaign
//! listener also serves moves (a transfer event announces itself on the
//! transfers channel), and at least every 30 s regardless (`next_tick`).
use std::pin::Pin;

use tokio_stream::Stream;

use super::{campaigns::next_tick, WatchError, Watches};
use crate::{
    domain::{TransferDirection, TransferEvent},
    metrics::WatchMethod,
};

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
                if !next_tick(&stop, &mut ticks).await {
                    yield Err(WatchError::ShuttingDown);
                    return;
                }
            }
        }))
    }
}
