//! How far an onboarding got: its status, each step begun (attempts, last
//! error), the account's parent once known. The transitions live here, so
//! the engine that calls AWS only asks "what next?" and records the answer.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{HandshakeState, OnAcceptFailure, OnboardingSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OnboardingStatus {
    /// Waiting for the invitation to be accepted.
    Pending,
    Accepting,
    Placing,
    Tagging,
    Complete,
    Failed,
    /// The invitation ended other than ACCEPTED.
    NotApplicable,
}

impl OnboardingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Accepting => "ACCEPTING",
            Self::Placing => "PLACING",
            Self::Tagging => "TAGGING",
            Self::Complete => "COMPLETE",
            Self::Failed => "FAILED",
            Self::NotApplicable => "NOT_APPLICABLE",
        }
    }

    /// Nothing more will happen.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Complete | Self::Failed | Self::NotApplicable)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Step {
    /// AssumeRole into the invited account, AcceptHandshake.
    Accept,
    /// ListParents, MoveAccount.
    Place,
    /// ListTagsForResource, TagResource.
    Tag,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "ACCEPT",
            Self::Place => "PLACE",
            Self::Tag => "TAG",
        }
    }

    /// The status while this step runs.
    fn status(self) -> OnboardingStatus {
        match self {
            Self::Accept => OnboardingStatus::Accepting,
            Self::Place => OnboardingStatus::Placing,
            Self::Tag => OnboardingStatus::Tagging,
        }
    }
}

/// An AWS error that stopped or delayed a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepError {
    pub aws_error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    pub step: Step,
    pub start_time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<DateTime<Utc>>,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<StepError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Onboarding {
    pub spec: OnboardingSpec,
    pub status: OnboardingStatus,
    #[serde(default)]
    pub steps: Vec<StepRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// A step that failed for a passing reason is not tried again before this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<DateTime<Utc>>,
}

/// What an onboarding needs next, given its handshake's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Nothing to do now (waiting for acceptance, or finished).
    Wait,
    Run(Step),
    /// The invitation ended other than ACCEPTED.
    NotApplicable,
}

impl Onboarding {
    pub fn new(spec: OnboardingSpec) -> Self {
        Self {
            spec,
            status: OnboardingStatus::Pending,
            steps: Vec::new(),
            parent_id: None,
            retry_at: None,
        }
    }

    fn failed_at(&self) -> Option<Step> {
        (self.status == OnboardingStatus::Failed)
            .then(|| self.steps.last().map(|s| s.step))
            .flatten()
    }

    pub fn next(&self, state: HandshakeState) -> Next {
        use OnboardingStatus as S;
        // A role that could not accept leaves the invitation to a person
        // (LEAVE_OPEN): if one accepts, placement goes on.
        let accept_failed = self.failed_at() == Some(Step::Accept);
        match state {
            HandshakeState::Accepted => match self.status {
                S::Pending | S::Accepting | S::Placing => Next::Run(Step::Place),
                S::Failed if accept_failed => Next::Run(Step::Place),
                S::Tagging => Next::Run(Step::Tag),
                S::Complete | S::Failed | S::NotApplicable => Next::Wait,
            },
            HandshakeState::Requested | HandshakeState::Open => match self.status {
                S::Pending | S::Accepting if self.spec.accept_role.is_some() => {
                    Next::Run(Step::Accept)
                }
                _ => Next::Wait,
            },
            HandshakeState::Declined
            | HandshakeState::Canceled
            | HandshakeState::Expired
            | HandshakeState::Unspecified => {
                if self.status.is_final() {
                    Next::Wait
                } else {
                    Next::NotApplicable
                }
            }
        }
    }

    /// Nothing more will happen to it, its handshake being in `state`: a
    /// final status no later acceptance revives. (A role that failed to
    /// accept leaves FAILED, yet a person's acceptance sends it on.)
    pub fn is_done(&self, state: HandshakeState) -> bool {
        self.status.is_final() && self.next(state) == Next::Wait
    }

    /// The record of `step`, begun now if it was not; one more attempt.
    pub fn attempt(&mut self, step: Step, now: DateTime<Utc>) {
        self.status = step.status();
        match self
            .steps
            .iter_mut()
            .rev()
            .find(|s| s.step == step && s.end_time.is_none())
        {
            Some(record) => record.attempts += 1,
            None => self.steps.push(StepRecord {
                step,
                start_time: now,
                end_time: None,
                attempts: 1,
                error: None,
            }),
        }
    }

    fn current(&mut self) -> Option<&mut StepRecord> {
        self.steps.last_mut().filter(|s| s.end_time.is_none())
    }

    /// The step in progress succeeded: on to the next status.
    pub fn succeeded(&mut self, now: DateTime<Utc>) {
        let Some(record) = self.current() else {
            return;
        };
        record.end_time = Some(now);
        record.error = None;
        let step = record.step;
        self.retry_at = None;
        self.status = match step {
            Step::Accept => OnboardingStatus::Placing,
            Step::Place => OnboardingStatus::Tagging,
            Step::Tag => OnboardingStatus::Complete,
        };
    }

