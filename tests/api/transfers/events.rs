//! Billing transfers' events: the deadline warning (also on one libfaketime
//! clock), WatchTransfers resumed and filtered, ListTransfers paged, and
//! delivery to a webhook.
use std::time::Duration;

use chrono::Utc;
use org_invites::proto::v1 as pb;
use tonic::Code;

use super::*;

#[tokio::test]
async fn an_open_transfer_is_warned_about_once_before_its_acceptance_deadline() {
    let aws = Fakecloud::start().await;
    let (_other, other_id) = other_org(&aws).await;
    let db = fresh_database().await;
    // The window reaches the deadline (start - 24 h) 3 s after now.
    let deadline = start_in_two_months() - chrono::Duration::hours(24);
    let window = (deadline - Utc::now()).to_std().unwrap() - Duration::from_secs(3);
    let opts = || {
        let mut o = AppOptions {
            fakecloud: Some(aws.clone()),
            ..AppOptions::default()
        };
        o.poller.transfer_deadline_warning = window;
        o
    };
    let first = spawn_app_with(db.clone(), opts()).await;
    let sent = first
        .client
        .clone()
        .invite_transfer(billing(&other_id))
        .await
        .unwrap()
        .into_inner();
    let id = sent.transfer.unwrap().id;
    let mut watch = first
        .client
        .clone()
        .watch_transfers(pb::WatchTransfersRequest::default())
        .await
        .unwrap()
        .into_inner();
    let warned = next_transfer_event(&mut watch).await;
    assert_eq!(warned.kind(), pb::TransferEventKind::DeadlineSoon);
    assert!(warned.transfer.unwrap().deadline_warning_time.is_some());
    // Another replica, and a restart: the warning is not repeated.
    let second = spawn_app_with(db.clone(), opts()).await;
    first.stop().await;
    let third = spawn_app_with(db.clone(), opts()).await;
    // Wait until the new poller has run a transfer pass (the adoption of a
    // new inbound transfer shows it), then count the warnings.
    let (from, _) = other_org(&aws).await;
    invite_us(&from, "pass marker").await;
    eventually(Duration::from_secs(30), "a later transfer pass", || async {
        (list(&third, pb::TransferDirection::Inbound).await.len() == 1).then_some(())
    })
    .await;
    let warnings: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM transfer_events WHERE transfer_id = $1 AND kind = 'DEADLINE_SOON'",
    )
    .bind(&id)
    .fetch_one(&second.db)
    .await
    .unwrap();
    assert_eq!(warnings, 1);
}

#[tokio::test]
async fn transfer_events_reach_a_webhook_signed_in_order_and_a_filter_can_ask_for_them_alone() {
    use crate::delivery::{app_delivering, SubscriptionsFile};
    let receiver = Receiver::start().await;
    let filter = "    filter:\n      kinds: [TRANSFER_STATUS_CHANGE]\n";
    let file = SubscriptionsFile::webhook(&receiver.url, filter);
    let app = app_delivering(file.options(&[200])).await;
    let (_other, other_id) = other_org(&app.aws).await;
    app.invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let sent = app
        .client
        .clone()
        .invite_transfer(billing(&other_id))
        .await
        .unwrap()
        .into_inner();
    let (h, t) = (sent.handshake.unwrap(), sent.transfer.unwrap());
    app.aws.accept(&other_id, &h.id).await;

    let got = receiver.wait_for(2, Duration::from_secs(60)).await;
    for r in &got {
        assert!(signed_by(r, &file.secret), "{:?}", r.headers);
        assert_eq!(r.json["type"], "orginvites.transfer.v1.status_change");
        assert_eq!(r.json["subject"], t.id.as_str());
        assert_eq!(r.json["data"]["transfer"]["id"], t.id.as_str());
    }
    let statuses: Vec<&str> = got
        .iter()
        .map(|r| r.json["data"]["transfer"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "RESPONSIBILITY_TRANSFER_STATUS_REQUESTED",
            "RESPONSIBILITY_TRANSFER_STATUS_ACCEPTED"
        ],
        "commit order"
    );
    // The handshake events (the invitation and the transfer's handshake)
    // matched nothing: the filter named transfer kinds only.
    eventually(
        Duration::from_secs(30),
        "both recorded DELIVERED",
        || async {
            let d = app
                .client
                .clone()
                .list_deliveries(pb::ListDeliveriesRequest {
                    subscription_id: "hooks".into(),
                    ..Default::default()
                })
                .await
                .ok()?
                .into_inner()
                .deliveries;
            (d.len() == 2 && d.iter().all(|d| d.state() == pb::DeliveryState::Delivered))
                .then_some(())
        },
    )
    .await;
    assert_eq!(receiver.received().len(), 2);
}

