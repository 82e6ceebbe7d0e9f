//! What dashboards read (the status page and `/metrics`), through the
//! service as the RPCs read, never the store directly.
use super::{Error, Invitations};
use crate::{
    domain::{Campaign, HandshakeState, TargetCounts},
    store::{MemberCount, StatusSnapshot},
};

impl Invitations {
    /// How many handshakes are in each state.
    pub async fn count_by_state(&self) -> Result<Vec<(HandshakeState, i64)>, Error> {
        Ok(self.store.count_by_state().await?)
    }

    /// Open invitations warned about as expiring soon.
    pub async fn expiring_invitations(&self) -> Result<i64, Error> {
        Ok(self.store.expiring_invitations().await?)
    }

    /// The counts, the newest `recent` handshakes and the last event id,
    /// as of one moment.
    pub async fn status_snapshot(&self, recent: i64) -> Result<StatusSnapshot, Error> {
        Ok(self.store.status_snapshot(recent).await?)
    }

    /// Campaign targets in each state, over every campaign.
    pub async fn campaign_target_counts(&self) -> Result<TargetCounts, Error> {
        Ok(self.store.campaign_target_counts().await?)
    }

    /// The newest `n` campaigns, with their counts.
    pub async fn recent_campaigns(&self, n: i64) -> Result<Vec<Campaign>, Error> {
        Ok(self.list_campaigns(None, n).await?.0)
    }

    /// The organization's member count, as the polling replica last took it.
    pub async fn member_accounts(&self) -> Result<Option<MemberCount>, Error> {
        Ok(self.store.member_accounts().await?)
    }
}
