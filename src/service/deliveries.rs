//! What operators see of event delivery, and what they may do about it:
//! the subscriptions with their backlogs, each delivery, redelivery, and
//! enabling a subscription a 410 disabled. The subscriptions in force are
//! the caller's to pass (they come from the file).
use super::{Error, Invitations};
use crate::store::{DeliveryRow, SubscriptionRow};

impl Invitations {
    /// The rows of the subscriptions `ids`, in that order (one not recorded
    /// yet is missing).
    pub async fn subscriptions(&self, ids: &[String]) -> Result<Vec<SubscriptionRow>, Error> {
        Ok(self.store.subscription_rows(ids).await?)
    }

    /// Newest event first; a page and the position after it.
    pub async fn deliveries(
        &self,
        subscription: &str,
        states: &[&str],
        before: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<DeliveryRow>, Option<i64>), Error> {
        let mut rows = self
            .store
            .list_deliveries(subscription, states, before, limit + 1)
            .await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next = more.then(|| rows.last().map(|r| r.event_id)).flatten();
        Ok((rows, next))
    }

    pub async fn redeliver(
        &self,
        subscription: &str,
        events: &[i64],
    ) -> Result<Vec<DeliveryRow>, Error> {
        Ok(self.store.redeliver(subscription, events).await?)
    }

    /// ACTIVE again (a no-op when it was not DISABLED).
    pub async fn enable_subscription(&self, id: &str) -> Result<(), Error> {
        self.store.enable_subscription(id).await?;
        Ok(())
    }
}
