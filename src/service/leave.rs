//! Leaving the previous organization (`leave_previous_organization`):
//! AssumeRole into the invited account's accept_role, LeaveOrganization as
//! it. InviteAccount does it when AWS refuses the invitation because the
//! account belongs to another organization, recording the LEAVE step on
//! the intent row before the call; the onboarding engine does it when
//! AcceptHandshake is refused so. Leaving is idempotent: an account that
//! left already (AWSOrganizationsNotInUse) has nothing left to do.
use std::time::Duration;

use chrono::Utc;
use tracing::{info, warn};

use super::{backoff, Error, Invitations};
use crate::{
    aws::AwsError,
    domain::{OnboardingSpec, RequestId, StepError, StepRecord},
    store::Owner,
};

/// How long InviteAccount retries a leave, or the invitation after it,
/// that failed for a passing reason, before it answers with that error.
const RETRY_FOR: Duration = Duration::from_secs(20);
const RETRY_START: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// The STS session name, naming the request: `org-invites-<request_id>`,
/// in the characters STS allows, at most 64.
pub fn session_name(request: &str) -> String {
    let cleaned: String = format!("org-invites-{request}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+=,.@_-".contains(c) {
                c
            } else {
                '.'
            }
        })
        .collect();
    cleaned.chars().take(64).collect()
}

/// The error as a step records it.
pub fn step_error(e: &AwsError) -> StepError {
    StepError {
        aws_error: e.code.clone(),
        reason: e.reason.clone(),
        message: e.message.clone(),
    }
}

/// Calls `f` again while it fails for a passing reason, backing off (the
/// one policy), for at most RETRY_FOR; `each` sees every passing failure.
pub(super) async fn retrying<T, F, Fut>(
    mut f: F,
    mut each: impl FnMut(&AwsError),
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    let deadline = tokio::time::Instant::now() + RETRY_FOR;
    let mut delays = backoff::delays(RETRY_START, RETRY_MAX);
    loop {
        match f().await {
            Err(e) if e.is_transient() && !e.outcome_unknown() => {
                let wait = e
                    .retry_after
                    .unwrap_or_else(|| delays.next().unwrap_or(RETRY_MAX));
                if tokio::time::Instant::now() + wait > deadline {
                    return Err(e);
                }
                each(&e);
                tokio::time::sleep(wait).await;
            }
            other => return other,
        }
    }
}

impl Invitations {
    /// AssumeRole into the spec's accept_role, then LeaveOrganization as
    /// the account; one that left already is done. `session` names the
    /// request in CloudTrail.
    pub async fn leave_previous_organization(
        &self,
        spec: &OnboardingSpec,
        session: &str,
    ) -> Result<(), AwsError> {
        let Some(role) = &spec.accept_role else {
            // Refused at the edge: leaving needs the role.
            return Ok(());
        };
        let member = self
            .aws
            .assume_role(role, session, spec.external_id.as_ref())
            .await?;
        match self.aws.leave_organization(&member).await {
            Err(e) if e.left_already() => Ok(()),
            other => other,
        }
    }

    /// InviteAccount's leave: its LEAVE step recorded on the intent before
    /// the call and after it, passing failures retried for a while. Ok once
    /// the account left; AWS's error otherwise (the attempt is then the
    /// caller's to fail). Err(NoSession) when `owner` no longer owns the
    /// attempt: nothing was called.
    pub(super) async fn leave_for_invite(
        &self,
        request_id: &RequestId,
        owner: &Owner,
        spec: &OnboardingSpec,
    ) -> Result<Result<(), AwsError>, Error> {
        let earlier = self.store.invite_leave(request_id).await?;
        let mut leave = StepRecord::leave_attempt(earlier, Utc::now());
        self.save_leave(request_id, owner, &leave).await?;
        let session = session_name(request_id.as_str());
        let mut retried = Vec::new();
        let left = retrying(
            || self.leave_previous_organization(spec, &session),
            |e| retried.push(step_error(e)),
        )
        .await;
        // Each passing failure was one more attempt.
        if let Some(last) = retried.pop() {
            leave.attempts += 1 + retried.len() as u32;
            leave.fail(last, None);
        }
        match &left {
            Ok(()) => {
                leave.end(Utc::now());
                info!(
                    request_id = request_id.as_str(),
                    "left the previous organization"
                );
            }
            Err(e) => {
                // The error's name and reason only: AWS's message may name
                // the account.
                warn!(
                    request_id = request_id.as_str(),
                    aws_error = e.code.as_str(),
                    reason = e.reason.as_deref(),
                    "could not leave the previous organization"
                );
                leave.fail(step_error(e), Some(Utc::now()));
            }
        }
        if let Err(e) = self.save_leave(request_id, owner, &leave).await {
            // Recorded as begun: whoever goes on finds it and finishes it.
            warn!(request_id = request_id.as_str(), error = %e, "could not record the end of the leave");
        }
        Ok(left)
    }

    async fn save_leave(
        &self,
        request_id: &RequestId,
        owner: &Owner,
        leave: &StepRecord,
    ) -> Result<(), Error> {
        if self
            .store
            .save_invite_leave(request_id, owner, leave)
            .await?
        {
            Ok(())
        } else {
            Err(Error::NoSession)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_what_sts_takes() {
        assert_eq!(session_name("abc:1"), "org-invites-abc.1");
        assert_eq!(session_name(&"x".repeat(80)).len(), 64);
    }
}
