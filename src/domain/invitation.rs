//! An invitation that passed validation, whole: what is sent to AWS and who
//! asked for it.
use super::{InviteTarget, Notes, OnboardingSpec, Tags};

#[derive(Debug, Clone)]
pub struct Invitation {
    pub target: InviteTarget,
    pub notes: Notes,
    pub tags: Tags,
    /// The caller's identity: recorded as `requested_by`, never sent to AWS.
    pub requested_by: Option<String>,
    /// What to do once it is accepted; None: nothing after the handshake.
    pub onboarding: Option<OnboardingSpec>,
}
