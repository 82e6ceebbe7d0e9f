//! GetInvitationQuota: the daily quota, and the account slots invitations
//! hold.
use super::{Error, Invitations};
use crate::{domain::QuotaUse, store::MemberCount};

/// GetInvitationQuota: the daily quota, and the slots invitations hold.
#[derive(Debug, Clone)]
pub struct QuotaReport {
    pub quota: QuotaUse,
    /// OPEN INVITE handshakes (AWS counts them against the account limit).
    pub pending_invitations: i64,
    /// As the polling replica last counted; None before its first count.
    pub member_accounts: Option<MemberCount>,
}

impl Invitations {
    /// The daily quota as it is used now (one count, no AWS call).
    pub async fn quota_use(&self) -> Result<crate::domain::QuotaUse, Error> {
        Ok(self.store.invite_quota(self.quota).await?)
    }

    pub async fn quota(&self) -> Result<QuotaReport, Error> {
        Ok(QuotaReport {
            quota: self.store.invite_quota(self.quota).await?,
            pending_invitations: self.store.pending_invitations().await?,
            member_accounts: self.store.member_accounts().await?,
        })
    }
}
