//! Outbound billing transfers: sent, accepted by the other side, withdrawn,
//! renamed, adopted when made elsewhere, refused when bad, sent once per
//! request_id (also across a kill -9), and not undone by an older list.
use std::time::Duration;

use aws_sdk_organizations::types as sdk;
use chrono::{TimeZone, Utc};
use org_invites::proto::v1 as pb;
use tonic::Code;

use super::*;

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

/// A retry that takes over an abandoned attempt looks for what it sent in
/// AWS; an earlier transfer of the same shape (since withdrawn) made by
/// another request is not it, so this one is sent.
#[tokio::test]
async fn a_taken_over_attempt_does_not_claim_another_requests_transfer() {
    use org_invites::domain::{InviteTarget, Notes, PartyType, RequestId, Tags, TransferInvite};
    let aws = Fakecloud::start().await;
    let (_other, other_id) = other_org(&aws).await;
    let app = app_on(aws.clone()).await;
    let first = billing(&other_id);
    let earlier = app
        .client
        .clone()
        .invite_transfer(first.clone())
        .await
        .unwrap()
        .into_inner()
        .transfer
        .unwrap();
    app.client
        .clone()
        .withdraw_transfer(pb::WithdrawTransferRequest {
            id: earlier.id.clone(),
            end_time: None,
        })
        .await
        .unwrap();
    // Another request of the same shape, whose attempt was abandoned (its
    // replica gone, its grace long past) before anything was recorded.
    let second = pb::InviteTransferRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        ..first
    };
    let invite = TransferInvite {
        target: InviteTarget::parse(PartyType::Account, &other_id).unwrap(),
        start_time: start_in_two_months(),
        source_name: second.source_name.clone(),
        notes: Notes::parse(&second.notes).unwrap(),
        tags: Tags::parse(std::iter::empty()).unwrap(),
        request_id: RequestId::parse(&second.request_id).ok(),
        requested_by: None,
    };
    sqlx::query(
        "INSERT INTO transfer_requests (request_id, status, digest, target_type, target_id,
             start_time, source_name, notes, tags, attempt_time)
         VALUES ($1, 'PENDING', $2, 'ACCOUNT', $3, $4, $5, $6, '[]', now() - interval '1 hour')",
    )
    .bind(&second.request_id)
    .bind(invite.digest())
    .bind(&other_id)
    .bind(start_in_two_months())
    .bind(&second.source_name)
    .bind(&second.notes)
    .execute(&app.db)
    .await
    .unwrap();
    let answer = app
        .client
        .clone()
        .invite_transfer(second.clone())
        .await
        .unwrap()
        .into_inner()
        .transfer
        .unwrap();
    assert_ne!(answer.id, earlier.id, "not the earlier request's transfer");
    assert_eq!(answer.status(), pb::ResponsibilityTransferStatus::Requested);
    assert_eq!(answer.request_id, second.request_id);
    assert_eq!(aws_outbound(&aws).await.len(), 2);
}

/// DescribeResponsibilityTransfer fails (5xx) right after AWS made the
/// transfer: InviteTransfer still answers with the transfer as the request
/// and the handshake tell, and the next sweep completes it from AWS's list.
#[tokio::test]
async fn a_transfer_that_cannot_be_described_at_once_is_recorded_and_completed_by_the_sweep() {
    use org_invites::aws::{Around, AwsError, Call, Decorated, Operation};

    struct DescribeFails;
    impl Around for DescribeFails {
        fn around<'a, T: Send + 'a>(&'a self, op: Operation, call: Call<'a, T>) -> Call<'a, T> {
            if op == Operation::DescribeResponsibilityTransfer {
                return Box::pin(async { Err(AwsError::new("ServiceException", None, "down")) });
            }
            call
        }
    }
    let aws = Fakecloud::start().await;
    let (_other, other_id) = other_org(&aws).await;
    let app = spawn_app_with(
        fresh_database().await,
        AppOptions {
            fakecloud: Some(aws.clone()),
            aws: Some(std::sync::Arc::new(Decorated::with(
                aws.organizations(),
                DescribeFails,
            ))),
            ..AppOptions::default()
        },
    )
    .await;
    let sent = app
        .client
        .clone()
        .invite_transfer(billing(&other_id))
        .await
        .unwrap()
        .into_inner();
    let t = sent.transfer.unwrap();
    assert_eq!(t.status(), pb::ResponsibilityTransferStatus::Requested);
    assert_eq!(t.name, "Acme billing");
    assert_eq!(t.target.as_ref().unwrap().management_account_id, other_id);
    assert!(t.arn.is_empty(), "not described yet: {t:?}");
    let completed = eventually(
        Duration::from_secs(30),
        "the sweep completes it",
        || async { get(&app, &t.id).await.ok().filter(|r| !r.arn.is_empty()) },
    )
    .await;
    assert_eq!(completed.source.unwrap().management_account_id, MANAGEMENT);
    assert_eq!(completed.request_id, t.request_id, "still the request's");
    assert_eq!(aws_outbound(&aws).await.len(), 1);
}

/// AWS throttles the transfer lists: the sweep backs off, tries again and
/// still adopts what was made elsewhere.
#[tokio::test]
async fn throttled_transfer_lists_are_retried_and_the_transfer_still_adopted() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use org_invites::aws::{Around, AwsError, Call, Decorated, Operation};

    struct ThrottleLists(std::sync::Arc<AtomicUsize>);
    impl Around for ThrottleLists {
        fn around<'a, T: Send + 'a>(&'a self, op: Operation, call: Call<'a, T>) -> Call<'a, T> {
            let list = matches!(
                op,
                Operation::ListOutboundResponsibilityTransfers
                    | Operation::ListInboundResponsibilityTransfers
            );
            if list && self.0.fetch_add(1, Ordering::SeqCst) < 3 {
                return Box::pin(async {
                    Err(AwsError::new("TooManyRequestsException", None, "slow down"))
                });
            }
            call
        }
    }
    let aws = Fakecloud::start().await;
    let (_other, other_id) = other_org(&aws).await;
    let lists = std::sync::Arc::new(AtomicUsize::new(0));
    let throttle = std::sync::Arc::new(Decorated::with(
        aws.organizations(),
        ThrottleLists(lists.clone()),
    ));
    let target = sdk::HandshakeParty::builder()
        .id(&other_id)
        .r#type(sdk::HandshakePartyType::Account)
        .build()
        .unwrap();
    aws.management_client()
        .invite_organization_to_transfer_responsibility()
        .r#type(sdk::ResponsibilityTransferType::Billing)
        .target(target)
        .start_timestamp(aws_smithy_types::DateTime::from_secs(
            start_in_two_months().timestamp(),
        ))
        .source_name("made while throttled")
        .send()
        .await
        .unwrap();
    let app = spawn_app_with(
        fresh_database().await,
        AppOptions {
            fakecloud: Some(aws.clone()),
            aws: Some(throttle),
            ..AppOptions::default()
        },
    )
    .await;
    let adopted = eventually(
        Duration::from_secs(60),
        "adopted after the throttling",
        || async { list(&app, pb::TransferDirection::Outbound).await.pop() },
    )
    .await;
    assert_eq!(adopted.name, "made while throttled");
    assert!(
        lists.load(Ordering::SeqCst) > 3,
        "three lists were refused before one went through"
    );
}
