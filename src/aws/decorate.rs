//! Decorators of `Organizations` and `EventBus`: something done around
//! every AWS call (measuring it, spending the request budget), written once
//! for every operation of the traits.
use std::{future::Future, pin::Pin, sync::Arc};

use async_trait::async_trait;

use super::{
    AwsError, BusEntry, EntryResult, EventBus, HandshakePage, MemberCredentials, Operation,
    Organizations, TransferPage,
};
use crate::domain::{
    AcceptRole, AccountId, ExternalId, Handshake, HandshakeId, Invitation, ParentId, Participant,
    Tag, Transfer, TransferDirection, TransferId, TransferInvite,
};

/// One AWS call, not yet started.
pub type Call<'a, T> = Pin<Box<dyn Future<Output = Result<T, AwsError>> + Send + 'a>>;

/// Whether a held call may go: resolves once the caller knows (see
/// `Organizations::invite_account_when`).
pub type Ready<'a> = Pin<Box<dyn Future<Output = bool> + Send + 'a>>;

/// What a decorator does around each call of `op`: it decides whether and
/// when `call` runs, and sees its result.
pub trait Around: Send + Sync + 'static {
    fn around<'a, T: Send + 'a>(&'a self, op: Operation, call: Call<'a, T>) -> Call<'a, T>;

    /// `around`, with `call` held until `ready` (and not made, None, when it
    /// says no). A decorator with work of its own to do before a call does
    /// it meanwhile; by default nothing happens before `ready`.
    fn around_when<'a, T: Send + 'a>(
        &'a self,
        op: Operation,
        ready: Ready<'a>,
        call: Call<'a, T>,
    ) -> Call<'a, Option<T>> {
        Box::pin(async move {
            if !ready.await {
                return Ok(None);
            }
            self.around(op, call).await.map(Some)
        })
    }
}

/// `inner`, with `around` around each of its calls.
pub struct Decorated<A> {
    inner: Arc<dyn Organizations>,
    around: A,
}

impl<A: Around> Decorated<A> {
    pub fn with(inner: Arc<dyn Organizations>, around: A) -> Self {
        Self { inner, around }
    }
}

/// The bus `inner`, with `around` around each PutEvents.
pub struct DecoratedBus<A> {
    inner: Arc<dyn EventBus>,
    around: A,
}

impl<A: Around> DecoratedBus<A> {
    pub fn with(inner: Arc<dyn EventBus>, around: A) -> Self {
        Self { inner, around }
    }
}

#[async_trait]
impl<A: Around> EventBus for DecoratedBus<A> {
    async fn put_events(&self, entries: &[BusEntry]) -> Result<Vec<EntryResult>, AwsError> {
        let call = self.inner.put_events(entries);
        self.around.around(Operation::PutEvents, call).await
    }
}

#[async_trait]
impl<A: Around> Organizations for Decorated<A> {
    async fn invite_account(&self, invitation: &Invitation) -> Result<Handshake, AwsError> {
        let call = self.inner.invite_account(invitation);
        self.around
            .around(Operation::InviteAccountToOrganization, call)
            .await
    }

    async fn invite_account_when(
        &self,
        invitation: &Invitation,
        ready: Ready<'_>,
    ) -> Result<Option<Handshake>, AwsError> {
        let call = self.inner.invite_account(invitation);
        self.around
            .around_when(Operation::InviteAccountToOrganization, ready, call)
            .await
    }

    async fn describe_handshake(&self, id: &HandshakeId) -> Result<Handshake, AwsError> {
        let call = self.inner.describe_handshake(id);
        self.around.around(Operation::DescribeHandshake, call).await
    }

    async fn cancel_handshake(&self, id: &HandshakeId) -> Result<Handshake, AwsError> {
        let call = self.inner.cancel_handshake(id);
        self.around.around(Operation::CancelHandshake, call).await
    }

    async fn list_invite_handshakes(
        &self,
        next_token: Option<String>,
    ) -> Result<HandshakePage, AwsError> {
        let call = self.inner.list_invite_handshakes(next_token);
        self.around
            .around(Operation::ListHandshakesForOrganization, call)
            .await
    }

    async fn list_roots(&self) -> Result<Vec<String>, AwsError> {
        let call = self.inner.list_roots();
        self.around.around(Operation::ListRoots, call).await
    }

