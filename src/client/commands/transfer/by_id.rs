//! `describe-`, `terminate-` and `update-responsibility-transfer`
//! (GetTransfer, WithdrawTransfer, RenameTransfer): one transfer, named by
//! `--id` (or `Id` in `--cli-input-json`/`-yaml`), printed as
//! `{"ResponsibilityTransfer": {...}}`, as AWS answers all three.
use serde::Deserialize;
use serde_json::Value;

use super::super::preamble::{Command, Ready};
use crate::client::{
    exit::{self, CliError},
    flags::{TerminateTransferArgs, TransferIdArgs, UpdateTransferArgs},
    input::Input,
    schema, shape, timestamp,
};
use crate::proto::v1 as pb;

const DESCRIBE: Command = Command::new(
    &schema::TRANSFER_ID,
    "GetTransfer",
    shape::sample_transfer_output,
);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IdParams {
    id: String,
}

pub async fn describe(a: TransferIdArgs) -> Result<u8, CliError> {
    DESCRIBE
        .run(
            &a.input,
            &a.client,
            |i| describe_params(&a, i),
            call_describe,
        )
        .await
}

pub(super) fn describe_params(a: &TransferIdArgs, mut input: Input) -> Result<String, CliError> {
    set_id(&a.id, &mut input)?;
    let IdParams { id } = input.finish()?;
    Ok(id)
}

async fn call_describe(ready: Ready<String>) -> Result<u8, CliError> {
    let req = pb::GetTransferRequest { id: ready.params };
    let t = ready
        .conn
        .call("GetTransfer", req, |mut c, r| async move {
            c.get_transfer(r).await
        })
        .await?;
    ready.printer.print(&shape::transfer_output(&t))?;
    Ok(exit::SUCCESS)
}

fn set_id(id: &Option<String>, input: &mut Input) -> Result<(), CliError> {
    match id {
        Some(id) => input.set_flag("Id", "--id", id),
        None => Ok(()),
    }
}

const TERMINATE: Command = Command::new(
    &schema::TRANSFER_WITHDRAW,
    "WithdrawTransfer",
    shape::sample_transfer_output,
);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WithdrawParams {
    id: String,
    end_timestamp: Option<Value>,
}

impl WithdrawParams {
    pub(super) fn into_request(self) -> pb::WithdrawTransferRequest {
        pb::WithdrawTransferRequest {
            id: self.id,
            end_time: self
                .end_timestamp
                .map(|v| timestamp::parse(&v).expect("the schema allows only timestamps")),
        }
    }
}

pub async fn terminate(a: TerminateTransferArgs) -> Result<u8, CliError> {
    TERMINATE
        .run(
            &a.input,
            &a.client,
            |i| terminate_params(&a, i),
            call_terminate,
        )
        .await
}

pub(super) fn terminate_params(
    a: &TerminateTransferArgs,
    mut input: Input,
) -> Result<WithdrawParams, CliError> {
    set_id(&a.id, &mut input)?;
    if let Some(t) = &a.end_timestamp {
        input.set_flag("EndTimestamp", "--end-timestamp", t)?;
    }
    input.finish()
}

async fn call_terminate(ready: Ready<WithdrawParams>) -> Result<u8, CliError> {
    let req = ready.params.into_request();
    let t = ready
        .conn
        .call("WithdrawTransfer", req, |mut c, r| async move {
            c.withdraw_transfer(r).await
        })
        .await?;
    ready.printer.print(&shape::transfer_output(&t))?;
    Ok(exit::SUCCESS)
}

const UPDATE: Command = Command::new(
    &schema::TRANSFER_RENAME,
    "RenameTransfer",
    shape::sample_transfer_output,
);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RenameParams {
    id: String,
    name: String,
}

impl RenameParams {
    pub(super) fn into_request(self) -> pb::RenameTransferRequest {
        pb::RenameTransferRequest {
            id: self.id,
            name: self.name,
        }
    }
}

pub async fn update(a: UpdateTransferArgs) -> Result<u8, CliError> {
    UPDATE
        .run(&a.input, &a.client, |i| update_params(&a, i), call_update)
        .await
}

pub(super) fn update_params(
    a: &UpdateTransferArgs,
    mut input: Input,
) -> Result<RenameParams, CliError> {
    set_id(&a.id, &mut input)?;
    if let Some(n) = &a.name {
        input.set_flag("Name", "--name", n)?;
    }
    input.finish()
}

async fn call_update(ready: Ready<RenameParams>) -> Result<u8, CliError> {
    let req = ready.params.into_request();
    let t = ready
        .conn
        .call("RenameTransfer", req, |mut c, r| async move {
            c.rename_transfer(r).await
        })
        .await?;
    ready.printer.print(&shape::transfer_output(&t))?;
    Ok(exit::SUCCESS)
}
