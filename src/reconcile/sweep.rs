//! One sweep of AWS: list every INVITE handshake (20 a page, cheap), record
//! what changed, adopt what was made elsewhere, Describe only the tracked
//! pending handshakes the list no longer shows, and repair abandoned intents.
use std::collections::HashSet;

use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::Repair;
use crate::{
    aws::AwsErrorKind,
    domain::Handshake,
    service::{retry_throttled, Calls, Error, Invitations},
    store::Known,
};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    /// Handshakes AWS listed.
    pub listed: usize,
    pub list_calls: usize,
    pub describe_calls: usize,
    pub throttled: usize,
    /// Handshakes whose state changed, including ones seen for the first time.
    pub changes: usize,
    pub repaired: usize,
}

pub struct Sweep<'a> {
    invitations: &'a Invitations,
}

impl<'a> Sweep<'a> {
    pub(super) fn new(invitations: &'a Invitations) -> Self {
        Self { invitations }
    }

    /// One pass over AWS. Pacing comes from the AWS request budget the
    /// service's `Organizations` draws from (aws::Budgeted).
    pub async fn run(&self, stop: &CancellationToken) -> Result<SweepReport, Error> {
        let mut report = SweepReport::default();
        // Tracked handshakes' changes are recorded page by page (see
        // list_all_paced); the untracked ones wait for the whole list.
        let (all, untracked) = self.list_all_paced(stop, &mut report).await?;
        report.listed = all.len();
        if stop.is_cancelled() {
            // Shutting down: a list taken now must not judge intents later.
            return Ok(report);
        }
        // Intents first, so a handshake an interrupted InviteAccount made is
        // recorded with its request, target, notes and tags, not adopted bare.
        report.repaired = Repair::new(self.invitations).run(&all).await?.len();
        let seen: HashSet<&str> = all.iter().map(|h| h.id.as_str()).collect();
        let store = self.invitations.store();
        // Repair may just have recorded some of them.
        let stored = store.states_of(&untracked).await?;
        for h in &untracked {
            if stored.get(h.id.as_str()) != Some(&h.state) {
                report.changes += self.record_seen(h).await?;
            }
        }
        let mut describes = Calls::default();
        for id in store.pending_ids().await? {
            if seen.contains(id.as_str()) {
                continue;
            }
            let aws = self.invitations.aws();
            let described = retry_throttled(Some(stop), &mut describes, || async {
                aws.describe_handshake(&id).await
            })
            .await;
            match described {
                Ok(h) => report.changes += self.record_seen(&h).await?,
                Err(Error::Aws(e)) if e.kind == AwsErrorKind::HandshakeNotFound => {
                    warn!(
                        handshake_id = id.as_str(),
                        "pending handshake no longer in AWS"
                    );
                }
                Err(e) => {
                    report.add_describes(describes);
                    return Err(e);
                }
            }
        }
        report.add_describes(describes);
        Ok(report)
    }

    /// Records the handshakes of `page` this service already has in another
    /// state; the number of changes, and the handshakes it does not have.
    async fn record_tracked_changes(
        &self,
        page: &[Handshake],
    ) -> Result<(usize, Vec<Handshake>), Error> {
        if page.is_empty() {
            return Ok((0, Vec::new()));
        }
        let stored = self.invitations.store().states_of(page).await?;
        let (mut changes, mut untracked) = (0, Vec::new());
        for h in page {
            match stored.get(h.id.as_str()) {
                None => untracked.push(h.clone()),
                Some(s) if *s != h.state => changes += self.record_seen(h).await?,
                Some(_) => {}
            }
        }
        Ok((changes, untracked))
    }

    /// Records `h`; 1 when its state changed (an event was written).
    async fn record_seen(&self, h: &Handshake) -> Result<usize, Error> {
        let (_, event) = self
            .invitations
            .store()
            .save_handshake(h, &Known::from_aws(h))
            .await?;
        Ok(usize::from(event.is_some()))
    }

    /// Every INVITE handshake, paced (see `service::InvitePages`); with
    /// them, the ones not recorded here yet. A change to a handshake already
    /// recorded here is recorded as soon as its page arrives, not after the
    /// last page (up to 10 s later for 1,000 handshakes at AWS's List rate).
    /// Handshakes not recorded yet wait for the whole list: one of them may
    /// belong to an interrupted InviteAccount, which repair needs every page
    /// to judge.
    async fn list_all_paced(
        &self,
        stop: &CancellationToken,
        report: &mut SweepReport,
    ) -> Result<(Vec<Handshake>, Vec<Handshake>), Error> {
        let (mut all, mut untracked) = (Vec::new(), Vec::new());
        let mut pages = self.invitations.invite_pages();
        let listed = async {
            while let Some(page) = pages.next(Some(stop)).await? {
                let (changes, new) = self.record_tracked_changes(&page).await?;
                report.changes += changes;
                untracked.extend(new);
                all.extend(page);
            }
            Ok::<_, Error>(())
        }
        .await;
        report.list_calls += pages.calls.made;
        report.throttled += pages.calls.throttled;
        listed?;
        Ok((all, untracked))
    }
}

impl SweepReport {
    fn add_describes(&mut self, calls: Calls) {
        self.describe_calls += calls.made;
        self.throttled += calls.throttled;
    }
}
