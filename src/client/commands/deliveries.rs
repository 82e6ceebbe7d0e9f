//! `deliveries list` (ListDeliveries, every page as `list` follows them)
//! and `deliveries redeliver` (RedeliverEvents): how each event fared at
//! one subscription, and sending some again.
use serde::Deserialize;

use super::{
    pager::{print_pages, Page, Paging},
    preamble::{states_value, Command, Ready},
    subscriptions::set_subscription,
};
use crate::client::{
    exit::{self, CliError},
    flags::{DeliveriesCommand, DeliveriesListArgs, RedeliverArgs},
    input::Input,
    schema, shape,
};
use crate::proto::v1 as pb;

pub async fn run(cmd: DeliveriesCommand) -> Result<u8, CliError> {
    match cmd {
        DeliveriesCommand::List(a) => list(a).await,
        DeliveriesCommand::Redeliver(a) => redeliver(a).await,
    }
}

const LIST: Command = Command::new(
    &schema::DELIVERIES_LIST,
    "ListDeliveries",
    shape::sample_deliveries_page,
);

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListParams {
    subscription_id: String,
    states: Option<Vec<String>>,
}

impl ListParams {
    /// The request for one page; the schema allowed only known states.
    fn request(&self, page_token: String, page_size: i32) -> pb::ListDeliveriesRequest {
        pb::ListDeliveriesRequest {
            subscription_id: self.subscription_id.clone(),
            states: self
                .states
                .iter()
                .flatten()
                .filter_map(|s| shape::delivery_state_from_name(s))
                .map(|s| s as i32)
                .collect(),
            page_size,
            page_token,
        }
    }
}

async fn list(a: DeliveriesListArgs) -> Result<u8, CliError> {
    LIST.run(&a.input, &a.client, |i| list_params(&a, i), call_list)
        .await
}

/// The filters, then the paging flags, which the schema does not cover.
fn list_params(a: &DeliveriesListArgs, mut input: Input) -> Result<(ListParams, Paging), CliError> {
    set_subscription(
        a.subscription.as_deref(),
        &a.input,
        &mut input,
        "--subscription",
    )?;
    if let Some(s) = &a.state {
        input.set("States", states_value(s));
    }
    let params: ListParams = input.finish()?;
    Ok((params, Paging::new(&a.paging, a.client.no_paginate)?))
}

async fn call_list(ready: Ready<(ListParams, Paging)>) -> Result<u8, CliError> {
    let (params, paging) = ready.params;
    let conn = &ready.conn;
    print_pages(&ready.printer, paging, "Deliveries", |token, size| {
        let req = params.request(token, size);
        async move {
            let resp = conn
                .call("ListDeliveries", req, |mut c, r| async move {
                    c.list_deliveries(r).await
                })
                .await?;
            Ok(Page {
                items: shape::deliveries_output(&resp.deliveries),
                next_token: resp.next_page_token,
            })
        }
    })
    .await
}

const REDELIVER: Command = Command::new(
    &schema::DELIVERIES_REDELIVER,
    "RedeliverEvents",
    shape::sample_deliveries_output,
);

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RedeliverParams {
    subscription_id: String,
    event_ids: Vec<i64>,
}

impl RedeliverParams {
    fn into_request(self) -> pb::RedeliverEventsRequest {
        pb::RedeliverEventsRequest {
            subscription_id: self.subscription_id,
            event_ids: self.event_ids,
        }
    }
}

async fn redeliver(a: RedeliverArgs) -> Result<u8, CliError> {
    REDELIVER
        .run(
            &a.input,
            &a.client,
            |i| redeliver_params(&a, i),
            call_redeliver,
        )
        .await
}

fn redeliver_params(a: &RedeliverArgs, mut input: Input) -> Result<RedeliverParams, CliError> {
    set_subscription(
        a.subscription.as_deref(),
        &a.input,
        &mut input,
        "--subscription",
    )?;
    if let Some(ids) = &a.event_id {
        input.set_list_flag("EventIds", "--event-id", ids)?;
    }
    input.finish()
}

async fn call_redeliver(ready: Ready<RedeliverParams>) -> Result<u8, CliError> {
    let req = ready.params.into_request();
    let resp = ready
        .conn
        .call("RedeliverEvents", req, |mut c, r| async move {
            c.redeliver_events(r).await
        })
        .await?;
    let out = serde_json::json!({ "Deliveries": shape::deliveries_output(&resp.deliveries) });
    ready.printer.print(&out)?;
    Ok(exit::SUCCESS)
}

#[cfg(test)]
mod tests;
