//! What the RPCs do, free of gRPC types: validation has happened, AWS and
//! Postgres are called here, in the order that loses nothing. The work the
//! poller drives in the background is `reconcile`'s; it uses the pieces
//! both share (paging through AWS, recording a sent invitation, finding
//! what an interrupted attempt sent) from here.
pub mod backoff;
mod campaigns;
mod deliveries;
mod error;
mod invite;
pub mod leave;
mod list;
mod pages;
mod quota;
mod reuse;
mod sent;
mod status;
mod transfer_calls;
mod transfers;

pub use error::Error;
pub use list::{ListHandshakes, Position};
pub use pages::{patiently, retry_throttled, Calls, InvitePages};
pub use quota::QuotaReport;
pub use transfers::InvitedTransfer;

use std::{sync::Arc, time::Duration};

use crate::{
    aws::Organizations,
    domain::{FieldViolation, HandshakeId, HandshakeRecord, InviteQuota, Violations},
    metrics::Metrics,
    store::{Known, Owner, Session, Store},
};

/// How long a call waits for this replica's session to (re)open.
const SESSION_WAIT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Invitations {
    store: Store,
    aws: Arc<dyn Organizations>,
    /// How long an InviteAccount attempt may be in flight on any replica
    /// before its intent is treated as abandoned and looked up in AWS.
    grace: Duration,
    quota: InviteQuota,
    metrics: Metrics,
    /// Owns the attempts this replica makes (see `store::Session`).
    session: Session,
    /// This organization's management account, once asked of AWS.
    management: Arc<tokio::sync::OnceCell<crate::domain::Participant>>,
}

/// How the service behaves, beyond what it talks to.
#[derive(Debug, Clone, Copy)]
pub struct ServiceSettings {
    /// How long an InviteAccount attempt may be in flight on any replica
    /// before its intent is treated as abandoned and looked up in AWS.
    pub invite_grace: Duration,
    /// The daily invitation quota to enforce.
    pub quota: InviteQuota,
}

impl Invitations {
    /// `aws` is what every AWS call goes through (budgeted and measured by
    /// the caller); `metrics` counts invitations; `session` is this
    /// replica's, kept open by its `SessionKeeper`.
    pub fn new(
        store: Store,
        aws: Arc<dyn Organizations>,
        settings: ServiceSettings,
        metrics: Metrics,
        session: Session,
    ) -> Self {
        Self {
            store,
            aws,
            grace: settings.invite_grace,
            quota: settings.quota,
            metrics,
            session,
            management: Arc::default(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// What every AWS call goes through (budgeted and measured).
    pub fn aws(&self) -> &Arc<dyn Organizations> {
        &self.aws
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// How long an attempt may be in flight before it counts as abandoned.
    pub fn grace(&self) -> Duration {
        self.grace
    }

    /// The session that owns what this call starts.
    pub async fn owner(&self) -> Result<Owner, Error> {
        self.session
            .owner(SESSION_WAIT)
            .await
            .ok_or(Error::NoSession)
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

impl Invitations {
    /// A resume token must point into the events this database still keeps.
    pub async fn check_resume_point(&self, after: i64) -> Result<(), Error> {
        let latest = self.store.latest_event_id().await?;
        if after > latest {
            let v = FieldViolation::new(
                "resume_token",
                "resume_token is ahead of every event here (issued by another database?)",
            );
            return Err(Error::Invalid(Violations(vec![v])));
        }
        let oldest = self.store.oldest_event_id().await?;
        if oldest.is_some_and(|o| after < o - 1) {
            return Err(Error::ResumePointPruned);
        }
        Ok(())
    }
}
