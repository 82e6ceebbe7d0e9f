//! Paging through ListHandshakesForOrganization (INVITE handshakes, 20 a
//! page), for the background sweep and for InviteAccount's look-up of an
//! interrupted attempt alike: NextToken is followed even past empty pages,
//! and throttling (by AWS, or the shared budget's "not yet") is waited out
//! rather than given up on.
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::{backoff, Error, Invitations};
use crate::{
    aws::{AwsError, AwsErrorKind},
    domain::Handshake,
};

const BACKOFF_START: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// AWS calls a paging or retrying loop made, for the sweep's report.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Calls {
    /// Calls that AWS answered (or refused for good).
    pub made: usize,
    /// Throttled calls, tried again.
    pub throttled: usize,
}

/// The pages still to read; `next` returns None after the last.
pub struct InvitePages<'a> {
    invitations: &'a Invitations,
    token: Option<String>,
    done: bool,
    /// The List calls made so far.
    pub calls: Calls,
}

impl Invitations {
    pub fn invite_pages(&self) -> InvitePages<'_> {
        InvitePages {
            invitations: self,
            token: None,
            done: false,
            calls: Calls::default(),
        }
    }

    /// Every INVITE handshake AWS lists now; throttling is waited out (the
    /// caller's deadline bounds the wait).
    pub async fn list_invites_now(&self) -> Result<Vec<Handshake>, Error> {
        let mut pages = self.invite_pages();
        let mut all = Vec::new();
        while let Some(page) = pages.next(None).await? {
            all.extend(page);
        }
        Ok(all)
    }
}

impl InvitePages<'_> {
    /// The next page; throttling is waited out until `stop`, if given.
    pub async fn next(
        &mut self,
        stop: Option<&CancellationToken>,
    ) -> Result<Option<Vec<Handshake>>, Error> {
        if self.done {
            return Ok(None);
        }
        let aws = &self.invitations.aws;
        let token = &self.token;
        let page = retry_throttled(stop, &mut self.calls, || async {
            aws.list_invite_handshakes(token.clone()).await
        })
        .await?;
        match page.next_token {
            Some(t) if !t.is_empty() => self.token = Some(t),
            _ => self.done = true,
        }
        Ok(Some(page.handshakes))
    }
}

/// `retry_throttled` for one call whose count nobody reads: throttling is
/// waited out, bounded only by the caller's own deadline.
pub async fn patiently<T, F, Fut>(f: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    retry_throttled(None, &mut Calls::default(), f).await
}

/// Calls `f` until it is not throttled, backing off (the one policy, with
/// jitter); stops early only when `stop` is cancelled.
pub async fn retry_throttled<T, F, Fut>(
    stop: Option<&CancellationToken>,
    calls: &mut Calls,
    mut f: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    let mut delays = backoff::delays(BACKOFF_START, BACKOFF_MAX);
    let stopped = || async {
        match stop {
            Some(stop) => stop.cancelled().await,
            None => std::future::pending().await,
        }
    };
    loop {
        let (e, wait) = match f().await {
            // The shared budget says when the next turn is: wait that long.
            Err(e) if e.kind == AwsErrorKind::BudgetExhausted => {
                let wait = e.retry_after.unwrap_or(BACKOFF_START);
                (e, wait)
            }
            Err(e) if e.kind == AwsErrorKind::TooManyRequests => {
                let wait = delays.next().unwrap_or(BACKOFF_MAX);
                debug!(
                    wait_ms = wait.as_millis() as u64,
                    "throttled by AWS; backing off"
                );
                (e, wait)
            }
            other => {
                calls.made += 1;
                return other.map_err(Error::from);
            }
        };
        calls.throttled += 1;
        tokio::select! {
            _ = stopped() => return Err(e.into()),
            _ = tokio::time::sleep(wait) => {}
        }
    }
}
