//! WatchHandshake and WatchHandshakes against fakecloud: the invited
//! account accepts or declines, and watchers see it.
use std::time::Duration;

use tonic::Code;

use crate::helpers::*;
use org_invites::proto::v1 as pb;

#[tokio::test]
async fn a_watcher_sees_open_then_accepted_and_the_stream_ends() {
    let app = spawn_app().await;
    let account = random_account_id();
    let h = app.invite(invite_account(&account)).await.unwrap();
    let mut stream = app.watch(&h.id).await;

    let first = next_event(&mut stream).await.expect("the current state");
    assert_eq!(state_of(&first), pb::HandshakeState::Open);
    assert_eq!(first.event_id, 0);

    app.aws.accept(&account, &h.id).await;

    let change = next_event(&mut stream).await.expect("the change");
    assert_eq!(state_of(&change), pb::HandshakeState::Accepted);
    assert_eq!(change.previous_state, pb::HandshakeState::Open as i32);
    assert!(change.event_id > 0);
    assert!(!change.resume_token.is_empty());
    assert!(
        next_event(&mut stream).await.is_none(),
        "the stream ends after ACCEPTED"
    );

    let got = app
        .client
        .clone()
        .get_handshake(pb::GetHandshakeRequest { id: h.id })
        .await
        .unwrap()
        .into_inner();
    let history: Vec<i32> = got.state_history.iter().map(|s| s.state).collect();
    assert_eq!(
        history,
        [
            pb::HandshakeState::Open as i32,
            pb::HandshakeState::Accepted as i32
        ]
    );
}

#[tokio::test]
async fn a_watcher_sees_a_decline() {
    let app = spawn_app().await;
    let account = random_account_id();
    let h = app.invite(invite_account(&account)).await.unwrap();
    let mut stream = app.watch(&h.id).await;
    assert_eq!(
        state_of(&next_event(&mut stream).await.unwrap()),
        pb::HandshakeState::Open
    );
    app.aws.decline(&account, &h.id).await;
    assert_eq!(
        state_of(&next_event(&mut stream).await.unwrap()),
        pb::HandshakeState::Declined
    );
    assert!(next_event(&mut stream).await.is_none());
}

#[tokio::test]
async fn a_watcher_sees_a_cancel_made_through_the_service() {
    let app = spawn_app().await;
    let h = app
        .invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let mut stream = app.watch(&h.id).await;
    assert_eq!(
        state_of(&next_event(&mut stream).await.unwrap()),
        pb::HandshakeState::Open
    );
    app.cancel(&h.id).await;
    let change = next_event(&mut stream).await.unwrap();
    assert_eq!(state_of(&change), pb::HandshakeState::Canceled);
    assert!(next_event(&mut stream).await.is_none());
}

#[tokio::test]
async fn watching_a_closed_handshake_gives_one_message_and_ends() {
    let app = spawn_app().await;
    let h = app
        .invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    app.cancel(&h.id).await;
    let mut stream = app.watch(&h.id).await;
    assert_eq!(
        state_of(&next_event(&mut stream).await.unwrap()),
        pb::HandshakeState::Canceled
    );
    assert!(next_event(&mut stream).await.is_none());
}

