//! Finding the handshake an earlier, interrupted attempt of an intent made
//! (InviteAccount taking over an attempt, and the background repair alike).
use chrono::Duration as ChronoDuration;

use super::{Error, Invitations};
use crate::{domain::Handshake, store::UnresolvedInvite};

/// Clock skew allowed between Postgres and AWS when matching times.
const SKEW: ChronoDuration = ChronoDuration::minutes(5);

impl Invitations {
    /// The handshake an earlier attempt of this intent made, if AWS lists
    /// one. Throttling is waited out; the caller's deadline bounds the wait.
    pub async fn find_sent(
        &self,
        unresolved: &UnresolvedInvite,
    ) -> Result<Option<Handshake>, Error> {
        let all = self.list_invites_now().await?;
        self.pick_sent(&all, unresolved).await
    }

    /// The newest handshake for the intent's target requested after the
    /// intent was written, and not already claimed by another request.
    pub async fn pick_sent(
        &self,
        all: &[Handshake],
        u: &UnresolvedInvite,
    ) -> Result<Option<Handshake>, Error> {
        let target = &u.invitation.target;
        let mut candidates: Vec<&Handshake> = all
            .iter()
            .filter(|h| h.party_matching(target.kind(), target.id()).is_some())
            .filter(|h| h.requested_time.is_none_or(|t| t >= u.create_time - SKEW))
            .collect();
        candidates.sort_by_key(|h| std::cmp::Reverse(h.requested_time));
        for h in candidates {
            let owner = self.store.get(&h.id).await?.and_then(|r| r.request_id);
            if owner.is_none() || owner.as_deref() == Some(u.request_id.as_str()) {
                return Ok(Some(h.clone()));
            }
        }
        Ok(None)
    }
}
