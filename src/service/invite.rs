//! InviteAccount: intent row first, then AWS, then the record; every way
//! out of that sequence leaves something that finishes the job later.
use std::time::Duration;

use tokio::sync::oneshot;
use tracing::{info, warn};

use super::{backoff, Error, Invitations};
use crate::{
    aws::AwsErrorKind,
    domain::{
        Handshake, HandshakeRecord, IfOpenExists, Invitation, InviteRequest, ParentId, RequestId,
    },
    store::{Abandoned, BeginInvite, Owner, UnresolvedInvite, FENCE},
};

/// How long a handshake AWS made but Postgres refused is retried in the
/// background before it is left to the repair sweep.
const LATE_RECORD_FOR: Duration = Duration::from_secs(15 * 60);
const LATE_RECORD_START: Duration = Duration::from_millis(500);
const LATE_RECORD_MAX: Duration = Duration::from_secs(30);

impl Invitations {
    /// Sends the invitation once per request_id. Without a request_id the
    /// call is still recorded, under a generated one. With RETURN_EXISTING,
    /// an open invitation of the target is the answer and nothing is sent.
    pub async fn invite(&self, req: InviteRequest) -> Result<HandshakeRecord, Error> {
        let InviteRequest {
            request_id,
            invitation: inv,
            if_open_exists,
        } = req;
        // A retry of a request already begun answers as the first call did,
        // whatever became of the destination or the target since. (Only
        // those two checks need to know: a plain invitation saves the trip.)
        let checks = inv.onboarding.is_some() || if_open_exists == IfOpenExists::ReturnExisting;
        let known = match &request_id {
            Some(r) if checks => self.store.intent_exists(r.as_str()).await?,
            _ => false,
        };
        if !known {
            if let Some(spec) = &inv.onboarding {
                self.check_destination(&spec.destination).await?;
            }
            if if_open_exists == IfOpenExists::ReturnExisting {
                if let Some(open) = self.store.open_invitation_for(&inv.target).await? {
                    return self.reuse(open, &inv).await;
                }
            }
        }
        let request_id = request_id.unwrap_or_else(RequestId::generate);
        let owner = self.owner().await?;
        // The request budget's turn is taken while the intent is written;
        // AWS is called once the intent is committed, and only for a fresh
        // attempt (any other outcome gives the turn back).
        let (go, ready) = oneshot::channel();
        let early = self
            .aws
            .invite_account_when(&inv, Box::pin(async { ready.await.unwrap_or(false) }));
        let beginning = async {
            let begun = self
                .store
                .begin_invite(&request_id, &inv, owner.id(), self.grace, self.quota)
                .await;
            let _ = go.send(matches!(begun, Ok(BeginInvite::Started)));
            begun
        };
        let (begun, early) = tokio::join!(beginning, fenced(&owner, early));
        let mut resuming = None;
        let early = match begun? {
            BeginInvite::Started => early,
            BeginInvite::AlreadySent(record) => return Ok(*record),
            BeginInvite::InProgress => return Err(Error::InProgress),
            BeginInvite::Mismatch => return Err(Error::RequestIdReused),
            BeginInvite::QuotaExhausted(q) => {
                self.metrics.invitation(Err("DailyQuotaExhausted"));
                return Err(Error::QuotaExhausted(q));
            }
            BeginInvite::Unresolved(unresolved) => {
                self.fence_off(&unresolved).await;
                if let Some(h) = self.find_sent(&unresolved).await? {
                    return self.record(&request_id, &inv, h).await;
                }
                resuming = Some(unresolved);
                Some(Ok(None))
            }
        };
        // Raced against the session's fence: once this replica's session is
        // lost, another may resolve the attempt, so the call must stop.
        let sent = match early {
            Some(Ok(Some(h))) => Ok(h),
            Some(Err(e)) => Err(e),
            // Not sent yet: an attempt taken over from one abandoned.
            Some(Ok(None)) => match fenced(&owner, self.aws.invite_account(&inv)).await {
                Some(sent) => sent,
                None => return Err(session_lost(&request_id)),
            },
            None => return Err(session_lost(&request_id)),
        };
        self.metrics
            .invitation(sent.as_ref().map(|_| ()).map_err(|e| e.code.as_str()));
        match sent {
            Ok(h) => self.record(&request_id, &inv, h).await,
            Err(e) if e.outcome_unknown() => {
                warn!(request_id = request_id.as_str(), error = %e, "invite outcome unknown");
                if let Err(se) = self
                    .store
                    .mark_invite_unknown(&request_id, owner.id())
                    .await
                {
                    warn!(error = %se, "could not mark invite unknown; repair will find it");
                }
                Err(e.into())
            }
            Err(e) => {
                // A duplicate of our own earlier attempt is the handshake we
                // looked for but AWS did not list yet.
                if let (Some(unresolved), AwsErrorKind::DuplicateHandshake) = (&resuming, e.kind) {
                    if let Some(h) = self.find_sent(unresolved).await? {
                        return self.record(&request_id, &inv, h).await;
                    }
                }
                // Open elsewhere (the console, another tool): that one, adopted.
                if e.kind == AwsErrorKind::DuplicateHandshake
                    && if_open_exists == IfOpenExists::ReturnExisting
                {
                    if let Some(open) = self.find_open_in_aws(&inv).await? {
                        return self.adopt(&request_id, owner.id(), &inv, open).await;
                    }
                }
                if let Err(se) = self
                    .store
                    .fail_invite(&request_id, owner.id(), &e.code, e.reason.as_deref())
                    .await
                {
                    warn!(error = %se, "could not record the refused invite");
                }
                Err(e.into())
            }
        }
    }

