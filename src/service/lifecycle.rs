//! An invitation's whole life, run by the polling replica after each sweep:
//! the expiry warning, renewal of what expired, and the organization's
//! member count; and the account-slot report behind GetInvitationQuota.
use std::time::Duration;

use chrono::Utc;
use tracing::{info, warn};

use super::{Error, Invitations};
use crate::{
    domain::{
        HandshakeRecord, IfOpenExists, Invitation, InviteRequest, InviteTarget, QuotaUse, RequestId,
    },
    store::MemberCount,
};

/// When the daily quota says no slot is coming (nothing counted), a
/// waiting renewal looks again after this.
const RENEWAL_RECHECK: Duration = Duration::from_secs(3600);

/// GetInvitationQuota: the daily quota, and the slots invitations hold.
#[derive(Debug, Clone)]
pub struct QuotaReport {
    pub quota: QuotaUse,
    /// OPEN INVITE handshakes (AWS counts them against the account limit).
    pub pending_invitations: i64,
    /// As the polling replica last counted; None before its first count.
    pub member_accounts: Option<MemberCount>,
}

/// What one renewal pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RenewReport {
    pub renewed: usize,
    pub waiting: usize,
    pub given_up: usize,
}

impl Invitations {
    pub async fn quota(&self) -> Result<QuotaReport, Error> {
        Ok(QuotaReport {
            quota: self.store.invite_quota(self.quota).await?,
            pending_invitations: self.store.pending_invitations().await?,
            member_accounts: self.store.member_accounts().await?,
        })
    }

    /// Records an EXPIRING_SOON warning for every open invitation that
    /// expires within `within` (once each); how many were warned about.
    pub async fn warn_expiring(&self, within: Duration) -> Result<usize, Error> {
        let events = self.store.warn_expiring(within).await?;
        for e in &events {
            info!(
                handshake_id = e.record.handshake.id.as_str(),
                "invitation expiring soon"
            );
        }
        Ok(events.len())
    }

    /// Counts the organization's accounts (ListAccounts) for everyone.
    pub async fn refresh_member_accounts(&self) -> Result<usize, Error> {
        let n = self.aws.count_accounts().await?;
        self.store.set_member_accounts(n).await?;
        Ok(n)
    }

    /// Sends again every expired invitation still to be renewed, once:
    /// under a request_id derived from the expired handshake, so a crash
    /// mid-way resends nothing (the intent row finds what was sent).
    pub async fn renew(&self) -> Result<RenewReport, Error> {
        let mut report = RenewReport::default();
        for old in self.store.due_renewals().await? {
            let id = old.handshake.id.clone();
            if let Err(e) = self.renew_one(old, &mut report).await {
                warn!(handshake_id = id.as_str(), error = %e, "renewal not done; the next pass retries");
            }
        }
        Ok(report)
    }

    async fn renew_one(&self, old: HandshakeRecord, report: &mut RenewReport) -> Result<(), Error> {
        let id = old.handshake.id.clone();
        let Some(mut renewal) = old.renewal.clone() else {
            return Ok(());
        };
        if renewal.waiting_until.is_some_and(|t| t > Utc::now()) {
            return Ok(());
        }
        let Some(invitation) = renewal_of(&old) else {
            renewal.given_up = true;
            renewal.reason = Some("the expired invitation names no target to invite again".into());
            self.store.save_renewal(&id, &renewal, true).await?;
            report.given_up += 1;
            return Ok(());
        };
        let request_id = RequestId::parse(&format!("renewal-of-{id}"))
            .expect("a handshake id makes a valid request_id");
        let sent = self
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
                self.store.save_renewal(&id, &renewal, true).await?;
                info!(
                    handshake_id = id.as_str(),
                    renewed_to = new.handshake.id.as_str(),
                    "invitation renewed"
                );
                report.renewed += 1;
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
                self.store.save_renewal(&id, &renewal, first_wait).await?;
                report.waiting += 1;
            }
            Err(e) if passing(&e) => return Err(e),
            Err(e) => {
                renewal.given_up = true;
                renewal.waiting_until = None;
                renewal.reason = Some(format!("expired; could not be sent again: {e}"));
                self.store.save_renewal(&id, &renewal, true).await?;
                warn!(handshake_id = id.as_str(), "renewal given up");
                report.given_up += 1;
            }
        }
        Ok(())
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
