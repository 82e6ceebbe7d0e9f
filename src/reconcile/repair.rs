//! Finding handshakes that AWS made but Postgres never heard of: intents
//! left PENDING by a crash or UNKNOWN by a timeout.
use tracing::{info, warn};

use crate::{
    domain::{Handshake, RequestId},
    service::{Error, Invitations},
    store::{Abandoned, Owner, UnresolvedInvite, FENCE},
};

/// Why an intent was closed without a handshake.
const NOT_SENT: &str = "NotSent";
const NO_HANDSHAKE_FOUND: &str = "NO_MATCHING_HANDSHAKE_IN_AWS";

/// How one abandoned intent was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repaired {
    /// AWS had made its handshake: now recorded under the request.
    Found(RequestId),
    /// AWS lists none: closed as not sent, so a retry may send it.
    NotSent(RequestId),
}

pub struct Repair<'a> {
    invitations: &'a Invitations,
}

impl<'a> Repair<'a> {
    pub(super) fn new(invitations: &'a Invitations) -> Self {
        Self { invitations }
    }

    /// Resolves every abandoned intent against the INVITE handshakes a
    /// sweep listed: linked to the handshake AWS made, or closed as not sent
    /// so a retry may send it.
    pub async fn run(&self, all: &[Handshake]) -> Result<Vec<Repaired>, Error> {
        let inv = self.invitations;
        let owner = inv.owner().await?;
        let unresolved = inv
            .store()
            .claim_unresolved_invites(&owner, inv.grace())
            .await?;
        for u in &unresolved {
            inv.count_abandoned(u);
        }
        // Intents whose owner just died are judged on a list made after
        // the fence, and those whose call timed out on one made after the
        // claim: `all` may predate what that owner sent last, or the call
        // that timed out (marked UNKNOWN once it ended, maybe after `all`).
        let gone = unresolved.iter().any(|u| u.why == Abandoned::OwnerGone);
        let fresh = if gone || unresolved.iter().any(|u| u.why == Abandoned::Unknown) {
            if gone {
                tokio::time::sleep(FENCE).await;
            }
            inv.list_invites_now().await?
        } else {
            Vec::new()
        };
        let mut resolved = Vec::with_capacity(unresolved.len());
        for u in &unresolved {
            let listed = match u.why {
                Abandoned::OwnerGone | Abandoned::Unknown => &fresh,
                _ => all,
            };
            resolved.push(self.resolve(u, listed, &owner).await?);
        }
        Ok(resolved)
    }

    async fn resolve(
        &self,
        u: &UnresolvedInvite,
        listed: &[Handshake],
        owner: &Owner,
    ) -> Result<Repaired, Error> {
        let store = self.invitations.store();
        match self.invitations.pick_sent(listed, u).await? {
            Some(h) => {
                store
                    .complete_invite(&u.request_id, &u.invitation, &h)
                    .await?;
                info!(
                    request_id = u.request_id.as_str(),
                    handshake_id = h.id.as_str(),
                    "repaired: handshake found in AWS and recorded"
                );
                Ok(Repaired::Found(u.request_id.clone()))
            }
            None => {
                store
                    .fail_invite(&u.request_id, owner, NOT_SENT, Some(NO_HANDSHAKE_FOUND))
                    .await?;
                warn!(
                    request_id = u.request_id.as_str(),
                    "repaired: no handshake in AWS, closed as not sent"
                );
                Ok(Repaired::NotSent(u.request_id.clone()))
            }
        }
    }
}