    /// The step in progress failed for a passing reason: tried again at `retry_at`.
    pub fn will_retry(&mut self, error: StepError, retry_at: DateTime<Utc>) {
        if let Some(record) = self.current() {
            record.error = Some(error);
        }
        self.retry_at = Some(retry_at);
    }

    /// The step in progress failed for good.
    pub fn failed(&mut self, error: StepError, now: DateTime<Utc>) {
        if let Some(record) = self.current() {
            record.error = Some(error);
            record.end_time = Some(now);
        }
        self.retry_at = None;
        self.status = OnboardingStatus::Failed;
    }

    /// Whether a failed acceptance cancels the invitation.
    pub fn cancels_on_failure(&self) -> bool {
        self.failed_at() == Some(Step::Accept)
            && self.spec.on_accept_failure == OnAcceptFailure::Cancel
    }

    /// How many attempts the step in progress has had.
    pub fn attempts(&self) -> u32 {
        self.steps
            .last()
            .filter(|s| s.end_time.is_none())
            .map_or(0, |s| s.attempts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AcceptRole, ParentId};

    fn spec(role: bool) -> OnboardingSpec {
        OnboardingSpec {
            destination: ParentId::parse("r-abcd").unwrap(),
            accept_role: role.then(|| AcceptRole::parse("Role", "111122223333").unwrap()),
            external_id: None,
            on_accept_failure: OnAcceptFailure::LeaveOpen,
        }
    }

    fn error() -> StepError {
        StepError {
            aws_error: "AccessDenied".into(),
            reason: None,
            message: "no".into(),
        }
    }

    #[test]
    fn with_a_role_it_accepts_then_places_then_tags() {
        let now = Utc::now();
        let mut o = Onboarding::new(spec(true));
        assert_eq!(o.next(HandshakeState::Open), Next::Run(Step::Accept));
        o.attempt(Step::Accept, now);
        assert_eq!(o.status, OnboardingStatus::Accepting);
        o.succeeded(now);
        assert_eq!(o.status, OnboardingStatus::Placing);
        // The handshake is recorded ACCEPTED with the acceptance.
        assert_eq!(o.next(HandshakeState::Accepted), Next::Run(Step::Place));
        o.attempt(Step::Place, now);
        o.succeeded(now);
        assert_eq!(o.next(HandshakeState::Accepted), Next::Run(Step::Tag));
        o.attempt(Step::Tag, now);
        o.succeeded(now);
        assert_eq!(o.status, OnboardingStatus::Complete);
        assert_eq!(o.next(HandshakeState::Accepted), Next::Wait);
        let steps: Vec<Step> = o.steps.iter().map(|s| s.step).collect();
        assert_eq!(steps, [Step::Accept, Step::Place, Step::Tag]);
    }

    #[test]
    fn without_a_role_it_waits_for_a_person_to_accept() {
        let o = Onboarding::new(spec(false));
        assert_eq!(o.next(HandshakeState::Open), Next::Wait);
        assert_eq!(o.next(HandshakeState::Accepted), Next::Run(Step::Place));
    }

    #[test]
    fn retries_count_attempts_on_one_step_record() {
        let now = Utc::now();
        let mut o = Onboarding::new(spec(false));
        o.attempt(Step::Place, now);
        o.will_retry(error(), now);
        o.attempt(Step::Place, now);
        assert_eq!(o.attempts(), 2);
        assert_eq!(o.steps.len(), 1);
        assert!(o.steps[0].error.is_some());
        o.succeeded(now);
        assert_eq!(o.steps[0].error, None);
        assert_eq!(o.retry_at, None);
    }

    #[test]
    fn a_failed_acceptance_leaves_the_rest_to_a_person_who_accepts() {
        let now = Utc::now();
        let mut o = Onboarding::new(spec(true));
        o.attempt(Step::Accept, now);
        o.failed(error(), now);
        assert_eq!(o.status, OnboardingStatus::Failed);
        assert!(!o.cancels_on_failure(), "LEAVE_OPEN");
        assert_eq!(o.next(HandshakeState::Open), Next::Wait);
        assert_eq!(o.next(HandshakeState::Accepted), Next::Run(Step::Place));
        assert!(!o.is_done(HandshakeState::Accepted), "placement goes on");
        assert_eq!(o.next(HandshakeState::Expired), Next::Wait, "FAILED stays");
        assert!(o.is_done(HandshakeState::Expired));
    }

    #[test]
    fn an_invitation_that_ends_otherwise_makes_it_not_applicable() {
        let o = Onboarding::new(spec(true));
        for state in [
            HandshakeState::Declined,
            HandshakeState::Canceled,
            HandshakeState::Expired,
        ] {
            assert_eq!(o.next(state), Next::NotApplicable);
        }
    }
}
