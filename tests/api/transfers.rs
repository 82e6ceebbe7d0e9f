//! Billing transfers (TRANSFER_RESPONSIBILITY) against fakecloud, with a
//! second organization made by another account's credentials: sent,
//! accepted by the other side, withdrawn, renamed, adopted when made
//! elsewhere, received (INBOUND) and answered, refused when bad, sent once
//! per request_id, and warned about once before the acceptance deadline.
use std::{sync::Arc, time::Duration};

use aws_sdk_organizations::{types as sdk, Client as AwsClient};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use org_invites::proto::v1 as pb;
use tonic::Code;

use crate::{helpers::*, leave::second_organization};

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

fn ts(t: DateTime<Utc>) -> prost_types::Timestamp {
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

async fn app_on(fakecloud: Arc<Fakecloud>) -> TestApp {
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
async fn invite_us(from: &AwsClient, name: &str) -> String {
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

async fn get(app: &TestApp, id: &str) -> Result<pb::ResponsibilityTransfer, tonic::Status> {
    let req = pb::GetTransferRequest { id: id.into() };
    Ok(app.client.clone().get_transfer(req).await?.into_inner())
}

async fn list(app: &TestApp, direction: pb::TransferDirection) -> Vec<pb::ResponsibilityTransfer> {
    let req = pb::ListTransfersRequest {
        direction: direction as i32,
        ..Default::default()
    };
    let out = app.client.clone().list_transfers(req).await.unwrap();
    out.into_inner().transfers
}

async fn next_transfer_event(
    stream: &mut tonic::Streaming<pb::TransferEvent>,
) -> pb::TransferEvent {
    tokio::time::timeout(Duration::from_secs(30), stream.message())
        .await
        .expect("a transfer event within 30 s")
        .expect("the stream is healthy")
        .expect("the stream goes on")
}

/// What fakecloud lists as this organization's outbound transfers.
async fn aws_outbound(aws: &Fakecloud) -> Vec<sdk::ResponsibilityTransfer> {
    aws.management_client()
        .list_outbound_responsibility_transfers()
        .r#type(sdk::ResponsibilityTransferType::Billing)
        .send()
        .await
        .unwrap()
        .responsibility_transfers()
        .to_vec()
}

#[tokio::test]
async fn a_transfer_is_sent_recorded_accepted_by_the_other_side_and_streamed() {
    let aws = Fakecloud::start().await;
    let (_other, other_id) = other_org(&aws).await;
    let app = app_on(aws.clone()).await;
    let mut watch = app
        .client
        .clone()
        .watch_transfers(pb::WatchTransfersRequest::default())
        .await
        .unwrap()
        .into_inner();

    let sent = app
        .client
        .clone()
        .invite_transfer(billing(&other_id))
        .await
        .unwrap()
        .into_inner();
    let (h, t) = (sent.handshake.unwrap(), sent.transfer.unwrap());
    assert_eq!(h.state(), pb::HandshakeState::Open);
    assert_eq!(h.action(), pb::HandshakeAction::TransferResponsibility);
    assert_eq!(h.transfer_id, t.id, "the handshake names its transfer");
    assert!(t.id.starts_with("rt-"), "{}", t.id);
    assert_eq!(t.status(), pb::ResponsibilityTransferStatus::Requested);
    assert_eq!(t.direction(), pb::TransferDirection::Outbound);
    assert_eq!(t.name, "Acme billing");
    assert_eq!(t.active_handshake_id, h.id);
    assert_eq!(t.status_history.len(), 1, "REQUESTED, first seen now");
    assert_eq!(t.requested_by, "", "no authentication in this test");
    assert_eq!(t.target.as_ref().unwrap().management_account_id, other_id);
    assert_eq!(t.source.as_ref().unwrap().management_account_id, MANAGEMENT);
    assert_eq!(
        t.start_time.unwrap().seconds,
        start_in_two_months().timestamp()
    );
    assert_eq!(
        t.accept_deadline_time.unwrap().seconds,
        start_in_two_months().timestamp() - 86400
    );
    let first = next_transfer_event(&mut watch).await;
    assert_eq!(first.kind(), pb::TransferEventKind::StatusChange);
    assert_eq!(
        first.previous_status(),
        pb::ResponsibilityTransferStatus::Unspecified
    );
    assert_eq!(first.transfer.unwrap().id, t.id);

    // GetHandshake and ListHandshakes show it as an ordinary handshake.
    let got = app.get_handshake(&h.id).await.unwrap();
    assert_eq!(got.transfer_id, t.id);
    let mut handshake_watch = app.watch(&h.id).await;
    assert_eq!(
        state_of(&next_event(&mut handshake_watch).await.unwrap()),
        pb::HandshakeState::Open
    );

    // The other organization's management account accepts, as itself.
    aws.accept(&other_id, &h.id).await;
    let accepted = next_transfer_event(&mut watch).await;
    assert_eq!(
        accepted.previous_status(),
        pb::ResponsibilityTransferStatus::Requested
    );
    let after = accepted.transfer.unwrap();
    assert_eq!(after.status(), pb::ResponsibilityTransferStatus::Accepted);
    assert_eq!(
        after.active_handshake_id, h.id,
        "the last handshake stays named after AWS drops it"
    );
    let handshake_accepted = next_event(&mut handshake_watch).await.unwrap();
    assert_eq!(state_of(&handshake_accepted), pb::HandshakeState::Accepted);

    let got = get(&app, &t.id).await.unwrap();
    let history: Vec<_> = got.status_history.iter().map(|s| s.status()).collect();
    assert_eq!(
        history,
        [
            pb::ResponsibilityTransferStatus::Requested,
            pb::ResponsibilityTransferStatus::Accepted
        ]
    );
    let metrics = scrape(&app).await;
    assert_eq!(
        metric_value(
            &metrics,
            r#"org_invites_transfers{direction="OUTBOUND",status="ACCEPTED"}"#
        ),
        Some(1.0),
        "{metrics}"
    );
    let (_, _, body) =
        http_request(app.http_addr.unwrap(), "GET", "/api/transfers", &[], b"").await;
    let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(page["transfers"][0]["id"], t.id.as_str(), "{page}");
    assert_eq!(page["transfers"][0]["status"], "ACCEPTED", "{page}");
}

#[tokio::test]
async fn a_withdrawn_transfer_is_withdrawn_and_its_handshake_canceled_and_a_rename_is_kept() {
    let aws = Fakecloud::start().await;
    let (_other, other_id) = other_org(&aws).await;
    let app = app_on(aws.clone()).await;
    let sent = app
        .client
        .clone()
        .invite_transfer(billing(&other_id))
        .await
        .unwrap()
        .into_inner();
    let (h, t) = (sent.handshake.unwrap(), sent.transfer.unwrap());

    let renamed = app
        .client
        .clone()
        .rename_transfer(pb::RenameTransferRequest {
            id: t.id.clone(),
            name: "Acme consolidated".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(renamed.name, "Acme consolidated");
    let bad_name = app
        .client
        .clone()
        .rename_transfer(pb::RenameTransferRequest {
            id: t.id.clone(),
            name: "x".repeat(129),
        })
        .await
        .unwrap_err();
    assert_eq!(bad_name.code(), Code::InvalidArgument);

    let withdrawn = app
        .client
        .clone()
        .withdraw_transfer(pb::WithdrawTransferRequest {
            id: t.id.clone(),
            end_time: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        withdrawn.status(),
        pb::ResponsibilityTransferStatus::Withdrawn
    );
    assert!(withdrawn.end_time.is_some());
    assert_eq!(withdrawn.name, "Acme consolidated");
    let handshake = app.get_handshake(&h.id).await.unwrap();
    assert_eq!(handshake.state(), pb::HandshakeState::Canceled);

    // A second withdrawal: AWS's own refusal, with its name.
    let again = app
        .client
        .clone()
        .withdraw_transfer(pb::WithdrawTransferRequest {
            id: t.id.clone(),
            end_time: None,
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition, "{again:?}");
    assert_eq!(
        error_info(&again).metadata["aws_error"],
        "ResponsibilityTransferAlreadyInStatusException"
    );
    let unknown = get(&app, "rt-doesnotexist0").await.unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
}

#[tokio::test]
async fn a_transfer_made_directly_in_aws_is_adopted_with_its_handshake() {
    let aws = Fakecloud::start().await;
    let (_other, other_id) = other_org(&aws).await;
    let app = app_on(aws.clone()).await;
    let target = sdk::HandshakeParty::builder()
        .id(&other_id)
        .r#type(sdk::HandshakePartyType::Account)
        .build()
        .unwrap();
    let made = aws
        .management_client()
        .invite_organization_to_transfer_responsibility()
        .r#type(sdk::ResponsibilityTransferType::Billing)
        .target(target)
        .start_timestamp(aws_smithy_types::DateTime::from_secs(
            start_in_two_months().timestamp(),
        ))
        .source_name("made in the console")
        .send()
        .await
        .unwrap();
    let handshake_id = made.handshake().unwrap().id().unwrap().to_string();

    let adopted = eventually(Duration::from_secs(30), "the transfer adopted", || async {
        list(&app, pb::TransferDirection::Outbound).await.pop()
    })
    .await;
    assert_eq!(adopted.name, "made in the console");
    assert_eq!(adopted.active_handshake_id, handshake_id);
    assert!(adopted.requested_by.is_empty() && adopted.request_id.is_empty());
    let h = eventually(
        Duration::from_secs(30),
        "its handshake recorded",
        || async { app.get_handshake(&handshake_id).await.ok() },
    )
    .await;
    assert_eq!(h.transfer_id, adopted.id);
    assert!(list(&app, pb::TransferDirection::Inbound).await.is_empty());
}

#[tokio::test]
async fn inbound_invitations_are_listed_then_one_accepted_and_another_declined() {
    let aws = Fakecloud::start().await;
    let (first_org, _) = other_org(&aws).await;
    let (second_org, _) = other_org(&aws).await;
    let app = app_on(aws.clone()).await;
    let accept_me = invite_us(&first_org, "first payer").await;
    let decline_me = invite_us(&second_org, "second payer").await;

    let inbound = eventually(Duration::from_secs(30), "both listed INBOUND", || async {
        let l = list(&app, pb::TransferDirection::Inbound).await;
        (l.len() == 2).then_some(l)
    })
    .await;
    assert!(inbound
        .iter()
        .all(|t| t.direction() == pb::TransferDirection::Inbound
            && t.target.as_ref().unwrap().management_account_id == MANAGEMENT));
    assert!(list(&app, pb::TransferDirection::Outbound).await.is_empty());
    // The other organization's handshake is not in our
    // ListHandshakesForOrganization; it is recorded through the transfer.
    let h = eventually(Duration::from_secs(30), "the inbound handshake", || async {
        app.get_handshake(&accept_me).await.ok()
    })
    .await;
    assert_eq!(h.action(), pb::HandshakeAction::TransferResponsibility);

    let accepted = app
        .client
        .clone()
        .accept_transfer(pb::AcceptTransferRequest {
            handshake_id: accept_me.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        accepted.status(),
        pb::ResponsibilityTransferStatus::Accepted
    );
    assert_eq!(accepted.direction(), pb::TransferDirection::Inbound);
    assert_eq!(accepted.name, "first payer");
    assert_eq!(
        app.get_handshake(&accept_me).await.unwrap().state(),
        pb::HandshakeState::Accepted
    );
    let declined = app
        .client
        .clone()
        .decline_transfer(pb::DeclineTransferRequest {
            handshake_id: decline_me.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        declined.status(),
        pb::ResponsibilityTransferStatus::Declined
    );
    assert_eq!(declined.name, "second payer");
    // AWS agrees.
    let seen_by_sender = first_org
        .list_outbound_responsibility_transfers()
        .r#type(sdk::ResponsibilityTransferType::Billing)
        .send()
        .await
        .unwrap();
    assert_eq!(
        seen_by_sender.responsibility_transfers()[0]
            .status()
            .unwrap()
            .as_str(),
        "ACCEPTED"
    );
}

#[tokio::test]
async fn an_outbound_invitation_cannot_be_answered_here_nor_an_ordinary_one() {
    let aws = Fakecloud::start().await;
    let (_other, other_id) = other_org(&aws).await;
    let app = app_on(aws.clone()).await;
    let sent = app
        .client
        .clone()
        .invite_transfer(billing(&other_id))
        .await
        .unwrap()
        .into_inner();
    let own = app
        .client
        .clone()
        .accept_transfer(pb::AcceptTransferRequest {
            handshake_id: sent.handshake.unwrap().id,
        })
        .await
        .unwrap_err();
    assert_eq!(own.code(), Code::InvalidArgument, "{own:?}");
    let invite = app
        .invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let ordinary = app
        .client
        .clone()
        .decline_transfer(pb::DeclineTransferRequest {
            handshake_id: invite.id,
        })
        .await
        .unwrap_err();
    assert_eq!(ordinary.code(), Code::InvalidArgument, "{ordinary:?}");
    let malformed = app
        .client
        .clone()
        .accept_transfer(pb::AcceptTransferRequest {
            handshake_id: "nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(violations(&malformed), ["handshake_id"]);
    assert_eq!(
        get(&app, &sent.transfer.unwrap().id)
            .await
            .unwrap()
            .status(),
        pb::ResponsibilityTransferStatus::Requested,
        "nothing changed"
    );
}

#[tokio::test]
async fn bad_invitations_are_refused_field_by_field_and_nothing_is_sent() {
    let aws = Fakecloud::start().await;
    let (_other, other_id) = other_org(&aws).await;
    let app = app_on(aws.clone()).await;
    let start = start_in_two_months();
    let past = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
    let tags: Vec<pb::Tag> = (0..51)
        .map(|i| pb::Tag {
            key: format!("k{i}"),
            value: "v".into(),
        })
        .collect();
    let cases: Vec<(&str, pb::InviteTransferRequest, &str)> = vec![
        (
            "not at a month's start",
            pb::InviteTransferRequest {
                start_time: Some(ts(start + chrono::Duration::days(1))),
                ..billing(&other_id)
            },
            "start_time",
        ),
        (
            "in the past",
            pb::InviteTransferRequest {
                start_time: Some(ts(past)),
                ..billing(&other_id)
            },
            "start_time",
        ),
        (
            "empty source_name",
            pb::InviteTransferRequest {
                source_name: String::new(),
                ..billing(&other_id)
            },
            "source_name",
        ),
        (
            "129-character source_name",
            pb::InviteTransferRequest {
                source_name: "n".repeat(129),
                ..billing(&other_id)
            },
            "source_name",
        ),
        ("own management account", billing(MANAGEMENT), "target.id"),
        (
            "51 tags",
            pb::InviteTransferRequest {
                tags,
                ..billing(&other_id)
            },
            "tags",
        ),
        (
            "no type",
            pb::InviteTransferRequest {
                r#type: 0,
                ..billing(&other_id)
            },
            "type",
        ),
    ];
    for (what, req, field) in cases {
        let err = app.client.clone().invite_transfer(req).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{what}: {err:?}");
        assert!(
            violations(&err).iter().any(|v| v == field),
            "{what}: {:?}",
            violations(&err)
        );
    }
    assert!(aws_outbound(&aws).await.is_empty(), "nothing reached AWS");
    assert!(list(&app, pb::TransferDirection::Unspecified)
        .await
        .is_empty());
    let intents: i64 = sqlx::query_scalar("SELECT count(*) FROM transfer_requests")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(intents, 0, "nothing recorded");
}

#[tokio::test]
async fn the_same_request_id_twice_makes_one_transfer() {
    let aws = Fakecloud::start().await;
    let (_other, other_id) = other_org(&aws).await;
    let app = app_on(aws.clone()).await;
    let req = billing(&other_id);
    let first = app
        .client
        .clone()
        .invite_transfer(req.clone())
        .await
        .unwrap();
    let again = app
        .client
        .clone()
        .invite_transfer(req.clone())
        .await
        .unwrap();
    assert_eq!(
        first.into_inner().transfer.unwrap().id,
        again.into_inner().transfer.unwrap().id
    );
    assert_eq!(aws_outbound(&aws).await.len(), 1);
    let other = pb::InviteTransferRequest {
        source_name: "something else".into(),
        ..req
    };
    let reused = app.client.clone().invite_transfer(other).await.unwrap_err();
    assert_eq!(reused.code(), Code::InvalidArgument);
    assert_eq!(error_info(&reused).reason, "REQUEST_ID_REUSED");
    assert_eq!(aws_outbound(&aws).await.len(), 1);
}

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
async fn a_replica_killed_right_after_aws_made_the_transfer_leaves_exactly_one() {
    use crate::{binary::BIN, process::*};
    let aws = Fakecloud::start().await;
    let (_other, other_id) = other_org(&aws).await;
    let db = fresh_database().await;
    let spec = ReplicaSpec::new(BIN, &db, &aws.endpoint);
    let gate = AwsGate::start(&aws.endpoint).await;
    let a = ReplicaSpec {
        aws_endpoint: gate.endpoint.clone(),
        ..spec.clone()
    }
    .start("replica-a")
    .await;
    let b = spec.start("replica-b").await;
    let (mut to_a, to_b) = (serving(&a).await, serving(&b).await);
    let req = billing(&other_id);

    gate.arm(Catch::Swallow);
    let call = tokio::spawn({
        let req = req.clone();
        async move { to_a.invite_transfer(req).await }
    });
    let _caught = gate.caught().await;
    eventually(
        Duration::from_secs(30),
        "AWS to show the transfer",
        || async { (aws_outbound(&aws).await.len() == 1).then_some(()) },
    )
    .await;
    a.signal("KILL");
    a.exited().await;
    assert!(call.await.unwrap().is_err(), "A died before answering");

    let answer = eventually(Duration::from_secs(60), "B to answer the retry", || {
        let (mut client, req) = (to_b.clone(), req.clone());
        async move { client.invite_transfer(req).await }
    })
    .await
    .into_inner();
    let made = aws_outbound(&aws).await;
    assert_eq!(made.len(), 1, "one transfer, never two");
    let t = answer.transfer.unwrap();
    assert_eq!(
        Some(t.id.as_str()),
        made[0].id(),
        "the transfer A's call made"
    );
    assert_eq!(t.request_id, req.request_id);
    let recorded = eventually(Duration::from_secs(30), "one recorded transfer", || {
        let mut client = to_b.clone();
        async move {
            let all = client
                .list_transfers(pb::ListTransfersRequest::default())
                .await
                .ok()?
                .into_inner()
                .transfers;
            (all.len() == 1).then_some(all)
        }
    })
    .await;
    assert_eq!(recorded[0].id, t.id);
    drop(b);
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

/// `at` as a libfaketime offset from the real clock, in seconds.
fn offset_to(at: DateTime<Utc>) -> String {
    format!("{:+}", (at - Utc::now()).num_seconds())
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

/// A sweep's list read before a withdrawal must not undo it when recorded
/// after: what AWS said then is older than the row.
#[tokio::test]
async fn a_list_read_before_a_withdrawal_does_not_undo_it() {
    use org_invites::{
        domain::{Transfer, TransferDirection, TransferId, TransferStatus},
        store::{Store, TransferKnown},
    };
    let aws = Fakecloud::start().await;
    let (_other, other_id) = other_org(&aws).await;
    let app = app_on(aws.clone()).await;
    let store = Store::connect_lazy(app.db_options.clone());
    let sent = app
        .client
        .clone()
        .invite_transfer(billing(&other_id))
        .await
        .unwrap()
        .into_inner();
    let t = sent.transfer.unwrap();
    let read_before = store.db_now().await.unwrap();
    app.client
        .clone()
        .withdraw_transfer(pb::WithdrawTransferRequest {
            id: t.id.clone(),
            end_time: None,
        })
        .await
        .unwrap();
    let stale = Transfer {
        id: TransferId::parse(&t.id).unwrap(),
        arn: t.arn.clone(),
        name: t.name.clone(),
        kind: "BILLING".into(),
        status: TransferStatus::Requested,
        source: Default::default(),
        target: Default::default(),
        start_time: start_in_two_months(),
        end_time: None,
        active_handshake_id: None,
    };
    let saved = store
        .save_transfer(
            &stale,
            TransferDirection::Outbound,
            &TransferKnown::default(),
            Some(read_before),
        )
        .await
        .unwrap();
    assert!(saved.is_none(), "the older list was not recorded");
    assert_eq!(
        get(&app, &t.id).await.unwrap().status(),
        pb::ResponsibilityTransferStatus::Withdrawn
    );
}

/// With authentication: the inviter's InviteTransfer names it in
/// requested_by; answering another organization's invitation is the
/// admin's alone, and the inviter's attempt changes nothing.
#[tokio::test]
async fn the_inviter_is_recorded_and_only_an_admin_answers_an_inbound_invitation() {
    use org_invites::auth::{token_line, Role};

    use crate::auth::client_with;
    let file = identities_file();
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(&format!(
        "{}\n",
        token_line(Role::Admin, "billing-admins", "admin-token")
    ));
    std::fs::write(&file, text).unwrap();
    let app = spawn_secured(Some(file)).await;
    let (_other, other_id) = other_org(&app.aws).await;
    let mut inviter = client_with(&app, Some("inviter-token")).await;
    let sent = inviter
        .invite_transfer(billing(&other_id))
        .await
        .unwrap()
        .into_inner();
    let t = sent.transfer.unwrap();
    assert_eq!(t.requested_by, "account-factory");
    let h = sent.handshake.unwrap();
    assert_eq!(h.requested_by, "account-factory");

    let (from, _) = other_org(&app.aws).await;
    let inbound = invite_us(&from, "payer").await;
    let refused = inviter
        .accept_transfer(pb::AcceptTransferRequest {
            handshake_id: inbound.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let mut admin = client_with(&app, Some("admin-token")).await;
    let accepted = admin
        .accept_transfer(pb::AcceptTransferRequest {
            handshake_id: inbound,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        accepted.status(),
        pb::ResponsibilityTransferStatus::Accepted
    );
}