    /// The destination must exist before anything is sent: a root the
    /// organization lists, or an organizational unit AWS describes.
    async fn check_destination(&self, destination: &ParentId) -> Result<(), Error> {
        let exists = if destination.is_root() {
            let roots = self.aws.list_roots().await?;
            roots.iter().any(|r| r == destination.as_str())
        } else {
            match self.aws.describe_organizational_unit(destination).await {
                Ok(()) => true,
                Err(e) if e.kind == AwsErrorKind::ParentNotFound => false,
                Err(e) => return Err(e.into()),
            }
        };
        if exists {
            Ok(())
        } else {
            Err(Error::DestinationMissing(destination.clone()))
        }
    }

    /// Records the handshake AWS made. If Postgres refuses, the caller hears
    /// so, and a background task keeps trying while the intent row waits
    /// for the repair sweep in case this process dies too.
    pub async fn record(
        &self,
        request_id: &RequestId,
        inv: &Invitation,
        handshake: Handshake,
    ) -> Result<HandshakeRecord, Error> {
        match self
            .store
            .complete_invite(request_id, inv, &handshake)
            .await
        {
            Ok(record) => {
                // complete_invite asked the poller for a sweep soon.
                info!(
                    request_id = request_id.as_str(),
                    handshake_id = handshake.id.as_str(),
                    "invitation recorded"
                );
                Ok(record)
            }
            Err(e) => {
                warn!(request_id = request_id.as_str(), handshake_id = handshake.id.as_str(),
                      error = %e, "invitation sent but not recorded; retrying in the background");
                let (store, request_id, inv) =
                    (self.store.clone(), request_id.clone(), inv.clone());
                tokio::spawn(async move {
                    let deadline = tokio::time::Instant::now() + LATE_RECORD_FOR;
                    let mut delays = backoff::delays(LATE_RECORD_START, LATE_RECORD_MAX);
                    while tokio::time::Instant::now() < deadline {
                        tokio::time::sleep(delays.next().unwrap_or(LATE_RECORD_MAX)).await;
                        if store
                            .complete_invite(&request_id, &inv, &handshake)
                            .await
                            .is_ok()
                        {
                            info!(request_id = request_id.as_str(), "invitation recorded late");
                            return;
                        }
                    }
                });
                Err(Error::NotRecorded(Box::new(e.into())))
            }
        }
    }

    /// Counts an abandoned attempt taken over and, when its owner's session
    /// ended, waits until that owner has surely stopped sending.
    async fn fence_off(&self, unresolved: &UnresolvedInvite) {
        self.count_abandoned(unresolved);
        if unresolved.why == Abandoned::OwnerGone {
            tokio::time::sleep(FENCE).await;
        }
    }

    /// Attempts taken over from an owner that stopped (not timed-out calls).
    pub fn count_abandoned(&self, unresolved: &UnresolvedInvite) {
        if unresolved.why != Abandoned::Unknown {
            self.metrics.abandoned_attempt(unresolved.why.as_str());
        }
    }
}

/// `call`, or None once `owner`'s session is lost (the call is dropped).
async fn fenced<T>(owner: &Owner, call: impl std::future::Future<Output = T>) -> Option<T> {
    tokio::select! {
        biased;
        _ = owner.fenced() => None,
        out = call => Some(out),
    }
}

fn session_lost(request_id: &RequestId) -> Error {
    warn!(
        request_id = request_id.as_str(),
        "session lost mid-call: AWS call stopped"
    );
    Error::NoSession
}
