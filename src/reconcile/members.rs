//! The organization's member count (ListAccounts), kept for
//! GetInvitationQuota on every replica.
use crate::service::{Error, Invitations};

pub struct CountMembers<'a> {
    invitations: &'a Invitations,
}

impl<'a> CountMembers<'a> {
    pub(super) fn new(invitations: &'a Invitations) -> Self {
        Self { invitations }
    }

    /// Counts the organization's accounts and records the count; the count.
    pub async fn run(&self) -> Result<usize, Error> {
        let n = self.invitations.aws().count_accounts().await?;
        self.invitations.store().set_member_accounts(n).await?;
        Ok(n)
    }
}
