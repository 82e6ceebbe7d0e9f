//! InviteAccount: intent row first, then AWS, then the record; every way
//! out of that sequence leaves something that finishes the job later.
use std::time::Duration;

use tokio::sync::oneshot;
use tracing::{info, warn};

use super::{backoff, leave, Error, Invitations};
use crate::{
    aws::{AwsError, AwsErrorKind},
    domain::{
        Handshake, HandshakeRecord, IfOpenExists, Invitation, InviteQuota, InviteRequest,
        OnboardingSpec, ParentId, RequestId,
    },
    metrics::AbandonedBy,
    store::{Abandoned, BeginInvite, Owner, UnresolvedInvite, FENCE},
};

/// An attempt being settled: whose it is, and what it asked for.
struct Settle<'a> {
    request_id: &'a RequestId,
    inv: &'a Invitation,
    owner: &'a Owner,
    if_open_exists: IfOpenExists,
    /// The abandoned attempt this call took over, if it did.
    resuming: Option<&'a UnresolvedInvite>,
    /// The account left its previous organization during this call: a
    /// second refusal for that reason is final.
    left: bool,
}

/// How long a handshake AWS made but Postgres refused is retried in the
/// background before it is left to the repair sweep.
const LATE_RECORD_FOR: Duration = Duration::from_secs(15 * 60);
const LATE_RECORD_START: Duration = Duration::from_millis(500);
const LATE_RECORD_MAX: Duration = Duration::from_secs(30);

/// What `begin` found: how the call goes on.
enum Attempt {
    /// A fresh attempt, owned by this call: the held AWS call went ahead.
    Send(Sent),
    /// Taken over from an attempt abandoned without a known outcome: look
    /// it up in AWS, and send only if it made nothing.
    Resume(Box<UnresolvedInvite>),
    /// Answered without sending (sent before under this request_id).
    Answered(Box<HandshakeRecord>),
}

/// How the call to AWS went.
enum Sent {
    /// AWS made the handshake.
    Made(Handshake),
    /// AWS refused, or the call ended without knowing (see
    /// `AwsError::outcome_unknown`).
    Refused(AwsError),
    /// This replica's session was lost mid-call, so the call was dropped
    /// (another replica may now resolve the attempt), or it never went.
    Fenced,
}

impl Sent {
    fn of(call: Option<Result<Option<Handshake>, AwsError>>) -> Self {
        match call {
            Some(Ok(Some(h))) => Self::Made(h),
            Some(Err(e)) => Self::Refused(e),
            Some(Ok(None)) | None => Self::Fenced,
        }
    }
}

impl Invitations {
    /// Sends the invitation once per request_id. Without a request_id the
    /// call is still recorded, under a generated one. With RETURN_EXISTING,
    /// an open invitation of the target is the answer and nothing is sent.
    pub async fn invite(&self, req: InviteRequest) -> Result<HandshakeRecord, Error> {
        self.invite_leaving(req, 0).await
    }

    /// `invite`, leaving `reserve` slots of the daily quota to others: a
    /// new attempt is refused while fewer than `reserve` + 1 are free.
    pub async fn invite_leaving(
        &self,
        req: InviteRequest,
        reserve: u32,
    ) -> Result<HandshakeRecord, Error> {
        let quota = InviteQuota {
            limit: self.quota.limit.saturating_sub(reserve),
            ..self.quota
        };
        let InviteRequest {
            request_id,
            invitation: inv,
            if_open_exists,
        } = req;
        if let Some(open) = self
            .before_sending(request_id.as_ref(), &inv, if_open_exists)
            .await?
        {
            return self.reuse(open, &inv).await;
        }
        let request_id = request_id.unwrap_or_else(RequestId::generate);
        let owner = self.owner().await?;
        let (sent, resuming) = match self.begin(&request_id, &inv, &owner, quota).await? {
            Attempt::Send(sent) => (sent, None),
            Attempt::Answered(record) => return Ok(*record),
            Attempt::Resume(unresolved) => {
                if let Some(h) = self.find_sent(&unresolved).await? {
                    return self.record(&request_id, &inv, h).await;
                }
                (self.send(&owner, &inv).await, Some(unresolved))
            }
        };
        let attempt = Settle {
            request_id: &request_id,
            inv: &inv,
            owner: &owner,
            if_open_exists,
            resuming: resuming.as_deref(),
            left: false,
        };
        self.settle(attempt, sent).await
    }

    /// The checks before anything is written: the destination must exist,
    /// and with RETURN_EXISTING the target's open invitation, if any, is
    /// the answer. A retry of a request already begun skips both: it is
    /// answered as the first call was, whatever became of the destination
    /// or the target since. (Only those two checks need to know whether it
    /// is a retry: a plain invitation saves the trip.)
    async fn before_sending(
        &self,
        request_id: Option<&RequestId>,
        inv: &Invitation,
        if_open_exists: IfOpenExists,
    ) -> Result<Option<HandshakeRecord>, Error> {
        let checks = inv.onboarding.is_some() || if_open_exists == IfOpenExists::ReturnExisting;
        let retry = match request_id {
            Some(r) if checks => self.store.intent_exists(r).await?,
            _ => false,
        };
        if retry {
            return Ok(None);
        }
        if let Some(spec) = &inv.onboarding {
            self.check_destination(&spec.destination).await?;
        }
        if if_open_exists == IfOpenExists::ReturnExisting {
            return Ok(self.store.open_invitation_for(&inv.target).await?);
        }
        Ok(None)
    }

