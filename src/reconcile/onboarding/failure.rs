//! Why an onboarding step did not succeed this time: AWS's refusal, or one
//! of the step's own findings. Each says whether it passes (the step is
//! tried again later) and how it is recorded on the step.
use crate::{aws::AwsError, domain::StepError, store::StoreError};

#[derive(Debug)]
pub enum StepFailure {
    /// AWS refused or failed the call.
    Aws(AwsError),
    /// The account was moved meanwhile (a retry whose answer was lost, or
    /// someone else): the next attempt looks again.
    MovedMeanwhile(AwsError),
    /// AWS answered, but Postgres did not take the record of it.
    NotRecorded(StoreError),
    /// The accepted account is not listed under any parent yet (AWS is
    /// eventually consistent).
    AccountNotListedYet,
    /// The handshake names no account id for the invited party.
    AccountIdUnknown,
    /// AcceptHandshake answered, but the handshake is not ACCEPTED yet.
    NotAccepted,
    /// AcceptHandshake was refused because the account belongs to another
    /// organization, and the spec asks to leave it: LEAVE comes next.
    MustLeave(AwsError),
}

impl From<AwsError> for StepFailure {
    fn from(e: AwsError) -> Self {
        Self::Aws(e)
    }
}

impl StepFailure {
    /// Whether trying again later may work.
    pub fn is_passing(&self) -> bool {
        match self {
            Self::Aws(e) => e.is_transient(),
            Self::MovedMeanwhile(_)
            | Self::NotRecorded(_)
            | Self::AccountNotListedYet
            | Self::NotAccepted
            | Self::MustLeave(_) => true,
            Self::AccountIdUnknown => false,
        }
    }

    /// The error as the step records it (and the API shows it): AWS's name,
    /// reason and message, or the finding's own name. The names of the
    /// findings are those earlier releases recorded.
    pub fn step_error(&self) -> StepError {
        let own = |name: &str, message: String| StepError {
            aws_error: name.into(),
            reason: None,
            message,
        };
        match self {
            Self::Aws(e) | Self::MovedMeanwhile(e) | Self::MustLeave(e) => StepError {
                aws_error: e.code.clone(),
                reason: e.reason.clone(),
                message: e.message.clone(),
            },
            Self::NotRecorded(e) => own("NotRecorded", e.to_string()),
            Self::AccountNotListedYet => own(
                "AccountNotListedYet",
                "the accepted account is not listed under any parent yet".into(),
            ),
            Self::AccountIdUnknown => own(
                "AccountIdUnknown",
                "the handshake names no account id for the invited party".into(),
            ),
            Self::NotAccepted => own(
                "NotAccepted",
                "AcceptHandshake answered, but the handshake is not ACCEPTED yet".into(),
            ),
        }
    }
}