#[tokio::test]
async fn watching_an_unknown_or_malformed_id_fails_at_once() {
    let app = spawn_app().await;
    let mut client = app.client.clone();
    let err = client
        .watch_handshake(pb::WatchHandshakeRequest {
            id: "h-0000000000".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = client
        .watch_handshake(pb::WatchHandshakeRequest { id: "nope".into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violations(&err), ["id"]);
}

#[tokio::test]
async fn the_org_wide_watch_announces_handshakes_made_elsewhere_and_resumes() {
    let app = spawn_app().await;
    let mut all = app
        .client
        .clone()
        .watch_handshakes(pb::WatchHandshakesRequest::default())
        .await
        .unwrap()
        .into_inner();

    // Made through the service, then from outside it (as with the AWS CLI).
    let ours = app
        .invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let theirs_account = random_account_id();
    app.aws
        .management_client()
        .invite_account_to_organization()
        .target(
            aws_sdk_organizations::types::HandshakeParty::builder()
                .id(&theirs_account)
                .r#type(aws_sdk_organizations::types::HandshakePartyType::Account)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let first = next_event(&mut all).await.unwrap();
    assert_eq!(first.handshake.as_ref().unwrap().id, ours.id);
    assert_eq!(first.previous_state, pb::HandshakeState::Unspecified as i32);
    let second = next_event(&mut all).await.unwrap();
    let adopted = second.handshake.as_ref().unwrap();
    assert_eq!(
        adopted.target.as_ref().unwrap().id,
        theirs_account,
        "adopted"
    );
    assert!(second.event_id > first.event_id, "commit order");
    drop(all);

    // Resuming after the first event replays the second.
    let mut resumed = app
        .client
        .clone()
        .watch_handshakes(pb::WatchHandshakesRequest {
            resume_token: first.resume_token.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let replayed = next_event(&mut resumed).await.unwrap();
    assert_eq!(replayed.event_id, second.event_id);
    assert_eq!(replayed.handshake, second.handshake);

    // Filtered to CANCELED: only the cancel shows.
    let mut canceled = app
        .client
        .clone()
        .watch_handshakes(pb::WatchHandshakesRequest {
            resume_token: first.resume_token,
            states: vec![pb::HandshakeState::Canceled as i32],
        })
        .await
        .unwrap()
        .into_inner();
    app.cancel(&ours.id).await;
    let only = next_event(&mut canceled).await.unwrap();
    assert_eq!(only.handshake.as_ref().unwrap().id, ours.id);
    assert_eq!(state_of(&only), pb::HandshakeState::Canceled);
}

#[tokio::test]
async fn bad_resume_tokens_are_clear_errors() {
    let app = spawn_app().await;
    let mut client = app.client.clone();
    let err = client
        .watch_handshakes(pb::WatchHandshakesRequest {
            resume_token: "garbage!".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violations(&err), ["resume_token"]);
    let ahead = org_invites::watch::encode_resume_token(1_000_000);
    let err = client
        .watch_handshakes(pb::WatchHandshakesRequest {
            resume_token: ahead,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn a_resume_token_older_than_the_kept_events_is_out_of_range() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.invite(invite_account(&random_account_id()))
            .await
            .unwrap();
    }
    let ids: Vec<i64> = sqlx::query_scalar("SELECT event_id FROM handshake_events ORDER BY 1")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(ids.len(), 3, "one event per new handshake");
    let store = org_invites::store::Store::connect_lazy(app.db_options.clone());
    let deleted = store.prune_events(Duration::ZERO).await.unwrap();
    assert_eq!(deleted, 2, "all but the newest");

    let resume = |id: i64| pb::WatchHandshakesRequest {
        resume_token: org_invites::watch::encode_resume_token(id),
        ..Default::default()
    };
    let mut client = app.client.clone();
    let err = client.watch_handshakes(resume(ids[0])).await.unwrap_err();
    assert_eq!(err.code(), Code::OutOfRange, "{err:?}");
    assert!(
        err.message().contains("empty resume_token"),
        "{}",
        err.message()
    );
    // A token just before what is kept still replays it.
    let mut stream = client
        .watch_handshakes(resume(ids[1]))
        .await
        .expect("resumes")
        .into_inner();
    let replayed = next_event(&mut stream).await.unwrap();
    assert_eq!(replayed.event_id, ids[2]);
}

#[tokio::test]
async fn shutdown_ends_open_streams_with_unavailable() {
    let app = spawn_app().await;
    let h = app
        .invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let mut stream = app.watch(&h.id).await;
    next_event(&mut stream).await.unwrap();
    let stopping = tokio::spawn(app.stop());
    let err = tokio::time::timeout(Duration::from_secs(30), stream.message())
        .await
        .expect("the stream ends")
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    stopping.await.unwrap();
}

#[tokio::test]
async fn an_invitation_expiring_in_aws_reaches_the_watcher() {
    // fakecloud expires invitations 15 days after they are sent, by its own
    // clock: libfaketime moves that clock forward.
    let (fakecloud, clock) = Fakecloud::start_with_clock().await;
    let app = spawn_app_with(
        fresh_database().await,
        AppOptions {
            fakecloud: Some(fakecloud),
            ..Default::default()
        },
    )
    .await;
    let h = app
        .invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let mut stream = app.watch(&h.id).await;
    assert_eq!(
        state_of(&next_event(&mut stream).await.unwrap()),
        pb::HandshakeState::Open
    );

    clock.set("+16d");
    let change = next_event(&mut stream).await.unwrap();
    assert_eq!(state_of(&change), pb::HandshakeState::Expired);
    assert!(next_event(&mut stream).await.is_none());
}

#[tokio::test]
async fn a_watcher_too_slow_for_the_hub_is_caught_up_from_postgres() {
    use org_invites::{
        domain::{HandshakeEvent, HandshakeState},
        metrics::Metrics,
        store::{Known, Store},
        watch::{Change, Hub, Watches},
    };
    use tokio_stream::StreamExt as _;

    let store = Store::connect_lazy(fresh_database().await);
    store.migrate().await.unwrap();
    let fake = org_invites::aws::fake::FakeOrganizations::new();
    let id = fake.add_open(&random_account_id());
    let mut aws = org_invites::aws::Organizations::describe_handshake(&fake, &id)
        .await
        .unwrap();
    let (first, _) = store.save_handshake(&aws, &Known::default()).await.unwrap();

    // A hub that holds one change: two changes before the watcher reads
    // make it lag.
    let hub = Hub::with_capacity(1);
    let watches = Watches::new(
        store.clone(),
        hub.clone(),
        Metrics::new(),
        tokio_util::sync::CancellationToken::new(),
    );
    let mut stream = watches.one(hub.subscribe_to(&first.handshake.id), first.clone());
    let Change::Current { record, .. } = stream.next().await.unwrap().unwrap() else {
        panic!("a watch starts with the handshake as it is");
    };
    assert_eq!(record.handshake.state, HandshakeState::Open);

    aws.state = HandshakeState::Accepted;
    let (_, accepted) = store.save_handshake(&aws, &Known::default()).await.unwrap();
    let accepted: HandshakeEvent = accepted.expect("a state change is an event");
    // The change, then stale news that pushes it out of the one-slot buffer:
    // only Postgres still has the change for this watcher.
    let mut stale = accepted.clone();
    stale.event_id += 1_000;
    stale.record.version = 0;
    hub.publish(accepted);
    hub.publish(stale);

    let caught_up = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("the lagging watcher hears")
        .unwrap()
        .unwrap();
    // Read back from Postgres: the state now, not a recorded event.
    let Change::Current { record, previous } = caught_up else {
        panic!("caught up from Postgres, not from the hub: {caught_up:?}");
    };
    assert_eq!(record.handshake.state, HandshakeState::Accepted);
    assert_eq!(previous, HandshakeState::Open);
    assert!(
        stream.next().await.is_none(),
        "the terminal state ends the stream"
    );
}
