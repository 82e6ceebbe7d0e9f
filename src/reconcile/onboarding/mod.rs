//! Onboarding to completion, run by the polling replica after each sweep:
//! every handshake with work to do advances as far as it can now, one
//! step at a time (accept through the role, leaving the previous
//! organization first if AWS asks for that, place, tag). Each step's start
//! is written before AWS is called and its outcome after, so a crash or a
//! leader change resumes where it stopped; every step is idempotent (an
//! accepted handshake, an account already in place, tags already there
//! are success), so none takes effect twice.
mod failure;
mod steps;

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::{
    domain::{HandshakeRecord, HandshakeState, Next, Onboarding, OnboardingStatus, Step},
    metrics::StepResult,
    service::{backoff, Error, Invitations},
    store::Notice,
};
use failure::StepFailure;

/// Steps one handshake may take in one pass (accept, place, tag, and a
/// few more if the handshake changes under it); a bound, not a target.
const MAX_STEPS_PER_PASS: usize = 8;
/// The first retry of a step that failed for a passing reason waits this
/// long; each next one twice as long, up to BACKOFF_MAX.
const BACKOFF_START: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(300);

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OnboardReport {
    /// Steps tried.
    pub steps: usize,
    /// Onboardings that reached COMPLETE, FAILED or NOT_APPLICABLE.
    pub finished: usize,
}

/// How a step ended, when it did not fail.
enum Done {
    /// On to the next step.
    Succeeded,
    /// The handshake ended before the step could act (declined, expired):
    /// the onboarding will not apply.
    Moot,
}

pub struct Onboard<'a> {
    invitations: &'a Invitations,
}

impl<'a> Onboard<'a> {
    pub(super) fn new(invitations: &'a Invitations) -> Self {
        Self { invitations }
    }

    /// One pass over the onboardings with work to do. A failure of one is
    /// logged and left for the next pass; the others go on.
    pub async fn run(&self, stop: &CancellationToken) -> Result<OnboardReport, Error> {
        let mut report = OnboardReport::default();
        for record in self.invitations.store().due_onboardings().await? {
            if stop.is_cancelled() {
                break;
            }
            let id = record.handshake.id.clone();
            if let Err(e) = self.advance(record, &mut report).await {
                warn!(handshake_id = id.as_str(), error = %e, "onboarding step not recorded; the next pass retries");
            }
        }
        Ok(report)
    }

