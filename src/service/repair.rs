//! Finding handshakes that AWS made but Postgres never heard of: intents
//! left PENDING by a crash or UNKNOWN by a timeout.
use chrono::Duration as ChronoDuration;
use tracing::{info, warn};

use super::{Error, Invitations};
use crate::{domain::Handshake, store::UnresolvedInvite};

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
        let unresolved = self.store.claim_unresolved_invites(self.grace).await?;
        let mut resolved = 0;
        for u in &unresolved {
            match self.pick_sent(all, u).await? {
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
                        .fail_invite(&u.request_id, NOT_SENT, Some(NO_HANDSHAKE_FOUND))
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
