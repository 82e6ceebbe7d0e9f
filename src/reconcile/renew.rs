//! Renewal: an invitation that expired with renewals left is sent again,
//! once, waiting for a free slot of the daily quota when there is none.
use std::time::Duration;

use chrono::Utc;
use tracing::{info, warn};

use crate::{
    domain::{HandshakeRecord, IfOpenExists, Invitation, InviteRequest, InviteTarget, RequestId},
    service::{Error, Invitations},
    store::Notice,
};

/// When the daily quota says no slot is coming (nothing counted), a
/// waiting renewal looks again after this.
const RENEWAL_RECHECK: Duration = Duration::from_secs(3600);

/// What one renewal pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RenewReport {
    pub renewed: usize,
    pub waiting: usize,
    pub given_up: usize,
}

/// How one expired invitation fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Renewed {
    /// Sent again.
    Sent,
    /// Waits for a free slot of the daily quota.
    Waiting,
    /// Will not be sent again (no target, or AWS refused for good).
    GivenUp,
    /// Nothing to do now (waiting still, or no renewal asked for).
    NotYet,
}

pub struct Renew<'a> {
    invitations: &'a Invitations,
}

impl<'a> Renew<'a> {
    pub(super) fn new(invitations: &'a Invitations) -> Self {
        Self { invitations }
    }

    /// Sends again every expired invitation still to be renewed, once:
    /// under a request_id derived from the expired handshake, so a crash
    /// mid-way resends nothing (the intent row finds what was sent).
    pub async fn run(&self) -> Result<RenewReport, Error> {
        let mut report = RenewReport::default();
        for old in self.invitations.store().due_renewals().await? {
            let id = old.handshake.id.clone();
            match self.renew_one(old).await {
                Ok(Renewed::Sent) => report.renewed += 1,
                Ok(Renewed::Waiting) => report.waiting += 1,
                Ok(Renewed::GivenUp) => report.given_up += 1,
                Ok(Renewed::NotYet) => {}
                Err(e) => {
                    warn!(handshake_id = id.as_str(), error = %e, "renewal not done; the next pass retries");
                }
            }
        }
        Ok(report)
    }

    async fn renew_one(&self, old: HandshakeRecord) -> Result<Renewed, Error> {
        let store = self.invitations.store();
        let id = old.handshake.id.clone();
        let Some(mut renewal) = old.renewal.clone() else {
            return Ok(Renewed::NotYet);
        };
        if renewal.waiting_until.is_some_and(|t| t > Utc::now()) {
            return Ok(Renewed::NotYet);
        }
        let Some(invitation) = renewal_of(&old) else {
            renewal.given_up = true;
            renewal.reason = Some("the expired invitation names no target to invite again".into());
            store.save_renewal(&id, &renewal, Notice::Announce).await?;
            return Ok(Renewed::GivenUp);
        };
        let request_id = RequestId::parse(&format!("renewal-of-{id}"))
            .expect("a handshake id makes a valid request_id");
        let sent = self
            .invitations
            .invite(InviteRequest {
                request_id: Some(request_id),
                invitation,
                if_open_exists: IfOpenExists::ReturnExisting,
            })
            .await;
        match sent {
            Ok(new) => {
                renewal.renewed_to = Some(new.handshake.id.clone());
                renewal.waiting_until = None;
                renewal.reason = Some(format!(
                    "expired; sent again as {} ({} renewal(s) left after it)",
                    new.handshake.id,
                    renewal.renewals_left.saturating_sub(1)
                ));
                store.save_renewal(&id, &renewal, Notice::Announce).await?;
                info!(
                    handshake_id = id.as_str(),
                    renewed_to = new.handshake.id.as_str(),
                    "invitation renewed"
                );
                Ok(Renewed::Sent)
            }
            Err(Error::QuotaExhausted(q)) => {
                // Waits for the next free slot rather than failing.
                let first_wait = renewal.waiting_until.is_none();
                let retry = chrono::Duration::from_std(if q.retry_after().is_zero() {
                    RENEWAL_RECHECK
                } else {
                    q.retry_after()
                })
                .unwrap_or_default();
                renewal.waiting_until = Some(Utc::now() + retry);
                renewal.reason = Some(format!(
                    "expired; the daily invitation quota is used up ({} of {}), so the renewal \
                     waits for the next free slot",
                    q.used, q.limit
                ));
                store
                    .save_renewal(&id, &renewal, Notice::when(first_wait))
                    .await?;
                Ok(Renewed::Waiting)
            }
            Err(e) if passing(&e) => Err(e),
            Err(e) => {
                renewal.given_up = true;
                renewal.waiting_until = None;
                renewal.reason = Some(format!("expired; could not be sent again: {e}"));
                store.save_renewal(&id, &renewal, Notice::Announce).await?;
                warn!(handshake_id = id.as_str(), "renewal given up");
                Ok(Renewed::GivenUp)
            }
        }
    }
}

/// Whether a renewal that failed this way may work on the next pass.
fn passing(e: &Error) -> bool {
    match e {
        Error::Aws(aws) => aws.is_transient(),
        Error::Store(s) => s.is_unavailable(),
        Error::InProgress | Error::NotRecorded(_) => true,
        _ => false,
    }
}

/// The invitation that renews `old`: the same target, notes, tags,
/// onboarding and requester, with one renewal fewer left.
fn renewal_of(old: &HandshakeRecord) -> Option<Invitation> {
    let target = old.target.as_ref()?;
    let target = InviteTarget::parse(target.kind, &target.id).ok()?;
    Some(Invitation {
        target,
        notes: old.notes.clone(),
        tags: old.tags.clone(),
        requested_by: old.requested_by.clone(),
        onboarding: old.onboarding.as_ref().map(|o| o.spec.clone()),
        renewal: old.renewal.as_ref().map(|r| r.next(&old.handshake.id)),
    })
}
