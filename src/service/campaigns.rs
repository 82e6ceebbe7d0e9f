//! The campaign RPCs: create (validated whole, nothing sent here: the
//! polling replica sends), read, pause, resume and cancel. Sending and
//! following are `reconcile::Campaigns`'.
use tracing::warn;

use super::{Error, Invitations};
use crate::{
    domain::{
        Campaign, CampaignId, CampaignState, CampaignTarget, FieldViolation, NewCampaign, ParentId,
        TargetState, Violations,
    },
    store::CreatedCampaign,
};

impl Invitations {
    /// Creates the campaign once per request_id. The destination must
    /// exist and the reserve must leave the campaign a slot.
    pub async fn create_campaign(&self, new: NewCampaign) -> Result<Campaign, Error> {
        if new.quota_reserve >= self.quota.limit {
            let v = FieldViolation::new(
                "quota_reserve",
                format!(
                    "quota_reserve must be 0 to {} (the invitation quota is {})",
                    self.quota.limit.saturating_sub(1),
                    self.quota.limit
                ),
            );
            return Err(Error::Invalid(Violations(vec![v])));
        }
        if let Some(o) = &new.spec.onboarding {
            let destination = ParentId::parse(&o.destination_parent_id)
                .map_err(|v| Error::Invalid(Violations(vec![v.under("onboarding")])))?;
            self.check_destination(&destination).await?;
        }
        let campaign = match self.store.create_campaign(&new).await? {
            CreatedCampaign::New(c) => {
                self.wake_poller().await;
                c
            }
            CreatedCampaign::Existing(c) => c,
            CreatedCampaign::Mismatch => return Err(Error::RequestIdReused),
        };
        Ok(campaign)
    }

    pub async fn get_campaign(&self, id: &CampaignId) -> Result<Campaign, Error> {
        self.store
            .get_campaign(id)
            .await?
            .ok_or_else(|| Error::CampaignNotFound(id.clone()))
    }

    /// Newest first: a page, and the position to ask the next from.
    pub async fn list_campaigns(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<Campaign>, Option<i64>), Error> {
        let mut rows = self.store.list_campaigns(before, limit + 1).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next = more.then(|| rows.last().map(|(seq, _)| *seq)).flatten();
        Ok((rows.into_iter().map(|(_, c)| c).collect(), next))
    }

    /// In index order: a page, and the index to go on after.
    pub async fn list_campaign_targets(
        &self,
        id: &CampaignId,
        states: &[TargetState],
        after: Option<u32>,
        limit: i64,
    ) -> Result<(Vec<CampaignTarget>, Option<u32>), Error> {
        self.get_campaign(id).await?;
        let mut rows = self
            .store
            .list_campaign_targets(id, states, after, limit + 1)
            .await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next = more.then(|| rows.last().map(|t| t.index)).flatten();
        Ok((rows, next))
    }

    /// Sends nothing new until resumed. Pausing a paused campaign is a
    /// no-op that answers it.
    pub async fn pause_campaign(&self, id: &CampaignId) -> Result<Campaign, Error> {
        self.move_campaign(id, CampaignState::Active, CampaignState::Paused)
            .await
    }

    /// Goes on sending, the service's pause reason cleared.
    pub async fn resume_campaign(&self, id: &CampaignId) -> Result<Campaign, Error> {
        let campaign = self
            .move_campaign(id, CampaignState::Paused, CampaignState::Active)
            .await?;
        self.wake_poller().await;
        Ok(campaign)
    }

    async fn move_campaign(
        &self,
        id: &CampaignId,
        from: CampaignState,
        to: CampaignState,
    ) -> Result<Campaign, Error> {
        if !self.store.set_campaign_state(id, &[from], to, None).await? {
            let now = self.get_campaign(id).await?;
            if now.state != to {
                return Err(Error::CampaignState {
                    id: id.clone(),
                    state: now.state,
                });
            }
        }
        self.get_campaign(id).await
    }

    /// Queued targets become SKIPPED; with `cancel_open`, the campaign's
    /// open invitations are cancelled in AWS too (any left, such as one a
    /// send in flight made, the polling replica cancels after).
    pub async fn cancel_campaign(
        &self,
        id: &CampaignId,
        cancel_open: bool,
        canceled_by: Option<String>,
    ) -> Result<Campaign, Error> {
        if !self.store.cancel_campaign(id, cancel_open).await? {
            let now = self.get_campaign(id).await?;
            if now.state != CampaignState::Canceled {
                return Err(Error::CampaignState {
                    id: id.clone(),
                    state: now.state,
                });
            }
        }
        self.cancel_open_invitations(Some(id), canceled_by).await;
        self.get_campaign(id).await
    }

    /// Cancels the open invitations CANCELED campaigns asked to be
    /// cancelled (`only` that one, when given). Best effort: what fails
    /// stays for the next pass.
    pub async fn cancel_open_invitations(
        &self,
        only: Option<&CampaignId>,
        canceled_by: Option<String>,
    ) -> usize {
        let open = match self.store.invitations_to_cancel(only).await {
            Ok(open) => open,
            Err(e) => {
                warn!(error = %e, "could not read the invitations to cancel");
                return 0;
            }
        };
        let mut done = 0;
        for f in open {
            let canceled = match self.cancel(&f.handshake_id, canceled_by.clone()).await {
                Ok(record) => record,
                Err(e) => {
                    warn!(handshake_id = f.handshake_id.as_str(), error = %e,
                          "could not cancel a canceled campaign's invitation");
                    continue;
                }
            };
            // The target shows it now, not at the next pass.
            if let Err(e) = self.store.follow_target(&f, &canceled).await {
                warn!(error = %e, "could not record a cancelled target; the next pass will");
            }
            done += 1;
        }
        done
    }
}
