//! The AWS Organizations operations this service uses, behind a thin trait so
//! tests can fake throttling and faults; `sdk` is the real implementation.
mod budget;
mod error;
/// The in-process fake, for tests and benchmarks only: never in the
/// production binary (the `test-support` feature, which the tests and
/// benches enable through the crate's dev-dependency on itself).
#[cfg(any(test, feature = "test-support"))]
pub mod fake;
mod measured;
mod operation;
mod sdk;

use async_trait::async_trait;

pub use budget::{BudgetSettings, Budgeted, Rate};
pub use error::{AwsError, AwsErrorKind};
pub use measured::Measured;
pub use operation::Operation;
pub use sdk::{retries, timeouts, SdkOrganizations};

use crate::domain::{Handshake, HandshakeId, Invitation};

/// One page of `ListHandshakesForOrganization`.
#[derive(Debug, Clone, Default)]
pub struct HandshakePage {
    pub handshakes: Vec<Handshake>,
    /// Set while more pages exist, even after an empty page.
    pub next_token: Option<String>,
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
