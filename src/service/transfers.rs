//! InviteTransfer: intent row first, then AWS, then the record, as
//! InviteAccount; and the pieces the sweep shares (finding a sent transfer,
//! listing AWS's, recording one). The calls on a recorded transfer are
//! `transfer_calls`; the sweep's side is `reconcile::transfers`.
use chrono::{DateTime, Utc};
use tracing::warn;

use super::{patiently, retry_throttled, Calls, Error, Invitations};
use crate::{
    domain::{
        transfer_of, FieldViolation, Handshake, HandshakeRecord, Participant, PartyType, RequestId,
        Transfer, TransferDirection, TransferId, TransferInvite, TransferRecord, TransferStatus,
        Violations,
    },
    store::{BeginTransfer, Known, TransferKnown},
};

/// What InviteTransfer answers.
#[derive(Debug, Clone)]
pub struct InvitedTransfer {
    pub handshake: Option<HandshakeRecord>,
    pub transfer: TransferRecord,
}

pub(super) fn invalid(field: &str, description: impl Into<String>) -> Error {
    Error::Invalid(Violations(vec![FieldViolation::new(field, description)]))
}

impl Invitations {
    /// Sends the invitation once per request_id (one is generated when
    /// none is given, so every attempt is recorded).
    pub async fn invite_transfer(&self, invite: TransferInvite) -> Result<InvitedTransfer, Error> {
        let own = self.management().await?;
        let target = invite.target.id();
        let is_own = [own.account_id.as_deref(), own.email.as_deref()]
            .into_iter()
            .flatten()
            .any(|id| id.eq_ignore_ascii_case(target));
        if is_own {
            return Err(invalid(
                "target.id",
                "the target is this organization's own management account \
                 (AWS: SOURCE_AND_TARGET_CANNOT_MATCH); name the other organization's",
            ));
        }
        let request_id = invite
            .request_id
            .clone()
            .unwrap_or_else(RequestId::generate);
        let owner = self.owner().await?;
        match self
            .store
            .begin_transfer(&request_id, &invite, &owner, self.grace)
            .await?
        {
            BeginTransfer::Reused => return Err(Error::RequestIdReused),
            BeginTransfer::InFlight => return Err(Error::InProgress),
            BeginTransfer::Sent { transfer_id } => return self.answered(&transfer_id).await,
            BeginTransfer::Resume => {
                if let Some(t) = self.find_sent_transfer(&request_id, &invite).await? {
                    return self.settle_transfer(&request_id, &invite, (t, None)).await;
                }
            }
            BeginTransfer::Started => {}
        }
        let sent = self.aws.invite_transfer(&invite).await;
        let h = match sent {
            Ok(h) => h,
            // AWS may have made it: the intent stays PENDING, and the sweep
            // (or a retry after the grace) looks it up.
            Err(e) if e.outcome_unknown() => {
                return Err(Error::NotRecorded(Box::new(Error::Aws(e))));
            }
            Err(e) => {
                self.store
                    .fail_transfer_request(&request_id, &e.code, e.reason.as_deref())
                    .await?;
                return Err(Error::Aws(e));
            }
        };
        let known = Known {
            target: Some(invite.target.clone()),
            notes: invite.notes.clone(),
            tags: invite.tags.clone(),
            requested_by: invite.requested_by.clone(),
            ..Known::default()
        };
        let recorded = async {
            self.store.save_handshake(&h, &known).await?;
            let transfer = match transfer_of(&h) {
                Some(id) => self.describe_or_provisional(&id, &h, &invite).await,
                None => self.find_sent_transfer(&request_id, &invite).await?.ok_or(
                    Error::NotRecorded(Box::new(invalid(
                        "handshake",
                        "AWS answered without the transfer",
                    ))),
                )?,
            };
            self.settle_transfer(&request_id, &invite, (transfer, None))
                .await
        }
        .await;
        recorded.map_err(|e| match e {
            Error::NotRecorded(_) => e,
            other => Error::NotRecorded(Box::new(other)),
        })
    }

    /// The transfer as AWS describes it; if it cannot say right now, as the
    /// request and the handshake tell (the sweep completes it).
    async fn describe_or_provisional(
        &self,
        id: &TransferId,
        h: &Handshake,
        invite: &TransferInvite,
    ) -> Transfer {
        let aws = &self.aws;
        match patiently(|| aws.describe_transfer(id)).await {
            Ok(t) => t,
            Err(e) => {
                warn!(error = %e, "could not describe the new transfer; recording what is known");
                let target = invite.target.id().to_string();
                let is_email = invite.target.kind() == PartyType::Email;
                Transfer {
                    id: id.clone(),
                    arn: String::new(),
                    name: invite.source_name.clone(),
                    kind: "BILLING".into(),
                    status: TransferStatus::Requested,
                    source: Participant::default(),
                    target: Participant {
                        account_id: (!is_email).then(|| target.clone()),
                        email: is_email.then_some(target),
                    },
                    start_time: invite.start_time,
                    end_time: None,
                    active_handshake_id: Some(h.id.clone()),
                }
            }
        }
    }