    /// Writes the intent (or finds the one there) and, for a fresh attempt,
    /// sends. The request budget's turn is taken while the intent is
    /// written; AWS is called once the intent is committed, and only for a
    /// fresh attempt (any other outcome gives the turn back). The call is
    /// raced against the session's fence: once this replica's session is
    /// lost, another may resolve the attempt, so the call must stop.
    async fn begin(
        &self,
        request_id: &RequestId,
        inv: &Invitation,
        owner: &Owner,
        quota: InviteQuota,
    ) -> Result<Attempt, Error> {
        let (go, ready) = oneshot::channel();
        let held = self
            .aws
            .invite_account_when(inv, Box::pin(async { ready.await.unwrap_or(false) }));
        let beginning = async {
            let begun = self
                .store
                .begin_invite(request_id, inv, owner, self.grace, quota)
                .await;
            let _ = go.send(matches!(begun, Ok(BeginInvite::Started)));
            begun
        };
        let (begun, held) = tokio::join!(beginning, fenced(owner, held));
        match begun? {
            BeginInvite::Started => Ok(Attempt::Send(Sent::of(held))),
            BeginInvite::AlreadySent(record) => Ok(Attempt::Answered(record)),
            BeginInvite::InProgress => Err(Error::InProgress),
            BeginInvite::Mismatch => Err(Error::RequestIdReused),
            BeginInvite::QuotaExhausted(q) => {
                self.metrics.invitation(Err("DailyQuotaExhausted"));
                Err(Error::QuotaExhausted(q))
            }
            BeginInvite::Unresolved(unresolved) => {
                self.fence_off(&unresolved).await;
                Ok(Attempt::Resume(unresolved))
            }
        }
    }

    /// Sends now (an attempt taken over), unless the session is lost.
    async fn send(&self, owner: &Owner, inv: &Invitation) -> Sent {
        Sent::of(
            fenced(owner, async {
                self.aws.invite_account(inv).await.map(Some)
            })
            .await,
        )
    }

    /// Records what the call to AWS came to: the handshake made; an
    /// unknown outcome left for repair; a refusal, unless it means the
    /// handshake exists already (our own earlier attempt, or with
    /// RETURN_EXISTING one made elsewhere, adopted).
    async fn settle(&self, a: Settle<'_>, sent: Sent) -> Result<HandshakeRecord, Error> {
        let (request_id, inv, owner) = (a.request_id, a.inv, a.owner);
        let e = match sent {
            Sent::Fenced => return Err(session_lost(request_id)),
            Sent::Made(h) => {
                self.metrics.invitation(Ok(()));
                return self.record(request_id, inv, h).await;
            }
            Sent::Refused(e) => e,
        };
        self.metrics.invitation(Err(e.code.as_str()));
        if e.outcome_unknown() {
            warn!(request_id = request_id.as_str(), error = %e, "invite outcome unknown");
            if let Err(se) = self.store.mark_invite_unknown(request_id, owner).await {
                warn!(error = %se, "could not mark invite unknown; repair will find it");
            }
            return Err(e.into());
        }
        // A duplicate of our own earlier attempt is the handshake we looked
        // for but AWS did not list yet.
        if let (Some(unresolved), AwsErrorKind::DuplicateHandshake) = (a.resuming, e.kind) {
            if let Some(h) = self.find_sent(unresolved).await? {
                return self.record(request_id, inv, h).await;
            }
        }
        // Open elsewhere (the console, another tool): that one, adopted.
        if e.kind == AwsErrorKind::DuplicateHandshake
            && a.if_open_exists == IfOpenExists::ReturnExisting
        {
            if let Some(open) = self.find_open_in_aws(inv).await? {
                return self.adopt(request_id, owner, inv, open).await;
            }
        }
        // In another organization: it leaves that one first, if asked to.
        let leaving = inv
            .onboarding
            .as_ref()
            .filter(|s| s.leave_previous_organization && !a.left);
        if let (Some(spec), true) = (leaving, e.in_another_organization()) {
            return self.leave_then_invite(a, spec).await;
        }
        self.refused(request_id, owner, e).await
    }

    /// AWS refused for good: nothing was sent, a retry may send again.
    async fn refused(
        &self,
        request_id: &RequestId,
        owner: &Owner,
        e: AwsError,
    ) -> Result<HandshakeRecord, Error> {
        if let Err(se) = self
            .store
            .fail_invite(request_id, owner, &e.code, e.reason.as_deref())
            .await
        {
            warn!(error = %se, "could not record the refused invite");
        }
        Err(e.into())
    }

    /// The account leaves its previous organization (the LEAVE step, on
    /// the intent), then is invited again and that is settled. A refused
    /// leave fails the invitation with AWS's error.
    async fn leave_then_invite(
        &self,
        a: Settle<'_>,
        spec: &OnboardingSpec,
    ) -> Result<HandshakeRecord, Error> {
        let (request_id, inv, owner) = (a.request_id, a.inv, a.owner);
        if let Err(e) = self.leave_for_invite(request_id, owner, spec).await? {
            return self.refused(request_id, owner, e).await;
        }
        // Passing refusals (the membership changed too recently) wait.
        let again = fenced(owner, async {
            leave::retrying(|| self.aws.invite_account(inv), |_| {})
                .await
                .map(Some)
        })
        .await;
        let sent = Sent::of(again);
        Box::pin(self.settle(Settle { left: true, ..a }, sent)).await
    }

    /// The destination must exist before anything is sent: a root the
    /// organization lists, or an organizational unit AWS describes.
    pub(super) async fn check_destination(&self, destination: &ParentId) -> Result<(), Error> {
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
        let by = match unresolved.why {
            Abandoned::Unknown => return,
            Abandoned::Grace => AbandonedBy::Grace,
            Abandoned::OwnerGone => AbandonedBy::OwnerGone,
        };
        self.metrics.abandoned_attempt(by);
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
