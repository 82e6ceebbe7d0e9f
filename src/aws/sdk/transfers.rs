//! The billing-transfer operations as SDK calls (the trait's methods in
//! calls.rs hand over to these).
use aws_sdk_organizations::types as sdk;
use chrono::{DateTime, Utc};

use super::{
    convert::{from_handshake, from_sdk, no_retries, to_chrono, to_party, to_tags},
    SdkOrganizations,
};
use crate::{
    aws::{AwsError, AwsErrorKind, TransferPage},
    domain::{
        Handshake, HandshakeId, Participant, Transfer, TransferDirection, TransferId,
        TransferInvite, TransferStatus,
    },
};

fn malformed(what: &str) -> AwsError {
    AwsError::with_kind(
        AwsErrorKind::Service,
        "ResponseError",
        format!("AWS returned a malformed {what}"),
    )
}

fn to_smithy(t: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs(t.timestamp())
}

fn participant(p: Option<&sdk::TransferParticipant>) -> Participant {
    Participant {
        account_id: p.and_then(|p| p.management_account_id().map(str::to_string)),
        email: p.and_then(|p| p.management_account_email().map(str::to_string)),
    }
}

pub(super) fn from_transfer(t: Option<&sdk::ResponsibilityTransfer>) -> Result<Transfer, AwsError> {
    let t = t.ok_or_else(|| malformed("response: no transfer"))?;
    Ok(Transfer {
        id: TransferId::parse(t.id().unwrap_or_default()).map_err(|_| malformed("transfer id"))?,
        arn: t.arn().unwrap_or_default().to_string(),
        name: t.name().unwrap_or_default().to_string(),
        kind: t.r#type().map_or("BILLING", |k| k.as_str()).to_string(),
        status: t
            .status()
            .and_then(|s| TransferStatus::from_aws(s.as_str()))
            .ok_or_else(|| malformed("transfer status"))?,
        source: participant(t.source()),
        target: participant(t.target()),
        start_time: t
            .start_timestamp()
            .and_then(to_chrono)
            .ok_or_else(|| malformed("transfer start"))?,
        end_time: t.end_timestamp().and_then(to_chrono),
        active_handshake_id: t
            .active_handshake_id()
            .and_then(|h| HandshakeId::parse(h).ok()),
    })
}

impl SdkOrganizations {
    pub(super) async fn sdk_management_account(&self) -> Result<Participant, AwsError> {
        let out = self
            .client
            .describe_organization()
            .send()
            .await
            .map_err(from_sdk)?;
        let org = out
            .organization()
            .ok_or_else(|| malformed("organization"))?;
        Ok(Participant {
            account_id: org.master_account_id().map(str::to_string),
            email: org.master_account_email().map(str::to_string),
        })
    }

    pub(super) async fn sdk_invite_transfer(
        &self,
        invite: &TransferInvite,
    ) -> Result<Handshake, AwsError> {
        let mut call = self
            .client
            .invite_organization_to_transfer_responsibility()
            .r#type(sdk::ResponsibilityTransferType::Billing)
            .target(to_party(&invite.target)?)
            .start_timestamp(to_smithy(invite.start_time))
            .source_name(&invite.source_name)
            .set_tags(Some(to_tags(invite.tags.iter())?).filter(|t| !t.is_empty()));
        if !invite.notes.is_empty() {
            call = call.notes(invite.notes.as_str());
        }
        // Never retried by the SDK (see `no_retries`).
        let out = call
            .customize()
            .config_override(no_retries())
            .send()
            .await
            .map_err(from_sdk)?;
        from_handshake(out.handshake())
    }

    pub(super) async fn sdk_describe_transfer(
        &self,
        id: &TransferId,
    ) -> Result<Transfer, AwsError> {
        let out = self
            .client
            .describe_responsibility_transfer()
            .id(id.as_str())
            .send()
            .await
            .map_err(from_sdk)?;
        from_transfer(out.responsibility_transfer())
    }

    pub(super) async fn sdk_list_transfers(
        &self,
        direction: TransferDirection,
        next_token: Option<String>,
    ) -> Result<TransferPage, AwsError> {
        let billing = sdk::ResponsibilityTransferType::Billing;
        let (transfers, next_token) = match direction {
            TransferDirection::Inbound => {
                let out = self
                    .client
                    .list_inbound_responsibility_transfers()
                    .r#type(billing)
                    .set_next_token(next_token)
                    .send()
                    .await
                    .map_err(from_sdk)?;
                let next = out.next_token().map(str::to_string);
                (out.responsibility_transfers.unwrap_or_default(), next)
            }
            TransferDirection::Outbound => {
                let out = self
                    .client
                    .list_outbound_responsibility_transfers()
                    .r#type(billing)
                    .set_next_token(next_token)
                    .send()
                    .await
                    .map_err(from_sdk)?;
                let next = out.next_token().map(str::to_string);
                (out.responsibility_transfers.unwrap_or_default(), next)
            }
        };
        Ok(TransferPage {
            transfers: transfers
                .iter()
                .map(|t| from_transfer(Some(t)))
                .collect::<Result<_, _>>()?,
            next_token: next_token.filter(|t| !t.is_empty()),
        })
    }

    pub(super) async fn sdk_terminate_transfer(
        &self,
        id: &TransferId,
        end: Option<DateTime<Utc>>,
    ) -> Result<Transfer, AwsError> {
        let out = self
            .client
            .terminate_responsibility_transfer()
            .id(id.as_str())
            .set_end_timestamp(end.map(to_smithy))
            .send()
            .await
            .map_err(from_sdk)?;
        from_transfer(out.responsibility_transfer())
    }

    pub(super) async fn sdk_rename_transfer(
        &self,
        id: &TransferId,
        name: &str,
    ) -> Result<Transfer, AwsError> {
        let out = self
            .client
            .update_responsibility_transfer()
            .id(id.as_str())
            .name(name)
            .send()
            .await
            .map_err(from_sdk)?;
        from_transfer(out.responsibility_transfer())
    }

    pub(super) async fn sdk_answer_handshake(
        &self,
        id: &HandshakeId,
        accept: bool,
    ) -> Result<Handshake, AwsError> {
        let out = if accept {
            let out = self
                .client
                .accept_handshake()
                .handshake_id(id.as_str())
                .send()
                .await
                .map_err(from_sdk)?;
            out.handshake
        } else {
            let out = self
                .client
                .decline_handshake()
                .handshake_id(id.as_str())
                .send()
                .await
                .map_err(from_sdk)?;
            out.handshake
        };
        from_handshake(out.as_ref())
    }
}