#[tokio::test]
async fn watch_transfers_resumes_after_a_token_and_filters_by_direction_and_lists_page() {
    let aws = Fakecloud::start().await;
    let app = app_on(aws.clone()).await;
    let mut all = app
        .client
        .clone()
        .watch_transfers(pb::WatchTransfersRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (_other, other_id) = other_org(&aws).await;
        let sent = app
            .client
            .clone()
            .invite_transfer(billing(&other_id))
            .await
            .unwrap()
            .into_inner();
        ids.push(sent.transfer.unwrap().id);
    }
    let first = next_transfer_event(&mut all).await;
    assert_eq!(first.transfer.as_ref().unwrap().id, ids[0]);

    // Resuming after the first event replays the other two, in order.
    let mut resumed = app
        .client
        .clone()
        .watch_transfers(pb::WatchTransfersRequest {
            resume_token: first.resume_token.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    for id in &ids[1..] {
        let e = next_transfer_event(&mut resumed).await;
        assert_eq!(&e.transfer.unwrap().id, id);
        assert!(e.event_id > first.event_id);
    }
    // A watcher of INBOUND only sees the inbound invitation, not the
    // outbound ones replayed from the start.
    let mut inbound_only = app
        .client
        .clone()
        .watch_transfers(pb::WatchTransfersRequest {
            resume_token: first.resume_token.clone(),
            directions: vec![pb::TransferDirection::Inbound as i32],
        })
        .await
        .unwrap()
        .into_inner();
    let (from, _) = other_org(&aws).await;
    invite_us(&from, "inbound one").await;
    let e = next_transfer_event(&mut inbound_only).await;
    assert_eq!(
        e.transfer.unwrap().direction(),
        pb::TransferDirection::Inbound
    );

    // A handshake watch's token is not a transfer token.
    let bad = app
        .client
        .clone()
        .watch_transfers(pb::WatchTransfersRequest {
            resume_token: org_invites::watch::encode_resume_token(first.event_id),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);

    // Newest first, two a page; the token carries on, and refuses other filters.
    let page = |token: String, direction: pb::TransferDirection| pb::ListTransfersRequest {
        direction: direction as i32,
        page_size: 2,
        page_token: token,
        ..Default::default()
    };
    let one = app
        .client
        .clone()
        .list_transfers(page(String::new(), pb::TransferDirection::Outbound))
        .await
        .unwrap()
        .into_inner();
    let got: Vec<&str> = one.transfers.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(got, [ids[2].as_str(), ids[1].as_str()]);
    assert!(!one.next_page_token.is_empty());
    let two = app
        .client
        .clone()
        .list_transfers(page(
            one.next_page_token.clone(),
            pb::TransferDirection::Outbound,
        ))
        .await
        .unwrap()
        .into_inner();
    let got: Vec<&str> = two.transfers.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(got, [ids[0].as_str()]);
    assert!(two.next_page_token.is_empty());
    let other_filter = app
        .client
        .clone()
        .list_transfers(page(one.next_page_token, pb::TransferDirection::Inbound))
        .await
        .unwrap_err();
    assert_eq!(violations(&other_filter), ["page_token"]);
}

/// The service and fakecloud on one libfaketime clock: an invitation made
/// six days before its start is not warned about, until the clock reaches
/// the last 72 hours before its acceptance deadline; then once, also after
/// the replica is restarted.
#[tokio::test]
async fn the_deadline_warning_follows_the_clock_the_service_and_aws_share() {
    use crate::{binary::BIN, process::*};
    let (aws, clock) = Fakecloud::start_with_clock().await;
    let start = start_in_two_months();
    clock.set(&offset_to(start - chrono::Duration::days(6)));
    let (_other, other_id) = other_org(&aws).await;
    let db = fresh_database().await;
    let mut spec = ReplicaSpec::new(BIN, &db, &aws.endpoint);
    spec.env = clock.env();
    spec.args = vec!["--poll-interval".into(), "1s".into()];
    let replica = spec.start("on-the-clock").await;
    let mut client = serving(&replica).await;
    // Six days before the start, by the shared clock: a valid start, and
    // its deadline (five days away) is not yet within 72 hours.
    let sent = client
        .invite_transfer(billing(&other_id))
        .await
        .unwrap()
        .into_inner();
    let id = sent.transfer.unwrap().id;
    let mut watch = client
        .watch_transfers(pb::WatchTransfersRequest::default())
        .await
        .unwrap()
        .into_inner();
    // A pass has run once an inbound invitation is adopted: still no warning.
    let (from, _) = other_org(&aws).await;
    invite_us(&from, "pass marker").await;
    let marker = next_transfer_event(&mut watch).await;
    assert_eq!(marker.transfer.unwrap().name, "pass marker");
    let got = client
        .get_transfer(pb::GetTransferRequest { id: id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert!(got.deadline_warning_time.is_none(), "not yet: {got:?}");

    // Two days before the deadline: within 72 hours.
    clock.set(&offset_to(start - chrono::Duration::days(3)));
    let mut warned = Vec::new();
    while warned.len() < 2 {
        let e = next_transfer_event(&mut watch).await;
        assert_eq!(e.kind(), pb::TransferEventKind::DeadlineSoon, "{e:?}");
        warned.push(e.transfer.unwrap().id);
    }
    assert!(warned.contains(&id), "{warned:?}");
    let status = client
        .get_transfer(pb::GetTransferRequest { id: id.clone() })
        .await
        .unwrap()
        .into_inner()
        .status();
    assert_eq!(
        status,
        pb::ResponsibilityTransferStatus::Requested,
        "AWS has not expired it"
    );

    // Restarted, on the same clock: no second warning.
    replica.signal("KILL");
    replica.exited().await;
    let replica = spec.start("restarted").await;
    let mut client = serving(&replica).await;
    let (from, _) = other_org(&aws).await;
    invite_us(&from, "second marker").await;
    eventually(Duration::from_secs(60), "a pass after the restart", || {
        let mut client = client.clone();
        async move {
            let all = client
                .list_transfers(pb::ListTransfersRequest::default())
                .await
                .ok()?
                .into_inner()
                .transfers;
            all.iter().any(|t| t.name == "second marker").then_some(())
        }
    })
    .await;
    let warnings: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM transfer_events WHERE transfer_id = $1 AND kind = 'DEADLINE_SOON'",
    )
    .bind(&id)
    .fetch_one(&sqlx::PgPool::connect_with(db.clone()).await.unwrap())
    .await
    .unwrap();
    assert_eq!(warnings, 1);
    let _ = client.get_transfer(pb::GetTransferRequest { id }).await;
}
