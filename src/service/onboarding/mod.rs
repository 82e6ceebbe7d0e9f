//! Onboarding to completion, run by the polling replica after each sweep:
//! every handshake with work to do advances as far as it can now, one
//! step at a time (accept through the role, place, tag). Each step's start
//! is written before AWS is called and its outcome after, so a crash or a
//! leader change resumes where it stopped; every step is idempotent (an
//! accepted handshake, an account already in place, tags already there
//! are success), so none takes effect twice.
mod steps;

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::{Error, Invitations};
use crate::{
    aws::AwsError,
    domain::{
        HandshakeRecord, HandshakeState, Next, Onboarding, OnboardingStatus, Step, StepError,
    },
};

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
pub(super) enum Done {
    /// On to the next step.
    Succeeded,
    /// The handshake ended before the step could act (declined, expired):
    /// the onboarding will not apply.
    Moot,
}

impl Invitations {
    /// One pass over the onboardings with work to do. A failure of one is
    /// logged and left for the next pass; the others go on.
    pub async fn onboard(&self, stop: &CancellationToken) -> Result<OnboardReport, Error> {
        let mut report = OnboardReport::default();
        for record in self.store.due_onboardings().await? {
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
                    self.save(&record, &onboarding, true).await?;
                    report.finished += 1;
                    return Ok(());
                }
                Next::Run(step) => {
                    report.steps += 1;
                    let (next, went_on) = self.run(record, onboarding, step).await?;
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
    async fn run(
        &self,
        record: HandshakeRecord,
        mut onboarding: Onboarding,
        step: Step,
    ) -> Result<(HandshakeRecord, bool), Error> {
        let before = onboarding.status;
        onboarding.attempt(step, Utc::now());
        let record = self
            .save(&record, &onboarding, onboarding.status != before)
            .await?;
        let outcome = match step {
            Step::Accept => self.accept(&record, &onboarding).await,
            Step::Place => self.place(&record, &mut onboarding).await,
            Step::Tag => self.tag(&record).await,
            // `next` never runs a step this release does not know.
            Step::Unspecified => Ok(Done::Moot),
        };
        let now = Utc::now();
        // Re-read: accepting records the handshake's new state meanwhile.
        let record = self
            .store
            .get(&record.handshake.id)
            .await?
            .unwrap_or(record);
        match outcome {
            Ok(Done::Succeeded) => {
                self.metrics.onboarding_step(step.as_str(), "ok");
                onboarding.succeeded(now);
                let record = self.save(&record, &onboarding, true).await?;
                if onboarding.status == OnboardingStatus::Complete {
                    self.completed(&record).await;
                }
                Ok((record, true))
            }
            // The handshake ended meanwhile: the next round says NOT_APPLICABLE.
            Ok(Done::Moot) => Ok((record, true)),
            Err(e) if e.is_transient() => {
                self.metrics.onboarding_step(step.as_str(), "retry");
                let wait = backoff(onboarding.attempts());
                // The error's name and reason only: AWS's messages may name
                // the invited account (a party id), which logs never show.
                warn!(
                    handshake_id = record.handshake.id.as_str(),
                    step = step.as_str(),
                    attempts = onboarding.attempts(),
                    aws_error = e.code.as_str(),
                    reason = e.reason.as_deref(),
                    retry_in_s = wait.as_secs(),
                    "onboarding step failed; retrying"
                );
                let retry_at = now + chrono::Duration::from_std(wait).unwrap_or_default();
                onboarding.will_retry(step_error(&e), retry_at);
                Ok((self.save(&record, &onboarding, false).await?, false))
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
        e: &AwsError,
    ) -> Result<(HandshakeRecord, bool), Error> {
        let now = Utc::now();
        warn!(
            handshake_id = record.handshake.id.as_str(),
            step = step.as_str(),
            aws_error = e.code.as_str(),
            reason = e.reason.as_deref(),
            "onboarding failed"
        );
        let mut failed = onboarding.clone();
        failed.failed(step_error(e), now);
        if failed.cancels_on_failure() && record.handshake.state == HandshakeState::Open {
            if let Err(cancel) = self.cancel_for_onboarding(&record).await {
                let wait = backoff(onboarding.attempts());
                warn!(
                    handshake_id = record.handshake.id.as_str(),
                    aws_error = cancel.code.as_str(),
                    reason = cancel.reason.as_deref(),
                    "could not cancel the invitation the role could not accept; retrying"
                );
                let retry_at = now + chrono::Duration::from_std(wait).unwrap_or_default();
                onboarding.will_retry(step_error(e), retry_at);
                return Ok((self.save(&record, &onboarding, false).await?, false));
            }
        }
        self.metrics.onboarding_step(step.as_str(), "failed");
        let record = self
            .store
            .get(&record.handshake.id)
            .await?
            .unwrap_or(record);
        Ok((self.save(&record, &failed, true).await?, false))
    }

    async fn save(
        &self,
        record: &HandshakeRecord,
        onboarding: &Onboarding,
        new_status: bool,
    ) -> Result<HandshakeRecord, Error> {
        let (saved, _event) = self
            .store
            .save_onboarding(&record.handshake.id, onboarding, new_status)
            .await?;
        Ok(saved)
    }

    /// Counts the time from ACCEPTED to COMPLETE.
    async fn completed(&self, record: &HandshakeRecord) {
        info!(
            handshake_id = record.handshake.id.as_str(),
            "onboarding complete"
        );
        let Ok(Some(full)) = self.store.get_with_history(&record.handshake.id).await else {
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
            self.metrics.onboarding_completed(took);
        }
    }
}

fn backoff(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(16);
    (BACKOFF_START * 2u32.pow(doublings)).min(BACKOFF_MAX)
}

fn step_error(e: &AwsError) -> StepError {
    StepError {
        aws_error: e.code.clone(),
        reason: e.reason.clone(),
        message: e.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_five_minutes() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(2), Duration::from_secs(2));
        assert_eq!(backoff(5), Duration::from_secs(16));
        assert_eq!(backoff(30), BACKOFF_MAX);
    }
}
