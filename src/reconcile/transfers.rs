//! Billing transfers on the polling replica, after each sweep: settle
//! InviteTransfer intents a crash left behind, list both directions (type
//! BILLING) through the AWS budget and record every status change, adopt
//! transfers made elsewhere (console, CLI) with their handshakes, and give
//! each open invitation one DEADLINE_SOON warning.
use std::{collections::HashSet, time::Duration};

use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::{
    aws::AwsErrorKind,
    domain::{Transfer, TransferDirection},
    service::{patiently, Error, Invitations},
    store::{Known, TransferKnown},
};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TransferReport {
    pub listed: usize,
    /// Intents settled: found in AWS (recorded) or not (closed as unsent).
    pub settled: usize,
    pub handshakes_adopted: usize,
    pub warned: usize,
}

pub struct Transfers<'a> {
    invitations: &'a Invitations,
}

impl<'a> Transfers<'a> {
    pub(super) fn new(invitations: &'a Invitations) -> Self {
        Self { invitations }
    }

    pub async fn run(
        &self,
        stop: &CancellationToken,
        deadline_warning: Duration,
    ) -> Result<TransferReport, Error> {
        let inv = self.invitations;
        let store = inv.store();
        let mut report = TransferReport::default();
        // Claimed before the lists are read, so an attempt still in flight
        // when they were read is never judged against them.
        let owner = inv.owner().await?;
        let abandoned = store.claim_abandoned_transfers(&owner, inv.grace()).await?;
        // What the lists say is as of now: a row written after this (by a
        // withdrawal, a rename) is newer and is left as it is.
        let read_at = Some(store.db_now().await?);
        let outbound = inv
            .list_aws_transfers(TransferDirection::Outbound, Some(stop))
            .await?;
        let inbound = inv
            .list_aws_transfers(TransferDirection::Inbound, Some(stop))
            .await?;
        report.listed = outbound.len() + inbound.len();
        for p in &abandoned {
            match inv.made_by(&p.request_id, &p.invite, &outbound).await? {
                Some(t) => {
                    inv.settle_transfer(&p.request_id, &p.invite, (t, read_at))
                        .await?;
                }
                None => {
                    store
                        .fail_transfer_request(&p.request_id, "NotSent", None)
                        .await?;
                }
            }
            report.settled += 1;
        }
        let listed = outbound
            .iter()
            .map(|t| (t, TransferDirection::Outbound))
            .chain(inbound.iter().map(|t| (t, TransferDirection::Inbound)));
        for (t, direction) in listed {
            inv.record_transfer(t, direction, &TransferKnown::default(), read_at)
                .await?;
            report.handshakes_adopted += self.adopt_handshake(t).await?;
        }
        self.describe_unlisted(&outbound, &inbound).await?;
        let warned = store
            .warn_transfer_deadlines(deadline_warning, chrono::Utc::now())
            .await?;
        for e in &warned {
            info!(
                transfer_id = e.record.transfer.id.as_str(),
                "transfer acceptance deadline soon"
            );
        }
        report.warned = warned.len();
        Ok(report)
    }

    /// Records the transfer's open handshake when this service has not yet:
    /// an inbound one is not in our ListHandshakesForOrganization.
    async fn adopt_handshake(&self, t: &Transfer) -> Result<usize, Error> {
        let Some(id) = &t.active_handshake_id else {
            return Ok(0);
        };
        let store = self.invitations.store();
        if store.get(id).await?.is_some() {
            return Ok(0);
        }
        let aws = self.invitations.aws();
        match patiently(|| aws.describe_handshake(id)).await {
            Ok(h) => {
                store.save_handshake(&h, &Known::from_aws(&h)).await?;
                Ok(1)
            }
            Err(Error::Aws(e)) if e.kind == AwsErrorKind::HandshakeNotFound => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// Open transfers recorded here that neither list shows any more.
    async fn describe_unlisted(
        &self,
        outbound: &[Transfer],
        inbound: &[Transfer],
    ) -> Result<(), Error> {
        let listed: HashSet<&str> = outbound
            .iter()
            .chain(inbound)
            .map(|t| t.id.as_str())
            .collect();
        let inv = self.invitations;
        for r in inv.store().open_transfers().await? {
            if listed.contains(r.transfer.id.as_str()) {
                continue;
            }
            let aws = inv.aws();
            let id = &r.transfer.id;
            match patiently(|| aws.describe_transfer(id)).await {
                Ok(t) => {
                    inv.record_transfer(&t, r.direction, &TransferKnown::default(), None)
                        .await?;
                }
                Err(Error::Aws(e)) if e.kind == AwsErrorKind::ResponsibilityTransferNotFound => {
                    warn!(transfer_id = id.as_str(), "open transfer no longer in AWS");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