    /// Runs the steps `record` needs now, until one has to wait.
    async fn advance(
        &self,
        mut record: HandshakeRecord,
        report: &mut OnboardReport,
    ) -> Result<(), Error> {
        for _ in 0..MAX_STEPS_PER_PASS {
            let Some(mut onboarding) = record.onboarding.clone() else {
                return Ok(());
            };
            if onboarding.retry_at.is_some_and(|t| t > Utc::now()) {
                return Ok(());
            }
            match onboarding.next(record.handshake.state) {
                Next::Wait => return Ok(()),
                Next::NotApplicable => {
                    onboarding.not_applicable(Utc::now());
                    self.save(&record, &onboarding, Notice::Announce).await?;
                    report.finished += 1;
                    return Ok(());
                }
                Next::Run(step) => {
                    report.steps += 1;
                    let (next, went_on) = self.attempt(record, onboarding, step).await?;
                    record = next;
                    let status = record.onboarding.as_ref().map(|o| o.status);
                    if status.is_some_and(OnboardingStatus::is_final) {
                        report.finished += 1;
                    }
                    if !went_on {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }

    /// One attempt of `step`: its start recorded, AWS called, its outcome
    /// recorded. Returns the record as now, and whether to go on.
    async fn attempt(
        &self,
        record: HandshakeRecord,
        mut onboarding: Onboarding,
        step: Step,
    ) -> Result<(HandshakeRecord, bool), Error> {
        let before = onboarding.status;
        onboarding.attempt(step, Utc::now());
        let record = self
            .save(
                &record,
                &onboarding,
                Notice::when(onboarding.status != before),
            )
            .await?;
        let outcome = match step {
            Step::Accept => self.accept(&record, &onboarding).await,
            Step::Place => self.place(&record, &mut onboarding).await,
            Step::Tag => self.tag(&record).await,
            Step::Leave => self.leave(&record, &onboarding).await,
            // `next` never runs a step this release does not know.
            Step::Unspecified => Ok(Done::Moot),
        };
        let now = Utc::now();
        // Re-read: accepting records the handshake's new state meanwhile.
        let record = self.reread(record).await?;
        let metrics = self.invitations.metrics();
        match outcome {
            Ok(Done::Succeeded) => {
                metrics.onboarding_step(step, StepResult::Ok);
                onboarding.succeeded(now);
                let record = self.save(&record, &onboarding, Notice::Announce).await?;
                if onboarding.status == OnboardingStatus::Complete {
                    self.completed(&record).await;
                }
                Ok((record, true))
            }
            // The handshake ended meanwhile: the next round says NOT_APPLICABLE.
            Ok(Done::Moot) => Ok((record, true)),
            // In another organization: the ACCEPT ends, LEAVE comes next.
            Err(e @ StepFailure::MustLeave(_)) => {
                onboarding.must_leave(e.step_error(), now);
                Ok((self.save(&record, &onboarding, Notice::Quiet).await?, true))
            }
            Err(e) if e.is_passing() => {
                metrics.onboarding_step(step, StepResult::Retry);
                let wait = retry_delay(onboarding.attempts());
                let error = e.step_error();
                // The error's name and reason only: AWS's messages may name
                // the invited account (a party id), which logs never show.
                warn!(
                    handshake_id = record.handshake.id.as_str(),
                    step = step.as_str(),
                    attempts = onboarding.attempts(),
                    aws_error = error.aws_error.as_str(),
                    reason = error.reason.as_deref(),
                    retry_in_s = wait.as_secs(),
                    "onboarding step failed; retrying"
                );
                let retry_at = now + chrono::Duration::from_std(wait).unwrap_or_default();
                onboarding.will_retry(error, retry_at);
                Ok((self.save(&record, &onboarding, Notice::Quiet).await?, false))
            }
            Err(e) => self.give_up(record, onboarding, step, &e).await,
        }
    }

    /// A step failed for good: FAILED, and the invitation cancelled if a
    /// failed acceptance asks for it (FAILED only once it is cancelled).
    async fn give_up(
        &self,
        record: HandshakeRecord,
        mut onboarding: Onboarding,
        step: Step,
        e: &StepFailure,
    ) -> Result<(HandshakeRecord, bool), Error> {
        let now = Utc::now();
        let error = e.step_error();
        warn!(
            handshake_id = record.handshake.id.as_str(),
            step = step.as_str(),
            aws_error = error.aws_error.as_str(),
            reason = error.reason.as_deref(),
            "onboarding failed"
        );
        let mut failed = onboarding.clone();
        failed.failed(error.clone(), now);
        if failed.cancels_on_failure() && record.handshake.state == HandshakeState::Open {
            if let Err(cancel) = self.cancel_for_onboarding(&record).await {
                let wait = retry_delay(onboarding.attempts());
                let cancel = cancel.step_error();
                warn!(
                    handshake_id = record.handshake.id.as_str(),
                    aws_error = cancel.aws_error.as_str(),
                    reason = cancel.reason.as_deref(),
                    "could not cancel the invitation the role could not accept; retrying"
                );
                let retry_at = now + chrono::Duration::from_std(wait).unwrap_or_default();
                onboarding.will_retry(error, retry_at);
                return Ok((self.save(&record, &onboarding, Notice::Quiet).await?, false));
            }
        }
        self.invitations
            .metrics()
            .onboarding_step(step, StepResult::Failed);
        let record = self.reread(record).await?;
        Ok((self.save(&record, &failed, Notice::Announce).await?, false))
    }

    /// The record as Postgres has it now (a step may have recorded a new
    /// state meanwhile); `record` itself if the row is gone.
    async fn reread(&self, record: HandshakeRecord) -> Result<HandshakeRecord, Error> {
        let store = self.invitations.store();
        Ok(store.get(&record.handshake.id).await?.unwrap_or(record))
    }

    async fn save(
        &self,
        record: &HandshakeRecord,
        onboarding: &Onboarding,
        notice: Notice,
    ) -> Result<HandshakeRecord, Error> {
        let (saved, _event) = self
            .invitations
            .store()
            .save_onboarding(&record.handshake.id, onboarding, notice)
            .await?;
        Ok(saved)
    }

    /// Counts the time from ACCEPTED to COMPLETE.
    async fn completed(&self, record: &HandshakeRecord) {
        info!(
            handshake_id = record.handshake.id.as_str(),
            "onboarding complete"
        );
        let store = self.invitations.store();
        let Ok(Some(full)) = store.get_with_history(&record.handshake.id).await else {
            return;
        };
        if let Some(accepted) = full
            .history
            .iter()
            .find(|s| s.state == HandshakeState::Accepted)
        {
            let took = (Utc::now() - accepted.first_seen_time)
                .to_std()
                .unwrap_or_default();
            self.invitations.metrics().onboarding_completed(took);
        }
    }
}

/// When a step that failed for a passing reason is tried again: the one
/// retry policy, kept across passes through the step's attempt count.
fn retry_delay(attempts: u32) -> Duration {
    backoff::nth(BACKOFF_START, BACKOFF_MAX, attempts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_about_five_minutes() {
        assert!(retry_delay(1) < 2 * BACKOFF_START);
        assert!(retry_delay(5) >= 16 * BACKOFF_START);
        assert!(retry_delay(30) >= BACKOFF_MAX / 2 && retry_delay(30) <= BACKOFF_MAX);
    }
}
