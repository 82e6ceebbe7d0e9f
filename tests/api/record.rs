//! Recording the handshake InviteAccount made: in one round trip when it
//! is new here, by the general upsert when the poller listed it first.
//! Either way one handshake row, one history row, one event whose snapshot
//! is the record as Get returns it, and the intent linked.
use std::time::Duration;

use org_invites::{
    aws::{fake::FakeOrganizations, Organizations},
    domain::{
        EventKind, HandshakeRecord, HandshakeState, Invitation, Notes, OnboardingSpec, ParentId,
        Renewal, RequestId, Tags,
    },
    store::{BeginInvite, Known, Owner, Store},
};

use crate::helpers::*;

/// An invitation with every optional part, so the snapshot shows them all.
fn full_invitation(account: &str) -> Invitation {
    Invitation {
        notes: Notes::parse("welcome, 'quoted'; -- not SQL").unwrap(),
        tags: Tags::parse([("team", "platform"), ("cost-center", "42")]).unwrap(),
        requested_by: Some("svc-onboarding".into()),
        onboarding: Some(OnboardingSpec {
            destination: ParentId::parse("ou-abcd-12345678").unwrap(),
            accept_role: None,
            external_id: None,
            on_accept_failure: Default::default(),
            leave_previous_organization: false,
        }),
        renewal: Some(Renewal::first(2)),
        ..plain_invitation(account)
    }
}

/// A store with an intent for `inv` begun, and the handshake AWS made.
async fn sent(inv: &Invitation, request_id: &RequestId) -> (Store, org_invites::domain::Handshake) {
    let store = Store::connect_lazy(fresh_database().await);
    store.migrate().await.unwrap();
    let begun = store
        .begin_invite(
            request_id,
            inv,
            &Owner::gone(0),
            Duration::from_secs(60),
            serve_defaults().service.quota,
        )
        .await
        .unwrap();
    assert!(matches!(begun, BeginInvite::Started), "{begun:?}");
    let fake = FakeOrganizations::new();
    let made = fake.invite_account(inv).await.unwrap();
    (store, made)
}

/// The one event of `record`, its history and its intent, as stored; the
/// event's snapshot is returned.
async fn check_recorded(
    store: &Store,
    record: &HandshakeRecord,
    request_id: &RequestId,
) -> HandshakeRecord {
    let id = &record.handshake.id;
    let got = store.get_with_history(id).await.unwrap().expect("recorded");
    assert_eq!(
        got.history.iter().map(|s| s.state).collect::<Vec<_>>(),
        [HandshakeState::Open]
    );
    let got = HandshakeRecord {
        history: Vec::new(),
        ..got
    };
    assert_eq!(&got, record, "the call's answer is the stored record");
    let events = store.events_after(0, 10).await.unwrap().events;
    assert_eq!(events.len(), 1, "one event: {events:?}");
    assert_eq!(events[0].kind, EventKind::StateChange);
    assert_eq!(events[0].previous_state, HandshakeState::Unspecified);
    let (status, linked): (String, Option<String>) =
        sqlx::query_as("SELECT status, handshake_id FROM invite_requests WHERE request_id = $1")
            .bind(request_id.as_str())
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), linked.as_deref()),
        ("SENT", Some(id.as_str()))
    );
    events[0].record.clone()
}

#[tokio::test]
async fn a_new_handshake_is_recorded_with_its_event_and_intent_at_once() {
    let inv = full_invitation(&random_account_id());
    let request_id = RequestId::parse("record-new").unwrap();
    let (store, made) = sent(&inv, &request_id).await;

    let record = store
        .complete_invite(&request_id, &inv, &made)
        .await
        .unwrap();
    assert_eq!(record.version, 1);
    assert_eq!(record.notes, inv.notes);
    assert_eq!(record.tags, inv.tags);
    assert_eq!(record.requested_by.as_deref(), Some("svc-onboarding"));
    assert_eq!(record.renewal, inv.renewal);
    assert_eq!(
        record.onboarding.as_ref().map(|o| &o.spec),
        inv.onboarding.as_ref()
    );
    let snapshot = check_recorded(&store, &record, &request_id).await;
    assert_eq!(snapshot, record, "the event's snapshot is the record");

    // Recorded again (a late retry in the background): nothing new.
    let again = store
        .complete_invite(&request_id, &inv, &made)
        .await
        .unwrap();
    assert_eq!(again, record);
    check_recorded(&store, &record, &request_id).await;
}

#[tokio::test]
async fn a_handshake_the_poller_recorded_first_is_linked_without_a_second_event() {
    let inv = full_invitation(&random_account_id());
    let request_id = RequestId::parse("record-after-poller").unwrap();
    let (store, made) = sent(&inv, &request_id).await;
    // The poller's sweep listed it before the call came back.
    let (_, event) = store
        .save_handshake(&made, &Known::from_aws(&made))
        .await
        .unwrap();
    let first = event.expect("the poller's event").record;

    let record = store
        .complete_invite(&request_id, &inv, &made)
        .await
        .unwrap();
    assert_eq!(record.notes, inv.notes, "what the call knew is kept");
    assert_eq!(record.request_id.as_deref(), Some(request_id.as_str()));
    let snapshot = check_recorded(&store, &record, &request_id).await;
    assert_eq!(snapshot, first, "no second event: the state did not change");
}
