//! `campaign list` (ListCampaigns) and `campaign targets`
//! (ListCampaignTargets): every page, as `list` follows them (`pager`).
use serde::Deserialize;
use serde_json::Value;

use crate::client::{
    commands::{
        pager::{print_pages, Page, Paging},
        preamble::{states_value, Command, Ready},
    },
    exit::CliError,
    flags::{CampaignListArgs, CampaignTargetsArgs},
    input::Input,
    schema, shape,
};
use crate::proto::v1 as pb;

const LIST: Command = Command::new(
    &schema::CAMPAIGN_LIST,
    "ListCampaigns",
    shape::sample_campaigns_output,
);

pub async fn campaigns(a: CampaignListArgs) -> Result<u8, CliError> {
    let params = |input: Input| {
        let _: Value = input.finish()?;
        Paging::new(&a.paging, a.client.no_paginate)
    };
    LIST.run(&a.input, &a.client, params, list_campaigns).await
}

async fn list_campaigns(ready: Ready<Paging>) -> Result<u8, CliError> {
    let conn = &ready.conn;
    print_pages(&ready.printer, ready.params, "Campaigns", |token, size| {
        let req = pb::ListCampaignsRequest {
            page_size: size,
            page_token: token,
        };
        async move {
            let resp = conn
                .call("ListCampaigns", req, |mut c, r| async move {
                    c.list_campaigns(r).await
                })
                .await?;
            Ok(Page {
                items: shape::campaigns_output(&resp.campaigns),
                next_token: resp.next_page_token,
            })
        }
    })
    .await
}

const TARGETS: Command = Command::new(
    &schema::CAMPAIGN_TARGETS,
    "ListCampaignTargets",
    shape::sample_targets_output,
);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TargetsParams {
    campaign_id: String,
    states: Option<Vec<String>>,
}

pub async fn targets(a: CampaignTargetsArgs) -> Result<u8, CliError> {
    TARGETS
        .run(&a.input, &a.client, |i| targets_params(&a, i), list_targets)
        .await
}

fn targets_params(
    a: &CampaignTargetsArgs,
    mut input: Input,
) -> Result<(TargetsParams, Paging), CliError> {
    let given = a.id.as_deref().or(a.campaign_id.as_deref());
    super::by_id::set_id(given, &a.input, &mut input, "--campaign-id")?;
    if let Some(s) = &a.state {
        input.set("States", states_value(s));
    }
    let params: TargetsParams = input.finish()?;
    Ok((params, Paging::new(&a.paging, a.client.no_paginate)?))
}

async fn list_targets(ready: Ready<(TargetsParams, Paging)>) -> Result<u8, CliError> {
    let (params, paging) = ready.params;
    let conn = &ready.conn;
    let states: Vec<i32> = params
        .states
        .unwrap_or_default()
        .iter()
        .filter_map(|s| shape::target_state_from_name(s))
        .map(|s| s as i32)
        .collect();
    let campaign_id = params.campaign_id;
    print_pages(&ready.printer, paging, "Targets", |token, size| {
        let req = pb::ListCampaignTargetsRequest {
            campaign_id: campaign_id.clone(),
            page_size: size,
            page_token: token,
            states: states.clone(),
        };
        async move {
            let resp = conn
                .call("ListCampaignTargets", req, |mut c, r| async move {
                    c.list_campaign_targets(r).await
                })
                .await?;
            Ok(Page {
                items: shape::targets_output(&resp.targets),
                next_token: resp.next_page_token,
            })
        }
    })
    .await
}
