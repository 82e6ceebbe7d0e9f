//! The sweep against the in-process fake: throttling, empty pages, 5xx,
//! many handshakes, and Describe only for what the list no longer shows.
use std::{sync::atomic::Ordering, sync::Arc, time::Duration};

use org_invites::{
    aws::{fake::FakeOrganizations, BudgetSettings, Budgeted},
    domain::HandshakeState,
    metrics::Metrics,
    reconcile::{Reconciler, SweepReport},
    service::Invitations,
    store::{Owner, Store},
};
use tokio_util::sync::CancellationToken;

use crate::helpers::*;

/// The service over `fake`, and the store it records into.
struct Over {
    invitations: Invitations,
    store: Store,
}

impl std::ops::Deref for Over {
    type Target = Invitations;

    fn deref(&self) -> &Invitations {
        &self.invitations
    }
}

async fn invitations_over(fake: Arc<FakeOrganizations>) -> Over {
    let store = Store::connect_lazy(fresh_database().await);
    store.migrate().await.unwrap();
    let d = serve_defaults();
    // Paced by the shared budget at AWS's rates, as the server does, with
    // one token of List's burst spare for the jitter between a turn and the
    // call arriving (as in tests/api/budget.rs): exactly at the limit, a
    // loaded machine turns that jitter into throttles.
    let budget = BudgetSettings::new(
        d.budget.max_wait,
        &["ListHandshakesForOrganization=5/7".to_string()],
    )
    .unwrap();
    let metrics = Metrics::new();
    let aws = Arc::new(Budgeted::new(fake, store.clone(), budget, metrics.clone()));
    Over {
        invitations: Invitations::new(store.clone(), aws, d.service, metrics, session(&store)),
        store,
    }
}

async fn sweep(invitations: &Invitations) -> Result<SweepReport, org_invites::service::Error> {
    Reconciler::over(invitations.clone())
        .sweep()
        .run(&CancellationToken::new())
        .await
}

async fn stored(over: &Over) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM handshakes")
        .fetch_one(over.store.pool())
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
async fn a_tracked_change_is_recorded_with_its_page_not_after_the_last() {
    let fake = Arc::new(FakeOrganizations::new());
    let ids: Vec<_> = (0..45)
        .map(|_| fake.add_open(&random_account_id()))
        .collect();
    let invitations = invitations_over(fake.clone()).await;
    sweep(&invitations).await.unwrap();
    // The fake lists in id order: the first id is on page 1 of 3, the last
    // on page 3, and one made elsewhere since is not tracked yet.
    let (first, last) = (&ids[0], &ids[44]);
    fake.set_state(first, HandshakeState::Accepted);
    fake.set_state(last, HandshakeState::Declined);
    let new = fake.add_open(&random_account_id());
    // Page 1 arrives, then every later call fails: the sweep fails.
    fake.fail_calls_after(1, 100);
    sweep(&invitations).await.unwrap_err();

    let state = |r: org_invites::domain::HandshakeRecord| r.handshake.state;
    assert_eq!(
        state(invitations.get(first).await.unwrap()),
        HandshakeState::Accepted,
        "recorded with page 1"
    );
    assert_eq!(
        state(invitations.get(last).await.unwrap()),
        HandshakeState::Open,
        "page 3 never arrived"
    );
    assert!(
        invitations.get(&new).await.is_err(),
        "an untracked handshake waits for the whole list"
    );

    fake.fail_next_calls(0);
    let report = sweep(&invitations).await.unwrap();
    assert_eq!(report.changes, 2, "the declined one and the adopted one");
    assert_eq!(
        state(invitations.get(last).await.unwrap()),
        HandshakeState::Declined
    );
    assert!(invitations.get(&new).await.is_ok());
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
    let store = &invitations.store;
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

/// The SDK's retries are set explicitly: a 5xx is tried 3 times in all,
/// except an invitation's.
#[tokio::test]
async fn the_sdk_retries_a_5xx_three_times_in_all_then_reports_it() {
    use org_invites::aws::{AwsErrorKind, Organizations, SdkOrganizations};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = requests.clone();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            let counted = counted.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                // One request per connection is enough for the SDK.
                if s.read(&mut buf).await.unwrap_or(0) > 0 {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let body = r#"{"__type":"ServiceException","message":"boom"}"#;
                    let reply = format!(
                        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/x-amz-json-1.1\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = s.write_all(reply.as_bytes()).await;
                }
            });
        }
    });
    // The service's own retries and timeouts, as from_config sets them.
    let aws = SdkOrganizations::from_config(&sdk_config(&format!("http://{addr}"), "k", "s"), None);
    let id = org_invites::domain::HandshakeId::parse("h-abcdefgh").unwrap();
    let err = aws.describe_handshake(&id).await.unwrap_err();
    assert_eq!(err.kind, AwsErrorKind::Service, "{err}");
    assert_eq!(requests.load(Ordering::SeqCst), 3);

    // InviteAccountToOrganization is never retried blindly: the intent row
    // looks its outcome up instead.
    let invitation = plain_invitation("111122223333");
    let err = aws.invite_account(&invitation).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err}");
    assert_eq!(requests.load(Ordering::SeqCst), 4, "one attempt only");
}

/// InviteAccount's look-up of an attempt whose outcome is unknown pages
/// through the list as the sweep does: empty pages are followed and AWS's
/// throttling is waited out, so the retry finds the handshake the first
/// attempt made instead of failing (or sending a second invitation).
#[tokio::test]
async fn a_retry_looks_its_earlier_attempt_up_through_throttling_and_empty_pages() {
    use org_invites::{
        aws::Organizations,
        domain::{InviteRequest, RequestId},
    };
    // AWS lists at 1 a second here, after empty pages.
    let fake = Arc::new(FakeOrganizations::new().with_list_rate(1.0, 1.0));
    fake.empty_pages_before_each(1);
    let over = invitations_over(fake.clone()).await;
    let invitation = plain_invitation(&random_account_id());
    // The first attempt: its intent, then AWS made the handshake, then the
    // process lost the answer (a timeout marks the outcome unknown).
    let request_id = RequestId::parse("retry-after-timeout").unwrap();
    over.store
        .begin_invite(
            &request_id,
            &invitation,
            // A session number no replica holds: the first process is gone.
            &Owner::gone(0),
            Duration::from_secs(60),
            serve_defaults().service.quota,
        )
        .await
        .unwrap();
    let made = fake.invite_account(&invitation).await.unwrap();
    over.store
        .mark_invite_unknown(&request_id, &Owner::gone(0))
        .await
        .unwrap();

    let record = over
        .invite(InviteRequest {
            request_id: Some(request_id),
            invitation,
            if_open_exists: Default::default(),
        })
        .await
        .expect("the retry finds the first attempt's handshake");
    assert_eq!(record.handshake.id, made.id);
    assert_eq!(fake.calls.invite.load(Ordering::Relaxed), 1, "sent once");
    assert!(
        fake.calls.throttled.load(Ordering::Relaxed) > 0,
        "AWS throttled the look-up at least once"
    );
}
