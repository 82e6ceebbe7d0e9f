//! The sweep against the in-process fake: throttling, empty pages, 5xx,
//! many handshakes, and Describe only for what the list no longer shows.
use std::{sync::atomic::Ordering, sync::Arc, time::Duration};

use org_invites::{
    aws::fake::FakeOrganizations,
    domain::HandshakeState,
    poller::TokenBucket,
    service::{Invitations, SweepReport},
    store::Store,
};
use tokio_util::sync::CancellationToken;

use crate::helpers::*;

async fn invitations_over(fake: Arc<FakeOrganizations>) -> Invitations {
    let store = Store::connect_lazy(fresh_database().await);
    store.migrate().await.unwrap();
    Invitations::new(store, fake, Duration::from_secs(60))
}

async fn sweep(invitations: &Invitations) -> Result<SweepReport, org_invites::service::Error> {
    invitations
        .sweep(
            &TokenBucket::list_handshakes(),
            &TokenBucket::describe_handshake(),
            &CancellationToken::new(),
        )
        .await
}

async fn stored(invitations: &Invitations) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM handshakes")
        .fetch_one(invitations.store().pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn many_handshakes_cost_one_list_call_per_twenty_and_no_describe() {
    let fake = Arc::new(FakeOrganizations::new().with_aws_rates());
    for _ in 0..1000 {
        fake.add_open(&random_account_id());
    }
    let invitations = invitations_over(fake.clone()).await;
    let report = sweep(&invitations).await.unwrap();
    assert_eq!(report.list_calls, 50);
    assert_eq!(report.describe_calls, 0);
    assert_eq!(report.throttled, 0, "paced inside AWS's rate");
    assert_eq!(report.changes, 1000, "all adopted");
    assert_eq!(stored(&invitations).await, 1000);

    let again = sweep(&invitations).await.unwrap();
    assert_eq!(again.changes, 0, "nothing new the second time");
}

#[tokio::test]
async fn empty_pages_with_a_next_token_are_followed() {
    let fake = Arc::new(FakeOrganizations::new());
    fake.empty_pages_before_each(2);
    for _ in 0..45 {
        fake.add_open(&random_account_id());
    }
    let invitations = invitations_over(fake.clone()).await;
    let report = sweep(&invitations).await.unwrap();
    assert_eq!(stored(&invitations).await, 45);
    assert_eq!(report.list_calls, 9, "3 pages, each after 2 empty ones");
}

#[tokio::test]
async fn throttling_is_waited_out_not_given_up() {
    let fake = Arc::new(FakeOrganizations::new().with_list_rate(4.0, 1.0));
    for _ in 0..60 {
        fake.add_open(&random_account_id());
    }
    let invitations = invitations_over(fake.clone()).await;
    let report = sweep(&invitations).await.unwrap();
    assert!(report.throttled > 0, "{report:?}");
    assert_eq!(
        fake.calls.throttled.load(Ordering::Relaxed),
        report.throttled
    );
    assert_eq!(stored(&invitations).await, 60);
}

#[tokio::test]
async fn a_5xx_fails_one_sweep_and_the_next_one_catches_up() {
    let fake = Arc::new(FakeOrganizations::new());
    let id = fake.add_open(&random_account_id());
    let invitations = invitations_over(fake.clone()).await;
    fake.fail_next_calls(1);
    let err = sweep(&invitations).await.unwrap_err();
    assert!(err.to_string().contains("ServiceException"), "{err}");
    assert_eq!(stored(&invitations).await, 0);
    sweep(&invitations).await.unwrap();
    assert!(invitations.get(&id).await.is_ok());
}

#[tokio::test]
async fn pending_handshakes_the_list_no_longer_shows_are_described() {
    let fake = Arc::new(FakeOrganizations::new().with_aws_rates());
    let id = fake.add_open(&random_account_id());
    let invitations = invitations_over(fake.clone()).await;
    sweep(&invitations).await.unwrap();
    fake.hide_from_list(&id);
    fake.set_state(&id, HandshakeState::Expired);
    let report = sweep(&invitations).await.unwrap();
    assert_eq!(report.describe_calls, 1);
    assert_eq!(report.changes, 1);
    let record = invitations.get(&id).await.unwrap();
    assert_eq!(record.handshake.state, HandshakeState::Expired);
    let states: Vec<HandshakeState> = record.history.iter().map(|s| s.state).collect();
    assert_eq!(states, [HandshakeState::Open, HandshakeState::Expired]);
}

#[tokio::test]
async fn a_stale_list_never_reopens_a_closed_handshake() {
    let fake = Arc::new(FakeOrganizations::new());
    let id = fake.add_open(&random_account_id());
    let invitations = invitations_over(fake.clone()).await;
    let open = org_invites::aws::Organizations::describe_handshake(fake.as_ref(), &id)
        .await
        .unwrap();
    let store = invitations.store();
    let known = org_invites::store::Known::default();
    store.save_handshake(&open, &known).await.unwrap();
    let mut canceled = open.clone();
    canceled.state = HandshakeState::Canceled;
    store.save_handshake(&canceled, &known).await.unwrap();

    // A sweep that listed the handshake before it was cancelled.
    let (record, event) = store.save_handshake(&open, &known).await.unwrap();
    assert_eq!(record.handshake.state, HandshakeState::Canceled);
    assert!(event.is_none(), "no change announced");
}
