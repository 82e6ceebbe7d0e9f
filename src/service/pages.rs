//! Paging through ListHandshakesForOrganization (INVITE handshakes, 20 a
//! page), for the sweep and for InviteAccount's look-up of an interrupted
//! attempt alike: NextToken is followed even past empty pages, and
//! throttling (by AWS, or the shared budget's "not yet") is waited out
//! rather than given up on.
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::{Error, Invitations, SweepReport};
use crate::{
    aws::{AwsError, AwsErrorKind},
    domain::Handshake,
};

const BACKOFF_START: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// The pages still to read; `next` returns None after the last.
pub(super) struct InvitePages<'a> {
    invitations: &'a Invitations,
    token: Option<String>,
    done: bool,
}

impl Invitations {
    pub(super) fn invite_pages(&self) -> InvitePages<'_> {
        InvitePages {
            invitations: self,
            token: None,
            done: false,
        }
    }

    /// Every INVITE handshake AWS lists.
    pub(super) async fn all_invite_handshakes(
        &self,
        stop: &CancellationToken,
        report: &mut SweepReport,
    ) -> Result<Vec<Handshake>, Error> {
        let mut pages = self.invite_pages();
        let mut all = Vec::new();
        while let Some(page) = pages.next(stop, report).await? {
            all.extend(page);
        }
        Ok(all)
    }
}

impl InvitePages<'_> {
    /// The next page, counted in `report` (calls, throttles).
    pub async fn next(
        &mut self,
        stop: &CancellationToken,
        report: &mut SweepReport,
    ) -> Result<Option<Vec<Handshake>>, Error> {
        if self.done {
            return Ok(None);
        }
        let aws = &self.invitations.aws;
        let token = &self.token;
        let page = retry_throttled(stop, report, || async {
            aws.list_invite_handshakes(token.clone()).await
        })
        .await?;
        report.list_calls += 1;
        match page.next_token {
            Some(t) if !t.is_empty() => self.token = Some(t),
            _ => self.done = true,
        }
        Ok(Some(page.handshakes))
    }
}

/// Calls `f` until it is not throttled, backing off exponentially; stops
/// only at shutdown.
pub(super) async fn retry_throttled<T, F, Fut>(
    stop: &CancellationToken,
    report: &mut SweepReport,
    mut f: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    let mut wait = BACKOFF_START;
    loop {
        match f().await {
            // The shared budget says when the next turn is: wait that long.
            Err(e) if e.kind == AwsErrorKind::BudgetExhausted => {
                report.throttled += 1;
                let wait = e.retry_after.unwrap_or(BACKOFF_START);
                tokio::select! {
                    _ = stop.cancelled() => return Err(e.into()),
                    _ = tokio::time::sleep(wait) => {}
                }
            }
            Err(e) if e.kind == AwsErrorKind::TooManyRequests => {
                report.throttled += 1;
                debug!(
                    wait_ms = wait.as_millis() as u64,
                    "throttled by AWS; backing off"
                );
                tokio::select! {
                    _ = stop.cancelled() => return Err(e.into()),
                    _ = tokio::time::sleep(wait) => {}
                }
                wait = (wait * 2).min(BACKOFF_MAX);
            }
            other => return other.map_err(Error::from),
        }
    }
}
