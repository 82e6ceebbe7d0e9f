//! What the RPCs do, free of gRPC types: validation has happened, AWS and
//! Postgres are called here, in the order that loses nothing.
mod error;
mod invite;
mod repair;
mod sweep;

pub use error::Error;
pub use sweep::SweepReport;

use std::{sync::Arc, time::Duration};

use crate::{
    aws::Organizations,
    domain::{HandshakeId, HandshakeRecord, InviteQuota, QuotaUse},
    metrics::Metrics,
    store::{Known, ListCursor, ListQuery, Store},
};

#[derive(Clone)]
pub struct Invitations {
    store: Store,
    aws: Arc<dyn Organizations>,
    /// How long an InviteAccount attempt may be in flight on any replica
    /// before its intent is treated as abandoned and looked up in AWS.
    grace: Duration,
    quota: InviteQuota,
    metrics: Metrics,
}

impl Invitations {
    pub fn new(store: Store, aws: Arc<dyn Organizations>, grace: Duration) -> Self {
        Self {
            store,
            aws,
            grace,
            quota: InviteQuota::default(),
            metrics: Metrics::new(),
        }
    }

    pub fn with_metrics(self, metrics: Metrics) -> Self {
        Self { metrics, ..self }
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The daily invitation quota to enforce (default: AWS's 20 in 24 h).
    pub fn with_quota(self, quota: InviteQuota) -> Self {
        Self { quota, ..self }
    }

    /// How much of the daily quota is used.
    pub async fn quota(&self) -> Result<QuotaUse, Error> {
        Ok(self.store.invite_quota(self.quota).await?)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Asks the polling replica, wherever it runs, for a sweep soon.
    /// Best effort: the regular interval sweeps anyway.
    pub async fn wake_poller(&self) {
        if let Err(e) = self.store.wake_poller().await {
            tracing::debug!(error = %e, "could not wake the poller");
        }
    }

    pub async fn get(&self, id: &HandshakeId) -> Result<HandshakeRecord, Error> {
        self.store
            .get_with_history(id)
            .await?
            .ok_or_else(|| Error::NotFound(id.clone()))
    }

    pub async fn list(
        &self,
        query: &ListQuery,
    ) -> Result<(Vec<HandshakeRecord>, Option<ListCursor>), Error> {
        Ok(self.store.list(query).await?)
    }

    /// Cancels in AWS, then records what AWS answered. A handshake this
    /// service did not know yet (made elsewhere) is adopted on the way.
    pub async fn cancel(
        &self,
        id: &HandshakeId,
        canceled_by: Option<String>,
    ) -> Result<HandshakeRecord, Error> {
        let handshake = self.aws.cancel_handshake(id).await?;
        let known = Known {
            canceled_by,
            ..Known::from_aws(&handshake)
        };
        let (record, _event) = self.store.save_handshake(&handshake, &known).await?;
        self.wake_poller().await;
        Ok(record)
    }
}
