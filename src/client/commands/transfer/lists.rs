//! `list-inbound-` and `list-outbound-responsibility-transfers`
//! (ListTransfers in one direction, every page as `list` follows them) and
//! `watch-transfers` (WatchTransfers, as `watch-all` follows handshakes).
use serde::Deserialize;
use serde_json::Value;

use super::super::{
    pager::{print_pages, Page, Paging},
    preamble::{states_value, Command, Ready},
};
use super::upper;
use crate::client::{
    exit::CliError,
    flags::{ListTransfersArgs, WatchTransfersArgs},
    input::Input,
    schema, shape, watch,
};
use crate::proto::v1 as pb;

const LIST: Command = Command::new(
    &schema::TRANSFER_LIST,
    "ListTransfers",
    shape::sample_transfers_output,
);

/// The filters. Type is checked by the schema and not sent: BILLING is
/// the only type, and the service has no other.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListParams {
    statuses: Option<Vec<String>>,
}

impl ListParams {
    /// The request for one page; the schema allowed only known statuses.
    pub(super) fn request(
        &self,
        direction: pb::TransferDirection,
        page_token: String,
        page_size: i32,
    ) -> pb::ListTransfersRequest {
        pb::ListTransfersRequest {
            direction: direction as i32,
            statuses: self
                .statuses
                .iter()
                .flatten()
                .filter_map(|s| shape::transfer_status_from_name(s))
                .map(|s| s as i32)
                .collect(),
            page_size,
            page_token,
        }
    }
}

pub async fn list(a: ListTransfersArgs, direction: pb::TransferDirection) -> Result<u8, CliError> {
    LIST.run(
        &a.input,
        &a.client,
        |i| list_params(&a, i),
        |r| call_list(r, direction),
    )
    .await
}

/// The filters, then the paging flags, which the schema does not cover.
pub(super) fn list_params(
    a: &ListTransfersArgs,
    mut input: Input,
) -> Result<(ListParams, Paging), CliError> {
    if let Some(t) = &a.transfer_type {
        input.set("Type", upper(t));
    }
    if let Some(s) = &a.status {
        input.set("Statuses", states_value(s));
    }
    let params: ListParams = input.finish()?;
    Ok((params, Paging::new(&a.paging, a.client.no_paginate)?))
}

async fn call_list(
    ready: Ready<(ListParams, Paging)>,
    direction: pb::TransferDirection,
) -> Result<u8, CliError> {
    let (params, paging) = ready.params;
    let conn = &ready.conn;
    print_pages(
        &ready.printer,
        paging,
        "ResponsibilityTransfers",
        |token, size| {
            let req = params.request(direction, token, size);
            async move {
                let resp = conn
                    .call("ListTransfers", req, |mut c, r| async move {
                        c.list_transfers(r).await
                    })
                    .await?;
                Ok(Page {
                    items: shape::transfers_output(&resp.transfers),
                    next_token: resp.next_page_token,
                })
            }
        },
    )
    .await
}

const WATCH: Command = Command::new(
    &schema::WATCH_TRANSFERS,
    "WatchTransfers",
    shape::sample_transfer_event_output,
);

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WatchParams {
    resume_token: Option<String>,
    directions: Option<Vec<String>>,
}

impl WatchParams {
    /// The request that opens the stream; the schema allowed only known
    /// directions.
    pub(super) fn into_request(self) -> pb::WatchTransfersRequest {
        pb::WatchTransfersRequest {
            resume_token: self.resume_token.unwrap_or_default(),
            directions: self
                .directions
                .iter()
                .flatten()
                .filter_map(|d| shape::direction_from_name(d))
                .map(|d| d as i32)
                .collect(),
        }
    }
}

pub async fn watch(a: WatchTransfersArgs) -> Result<u8, CliError> {
    WATCH
        .run(&a.input, &a.client, |i| watch_params(&a, i), call_watch)
        .await
}

pub(super) fn watch_params(
    a: &WatchTransfersArgs,
    mut input: Input,
) -> Result<WatchParams, CliError> {
    if let Some(t) = &a.resume_token {
        input.set("ResumeToken", Value::String(t.clone()));
    }
    if let Some(d) = &a.direction {
        input.set("Directions", states_value(d));
    }
    input.finish()
}

async fn call_watch(ready: Ready<WatchParams>) -> Result<u8, CliError> {
    let req = ready.params.into_request();
    watch::transfers::all(&ready.conn, &ready.printer, req).await
}

#[cfg(test)]
mod tests;
