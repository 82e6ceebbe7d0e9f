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
    /// AssumeRole into the invited account, LeaveOrganization: it leaves
    /// the organization it belongs to, so it can join this one.
    Leave,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unspecified => "UNSPECIFIED",
            Self::Accept => "ACCEPT",
            Self::Place => "PLACE",
            Self::Tag => "TAG",
            Self::Leave => "LEAVE",
        }
    }

    /// The status while this step runs.
    fn status(self) -> OnboardingStatus {
        match self {
            Self::Unspecified => OnboardingStatus::Unspecified,
            // Leaving is part of getting the invitation accepted.
            Self::Accept | Self::Leave => OnboardingStatus::Accepting,
            Self::Place => OnboardingStatus::Placing,
            Self::Tag => OnboardingStatus::Tagging,
        }
    }
}

/// AWS's reason (with HandshakeConstraintViolation) when the invited
/// account belongs to another organization.
pub const ALREADY_IN_AN_ORGANIZATION: &str = "ALREADY_IN_AN_ORGANIZATION";

/// An AWS error that stopped or delayed a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    pub aws_error: String,
    pub reason: Option<String>,
    pub message: String,
}

impl StepError {
    /// AWS refused because the account belongs to another organization.
    pub fn in_another_organization(&self) -> bool {
        self.aws_error.starts_with("HandshakeConstraintViolation")
            && self.reason.as_deref() == Some(ALREADY_IN_AN_ORGANIZATION)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    pub step: Step,
    pub start_time: DateTime<Utc>,
    pub end_time: Option<DateTime<Utc>>,
    pub attempts: u32,
    pub error: Option<StepError>,
}

impl StepRecord {
    /// `step`, begun at `now`: its first attempt.
    pub fn begun(step: Step, now: DateTime<Utc>) -> Self {
        Self {
            step,
            start_time: now,
            end_time: None,
            attempts: 1,
            error: None,
        }
    }

    /// Ended without an error.
    pub fn succeeded(&self) -> bool {
        self.end_time.is_some() && self.error.is_none()
    }

    /// One more attempt of the LEAVE that InviteAccount runs before the
    /// invitation exists, after `earlier` (the request's last one, if any):
    /// the same record while it has not succeeded, a new one otherwise.
    pub fn leave_attempt(earlier: Option<Self>, now: DateTime<Utc>) -> Self {
        match earlier {
            Some(mut r) if r.step == Step::Leave && !r.succeeded() => {
                r.attempts += 1;
                r.end_time = None;
                r
            }
            _ => Self::begun(Step::Leave, now),
        }
    }

    /// The attempt succeeded at `now`.
    pub fn end(&mut self, now: DateTime<Utc>) {
        self.end_time = Some(now);
        self.error = None;
    }

    /// The attempt failed: for good (`now` ends it), or to be tried again.
    pub fn fail(&mut self, error: StepError, for_good: Option<DateTime<Utc>>) {
        self.error = Some(error);
        self.end_time = for_good;
    }
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

    /// The onboarding of an invitation just sent, after the LEAVE it
    /// needed first, if any. The invitation exists, so that leave is done,
    /// even if its end was not recorded (a crash between the leave and
    /// the invitation): it ends now.
    pub fn after_leave(
        spec: OnboardingSpec,
        leave: Option<StepRecord>,
        now: DateTime<Utc>,
    ) -> Self {
        let mut o = Self::new(spec);
        o.steps.extend(leave.map(|mut l| {
            if !l.succeeded() {
                l.end(now);
            }
            l
        }));
        o
    }

    /// Whether the next step is LEAVE: one begun and not ended, or an
    /// acceptance refused because the account belongs to another
    /// organization (see `must_leave`).
    fn leaving(&self) -> bool {
        match self.steps.last() {
            Some(s) if s.step == Step::Leave => s.end_time.is_none(),
            Some(s) if s.step == Step::Accept => {
                self.spec.leave_previous_organization
                    && s.end_time.is_some()
                    && s.error
                        .as_ref()
                        .is_some_and(StepError::in_another_organization)
            }
            _ => false,
        }
    }

    /// Whether a LEAVE succeeded before: a second refusal for another
    /// organization then fails for good rather than leaving again.
    pub fn has_left(&self) -> bool {
        self.steps
            .iter()
            .any(|s| s.step == Step::Leave && s.succeeded())
    }

    fn failed_at(&self) -> Option<Step> {
        (self.status == OnboardingStatus::Failed)
            .then(|| self.steps.last().map(|s| s.step))
            .flatten()
    }

    pub fn next(&self, state: HandshakeState) -> Next {
        use OnboardingStatus as S;
        // A role that could not accept (or leave the old organization)
        // leaves the invitation to a person (LEAVE_OPEN): if one accepts,
        // placement goes on. The store's `onboarding_work` says the same.
        let accept_failed = matches!(self.failed_at(), Some(Step::Accept | Step::Leave));
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
                    Next::Run(if self.leaving() {
                        Step::Leave
                    } else {
                        Step::Accept
                    })
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
            // Left: accepting again comes next.
            Step::Leave => OnboardingStatus::Accepting,
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

    /// The acceptance in progress was refused because the account belongs
    /// to another organization, and the spec asks to leave it: the ACCEPT
    /// ends with that error, and LEAVE comes next.
    pub fn must_leave(&mut self, error: StepError, now: DateTime<Utc>) {
        if let Some(record) = self.current() {
            record.error = Some(error);
            record.end_time = Some(now);
        }
        self.retry_at = None;
    }

    /// Whether a failed acceptance (or the leave before it) cancels the
    /// invitation.
    pub fn cancels_on_failure(&self) -> bool {
        matches!(self.failed_at(), Some(Step::Accept | Step::Leave))
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
