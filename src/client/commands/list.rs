//! `list`: ListHandshakes, every page (see `pager`), filtered by state,
//! target or campaign.
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    pager::{print_pages, Page, Paging},
    preamble::{states_request, states_value, Command, Ready},
};
use crate::client::{exit::CliError, flags::ListArgs, input::Input, schema, shape};
use crate::proto::v1 as pb;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListParams {
    states: Option<Vec<String>>,
    target_id: Option<String>,
    campaign_id: Option<String>,
}

const LIST: Command = Command::new(&schema::LIST, "ListHandshakes", sample);

/// What `list` prints, made up, for `--generate-cli-skeleton output`.
fn sample() -> Value {
    json!({"Handshakes": [shape::sample_handshake()], "NextToken": "NextToken"})
}

pub async fn run(a: ListArgs) -> Result<u8, CliError> {
    LIST.run(&a.input, &a.client, |i| params(&a, i), list).await
}

/// The filters, then the paging flags, which the schema does not cover.
fn params(a: &ListArgs, mut input: Input) -> Result<(ListParams, Paging), CliError> {
    if let Some(s) = &a.state {
        input.set("States", states_value(s));
    }
    if let Some(t) = &a.target {
        input.set_flag("TargetId", "--target", t)?;
    }
    if let Some(c) = &a.campaign_id {
        input.set_flag("CampaignId", "--campaign-id", c)?;
    }
    let params: ListParams = input.finish()?;
    Ok((params, Paging::new(&a.paging, a.client.no_paginate)?))
}

async fn list(ready: Ready<(ListParams, Paging)>) -> Result<u8, CliError> {
    let (params, paging) = ready.params;
    let conn = &ready.conn;
    let states = states_request(params.states);
    let target_id = params.target_id.unwrap_or_default();
    let campaign_id = params.campaign_id.unwrap_or_default();
    print_pages(&ready.printer, paging, "Handshakes", |token, size| {
        let req = pb::ListHandshakesRequest {
            page_size: size,
            page_token: token,
            states: states.clone(),
            target_id: target_id.clone(),
            campaign_id: campaign_id.clone(),
        };
        async move {
            let resp = conn
                .call("ListHandshakes", req, |mut c, r| async move {
                    c.list_handshakes(r).await
                })
                .await?;
            Ok(Page {
                items: resp.handshakes.iter().map(shape::handshake).collect(),
                next_token: resp.next_page_token,
            })
        }
    })
    .await
}
