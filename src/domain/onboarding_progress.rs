//! How far an onboarding got: its status, each step begun (attempts, last
//! error), the account's parent once known. The transitions live here, so
//! the engine that calls AWS only asks "what next?" and records the answer.
use chrono::{DateTime, Utc};

use super::{HandshakeState, OnAcceptFailure, OnboardingSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OnboardingStatus {
    /// A status a later release records that this one does not know: this
    /// release leaves such an onboarding alone.
    Unspecified,
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
            Self::Unspecified => "UNSPECIFIED",
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// A step a later release runs that this one does not know.
    Unspecified,
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
            Self::Unspecified => "UNSPECIFIED",
            Self::Accept => "ACCEPT",
            Self::Place => "PLACE",
            Self::Tag => "TAG",
        }
    }

    /// The status while this step runs.
    fn status(self) -> OnboardingStatus {
        match self {
            Self::Unspecified => OnboardingStatus::Unspecified,
            Self::Accept => OnboardingStatus::Accepting,
            Self::Place => OnboardingStatus::Placing,
            Self::Tag => OnboardingStatus::Tagging,
        }
    }
}

/// An AWS error that stopped or delayed a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    pub aws_error: String,
    pub reason: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    pub step: Step,
    pub start_time: DateTime<Utc>,
    pub end_time: Option<DateTime<Utc>>,
    pub attempts: u32,
    pub error: Option<StepError>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Onboarding {
    pub spec: OnboardingSpec,
    pub status: OnboardingStatus,
    pub steps: Vec<StepRecord>,
    pub parent_id: Option<String>,
    /// A step that failed for a passing reason is not tried again before this.
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
        if self.status == S::Unspecified {
            // Written by a later release: this one does not act on it.
            return Next::Wait;
        }
        match state {
            HandshakeState::Accepted => match self.status {
                S::Pending | S::Accepting | S::Placing => Next::Run(Step::Place),
                S::Failed if accept_failed => Next::Run(Step::Place),
                S::Tagging => Next::Run(Step::Tag),
                S::Complete | S::Failed | S::NotApplicable | S::Unspecified => Next::Wait,
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
    /// A step still open from before is closed as found done: a leader
    /// stopped between its effect and the record of it, and the next one
    /// moved on because it found the effect there (the handshake ACCEPTED).
    pub fn attempt(&mut self, step: Step, now: DateTime<Utc>) {
        self.status = step.status();
        for earlier in self
            .steps
            .iter_mut()
            .filter(|s| s.step != step && s.end_time.is_none())
        {
            earlier.end_time = Some(now);
            earlier.error = None;
        }
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
            Step::Unspecified => OnboardingStatus::Unspecified,
        };
    }

    /// The invitation ended other than ACCEPTED: a step still open ends
    /// now, keeping its last error, so an onboarding that ended has no
    /// step running.
    pub fn not_applicable(&mut self, now: DateTime<Utc>) {
        for open in self.steps.iter_mut().filter(|s| s.end_time.is_none()) {
            open.end_time = Some(now);
        }
        self.status = OnboardingStatus::NotApplicable;
        self.retry_at = None;
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
mod tests;
