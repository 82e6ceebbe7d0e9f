//! The AWS Organizations operations this service uses, behind a thin trait so
//! tests can fake throttling and faults; `sdk` is the real implementation.
pub mod budget;
mod error;
pub mod fake;
mod sdk;

use async_trait::async_trait;

pub use budget::{BudgetSettings, Budgeted, Rate};
pub use error::{AwsError, AwsErrorKind};
pub use sdk::{retries, timeouts, SdkOrganizations};

use crate::domain::{Handshake, HandshakeId, InviteTarget, Notes, Tags};

/// One page of `ListHandshakesForOrganization`.
#[derive(Debug, Clone, Default)]
pub struct HandshakePage {
    pub handshakes: Vec<Handshake>,
    /// Set while more pages exist, even after an empty page.
    pub next_token: Option<String>,
}

/// An invitation that passed validation.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub target: InviteTarget,
    pub notes: Notes,
    pub tags: Tags,
    /// The caller's identity: recorded as `requested_by`, never sent to AWS.
    pub requested_by: Option<String>,
}

#[async_trait]
pub trait Organizations: Send + Sync + 'static {
    async fn invite_account(&self, invitation: &Invitation) -> Result<Handshake, AwsError>;
    async fn describe_handshake(&self, id: &HandshakeId) -> Result<Handshake, AwsError>;
    async fn cancel_handshake(&self, id: &HandshakeId) -> Result<Handshake, AwsError>;
    /// One page of INVITE handshakes, at most 20.
    async fn list_invite_handshakes(
        &self,
        next_token: Option<String>,
    ) -> Result<HandshakePage, AwsError>;
}
