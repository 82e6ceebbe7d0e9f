//! An invitation that passed validation, whole: what is sent to AWS and who
//! asked for it.
use super::{InviteTarget, Notes, OnboardingSpec, Renewal, RequestId, Tags};

#[derive(Debug, Clone)]
pub struct Invitation {
    pub target: InviteTarget,
    pub notes: Notes,
    pub tags: Tags,
    /// The caller's identity: recorded as `requested_by`, never sent to AWS.
    pub requested_by: Option<String>,
    /// What to do once it is accepted; None: nothing after the handshake.
    pub onboarding: Option<OnboardingSpec>,
    /// Renewal on expiry; None: an expired invitation stays expired.
    pub renewal: Option<Renewal>,
}

/// What InviteAccount does when the target already has an open invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IfOpenExists {
    /// ALREADY_EXISTS, as AWS's DuplicateHandshake.
    #[default]
    Fail,
    /// That invitation is the answer; nothing new is sent.
    ReturnExisting,
}

/// One InviteAccount call, validated.
#[derive(Debug, Clone)]
pub struct InviteRequest {
    pub request_id: Option<RequestId>,
    pub invitation: Invitation,
    pub if_open_exists: IfOpenExists,
}
