//! The AWS Organizations operations this service uses, and EventBridge's
//! PutEvents, behind thin traits so tests can fake throttling and faults;
//! `sdk` is the real implementation.
mod budget;
mod credentials;
mod decorate;
mod error;
mod events;
/// The in-process fake, for tests and benchmarks only: never in the
/// production binary (the `test-support` feature, which the tests and
/// benches enable through the crate's dev-dependency on itself).
#[cfg(any(test, feature = "test-support"))]
pub mod fake;
mod measured;
mod sdk;

use async_trait::async_trait;

pub use crate::domain::Operation;
pub use budget::{BudgetSettings, Budgeted, BudgetedBus, Rate};
pub use credentials::MemberCredentials;
pub use decorate::{Around, Call, Decorated, DecoratedBus, Ready};
pub use error::{AwsError, AwsErrorKind, ALREADY_IN_AN_ORGANIZATION, MEMBERSHIP_CHANGE_RATE_LIMIT};
pub use events::{BusEntry, EntryResult, EventBus, MAX_ENTRIES};
pub use measured::{Measured, MeasuredBus};
pub use sdk::{load_config, retries, timeouts, SdkEventBus, SdkOrganizations};

use crate::domain::{
    AcceptRole, AccountId, ExternalId, Handshake, HandshakeId, Invitation, ParentId, Participant,
    Tag, Transfer, TransferDirection, TransferId, TransferInvite,
};

/// One page of `ListHandshakesForOrganization`.
#[derive(Debug, Clone, Default)]
pub struct HandshakePage {
    pub handshakes: Vec<Handshake>,
    /// Set while more pages exist, even after an empty page.
    pub next_token: Option<String>,
}

/// One page of ListInbound/ListOutboundResponsibilityTransfers.
#[derive(Debug, Clone, Default)]
pub struct TransferPage {
    pub transfers: Vec<Transfer>,
    pub next_token: Option<String>,
}

#[async_trait]
pub trait Organizations: Send + Sync + 'static {
    async fn invite_account(&self, invitation: &Invitation) -> Result<Handshake, AwsError>;
    /// `invite_account`, sent once `ready` says yes (None when it says no).
    /// What the decorators do before a call, such as taking the request
    /// budget's turn, runs meanwhile: InviteAccount writes its intent then.
    async fn invite_account_when(
        &self,
        invitation: &Invitation,
        ready: Ready<'_>,
    ) -> Result<Option<Handshake>, AwsError> {
        if !ready.await {
            return Ok(None);
        }
        self.invite_account(invitation).await.map(Some)
    }
    async fn describe_handshake(&self, id: &HandshakeId) -> Result<Handshake, AwsError>;
    async fn cancel_handshake(&self, id: &HandshakeId) -> Result<Handshake, AwsError>;
    /// One page of INVITE handshakes, at most 20.
    async fn list_invite_handshakes(
        &self,
        next_token: Option<String>,
    ) -> Result<HandshakePage, AwsError>;

    // Onboarding: where an account goes, and getting it there.

    /// The ids of the organization's roots.
    async fn list_roots(&self) -> Result<Vec<String>, AwsError>;
    /// Ok when the organizational unit exists (ParentNotFound otherwise).
    async fn describe_organizational_unit(&self, id: &ParentId) -> Result<(), AwsError>;
    /// STS AssumeRole into `role` (in the invited account), for
    /// `accept_handshake`; `session` names the request in CloudTrail.
    async fn assume_role(
        &self,
        role: &AcceptRole,
        session: &str,
        external_id: Option<&ExternalId>,
    ) -> Result<MemberCredentials, AwsError>;
    /// AcceptHandshake as the invited account, signed with `member`.
    async fn accept_handshake(
        &self,
        id: &HandshakeId,
        member: &MemberCredentials,
    ) -> Result<Handshake, AwsError>;
    /// LeaveOrganization as the invited account, signed with `member`: it
    /// leaves the organization it belongs to. An account that belongs to
    /// none answers AWSOrganizationsNotInUse (see `AwsError::left_already`).
    async fn leave_organization(&self, member: &MemberCredentials) -> Result<(), AwsError>;
    /// The account's parent (a root or OU id); None when AWS lists none.
    async fn list_parents(&self, account: &AccountId) -> Result<Option<String>, AwsError>;
    async fn move_account(
        &self,
        account: &AccountId,
        from: &str,
        to: &ParentId,
    ) -> Result<(), AwsError>;
    /// Every tag the account has.
    async fn list_account_tags(&self, account: &AccountId) -> Result<Vec<Tag>, AwsError>;
    /// Adds (or overwrites) `tags` on the account.
    async fn tag_account(&self, account: &AccountId, tags: &[Tag]) -> Result<(), AwsError>;

    /// How many accounts the organization has (ListAccounts, every page;
    /// the management account included).
    async fn count_accounts(&self) -> Result<usize, AwsError>;

    // Billing transfers (TRANSFER_RESPONSIBILITY), as the management account.

    /// This organization's management account (DescribeOrganization).
    async fn management_account(&self) -> Result<Participant, AwsError>;
    /// InviteOrganizationToTransferResponsibility. Never retried by the
    /// SDK, as InviteAccount is not: the intent row decides.
    async fn invite_transfer(&self, invite: &TransferInvite) -> Result<Handshake, AwsError>;
    async fn describe_transfer(&self, id: &TransferId) -> Result<Transfer, AwsError>;
    /// One page of the BILLING transfers AWS lists in `direction`.
    async fn list_transfers(
        &self,
        direction: TransferDirection,
        next_token: Option<String>,
    ) -> Result<TransferPage, AwsError>;
    /// TerminateResponsibilityTransfer; `end` None: AWS's default.
    async fn terminate_transfer(
        &self,
        id: &TransferId,
        end: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Transfer, AwsError>;
    /// UpdateResponsibilityTransfer: a new name.
    async fn rename_transfer(&self, id: &TransferId, name: &str) -> Result<Transfer, AwsError>;
    /// AcceptHandshake (`accept`) or DeclineHandshake as the management
    /// account itself: the answer to another organization's invitation.
    async fn answer_handshake(&self, id: &HandshakeId, accept: bool)
        -> Result<Handshake, AwsError>;
}
