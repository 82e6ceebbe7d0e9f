//! Billing transfers (TRANSFER_RESPONSIBILITY) against fakecloud, with a
//! second organization made by another account's credentials: sent,
//! accepted by the other side, withdrawn, renamed, adopted when made
//! elsewhere, received (INBOUND) and answered, refused when bad, sent once
//! per request_id, and warned about once before the acceptance deadline.
use std::{sync::Arc, time::Duration};

use aws_sdk_organizations::{types as sdk, Client as AwsClient};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use org_invites::proto::v1 as pb;

use crate::{helpers::*, leave::second_organization};

mod events;
mod inbound;
mod outbound;

/// This organization's management account in fakecloud.
pub(crate) const MANAGEMENT: &str = "123456789012";

/// The first day of the month after next, 00:00 UTC: always in the future,
/// and at least a month away.
pub(crate) fn start_in_two_months() -> DateTime<Utc> {
    let now = Utc::now();
    let (y, m) = (now.year(), now.month());
    let (y, m) = if m >= 11 { (y + 1, m - 10) } else { (y, m + 2) };
    Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).unwrap()
}

pub(crate) fn ts(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    }
}

pub(crate) fn billing(target: &str) -> pb::InviteTransferRequest {
    pb::InviteTransferRequest {
        r#type: pb::ResponsibilityTransferType::Billing as i32,
        target: account_target(target),
        start_time: Some(ts(start_in_two_months())),
        source_name: "Acme billing".into(),
        notes: "please take our bill".into(),
        request_id: uuid::Uuid::new_v4().to_string(),
        ..Default::default()
    }
}

pub(crate) async fn app_on(fakecloud: Arc<Fakecloud>) -> TestApp {
    spawn_app_with(
        fresh_database().await,
        AppOptions {
            fakecloud: Some(fakecloud),
            http: true,
            ..AppOptions::default()
        },
    )
    .await
}

/// A second organization and its management account's id.
pub(crate) async fn other_org(aws: &Fakecloud) -> (AwsClient, String) {
    let org = second_organization(aws).await;
    let out = org.describe_organization().send().await.unwrap();
    let id = out
        .organization()
        .unwrap()
        .master_account_id()
        .unwrap()
        .to_string();
    (org, id)
}

/// `from` invites this organization to pay its bill; the handshake id.
pub(crate) async fn invite_us(from: &AwsClient, name: &str) -> String {
    let target = sdk::HandshakeParty::builder()
        .id(MANAGEMENT)
        .r#type(sdk::HandshakePartyType::Account)
        .build()
        .unwrap();
    let start = start_in_two_months();
    let out = from
        .invite_organization_to_transfer_responsibility()
        .r#type(sdk::ResponsibilityTransferType::Billing)
        .target(target)
        .start_timestamp(aws_smithy_types::DateTime::from_secs(start.timestamp()))
        .source_name(name)
        .send()
        .await
        .expect("the other organization invites this one");
    out.handshake().unwrap().id().unwrap().to_string()
}

pub(crate) async fn get(
    app: &TestApp,
    id: &str,
) -> Result<pb::ResponsibilityTransfer, tonic::Status> {
    let req = pb::GetTransferRequest { id: id.into() };
    Ok(app.client.clone().get_transfer(req).await?.into_inner())
}

pub(crate) async fn list(
    app: &TestApp,
    direction: pb::TransferDirection,
) -> Vec<pb::ResponsibilityTransfer> {
    let req = pb::ListTransfersRequest {
        direction: direction as i32,
        ..Default::default()
    };
    let out = app.client.clone().list_transfers(req).await.unwrap();
    out.into_inner().transfers
}

pub(crate) async fn next_transfer_event(
    stream: &mut tonic::Streaming<pb::TransferEvent>,
) -> pb::TransferEvent {
    tokio::time::timeout(Duration::from_secs(30), stream.message())
        .await
        .expect("a transfer event within 30 s")
        .expect("the stream is healthy")
        .expect("the stream goes on")
}

/// What fakecloud lists as this organization's outbound transfers.
pub(crate) async fn aws_outbound(aws: &Fakecloud) -> Vec<sdk::ResponsibilityTransfer> {
    aws.management_client()
        .list_outbound_responsibility_transfers()
        .r#type(sdk::ResponsibilityTransferType::Billing)
        .send()
        .await
        .unwrap()
        .responsibility_transfers()
        .to_vec()
}

/// `at` as a libfaketime offset from the real clock, in seconds.
pub(crate) fn offset_to(at: DateTime<Utc>) -> String {
    format!("{:+}", (at - Utc::now()).num_seconds())
}
