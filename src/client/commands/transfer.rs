//! The billing-transfer commands, by the AWS CLI's names, routed to their
//! files; here `invite-organization-to-transfer-responsibility`
//! (InviteTransfer, always with a request id so that a retry is safe).
//! `by_id`: describe, terminate, update; `lists`: the two lists and the
//! watch; `respond`: the answers to an inbound invitation.
use serde::Deserialize;
use serde_json::Value;

use super::{
    invite::{note_if_sent, PartyParam},
    preamble::{Command, Ready},
    spec::{self, TagParam},
};
use crate::client::{
    exit::{self, CliError},
    flags::{InviteTransferArgs, TransferCommand},
    input::Input,
    schema, shape, timestamp,
};
use crate::proto::v1 as pb;

mod by_id;
mod lists;
mod respond;
use respond::Answer;

pub async fn run(cmd: TransferCommand) -> Result<u8, CliError> {
    use pb::TransferDirection::{Inbound, Outbound};
    use TransferCommand as T;
    match cmd {
        T::InviteOrganizationToTransferResponsibility(a) => invite(a).await,
        T::DescribeResponsibilityTransfer(a) => by_id::describe(a).await,
        T::ListInboundResponsibilityTransfers(a) => lists::list(a, Inbound).await,
        T::ListOutboundResponsibilityTransfers(a) => lists::list(a, Outbound).await,
        T::TerminateResponsibilityTransfer(a) => by_id::terminate(a).await,
        T::UpdateResponsibilityTransfer(a) => by_id::update(a).await,
        T::AcceptHandshake(a) => respond::run(a, Answer::Accept).await,
        T::DeclineHandshake(a) => respond::run(a, Answer::Decline).await,
        T::WatchTransfers(a) => lists::watch(a).await,
    }
}

/// AWS answers InviteOrganizationToTransferResponsibility with the
/// handshake alone, and so does this command; the handshake's TransferId
/// names the transfer.
const INVITE: Command = Command::new(
    &schema::TRANSFER_INVITE,
    "InviteTransfer",
    shape::sample_handshake_output,
);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InviteParams {
    r#type: String,
    target: PartyParam,
    notes: Option<String>,
    start_timestamp: Value,
    source_name: String,
    tags: Option<Vec<TagParam>>,
    request_id: Option<String>,
}

impl InviteParams {
    fn into_request(self) -> pb::InviteTransferRequest {
        let kind = shape::transfer_type_from_name(&self.r#type)
            .expect("the schema allows only known transfer types");
        pb::InviteTransferRequest {
            r#type: kind as i32,
            target: Some(self.target.into_party()),
            start_time: Some(
                timestamp::parse(&self.start_timestamp).expect("the schema allows only timestamps"),
            ),
            source_name: self.source_name,
            notes: self.notes.unwrap_or_default(),
            tags: spec::tags(self.tags),
            // Always deduplicated, as `invite` is: a retry is then safe.
            request_id: self
                .request_id
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        }
    }
}

async fn invite(a: InviteTransferArgs) -> Result<u8, CliError> {
    INVITE
        .run(&a.input, &a.client, |i| invite_params(&a, i), call_invite)
        .await
}

fn invite_params(a: &InviteTransferArgs, mut input: Input) -> Result<InviteParams, CliError> {
    if let Some(t) = &a.transfer_type {
        input.set("Type", upper(t));
    }
    let flags = [
        ("Target", "--target", &a.target),
        ("StartTimestamp", "--start-timestamp", &a.start_timestamp),
        ("SourceName", "--source-name", &a.source_name),
        ("Notes", "--notes", &a.notes),
        ("RequestId", "--request-id", &a.request_id),
    ];
    for (member, flag, value) in flags {
        if let Some(v) = value {
            input.set_flag(member, flag, v)?;
        }
    }
    if let Some(t) = &a.tags {
        input.set_list_flag("Tags", "--tags", t)?;
    }
    input.finish()
}

/// `--type billing` → `BILLING`, as `--state` takes either case; the
/// schema then checks the value.
fn upper(flag: &str) -> Value {
    Value::String(flag.trim().to_ascii_uppercase())
}

async fn call_invite(ready: Ready<InviteParams>) -> Result<u8, CliError> {
    let req = ready.params.into_request();
    let request_id = req.request_id.clone();
    let resp = ready
        .conn
        .call("InviteTransfer", req, |mut c, r| async move {
            c.invite_transfer(r).await
        })
        .await
        .inspect_err(note_if_sent(
            "the invitation may have been sent",
            &request_id,
        ))?;
    let mut h = resp
        .handshake
        .ok_or_else(|| CliError::Other("the service answered without a handshake".into()))?;
    // AWS's shape has no room for the transfer: its id rides on the
    // handshake, where `--query Handshake.TransferId` finds it.
    if let (true, Some(t)) = (h.transfer_id.is_empty(), &resp.transfer) {
        h.transfer_id = t.id.clone();
    }
    ready.printer.print(&shape::handshake_output(&h))?;
    Ok(exit::SUCCESS)
}

#[cfg(test)]
mod tests;
