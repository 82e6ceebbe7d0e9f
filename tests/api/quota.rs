//! The daily invitation quota: counted from Postgres, enforced before AWS.
use std::time::Duration;

use org_invites::{domain::InviteQuota, proto::v1 as pb};
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::*;

async fn spawn_with_quota(limit: u32) -> TestApp {
    spawn_app_with(
        fresh_database().await,
        AppOptions {
            quota: InviteQuota {
                limit,
                window: Duration::from_secs(24 * 3600),
            },
            ..AppOptions::default()
        },
    )
    .await
}

async fn quota(app: &TestApp) -> pb::InvitationQuota {
    app.client
        .clone()
        .get_invitation_quota(pb::GetInvitationQuotaRequest {})
        .await
        .expect("GetInvitationQuota")
        .into_inner()
}

#[tokio::test]
async fn past_the_quota_invite_fails_fast_with_quota_failure_and_no_aws_call() {
    let app = spawn_with_quota(2).await;
    let fresh = quota(&app).await;
    assert_eq!((fresh.limit, fresh.used, fresh.remaining), (2, 0, 2));
    assert_eq!(fresh.window.unwrap().seconds, 24 * 3600);
    assert!(fresh.next_slot_time.is_none());

    let mut first = invite_account(&random_account_id());
    first.request_id = "quota-first".into();
    let h1 = app.invite(first.clone()).await.expect("first invite");
    app.invite(invite_account(&random_account_id()))
        .await
        .expect("second invite");
    let full = quota(&app).await;
    assert_eq!((full.used, full.remaining), (2, 0));
    assert_eq!(
        full.next_slot_time.unwrap().seconds,
        h1.requested_time.unwrap().seconds + 24 * 3600,
        "a slot frees when the oldest invitation leaves the window"
    );

    let third = random_account_id();
    let err = app.invite(invite_account(&third)).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    let violations = err
        .get_details_quota_failure()
        .expect("QuotaFailure")
        .violations;
    assert_eq!(violations.len(), 1);
    assert!(
        violations[0].description.contains("2 of 2"),
        "{}",
        violations[0].description
    );
    let retry = err
        .get_details_retry_info()
        .and_then(|r| r.retry_delay)
        .expect("RetryInfo");
    assert!(
        retry > Duration::from_secs(23 * 3600) && retry <= Duration::from_secs(24 * 3600),
        "{retry:?}"
    );
    let info = err.get_details_error_info().expect("ErrorInfo");
    assert_eq!(info.reason, "DAILY_INVITATION_QUOTA_EXHAUSTED");
    assert_eq!(app.intent_rows().await, 2, "the refused call wrote nothing");
    assert!(
        app.aws.handshakes_for(&third).await.is_empty(),
        "nothing reached AWS"
    );

    // A retry of a call that was sent is answered from Postgres, quota or not.
    let again = app
        .invite(first)
        .await
        .expect("an idempotent retry still answers");
    assert_eq!(again.id, h1.id);
}

#[tokio::test]
async fn concurrent_invites_never_take_more_than_the_quota() {
    let app = spawn_with_quota(3).await;
    let results = concurrent_invites(std::slice::from_ref(&app.client), 6).await;
    assert_eq!(sent_and_refused(&results), (3, 3), "{results:?}");
    assert_eq!(quota(&app).await.used, 3);
}

/// The count waits for the quota lock and then sees what its holder
/// committed: two calls held at the lock while the holder uses two of three
/// slots leave one slot, for one of them. Without the lock both would be
/// counted before the holder's rows existed, and both sent.
#[tokio::test]
async fn invitations_wait_for_the_quota_lock_and_count_what_its_holder_committed() {
    let app = spawn_with_quota(3).await;
    let mut holder = hold_quota_lock(&app.db).await;
    let clients = [app.client.clone()];
    let calls = tokio::spawn(async move { concurrent_invites(&clients, 2).await });
    // Both calls are waiting for the lock, as Postgres reports it.
    advisory_lock_waiters(&app.db, 2).await;
    // Two attempts in flight, committed by the lock's holder.
    for n in 0..2 {
        sqlx::query(
            "INSERT INTO invite_requests (request_id, status, target_type, target_id, notes, tags)
             VALUES ($1, 'PENDING', 'ACCOUNT', $2, '', '[]')",
        )
        .bind(format!("held-{n}"))
        .bind(random_account_id())
        .execute(&mut *holder)
        .await
        .unwrap();
    }
    holder.commit().await.unwrap();

    let results = tokio::time::timeout(Duration::from_secs(30), calls)
        .await
        .expect("the calls finish once the lock is free")
        .unwrap();
    assert_eq!(sent_and_refused(&results), (1, 1), "{results:?}");
    assert_eq!(quota(&app).await.used, 3);
}

#[tokio::test]
async fn invitations_sent_outside_the_service_count_once_adopted() {
    let app = spawn_with_quota(5).await;
    let account = random_account_id();
    app.aws
        .management_client()
        .invite_account_to_organization()
        .target(
            aws_sdk_organizations::types::HandshakeParty::builder()
                .id(&account)
                .r#type(aws_sdk_organizations::types::HandshakePartyType::Account)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("an invitation from the console");
    // The poller adopts it within an interval; wait for that, then count.
    eventually(
        Duration::from_secs(30),
        "the poller to adopt it",
        || async { (app.handshake_rows().await > 0).then_some(()) },
    )
    .await;
    assert_eq!(quota(&app).await.used, 1);
}
