//! `campaign get|pause|resume|cancel|watch`: one campaign, named by its id
//! (the ID argument, `--id`, or `CampaignId` in `--cli-input-json`/`-yaml`).
use serde::Deserialize;
use serde_json::Value;

use crate::client::{
    commands::preamble::{Command, Ready},
    exit::{self, CliError},
    flags::{CampaignCancelArgs, CampaignIdArgs, InputOptions},
    input::Input,
    schema, shape, watch,
};
use crate::proto::v1 as pb;

#[derive(Clone, Copy)]
pub enum ById {
    Get,
    Pause,
    Resume,
    Watch,
}

impl ById {
    fn operation(self) -> &'static str {
        match self {
            Self::Get => "GetCampaign",
            Self::Pause => "PauseCampaign",
            Self::Resume => "ResumeCampaign",
            Self::Watch => "WatchCampaign",
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IdParams {
    campaign_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CancelParams {
    campaign_id: String,
    cancel_open_invitations: Option<bool>,
}

pub async fn run(a: CampaignIdArgs, what: ById) -> Result<u8, CliError> {
    let command = Command::new(
        &schema::CAMPAIGN_ID,
        what.operation(),
        shape::sample_campaign_output,
    );
    command
        .run(&a.input, &a.client, |i| id(&a, i), |r| call(r, what))
        .await
}

/// Puts the id given on the command line into the input; without it and
/// without an input file, says it is missing as clap would.
pub(super) fn set_id(
    given: Option<&str>,
    opts: &InputOptions,
    input: &mut Input,
    flag: &str,
) -> Result<(), CliError> {
    match given {
        Some(id) => input.set("CampaignId", Value::String(id.to_string())),
        None if opts.cli_input_json.is_none() && opts.cli_input_yaml.is_none() => {
            return Err(CliError::Usage(format!(
                "the following required argument was not provided: ID or {flag} (a campaign id, c-...)"
            )))
        }
        None => {}
    }
    Ok(())
}

fn id(a: &CampaignIdArgs, mut input: Input) -> Result<String, CliError> {
    set_id(a.given(), &a.input, &mut input, "--id")?;
    let IdParams { campaign_id } = input.finish()?;
    Ok(campaign_id)
}

async fn call(ready: Ready<String>, what: ById) -> Result<u8, CliError> {
    let (id, conn) = (ready.params, &ready.conn);
    let c = match what {
        ById::Watch => {
            return watch::campaign::until_over(conn, &ready.printer, &id, None).await;
        }
        ById::Get => {
            let req = pb::GetCampaignRequest { id };
            conn.call("GetCampaign", req, |mut c, r| async move {
                c.get_campaign(r).await
            })
            .await?
        }
        ById::Pause => {
            let req = pb::PauseCampaignRequest { id };
            conn.call("PauseCampaign", req, |mut c, r| async move {
                c.pause_campaign(r).await
            })
            .await?
        }
        ById::Resume => {
            let req = pb::ResumeCampaignRequest { id };
            conn.call("ResumeCampaign", req, |mut c, r| async move {
                c.resume_campaign(r).await
            })
            .await?
        }
    };
    ready.printer.print(&shape::campaign_output(&c))?;
    Ok(exit::SUCCESS)
}

const CANCEL: Command = Command::new(
    &schema::CAMPAIGN_CANCEL,
    "CancelCampaign",
    shape::sample_campaign_output,
);

pub async fn cancel(a: CampaignCancelArgs) -> Result<u8, CliError> {
    let c = &a.campaign;
    CANCEL
        .run(&c.input, &c.client, |i| cancel_params(&a, i), cancel_call)
        .await
}

fn cancel_params(a: &CampaignCancelArgs, mut input: Input) -> Result<CancelParams, CliError> {
    let c = &a.campaign;
    set_id(c.given(), &c.input, &mut input, "--id")?;
    if a.cancel_open_invitations {
        input.set("CancelOpenInvitations", Value::Bool(true));
    }
    input.finish()
}

async fn cancel_call(ready: Ready<CancelParams>) -> Result<u8, CliError> {
    let req = pb::CancelCampaignRequest {
        id: ready.params.campaign_id,
        cancel_open_invitations: ready.params.cancel_open_invitations.unwrap_or(false),
    };
    let c = ready
        .conn
        .call("CancelCampaign", req, |mut c, r| async move {
            c.cancel_campaign(r).await
        })
        .await?;
    ready.printer.print(&shape::campaign_output(&c))?;
    Ok(exit::SUCCESS)
}