    /// Records `t` (as AWS said it at `read_at`) as the transfer
    /// `request_id` made, closes the intent, and answers with the transfer
    /// (its history too) and its handshake.
    pub(crate) async fn settle_transfer(
        &self,
        request_id: &RequestId,
        invite: &TransferInvite,
        (t, read_at): (Transfer, Option<DateTime<Utc>>),
    ) -> Result<InvitedTransfer, Error> {
        let known = TransferKnown {
            request_id: Some(request_id.clone()),
            requested_by: invite.requested_by.clone(),
        };
        let recorded = self
            .record_transfer(&t, TransferDirection::Outbound, &known, read_at)
            .await?;
        let handshake_id = recorded.transfer.active_handshake_id;
        self.store
            .complete_transfer_request(
                request_id,
                t.id.as_str(),
                handshake_id.as_ref().map(|h| h.as_str()),
            )
            .await?;
        self.answered(t.id.as_str()).await
    }

    async fn answered(&self, transfer_id: &str) -> Result<InvitedTransfer, Error> {
        let transfer =
            self.store.get_transfer(transfer_id).await?.ok_or_else(|| {
                Error::Store(crate::store::StoreError::Corrupt(transfer_id.into()))
            })?;
        let handshake = match &transfer.transfer.active_handshake_id {
            Some(id) => self.store.get(id).await?,
            None => None,
        };
        Ok(InvitedTransfer {
            handshake,
            transfer,
        })
    }

    /// The outbound transfer `invite` (under `request_id`) made, if AWS
    /// lists one (every page).
    pub(crate) async fn find_sent_transfer(
        &self,
        request_id: &RequestId,
        invite: &TransferInvite,
    ) -> Result<Option<Transfer>, Error> {
        let all = self
            .list_aws_transfers(TransferDirection::Outbound, None)
            .await?;
        self.made_by(request_id, invite, &all).await
    }

    /// Which of `listed` `invite` made: the same target, start and name,
    /// and not recorded as another request's (an earlier transfer of the
    /// same shape, since withdrawn, belongs to the call that made it).
    pub(crate) async fn made_by(
        &self,
        request_id: &RequestId,
        invite: &TransferInvite,
        listed: &[Transfer],
    ) -> Result<Option<Transfer>, Error> {
        for t in listed.iter().filter(|t| invite.made(t)) {
            let recorded = self.store.get_transfer(t.id.as_str()).await?;
            let theirs = recorded
                .and_then(|r| r.request_id)
                .is_some_and(|r| r != *request_id);
            if !theirs {
                return Ok(Some(t.clone()));
            }
        }
        Ok(None)
    }

    /// Every BILLING transfer AWS lists in `direction`, throttling waited out.
    pub(crate) async fn list_aws_transfers(
        &self,
        direction: TransferDirection,
        stop: Option<&tokio_util::sync::CancellationToken>,
    ) -> Result<Vec<Transfer>, Error> {
        let (mut all, mut token, mut calls) = (Vec::new(), None, Calls::default());
        loop {
            let aws = &self.aws;
            let page = retry_throttled(stop, &mut calls, || {
                aws.list_transfers(direction, token.clone())
            })
            .await?;
            all.extend(page.transfers);
            match page.next_token {
                Some(t) => token = Some(t),
                None => return Ok(all),
            }
        }
    }

    /// Saves `t`, as AWS said it at `read_at` (None: just now, as an
    /// answer to a call), and returns the record, changed or not.
    pub(crate) async fn record_transfer(
        &self,
        t: &Transfer,
        direction: TransferDirection,
        known: &TransferKnown,
        read_at: Option<DateTime<Utc>>,
    ) -> Result<TransferRecord, Error> {
        let saved = self
            .store
            .save_transfer(t, direction, known, read_at)
            .await?;
        if let Some((record, event)) = saved {
            if let Some(e) = event {
                tracing::info!(
                    transfer_id = e.record.transfer.id.as_str(),
                    status = e.record.transfer.status.as_str(),
                    "transfer status recorded"
                );
            }
            return Ok(record);
        }
        self.get_transfer(&t.id).await
    }
}
