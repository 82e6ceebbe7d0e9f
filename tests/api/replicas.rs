//! Several replicas on one database: one polls, all serve watchers, and
//! when the poller stops another takes over.
use std::time::Duration;

use org_invites::{proto::v1 as pb, store::POLLER_LOCK};

use crate::helpers::*;

/// The application_name of the connection holding the poller lock, if any.
async fn poller_holder(app: &TestApp) -> Option<String> {
    sqlx::query_scalar(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.objid::bigint = $1
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .bind(POLLER_LOCK & 0xffff_ffff)
    .fetch_optional(&app.db)
    .await
    .unwrap()
}

pub async fn wait_for_holder(app: &TestApp, not: Option<&str>) -> String {
    let what = format!("a replica other than {not:?} to hold the poller lock");
    eventually(Duration::from_secs(30), &what, || async {
        match poller_holder(app).await {
            Some(h) if Some(h.as_str()) != not => Ok(h),
            held => Err(held),
        }
    })
    .await
}

async fn accept_and_see_it(watcher: &TestApp, inviter: &TestApp) {
    let account = random_account_id();
    let h = inviter.invite(invite_account(&account)).await.unwrap();
    let mut stream = watcher.watch(&h.id).await;
    let first = next_event(&mut stream).await.expect("the current state");
    assert_eq!(state_of(&first), pb::HandshakeState::Open);
    inviter.aws.accept(&account, &h.id).await;
    let change = next_event(&mut stream)
        .await
        .expect("the change reaches the other replica");
    assert_eq!(state_of(&change), pb::HandshakeState::Accepted);
}

#[tokio::test]
async fn a_watcher_on_one_replica_sees_changes_and_polling_fails_over() {
    let fakecloud = Fakecloud::start().await;
    let db = fresh_database().await;
    let replica = |name: &str| AppOptions {
        database: Some(db.clone().application_name(name)),
        fakecloud: Some(fakecloud.clone()),
        ..Default::default()
    };
    let a = spawn_app_with(db.clone(), replica("replica-a")).await;
    let b = spawn_app_with(db.clone(), replica("replica-b")).await;

    // Watch on B what was sent through A.
    accept_and_see_it(&b, &a).await;

    let leader = wait_for_holder(&a, None).await;
    let (stay, go) = if leader == "replica-a" {
        (b, a)
    } else {
        (a, b)
    };
    go.stop().await;
    let next = wait_for_holder(&stay, Some(&leader)).await;
    assert_ne!(next, leader, "the survivor took over");
    accept_and_see_it(&stay, &stay).await;
}

#[tokio::test]
async fn a_replica_that_lost_postgres_catches_its_watchers_up_after_reconnecting() {
    let fakecloud = Fakecloud::start().await;
    let db = fresh_database().await;
    let proxy = PgProxy::start(&db).await;
    let a = spawn_app_with(
        db.clone(),
        AppOptions {
            database: Some(proxy.options(&db)),
            fakecloud: Some(fakecloud.clone()),
            ..Default::default()
        },
    )
    .await;
    let b = spawn_app_with(
        db.clone(),
        AppOptions {
            fakecloud: Some(fakecloud.clone()),
            ..Default::default()
        },
    )
    .await;
    let account = random_account_id();
    let h = a.invite(invite_account(&account)).await.unwrap();
    let mut stream = a.watch(&h.id).await;
    let first = next_event(&mut stream).await.expect("the current state");
    assert_eq!(state_of(&first), pb::HandshakeState::Open);

    // A loses Postgres (its LISTEN connection too); B records the accept.
    proxy.cut();
    fakecloud.accept(&account, &h.id).await;
    eventually(
        Duration::from_secs(30),
        "replica B to record the accept",
        || async {
            let state: String = sqlx::query_scalar("SELECT state FROM handshakes WHERE id = $1")
                .bind(&h.id)
                .fetch_one(&b.db)
                .await
                .unwrap();
            if state == "ACCEPTED" {
                Ok(())
            } else {
                Err(state)
            }
        },
    )
    .await;

    proxy.restore();
    let change = next_event(&mut stream)
        .await
        .expect("A re-reads what it missed");
    assert_eq!(state_of(&change), pb::HandshakeState::Accepted);
}
