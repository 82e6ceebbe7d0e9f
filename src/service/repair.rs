//! Finding handshakes that AWS made but Postgres never heard of: intents
//! left PENDING by a crash or UNKNOWN by a timeout.
use chrono::Duration as ChronoDuration;
use tracing::{info, warn};

use super::{Error, Invitations};
use crate::{
    domain::Handshake,
    store::{Abandoned, UnresolvedInvite, FENCE},
};

/// Clock skew allowed between Postgres and AWS when matching times.
const SKEW: ChronoDuration = ChronoDuration::minutes(5);

/// Why an intent was closed without a handshake.
const NOT_SENT: &str = "NotSent";
const NO_HANDSHAKE_FOUND: &str = "NO_MATCHING_HANDSHAKE_IN_AWS";

impl Invitations {
    /// Resolves every abandoned intent against the INVITE handshakes a
    /// sweep listed: linked to the handshake AWS made, or closed as not sent
    /// so a retry may send it. Returns how many were resolved.
    pub async fn repair_with(&self, all: &[Handshake]) -> Result<usize, Error> {
        let owner = self.owner().await?;
        let unresolved = self
            .store
            .claim_unresolved_invites(owner.id(), self.grace)
            .await?;
        for u in &unresolved {
            self.count_abandoned(u);
        }
        // Intents whose owner just died are judged on a list made after
        // the fence: `all` may predate what that owner sent last.
        let after_fence = if unresolved.iter().any(|u| u.why == Abandoned::OwnerGone) {
            tokio::time::sleep(FENCE).await;
            self.list_invites_now().await?
        } else {
            Vec::new()
        };
        let mut resolved = 0;
        for u in &unresolved {
            let listed = match u.why {
                Abandoned::OwnerGone => &after_fence,
                _ => all,
            };
            match self.pick_sent(listed, u).await? {
                Some(h) => {
                    self.store
                        .complete_invite(&u.request_id, &u.invitation, &h)
                        .await?;
                    info!(
                        request_id = u.request_id.as_str(),
                        handshake_id = h.id.as_str(),
                        "repaired: handshake found in AWS and recorded"
                    );
                }
                None => {
                    self.store
                        .fail_invite(
                            &u.request_id,
                            owner.id(),
                            NOT_SENT,
                            Some(NO_HANDSHAKE_FOUND),
                        )
                        .await?;
                    warn!(
                        request_id = u.request_id.as_str(),
                        "repaired: no handshake in AWS, closed as not sent"
                    );
                }
            }
            resolved += 1;
        }
        Ok(resolved)
    }

    /// The newest handshake for the intent's target requested after the
    /// intent was written, and not already claimed by another request.
    pub(super) async fn pick_sent(
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
