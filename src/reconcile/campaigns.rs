//! Campaigns, on the polling replica: follow each sent target's handshake,
//! send queued targets in index order as the daily quota allows (less each
//! campaign's reserve; the older campaign first), and mark campaigns DONE.
//! Every send goes through InviteAccount's path under the request_id
//! `campaign-<id>-<index>`, so a replica killed anywhere sends a target at
//! most once, and the next leader picks up where it stopped.
use std::time::Duration;

use chrono::Utc;
use tracing::{info, warn};

use crate::{
    aws::{AwsError, AwsErrorKind},
    domain::{
        AccountId, CampaignState, HandshakeState, InviteRequest, InviteTarget, QuotaUse,
        TargetState, ALREADY_MEMBER,
    },
    service::{backoff, Error, Invitations},
    store::NextTarget,
};

/// A send that failed for now waits at least this long, then backs off.
const RETRY_MIN: Duration = Duration::from_secs(5);
const RETRY_MAX: Duration = Duration::from_secs(600);
/// When the quota says nothing frees (no slot counted), look again after.
const QUOTA_RECHECK: Duration = Duration::from_secs(60);

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CampaignReport {
    pub sent: usize,
    pub skipped: usize,
    pub failed: usize,
    pub paused: usize,
    pub followed: usize,
    pub finished: u64,
    /// When the earliest waiting campaign may send (a quota slot frees):
    /// the poller sweeps then rather than at its next interval.
    pub next_send: Option<chrono::DateTime<Utc>>,
}

/// How one target's turn went.
#[derive(Debug)]
enum Turn {
    /// Sent, adopted, skipped or failed: the campaign's next target may go.
    Done(TargetState),
    /// The campaign was paused for a refusal about the organization.
    Paused,
    /// Not now (quota, retry time, a transient failure): the next campaign.
    Later,
}

pub struct Campaigns<'a> {
    invitations: &'a Invitations,
}

impl<'a> Campaigns<'a> {
    pub(super) fn new(invitations: &'a Invitations) -> Self {
        Self { invitations }
    }

    pub async fn run(&self) -> Result<CampaignReport, Error> {
        let mut report = CampaignReport {
            followed: self.follow().await?,
            ..Default::default()
        };
        self.invitations.cancel_open_invitations(None, None).await;
        let heads = self.invitations.store().next_targets(None).await?;
        if heads.is_empty() {
            report.finished = self.invitations.store().finish_campaigns().await?;
            return Ok(report);
        }
        // One count for the pass: a campaign whose reserve leaves it no
        // slot waits without a call to AWS (each send recounts under the
        // quota lock, so this only saves calls, never lets one through).
        let mut quota = self.invitations.quota_use().await?;
        for head in heads {
            self.send_campaign(head, &mut quota, &mut report).await?;
        }
        report.finished = self.invitations.store().finish_campaigns().await?;
        if report.sent + report.skipped + report.failed + report.paused > 0 {
            info!(?report, "campaign pass");
        }
        Ok(report)
    }

    /// Moves each followed target whose handshake changed to the state it
    /// shows now, along a renewal chain to its newest handshake.
    async fn follow(&self) -> Result<usize, Error> {
        let store = self.invitations.store();
        let changed = store.followed_changes().await?;
        for f in &changed {
            let Some(mut record) = store.get(&f.handshake_id).await? else {
                continue;
            };
            while record.handshake.state == HandshakeState::Expired {
                let Some(next) = record.renewal.as_ref().and_then(|r| r.renewed_to.clone()) else {
                    break;
                };
                match store.get(&next).await? {
                    Some(r) => record = r,
                    None => break,
                }
            }
            store.follow_target(f, &record).await?;
        }
        Ok(changed.len())
    }

