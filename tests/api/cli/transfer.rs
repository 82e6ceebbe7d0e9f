//! The billing-transfer commands through the client, with the AWS CLI's
//! names and shapes, against the service and fakecloud with a second
//! organization: invite, describe, the two lists, accept and decline an
//! inbound invitation, rename, terminate, watch, and the errors.
use std::{process::Stdio, time::Duration};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::*;
use crate::{
    helpers::*,
    transfers::{other_org, start_in_two_months, MANAGEMENT},
};

fn start() -> String {
    start_in_two_months()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn json(run: Run) -> Value {
    serde_json::from_str(&ok(run)).unwrap()
}

async fn app_on(aws: std::sync::Arc<Fakecloud>) -> TestApp {
    spawn_app_with(
        fresh_database().await,
        AppOptions {
            fakecloud: Some(aws),
            ..AppOptions::default()
        },
    )
    .await
}

#[tokio::test]
async fn a_transfer_is_invited_described_listed_renamed_and_terminated_from_the_cli() {
    let aws = Fakecloud::start().await;
    let (_other, other_id) = other_org(&aws).await;
    let app = app_on(aws.clone()).await;
    let target = format!("Id={other_id},Type=ACCOUNT");
    let (start, request) = (start(), uuid::Uuid::new_v4().to_string());
    let invite = [
        "invite-organization-to-transfer-responsibility",
        "--type",
        "BILLING",
        "--target",
        &target,
        "--start-timestamp",
        &start,
        "--source-name",
        "Acme billing",
        "--notes",
        "please",
        "--request-id",
        &request,
    ];
    let sent = json(cli(&app, &invite).await);
    let h = &sent["Handshake"];
    assert_eq!(h["Action"], "TRANSFER_RESPONSIBILITY");
    assert_eq!(h["State"], "OPEN");
    let id = h["TransferId"].as_str().expect("TransferId").to_string();
    assert!(id.starts_with("rt-"), "{sent}");
    // The same --request-id: the same transfer, nothing sent again.
    let again = json(cli(&app, &invite).await);
    assert_eq!(again["Handshake"]["TransferId"], id.as_str());

    let described = json(cli(&app, &["describe-responsibility-transfer", "--id", &id]).await);
    let t = &described["ResponsibilityTransfer"];
    assert_eq!(t["Status"], "REQUESTED");
    assert_eq!(t["Direction"], "OUTBOUND");
    assert_eq!(t["Name"], "Acme billing");
    assert_eq!(t["Type"], "BILLING");
    assert_eq!(t["Target"]["ManagementAccountId"], other_id.as_str());
    assert_eq!(t["ActiveHandshakeId"], h["Id"]);

    let outbound = json(
        cli(
            &app,
            &[
                "list-outbound-responsibility-transfers",
                "--type",
                "BILLING",
            ],
        )
        .await,
    );
    assert_eq!(outbound["ResponsibilityTransfers"][0]["Id"], id.as_str());
    let inbound = ok(cli(
        &app,
        &[
            "list-inbound-responsibility-transfers",
            "--type",
            "BILLING",
            "--query",
            "length(ResponsibilityTransfers)",
        ],
    )
    .await);
    assert_eq!(inbound.trim(), "0");

    let renamed = ok(cli(
        &app,
        &[
            "update-responsibility-transfer",
            "--id",
            &id,
            "--name",
            "Acme consolidated",
            "--query",
            "ResponsibilityTransfer.Name",
            "--output",
            "text",
        ],
    )
    .await);
    assert_eq!(renamed.trim(), "Acme consolidated");
    let ended = json(cli(&app, &["terminate-responsibility-transfer", "--id", &id]).await);
    assert_eq!(ended["ResponsibilityTransfer"]["Status"], "WITHDRAWN");
    assert!(
        !ended["ResponsibilityTransfer"]["EndTimestamp"].is_null(),
        "{ended}"
    );
}

#[tokio::test]
async fn an_inbound_invitation_is_accepted_and_another_declined_from_the_cli() {
    let aws = Fakecloud::start().await;
    let app = app_on(aws.clone()).await;
    let mut handshakes = Vec::new();
    for name in ["first payer", "second payer"] {
        let (other, _) = other_org(&aws).await;
        let target = aws_sdk_organizations::types::HandshakeParty::builder()
            .id(MANAGEMENT)
            .r#type(aws_sdk_organizations::types::HandshakePartyType::Account)
            .build()
            .unwrap();
        let out = other
            .invite_organization_to_transfer_responsibility()
            .r#type(aws_sdk_organizations::types::ResponsibilityTransferType::Billing)
            .target(target)
            .start_timestamp(aws_smithy_types::DateTime::from_secs(
                start_in_two_months().timestamp(),
            ))
            .source_name(name)
            .send()
            .await
            .unwrap();
        handshakes.push(out.handshake().unwrap().id().unwrap().to_string());
    }
    eventually(Duration::from_secs(30), "both listed INBOUND", || async {
        let run = cli(
            &app,
            &[
                "list-inbound-responsibility-transfers",
                "--type",
                "BILLING",
                "--query",
                "length(ResponsibilityTransfers)",
            ],
        )
        .await;
        (run.code == 0 && run.stdout.trim() == "2").then_some(())
    })
    .await;
    let accepted = ok(cli(
        &app,
        &[
            "accept-handshake",
            "--handshake-id",
            &handshakes[0],
            "--query",
            "Handshake.State",
            "--output",
            "text",
        ],
    )
    .await);
    assert_eq!(accepted.trim(), "ACCEPTED");
    let declined = ok(cli(
        &app,
        &[
            "decline-handshake",
            "--handshake-id",
            &handshakes[1],
            "--query",
            "Handshake.State",
            "--output",
            "text",
        ],
    )
    .await);
    assert_eq!(declined.trim(), "DECLINED");
    let statuses = ok(cli(
        &app,
        &[
            "list-inbound-responsibility-transfers",
            "--type",
            "BILLING",
            "--query",
            "sort(ResponsibilityTransfers[].Status)",
            "--output",
            "text",
        ],
    )
    .await);
    assert_eq!(
        statuses.split_whitespace().collect::<Vec<_>>(),
        ["ACCEPTED", "DECLINED"]
    );
}

#[tokio::test]
async fn watch_transfers_prints_each_change_and_bad_input_sends_nothing() {
    let aws = Fakecloud::start().await;
    let (_other, other_id) = other_org(&aws).await;
    let app = app_on(aws.clone()).await;
    let mut watch = command(&app, &["watch-transfers", "--output", "json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(watch.stdout.take().unwrap()).lines();
    let target = format!("Id={other_id},Type=ACCOUNT");
    // The watch is open once it prints nothing yet: invite until it sees it.
    let start = start();
    let sent = json(
        cli(
            &app,
            &[
                "invite-organization-to-transfer-responsibility",
                "--type",
                "BILLING",
                "--target",
                &target,
                "--start-timestamp",
                &start,
                "--source-name",
                "Acme billing",
            ],
        )
        .await,
    );
    let id = sent["Handshake"]["TransferId"]
        .as_str()
        .unwrap()
        .to_string();
    let mut text = String::new();
    let first: Value = loop {
        text.push_str(&next_line(&mut lines).await);
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            break v;
        }
    };
    let shown = first.to_string();
    assert!(shown.contains(&id), "{shown}");
    assert!(shown.contains("STATUS_CHANGE"), "{shown}");
    watch.kill().await.unwrap();

    // Not a month's first day: refused by the service, nothing sent.
    let bad = cli(
        &app,
        &[
            "invite-organization-to-transfer-responsibility",
            "--type",
            "BILLING",
            "--target",
            &target,
            "--start-timestamp",
            "2030-01-02T00:00:00Z",
            "--source-name",
            "x",
        ],
    )
    .await;
    assert_ne!(bad.code, 0);
    assert!(bad.stderr.contains("start_time"), "{}", bad.stderr);
    let unknown = cli(
        &app,
        &[
            "describe-responsibility-transfer",
            "--id",
            "rt-doesnotexist0",
        ],
    )
    .await;
    assert_ne!(unknown.code, 0);
    assert!(
        unknown.stderr.contains("NotFound") || unknown.stderr.contains("NOT_FOUND"),
        "{}",
        unknown.stderr
    );
    let local = cli(
        &app,
        &[
            "invite-organization-to-transfer-responsibility",
            "--type",
            "BILLING",
            "--target",
            &target,
            "--start-timestamp",
            "soon",
            "--source-name",
            "x",
        ],
    )
    .await;
    assert_eq!(local.code, 252, "{}", local.stderr);
    let count = ok(cli(
        &app,
        &[
            "list-outbound-responsibility-transfers",
            "--type",
            "BILLING",
            "--query",
            "length(ResponsibilityTransfers)",
        ],
    )
    .await);
    assert_eq!(count.trim(), "1", "only the good one was sent");
}
