//! The three steps, each idempotent: run again after a crash, it finds
//! its effect already there and succeeds without doing it twice.
use tracing::info;

use super::{Done, Onboard, StepFailure};
use crate::{
    aws::{AwsError, AwsErrorKind},
    domain::{AccountId, Handshake, HandshakeId, HandshakeRecord, HandshakeState, Onboarding, Tag},
    service::leave::session_name,
    store::Known,
};

/// Who cancels an invitation its onboarding's role could not accept.
const CANCELED_BY: &str = "org-invites (onboarding: accept failed)";

impl Onboard<'_> {
    /// AssumeRole into the invited account, then AcceptHandshake as it. An
    /// invitation already accepted (a retry, or a person was quicker) is
    /// success; one that ended otherwise makes the step moot.
    pub(super) async fn accept(
        &self,
        record: &HandshakeRecord,
        onboarding: &Onboarding,
    ) -> Result<Done, StepFailure> {
        let Some(role) = &onboarding.spec.accept_role else {
            return Ok(Done::Succeeded);
        };
        let id = &record.handshake.id;
        let session = session_name(
            record
                .request_id
                .as_deref()
                .unwrap_or(record.handshake.id.as_str()),
        );
        let member = self
            .invitations
            .aws()
            .assume_role(role, &session, onboarding.spec.external_id.as_ref())
            .await?;
        let accepted = self.invitations.aws().accept_handshake(id, &member).await;
        if let Err(e) = &accepted {
            // Leaving once: refused so again after a leave, it fails.
            let spec = &onboarding.spec;
            if e.in_another_organization()
                && spec.leave_previous_organization
                && !onboarding.has_left()
            {
                return Err(StepFailure::MustLeave(e.clone()));
            }
        }
        let handshake = self.or_as_closed(accepted, id).await?;
        let accepted = handshake.state == HandshakeState::Accepted;
        self.record_aws(&handshake, None).await?;
        if accepted {
            info!(
                handshake_id = id.as_str(),
                "accepted through the invited account's role"
            );
            Ok(Done::Succeeded)
        } else if handshake.state.is_terminal() {
            Ok(Done::Moot)
        } else {
            Err(StepFailure::NotAccepted)
        }
    }

    /// AssumeRole into the invited account, then LeaveOrganization as it:
    /// AcceptHandshake was refused because it belongs to another
    /// organization. One that left already (a retry) is done.
    pub(super) async fn leave(
        &self,
        record: &HandshakeRecord,
        onboarding: &Onboarding,
    ) -> Result<Done, StepFailure> {
        let session = session_name(
            record
                .request_id
                .as_deref()
                .unwrap_or(record.handshake.id.as_str()),
        );
        self.invitations
            .leave_previous_organization(&onboarding.spec, &session)
            .await?;
        info!(
            handshake_id = record.handshake.id.as_str(),
            "left the previous organization"
        );
        Ok(Done::Succeeded)
    }

    /// ListParents, then MoveAccount from there to the destination unless
    /// the account is there already.
    pub(super) async fn place(
        &self,
        record: &HandshakeRecord,
        onboarding: &mut Onboarding,
    ) -> Result<Done, StepFailure> {
        let account = account_of(record)?;
        let destination = &onboarding.spec.destination;
        let aws = self.invitations.aws();
        let Some(parent) = aws.list_parents(&account).await? else {
            return Err(StepFailure::AccountNotListedYet);
        };
        if parent != destination.as_str() {
            match aws.move_account(&account, &parent, destination).await {
                Ok(()) => {}
                Err(e) if e.kind == AwsErrorKind::SourceParentNotFound => {
                    return Err(StepFailure::MovedMeanwhile(e))
                }
                Err(e) => return Err(e.into()),
            }
            info!(
                handshake_id = record.handshake.id.as_str(),
                "account moved to its destination"
            );
        }
        onboarding.parent_id = Some(destination.as_str().to_string());
        Ok(Done::Succeeded)
    }

    /// ListTagsForResource, then TagResource with the requested tags the
    /// account lacks (AWS attaches invite tags on acceptance; not every
    /// endpoint does).
    pub(super) async fn tag(&self, record: &HandshakeRecord) -> Result<Done, StepFailure> {
        let wanted: Vec<Tag> = record.tags.iter().cloned().collect();
        if wanted.is_empty() {
            return Ok(Done::Succeeded);
        }
        let account = account_of(record)?;
        let aws = self.invitations.aws();
        let have = aws.list_account_tags(&account).await?;
        let missing: Vec<Tag> = wanted.into_iter().filter(|t| !have.contains(t)).collect();
        if !missing.is_empty() {
            aws.tag_account(&account, &missing).await?;
        }
        Ok(Done::Succeeded)
    }

    /// Cancels an invitation whose onboarding asked for that on a failed
    /// acceptance, and records it.
    pub(super) async fn cancel_for_onboarding(
        &self,
        record: &HandshakeRecord,
    ) -> Result<(), StepFailure> {
        let id = &record.handshake.id;
        let canceled = self.invitations.aws().cancel_handshake(id).await;
        let handshake = self.or_as_closed(canceled, id).await?;
        self.record_aws(&handshake, Some(CANCELED_BY.to_string()))
            .await
    }

    /// What an accept or a cancel answered; when AWS says the handshake is
    /// closed already (a retry, or someone was quicker), the handshake as
    /// AWS describes it, whichever way it closed.
    async fn or_as_closed(
        &self,
        answer: Result<Handshake, AwsError>,
        id: &HandshakeId,
    ) -> Result<Handshake, AwsError> {
        match answer {
            Err(e)
                if matches!(
                    e.kind,
                    AwsErrorKind::HandshakeAlreadyInState
                        | AwsErrorKind::InvalidHandshakeTransition
                ) =>
            {
                self.invitations.aws().describe_handshake(id).await
            }
            other => other,
        }
    }

    /// Records what AWS said of a handshake; a database error fails the
    /// step for now, so it is tried again.
    async fn record_aws(
        &self,
        handshake: &Handshake,
        canceled_by: Option<String>,
    ) -> Result<(), StepFailure> {
        let known = Known {
            canceled_by,
            ..Known::from_aws(handshake)
        };
        self.invitations
            .store()
            .save_handshake(handshake, &known)
            .await
            .map(|_| ())
            .map_err(StepFailure::NotRecorded)
    }
}

/// The invited account: the target for an ACCOUNT invitation; for an
/// EMAIL one, the account AWS lists as a party once it joined.
fn account_of(record: &HandshakeRecord) -> Result<AccountId, StepFailure> {
    let id = record
        .target
        .as_ref()
        .filter(|t| t.kind == crate::domain::PartyType::Account)
        .map(|t| t.id.as_str())
        .or_else(|| record.handshake.invited_account());
    id.and_then(|id| AccountId::parse(id).ok())
        .ok_or(StepFailure::AccountIdUnknown)
}