    async fn describe_organizational_unit(&self, id: &ParentId) -> Result<(), AwsError> {
        let call = self.inner.describe_organizational_unit(id);
        self.around
            .around(Operation::DescribeOrganizationalUnit, call)
            .await
    }

    async fn assume_role(
        &self,
        role: &AcceptRole,
        session: &str,
        external_id: Option<&ExternalId>,
    ) -> Result<MemberCredentials, AwsError> {
        let call = self.inner.assume_role(role, session, external_id);
        self.around.around(Operation::AssumeRole, call).await
    }

    async fn accept_handshake(
        &self,
        id: &HandshakeId,
        member: &MemberCredentials,
    ) -> Result<Handshake, AwsError> {
        let call = self.inner.accept_handshake(id, member);
        self.around.around(Operation::AcceptHandshake, call).await
    }

    async fn leave_organization(&self, member: &MemberCredentials) -> Result<(), AwsError> {
        let call = self.inner.leave_organization(member);
        self.around.around(Operation::LeaveOrganization, call).await
    }

    async fn list_parents(&self, account: &AccountId) -> Result<Option<String>, AwsError> {
        let call = self.inner.list_parents(account);
        self.around.around(Operation::ListParents, call).await
    }

    async fn move_account(
        &self,
        account: &AccountId,
        from: &str,
        to: &ParentId,
    ) -> Result<(), AwsError> {
        let call = self.inner.move_account(account, from, to);
        self.around.around(Operation::MoveAccount, call).await
    }

    async fn list_account_tags(&self, account: &AccountId) -> Result<Vec<Tag>, AwsError> {
        let call = self.inner.list_account_tags(account);
        self.around
            .around(Operation::ListTagsForResource, call)
            .await
    }

    async fn tag_account(&self, account: &AccountId, tags: &[Tag]) -> Result<(), AwsError> {
        let call = self.inner.tag_account(account, tags);
        self.around.around(Operation::TagResource, call).await
    }

    async fn count_accounts(&self) -> Result<usize, AwsError> {
        let call = self.inner.count_accounts();
        self.around.around(Operation::ListAccounts, call).await
    }

    async fn management_account(&self) -> Result<Participant, AwsError> {
        let call = self.inner.management_account();
        self.around
            .around(Operation::DescribeOrganization, call)
            .await
    }

    async fn invite_transfer(&self, invite: &TransferInvite) -> Result<Handshake, AwsError> {
        let call = self.inner.invite_transfer(invite);
        self.around
            .around(Operation::InviteOrganizationToTransferResponsibility, call)
            .await
    }

    async fn describe_transfer(&self, id: &TransferId) -> Result<Transfer, AwsError> {
        let call = self.inner.describe_transfer(id);
        self.around
            .around(Operation::DescribeResponsibilityTransfer, call)
            .await
    }

    async fn list_transfers(
        &self,
        direction: TransferDirection,
        next_token: Option<String>,
    ) -> Result<TransferPage, AwsError> {
        let op = match direction {
            TransferDirection::Inbound => Operation::ListInboundResponsibilityTransfers,
            TransferDirection::Outbound => Operation::ListOutboundResponsibilityTransfers,
        };
        let call = self.inner.list_transfers(direction, next_token);
        self.around.around(op, call).await
    }

    async fn terminate_transfer(
        &self,
        id: &TransferId,
        end: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Transfer, AwsError> {
        let call = self.inner.terminate_transfer(id, end);
        self.around
            .around(Operation::TerminateResponsibilityTransfer, call)
            .await
    }

    async fn rename_transfer(&self, id: &TransferId, name: &str) -> Result<Transfer, AwsError> {
        let call = self.inner.rename_transfer(id, name);
        self.around
            .around(Operation::UpdateResponsibilityTransfer, call)
            .await
    }

    async fn answer_handshake(
        &self,
        id: &HandshakeId,
        accept: bool,
    ) -> Result<Handshake, AwsError> {
        let op = if accept {
            Operation::AcceptHandshake
        } else {
            Operation::DeclineHandshake
        };
        let call = self.inner.answer_handshake(id, accept);
        self.around.around(op, call).await
    }
}