    /// Sends the campaign's queued targets, in index order, until one must
    /// wait or none is left.
    async fn send_campaign(
        &self,
        mut head: NextTarget,
        quota: &mut QuotaUse,
        report: &mut CampaignReport,
    ) -> Result<(), Error> {
        loop {
            if quota.used + head.campaign.quota_reserve >= quota.limit {
                let at = quota.next_slot_time.unwrap_or_else(|| {
                    quota.now + chrono::Duration::from_std(QUOTA_RECHECK).unwrap_or_default()
                });
                report.next_send = Some(report.next_send.map_or(at, |n| n.min(at)));
                // Written only when it moves: a waiting campaign costs
                // nothing per pass.
                if head.campaign.next_send_time != Some(at) {
                    let store = self.invitations.store();
                    store
                        .set_next_send_time(&head.campaign.id, Some(at))
                        .await?;
                }
                return Ok(());
            }
            let turn = self.turn(&head).await?;
            if matches!(
                turn,
                Turn::Done(TargetState::Invited | TargetState::Accepted | TargetState::Complete)
            ) {
                quota.used += 1;
            }
            match turn {
                Turn::Done(TargetState::Skipped) => report.skipped += 1,
                Turn::Done(TargetState::Failed) => report.failed += 1,
                Turn::Done(_) => report.sent += 1,
                Turn::Paused => {
                    report.paused += 1;
                    return Ok(());
                }
                Turn::Later => return Ok(()),
            }
            let id = head.campaign.id.clone();
            match self
                .invitations
                .store()
                .next_targets(Some(&id))
                .await?
                .pop()
            {
                Some(next) => head = next,
                None => return Ok(()),
            }
        }
    }

    async fn turn(&self, head: &NextTarget) -> Result<Turn, Error> {
        let store = self.invitations.store();
        let (campaign, target) = (&head.campaign, &head.target);
        if let Some(at) = head.retry_time.filter(|t| *t > Utc::now()) {
            store.set_next_send_time(&campaign.id, Some(at)).await?;
            return Ok(Turn::Later);
        }
        if self.is_member(&target.spec.target).await? {
            store
                .target_ended(
                    &campaign.id,
                    target.index,
                    TargetState::Skipped,
                    ALREADY_MEMBER,
                )
                .await?;
            return Ok(Turn::Done(TargetState::Skipped));
        }
        let request = InviteRequest {
            request_id: Some(campaign.id.request_id_of(target.index)),
            invitation: campaign
                .spec
                .invitation(&target.spec, campaign.requested_by.clone()),
            if_open_exists: campaign.spec.if_open_exists,
        };
        let sent = self
            .invitations
            .invite_leaving(request, campaign.quota_reserve)
            .await;
        match sent {
            Ok(record) => {
                store
                    .target_sent(&campaign.id, target.index, &record)
                    .await?;
                Ok(Turn::Done(TargetState::of(&record)))
            }
            Err(Error::QuotaExhausted(q)) => {
                // The slot's own time, so a waiting campaign is not
                // rewritten (nor its watchers woken) at every pass.
                let at = q.next_slot_time.unwrap_or_else(|| {
                    q.now + chrono::Duration::from_std(QUOTA_RECHECK).unwrap_or_default()
                });
                store.set_next_send_time(&campaign.id, Some(at)).await?;
                Ok(Turn::Later)
            }
            Err(e) => self.refused(head, e).await,
        }
    }

    /// What a refusal means for the target, or for the whole campaign.
    async fn refused(&self, head: &NextTarget, e: Error) -> Result<Turn, Error> {
        let store = self.invitations.store();
        let (id, index) = (&head.campaign.id, head.target.index);
        match Refusal::of(&e) {
            Refusal::Target(reason) => {
                info!(
                    campaign_id = id.as_str(),
                    index,
                    reason = reason.as_str(),
                    "campaign target failed"
                );
                store
                    .target_ended(id, index, TargetState::Failed, &reason)
                    .await?;
                Ok(Turn::Done(TargetState::Failed))
            }
            Refusal::Organization(reason) => {
                warn!(
                    campaign_id = id.as_str(),
                    reason = reason.as_str(),
                    "campaign paused: AWS refused for the organization"
                );
                store
                    .set_campaign_state(
                        id,
                        &[CampaignState::Active],
                        CampaignState::Paused,
                        Some(&reason),
                    )
                    .await?;
                Ok(Turn::Paused)
            }
            Refusal::Transient => {
                let wait = backoff::nth(RETRY_MIN, RETRY_MAX, head.attempts + 1);
                let at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                warn!(campaign_id = id.as_str(), index, error = %e, retry_in = ?wait,
                      "campaign send failed for now");
                store.target_retry(id, index, at).await?;
                Ok(Turn::Later)
            }
        }
    }

    /// Whether an ACCOUNT target is already in this organization (an
    /// email's account is unknown until it joins: AWS refuses a member).
    async fn is_member(&self, target: &InviteTarget) -> Result<bool, Error> {
        let InviteTarget::Account(account) = target else {
            return Ok(false);
        };
        member_of(self.invitations, account).await
    }
}

