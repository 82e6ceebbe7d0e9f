//! The AWS request budget: shared by every replica through Postgres, it
//! keeps the service inside AWS's rates, and refuses what would wait too long.
use std::{
    collections::HashMap,
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use org_invites::{
    aws::{fake::FakeOrganizations, BudgetSettings},
    proto::v1 as pb,
};
use tokio::time::Instant;
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::*;

fn budget(per_second: f64, burst: u32, max_wait: Duration) -> BudgetSettings {
    let rate = format!("InviteAccountToOrganization={per_second}/{burst}");
    BudgetSettings::new(max_wait, &[rate]).unwrap()
}

async fn replica(
    db: &sqlx::postgres::PgConnectOptions,
    fake: &Arc<FakeOrganizations>,
    b: BudgetSettings,
) -> TestApp {
    spawn_app_with(
        db.clone(),
        AppOptions {
            aws: Some(fake.clone()),
            budget: b,
            ..AppOptions::default()
        },
    )
    .await
}

/// The most calls that fall in any one-second window.
fn busiest_second(times: &[std::time::Instant]) -> usize {
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| t.duration_since(times[i]) < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn a_burst_of_50_invites_over_two_replicas_stays_inside_the_aws_rate() {
    // AWS's shape scaled up so the test takes seconds. The budget keeps one
    // token of the burst spare for the jitter between taking a turn and the
    // call reaching AWS, as a deployment near the limit should.
    let fake = Arc::new(FakeOrganizations::new().with_invite_rate(10.0, 5.0));
    let db = fresh_database().await;
    let b = budget(10.0, 4, Duration::from_secs(30));
    let (a, b) = (
        replica(&db, &fake, b.clone()).await,
        replica(&db, &fake, b).await,
    );
    let started = Instant::now();
    let results = concurrent_invites(&[a.client.clone(), b.client.clone()], 50).await;
    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failed.is_empty(), "every invite waits its turn: {failed:?}");
    assert_eq!(
        fake.calls.throttled.load(Ordering::Relaxed),
        0,
        "AWS never throttled"
    );
    let times = fake.invite_times();
    assert_eq!(times.len(), 50);
    assert!(
        busiest_second(&times) <= 14,
        "burst 4 + 10/s: {}",
        busiest_second(&times)
    );
    // 46 calls past the burst at 10/s cannot take less than 4.6 s.
    assert!(
        started.elapsed() >= Duration::from_millis(4500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_call_that_would_wait_too_long_is_refused_with_retry_info_and_not_sent() {
    let fake = Arc::new(FakeOrganizations::new().with_invite_rate(2.0, 3.0));
    let app = replica(
        &fresh_database().await,
        &fake,
        budget(2.0, 2, Duration::from_secs(1)),
    )
    .await;
    let results = concurrent_invites(std::slice::from_ref(&app.client), 12).await;
    let sent = results.iter().filter(|r| r.is_ok()).count();
    let refused: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        sent >= 2 && !refused.is_empty(),
        "sent {sent}, refused {}",
        refused.len()
    );
    for e in &refused {
        assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}");
        assert_eq!(
            e.get_details_error_info().unwrap().reason,
            "AWS_REQUEST_BUDGET_EXHAUSTED"
        );
        let retry = e
            .get_details_retry_info()
            .and_then(|r| r.retry_delay)
            .expect("RetryInfo");
        assert!(
            retry > Duration::ZERO && retry < Duration::from_secs(10),
            "{retry:?}"
        );
    }
    assert_eq!(
        fake.calls.invite.load(Ordering::Relaxed),
        sent,
        "refused calls never reached AWS"
    );
    assert_eq!(fake.calls.throttled.load(Ordering::Relaxed), 0);
    let statuses: HashMap<String, i64> =
        sqlx::query_as("SELECT status, count(*) FROM invite_requests GROUP BY status")
            .fetch_all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert_eq!(
        statuses.get("PENDING"),
        None,
        "no intent left in flight: {statuses:?}"
    );
    assert_eq!(statuses.get("SENT").copied(), Some(sent as i64));
}

/// The turn InviteAccount takes while it writes its intent is given back
/// when nothing is sent (here: retries of a request already answered), so
/// the schedule counts only calls made. Two turns per 100 s: the first call
/// takes one; the retries would take the second for good without the give
/// back, and the next new invitation would be refused.
#[tokio::test]
async fn a_call_that_sends_nothing_gives_its_budget_turn_back() {
    let fake = Arc::new(FakeOrganizations::new());
    let app = replica(
        &fresh_database().await,
        &fake,
        budget(0.01, 2, Duration::ZERO),
    )
    .await;
    let first = pb::InviteAccountRequest {
        request_id: "turn-first".into(),
        ..invite_account(&random_account_id())
    };
    let sent = app.invite(first.clone()).await.expect("the first is sent");
    for _ in 0..3 {
        let again = app
            .invite(first.clone())
            .await
            .expect("a retry is answered");
        assert_eq!(again.id, sent.id);
    }
    app.invite(invite_account(&random_account_id()))
        .await
        .expect("the second turn is still there");
    assert_eq!(fake.calls.invite.load(Ordering::Relaxed), 2);
    let refused = app
        .invite(invite_account(&random_account_id()))
        .await
        .expect_err("two turns per 100 s, both used");
    assert_eq!(refused.code(), Code::ResourceExhausted);
}

/// The turn is taken while the intent is written, but AWS hears nothing
/// until the intent is committed: here its write fails (its session is
/// ended while it waits for the quota lock), and nothing is sent.
#[tokio::test]
async fn nothing_is_sent_when_the_intent_is_not_written() {
    let fake = Arc::new(FakeOrganizations::new());
    let app = replica(
        &fresh_database().await,
        &fake,
        budget(3.0, 5, Duration::from_secs(5)),
    )
    .await;
    let holder = hold_quota_lock(&app.db).await;
    let mut client = app.client.clone();
    let call = tokio::spawn(async move {
        client
            .invite_account(invite_account(&random_account_id()))
            .await
    });
    let waiter = advisory_lock_waiters(&app.db, 1).await[0];
    sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(waiter)
        .execute(&app.db)
        .await
        .unwrap();
    holder.rollback().await.unwrap();

    call.await.unwrap().expect_err("the intent was not written");
    assert_eq!(
        fake.calls.invite.load(Ordering::Relaxed),
        0,
        "AWS heard nothing"
    );
    assert_eq!(app.intent_rows().await, 0);
}

/// A turn is given back only while it still ends the schedule: once a later
/// request took the next slot, giving the earlier one back would hand that
/// slot out twice.
#[tokio::test]
async fn a_turn_is_given_back_only_while_no_later_one_was_taken() {
    let store = org_invites::store::Store::connect_lazy(fresh_database().await);
    store.migrate().await.unwrap();
    let op = "InviteAccountToOrganization";
    let take = || async { store.take_aws_turn(op, 10.0, 100.0).await.unwrap() };
    let first = take().await.taken.expect("admitted");
    let second = take().await.taken.expect("admitted");
    assert!(!store.give_back_aws_turn(op, 10.0, first).await.unwrap());
    assert!(store.give_back_aws_turn(op, 10.0, second).await.unwrap());
    // The schedule ends where the first turn left it: one turn ahead.
    let next = take().await;
    assert!((next.ahead_secs - 10.0).abs() < 1.0, "{next:?}");
}

/// The budget rows of the operations this release calls, as the store holds them.
async fn budget_rows(db: &sqlx::PgPool) -> Vec<(String, String)> {
    sqlx::query_as("SELECT operation, tat::text FROM aws_request_budget ORDER BY operation")
        .fetch_all(db)
        .await
        .unwrap()
}

/// Every operation's budget row is seeded at start-up, not only by the
/// migration that introduced the operation: on a database missing one (an
/// operation added without its migration row), the call that needs it
/// fails before the start, and works after it.
#[tokio::test]
async fn a_missing_budget_row_is_seeded_at_start_up_and_its_calls_work() {
    let db = fresh_database().await;
    let store = org_invites::store::Store::connect_lazy(db.clone());
    store.migrate().await.unwrap();
    let op = "InviteAccountToOrganization";
    sqlx::query("DELETE FROM aws_request_budget WHERE operation = $1")
        .bind(op)
        .execute(store.pool())
        .await
        .unwrap();
    store
        .take_aws_turn(op, 1.0, 1.0)
        .await
        .expect_err("no row, no turn: the call would fail");

    let fake = Arc::new(FakeOrganizations::new());
    let app = replica(&db, &fake, budget(3.0, 5, Duration::from_secs(5))).await;
    app.invite(invite_account(&random_account_id()))
        .await
        .expect("its row was seeded at start-up");
    let rows: Vec<String> = budget_rows(&app.db)
        .await
        .into_iter()
        .map(|r| r.0)
        .collect();
    let mut all: Vec<String> = org_invites::domain::Operation::ALL
        .iter()
        .map(|o| o.name().to_string())
        .collect();
    all.sort();
    assert_eq!(rows, all, "one row per operation");
}

/// Seeding again (every start, every replica) adds nothing and keeps the
/// schedule each row holds.
#[tokio::test]
async fn seeding_the_budget_rows_again_changes_nothing() {
    let store = org_invites::store::Store::connect_lazy(fresh_database().await);
    store.migrate().await.unwrap();
    let taken = store
        .take_aws_turn("ListAccounts", 100.0, 1000.0)
        .await
        .unwrap()
        .taken
        .expect("admitted");
    let before = budget_rows(store.pool()).await;
    assert_eq!(before.len(), org_invites::domain::Operation::ALL.len());

    store.migrate().await.unwrap();
    store.migrate().await.unwrap();

    assert_eq!(budget_rows(store.pool()).await, before);
    let kept: bool = sqlx::query_scalar(
        "SELECT tat = $1 FROM aws_request_budget WHERE operation = 'ListAccounts'",
    )
    .bind(taken)
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert!(kept, "the turn taken is still the schedule's end");
}
