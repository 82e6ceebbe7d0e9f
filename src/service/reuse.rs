//! RETURN_EXISTING: an open invitation of the target is InviteAccount's
//! answer, whether this service recorded it or AWS says it exists (made
//! from the console, say, and adopted here). The request's onboarding or
//! renewal settings attach to it when it has none; settings that differ
//! are refused, naming it.
use super::{Error, Invitations};
use crate::domain::{
    Handshake, HandshakeRecord, HandshakeState, Invitation, Onboarding, RequestId,
};
use crate::store::{Notice, Owner};

impl Invitations {
    /// `open` as the answer to `inv`, with `inv`'s settings attached.
    pub(super) async fn reuse(
        &self,
        open: HandshakeRecord,
        inv: &Invitation,
    ) -> Result<HandshakeRecord, Error> {
        let id = open.handshake.id.clone();
        let conflict = |what: &'static str| Error::OpenExistsConflict {
            existing: id.clone(),
            what,
        };
        let mut record = open;
        match (&record.onboarding, &inv.onboarding) {
            (Some(have), Some(want)) if have.spec != *want => return Err(conflict("onboarding")),
            (None, Some(want)) => {
                let onboarding = Onboarding::new(want.clone());
                record = self
                    .store
                    .save_onboarding(&id, &onboarding, Notice::Announce)
                    .await?
                    .0;
            }
            _ => {}
        }
        match (&record.renewal, &inv.renewal) {
            (Some(have), Some(want)) if !have.same_request(want) => {
                return Err(conflict("renewal"))
            }
            (None, Some(want)) => {
                record = self.store.save_renewal(&id, want, Notice::Quiet).await?.0;
            }
            _ => {}
        }
        Ok(record)
    }

    /// The target's OPEN invitation as AWS lists it, if any.
    pub(super) async fn find_open_in_aws(
        &self,
        inv: &Invitation,
    ) -> Result<Option<Handshake>, Error> {
        let all = self.list_invites_now().await?;
        let target = &inv.target;
        Ok(all
            .into_iter()
            .filter(|h| h.state == HandshakeState::Open)
            .filter(|h| h.party_matching(target.kind(), target.id()).is_some())
            .max_by_key(|h| h.requested_time))
    }

    /// Records `open` (made outside this service) as this request's answer,
    /// or reuses this service's record of it. `owner` owns the attempt.
    pub(super) async fn adopt(
        &self,
        request_id: &RequestId,
        owner: &Owner,
        inv: &Invitation,
        open: Handshake,
    ) -> Result<HandshakeRecord, Error> {
        let Some(known) = self.store.get(&open.id).await? else {
            return self.record(request_id, inv, open).await;
        };
        match self.reuse(known, inv).await {
            Ok(record) => {
                self.store
                    .link_invite(request_id, &record.handshake.id)
                    .await?;
                Ok(record)
            }
            Err(e) => {
                // Nothing was sent: a retry may send (or reuse) again.
                self.store
                    .fail_invite(
                        request_id,
                        owner,
                        "DuplicateHandshakeException",
                        Some("OPEN_INVITATION_DIFFERS"),
                    )
                    .await?;
                Err(e)
            }
        }
    }
}