async fn member_of(invitations: &Invitations, account: &AccountId) -> Result<bool, Error> {
    match invitations.aws().list_parents(account).await {
        Ok(parent) => Ok(parent.is_some()),
        Err(e) if not_a_member(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// ListParents of an account outside the organization.
fn not_a_member(e: &AwsError) -> bool {
    e.kind == AwsErrorKind::AccountNotFound || e.code.starts_with("ChildNotFound")
}

/// Whom a refused send is about.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// This target only: it is FAILED with the reason, the rest go on.
    Target(String),
    /// The organization (its account limit, AWS's invitation limit, its
    /// destination gone): the campaign is paused with the reason.
    Organization(String),
    /// Throttling, 5xx, a session or database blip: tried again later.
    Transient,
}

/// Reasons about the organization, not the invited account.
const ORGANIZATION_REASONS: &[&str] = &[
    "ACCOUNT_NUMBER_LIMIT_EXCEEDED",
    "HANDSHAKE_RATE_LIMIT_EXCEEDED",
    "INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES",
    "ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION",
    "PAYMENT_INSTRUMENT_REQUIRED",
    "MASTER_ACCOUNT_MISSING_CONTACT_INFO",
    "MASTER_ACCOUNT_NOT_GOVCLOUD_ENABLED",
    "MASTER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED",
];
/// Transient whatever the error says it is.
const MEMBERSHIP_RATE: &str = "ORGANIZATION_MEMBERSHIP_CHANGE_RATE_LIMIT_EXCEEDED";

impl Refusal {
    fn of(e: &Error) -> Self {
        match e {
            Error::Aws(aws) => Self::of_aws(aws),
            Error::DestinationMissing(d) => {
                Self::Organization(format!("DESTINATION_NOT_FOUND: {d}"))
            }
            Error::OpenExistsConflict { existing, what } => Self::Target(format!(
                "OPEN_INVITATION_DIFFERS: {existing} has other {what} settings"
            )),
            Error::Store(s) if !s.is_unavailable() => Self::Target(format!("INTERNAL: {s}")),
            Error::Invalid(v) => Self::Target(format!("INVALID_ARGUMENT: {v}")),
            _ => Self::Transient,
        }
    }

    fn of_aws(e: &AwsError) -> Self {
        let reason = e.reason.as_deref().unwrap_or_default();
        if e.is_transient() || reason == MEMBERSHIP_RATE {
            return Self::Transient;
        }
        let named = match e.reason.as_deref() {
            Some(r) => format!("{}: {r}", e.code),
            None => e.code.clone(),
        };
        let about_org = ORGANIZATION_REASONS.contains(&reason)
            || matches!(
                e.kind,
                AwsErrorKind::AccessDenied
                    | AwsErrorKind::OrganizationsNotInUse
                    | AwsErrorKind::AccountOwnerNotVerified
            );
        if about_org {
            Self::Organization(named)
        } else {
            Self::Target(named)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(code: &str, reason: Option<&str>) -> Error {
        Error::Aws(AwsError::new(code, reason.map(str::to_string), "m"))
    }

    #[test]
    fn refusals_about_the_account_fail_the_target() {
        assert_eq!(
            Refusal::of(&aws(
                "HandshakeConstraintViolationException",
                Some("ALREADY_IN_AN_ORGANIZATION")
            )),
            Refusal::Target(
                "HandshakeConstraintViolationException: ALREADY_IN_AN_ORGANIZATION".into()
            )
        );
        assert!(matches!(
            Refusal::of(&aws("DuplicateHandshakeException", None)),
            Refusal::Target(_)
        ));
    }

    #[test]
    fn refusals_about_the_organization_pause_the_campaign() {
        for reason in [
            "ACCOUNT_NUMBER_LIMIT_EXCEEDED",
            "HANDSHAKE_RATE_LIMIT_EXCEEDED",
        ] {
            assert_eq!(
                Refusal::of(&aws("ConstraintViolationException", Some(reason))),
                Refusal::Organization(format!("ConstraintViolationException: {reason}"))
            );
        }
        assert!(matches!(
            Refusal::of(&aws("AccessDeniedException", None)),
            Refusal::Organization(_)
        ));
    }

    #[test]
    fn throttling_5xx_and_membership_churn_are_retried() {
        assert_eq!(
            Refusal::of(&aws("ThrottlingException", None)),
            Refusal::Transient
        );
        assert_eq!(
            Refusal::of(&aws("ServiceException", None)),
            Refusal::Transient
        );
        assert_eq!(
            Refusal::of(&aws(
                "HandshakeConstraintViolationException",
                Some(MEMBERSHIP_RATE)
            )),
            Refusal::Transient
        );
        assert_eq!(Refusal::of(&Error::InProgress), Refusal::Transient);
    }
}
