//! The calls on a recorded billing transfer (get, list, withdraw, rename),
//! the answer to another organization's invitation, and this
//! organization's management account. InviteTransfer is `transfers`.
use chrono::{DateTime, Utc};
use tracing::warn;

use super::{patiently, transfers::invalid, Error, Invitations};
use crate::{
    aws::AwsErrorKind,
    domain::{
        transfer_of, HandshakeAction, HandshakeId, Participant, TransferDirection, TransferId,
        TransferRecord, TransferStatus,
    },
    store::{Known, TransferKnown},
};

impl Invitations {
    /// This organization's management account, asked of AWS once.
    pub async fn management(&self) -> Result<Participant, Error> {
        let aws = self.aws.clone();
        let found = self
            .management
            .get_or_try_init(|| async move { patiently(|| aws.management_account()).await })
            .await?;
        Ok(found.clone())
    }

    pub async fn get_transfer(&self, id: &TransferId) -> Result<TransferRecord, Error> {
        self.store
            .get_transfer(id.as_str())
            .await?
            .ok_or_else(|| Error::TransferNotFound(id.clone()))
    }

    /// Recorded transfers by direction and status, for the metrics.
    pub async fn transfer_counts(
        &self,
    ) -> Result<Vec<(TransferDirection, TransferStatus, i64)>, Error> {
        let rows = self.store.count_transfers().await?;
        Ok(rows
            .into_iter()
            .filter_map(|(d, s, n)| {
                Some((
                    TransferDirection::from_aws(&d)?,
                    TransferStatus::from_aws(&s)?,
                    n,
                ))
            })
            .collect())
    }

    /// Newest first.
    pub async fn list_transfers(
        &self,
        q: &crate::store::TransferQuery,
    ) -> Result<Vec<TransferRecord>, Error> {
        Ok(self.store.list_transfers(q).await?)
    }

    /// TerminateResponsibilityTransfer; the open handshake, if any, is read
    /// again (AWS cancels it).
    pub async fn withdraw_transfer(
        &self,
        id: &TransferId,
        end: Option<DateTime<Utc>>,
    ) -> Result<TransferRecord, Error> {
        let before = self.get_transfer(id).await?;
        let t = self.aws.terminate_transfer(id, end).await?;
        self.record_transfer(&t, before.direction, &TransferKnown::default(), None)
            .await?;
        if let Some(h) = &before.transfer.active_handshake_id {
            self.refresh_handshake(h).await;
        }
        self.get_transfer(id).await
    }

    /// UpdateResponsibilityTransfer.
    pub async fn rename_transfer(
        &self,
        id: &TransferId,
        name: &str,
    ) -> Result<TransferRecord, Error> {
        let before = self.get_transfer(id).await?;
        let t = self.aws.rename_transfer(id, name).await?;
        self.record_transfer(&t, before.direction, &TransferKnown::default(), None)
            .await?;
        self.get_transfer(id).await
    }

    /// Accepts (or declines) the billing transfer another organization
    /// invited this one to, as the management account itself.
    pub async fn answer_transfer(
        &self,
        handshake_id: &HandshakeId,
        accept: bool,
    ) -> Result<TransferRecord, Error> {
        let field = "handshake_id";
        let known = match self.store.get(handshake_id).await? {
            Some(r) => r.handshake,
            None => {
                let aws = &self.aws;
                let h = patiently(|| aws.describe_handshake(handshake_id))
                    .await
                    .map_err(|e| match e {
                        Error::Aws(a) if a.kind == AwsErrorKind::HandshakeNotFound => {
                            Error::NotFound(handshake_id.clone())
                        }
                        other => other,
                    })?;
                self.store.save_handshake(&h, &Known::from_aws(&h)).await?;
                h
            }
        };
        if known.action != HandshakeAction::TransferResponsibility {
            return Err(invalid(
                field,
                "not a billing transfer invitation (TRANSFER_RESPONSIBILITY); \
                 invitations to join are answered by the invited account",
            ));
        }
        if let Some(t) = self.store.transfer_of_handshake(handshake_id).await? {
            if t.direction == TransferDirection::Outbound {
                return Err(invalid(
                    field,
                    "this organization sent that invitation: the other organization answers \
                     it (WithdrawTransfer withdraws it)",
                ));
            }
        }
        let aws = &self.aws;
        let h = patiently(|| aws.answer_handshake(handshake_id, accept)).await?;
        self.store.save_handshake(&h, &Known::from_aws(&h)).await?;
        let id = match transfer_of(&h).or_else(|| transfer_of(&known)) {
            Some(id) => id,
            None => match self.store.transfer_of_handshake(handshake_id).await? {
                Some(t) => t.transfer.id,
                None => {
                    return Err(Error::NotRecorded(Box::new(invalid(
                        field,
                        "AWS did not name the transfer; the next sweep records it",
                    ))))
                }
            },
        };
        let mut t = patiently(|| aws.describe_transfer(&id)).await?;
        // AWS drops the handshake's name once it is answered; keep it.
        t.active_handshake_id
            .get_or_insert_with(|| handshake_id.clone());
        self.record_transfer(
            &t,
            TransferDirection::Inbound,
            &TransferKnown::default(),
            None,
        )
        .await?;
        self.get_transfer(&id).await
    }

    /// Reads a handshake again and records it; failures are only logged
    /// (the sweep reads it again anyway).
    pub(crate) async fn refresh_handshake(&self, id: &HandshakeId) {
        let aws = &self.aws;
        match patiently(|| aws.describe_handshake(id)).await {
            Ok(h) => {
                if let Err(e) = self.store.save_handshake(&h, &Known::from_aws(&h)).await {
                    warn!(error = %e, "could not record the transfer's handshake");
                }
            }
            Err(e) => warn!(error = %e, "could not read the transfer's handshake"),
        }
    }
}
