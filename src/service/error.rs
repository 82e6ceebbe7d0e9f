//! The service's error: one enum, turned into a gRPC status in one place.
use thiserror::Error;

use crate::{
    aws::AwsError,
    domain::{CampaignId, CampaignState, HandshakeId, ParentId, QuotaUse, TransferId, Violations},
    store::StoreError,
};

#[derive(Debug, Error)]
pub enum Error {
    #[error("invalid request: {0}")]
    Invalid(Violations),
    #[error("handshake {0} not found")]
    NotFound(HandshakeId),
    /// Not in the subscriptions file.
    #[error("subscription {0} not found")]
    SubscriptionNotFound(String),
    #[error("transfer {} not found", .0.as_str())]
    TransferNotFound(TransferId),
    #[error("campaign {0} not found")]
    CampaignNotFound(CampaignId),
    /// Pause, resume or cancel of a campaign in a state that allows none.
    #[error("campaign {id} is {}", state.as_str())]
    CampaignState {
        id: CampaignId,
        state: CampaignState,
    },
    #[error("request_id was already used for a different invitation")]
    RequestIdReused,
    #[error("an invitation with this request_id is being sent right now")]
    InProgress,
    #[error("AWS Organizations: {0}")]
    Aws(#[from] AwsError),
    /// AWS may have made the handshake but it is not recorded yet; the
    /// intent row makes sure it will be.
    #[error("the invitation may have been sent but is not recorded yet")]
    NotRecorded(#[source] Box<Error>),
    /// The onboarding's destination is not in the organization; nothing
    /// was sent.
    #[error("destination {0} does not exist in the organization")]
    DestinationMissing(ParentId),
    /// RETURN_EXISTING found the target's open invitation, but with other
    /// settings than the request's.
    #[error("the open invitation {existing} has other {what} settings")]
    OpenExistsConflict {
        existing: HandshakeId,
        what: &'static str,
    },
    /// A resume token older than the events kept (see --event-retention).
    #[error("the resume point is older than the events kept")]
    ResumePointPruned,
    /// This replica has no database session to own an attempt with (it is
    /// starting, or lost it mid-call and stopped its AWS call).
    #[error("this replica's database session is not open")]
    NoSession,
    #[error("the daily invitation quota is used up")]
    QuotaExhausted(QuotaUse),
    #[error(transparent)]
    Store(#[from] StoreError),
}
