//! Rolling upgrades and rollbacks: a replica serves on a database a newer
//! release migrated (docs/upgrades.md), beside one that started before,
//! and still refuses what it must not run on. `schema` checks the
//! expand/contract rule that makes serving there safe.
mod schema;

use std::time::Duration;

use org_invites::{
    proto::v1 as pb,
    store::{Store, StoreError},
};
use sqlx::{postgres::PgConnectOptions, Connection, PgConnection};
use tokio::time::Instant;
use tonic_health::pb::{health_check_response::ServingStatus, HealthCheckRequest};

use crate::{binary::BIN, helpers::*, process::*};

/// The version of the migration a newer release applied, which this
/// release does not know, and its description as sqlx records it.
const NEWER: i64 = 99_990_001;
const NEWER_NAME: &str = "newer release notes";

/// A fresh database, migrated by this release.
async fn migrated_database() -> PgConnectOptions {
    let db = fresh_database().await;
    Store::connect_lazy(db.clone()).migrate().await.unwrap();
    db
}

/// Runs `sql` on `db` in one transaction.
async fn execute(db: &PgConnectOptions, sql: &str) {
    let mut conn = PgConnection::connect_with(db).await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// What a newer release's migration leaves, as sqlx would: a table this
/// release never reads, and its row in `_sqlx_migrations`.
async fn apply_newer_migration(db: &PgConnectOptions) {
    execute(
        db,
        &format!(
            "CREATE TABLE newer_release_notes (id bigint PRIMARY KEY, note text);
             INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES ({NEWER}, '{NEWER_NAME}', true, sha384('newer'::bytea), 1);"
        ),
    )
    .await;
}

/// The next `n` events of `stream`: (event id, handshake id, state).
async fn next_events(
    stream: &mut tonic::Streaming<pb::HandshakeEvent>,
    n: usize,
) -> Vec<(i64, String, pb::HandshakeState)> {
    let mut seen = Vec::new();
    for _ in 0..n {
        let e = next_event(stream).await.expect("the stream goes on");
        seen.push((e.event_id, e.handshake.clone().unwrap().id, state_of(&e)));
    }
    seen
}

#[tokio::test]
async fn a_replica_on_a_database_a_newer_release_migrated_serves_invites_and_streams() {
    let db = migrated_database().await;
    apply_newer_migration(&db).await;

    let app = spawn_app_with(db, AppOptions::default()).await;
    let health = app
        .health
        .clone()
        .check(HealthCheckRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(health.status, ServingStatus::Serving as i32);
    let mut all = app.watch_all().await;
    let h = app
        .invite(invite_account(&random_account_id()))
        .await
        .expect("it invites");
    let event = next_event(&mut all).await.expect("the stream goes on");
    assert_eq!(event.handshake.as_ref().unwrap().id, h.id);
    assert_eq!(state_of(&event), pb::HandshakeState::Open);

    // The newer migration is left as it was; nothing of ours ran after it.
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY 1")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(versions.last(), Some(&NEWER));
    let own = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .count();
    assert_eq!(versions.len(), own + 1, "this release's and the newer one");
}

#[tokio::test]
async fn replicas_started_before_and_after_a_newer_migration_both_serve_the_same_events() {
    let fakecloud = Fakecloud::start().await;
    let db = migrated_database().await;
    let spec = ReplicaSpec::new(BIN, &db, &fakecloud.endpoint);
    let since = Instant::now();
    let before = spec.start("replica-before").await;
    let to_before = serving(&before).await;
    // A newer release migrates while this one serves; then a replica of
    // this release starts (a pod restarted mid-rollout, or a rollback).
    apply_newer_migration(&db).await;
    let after = spec.start("replica-after").await;
    let to_after = serving(&after).await;

    let named = format!("{NEWER} ({NEWER_NAME})");
    let (_, line) = after
        .wait_for_log(&named, since, Duration::from_secs(30))
        .await;
    assert!(line.contains("WARN"), "{line}");
    assert_eq!(after.times_logged(&named), 1, "one line names it");
    assert!(!before.logged(&named, since), "it migrated before");

    let mut streams = [
        watch_all_through(&to_before).await,
        watch_all_through(&to_after).await,
    ];
    let mut invited = Vec::new();
    for client in [&to_before, &to_after, &to_before, &to_after] {
        let h = client
            .clone()
            .invite_account(invite_account(&random_account_id()))
            .await
            .expect("both replicas invite")
            .into_inner()
            .handshake
            .unwrap();
        invited.push(h.id);
    }
    let seen_before = next_events(&mut streams[0], invited.len()).await;
    let seen_after = next_events(&mut streams[1], invited.len()).await;
    assert_eq!(seen_before, seen_after, "the same events in the same order");
    let mut ids: Vec<String> = seen_before.iter().map(|(_, id, _)| id.clone()).collect();
    assert!(
        seen_before.windows(2).all(|w| w[0].0 < w[1].0),
        "commit order"
    );
    ids.sort();
    invited.sort();
    assert_eq!(ids, invited);
}

/// This release's own migrations, run on `db` now; its error if refused.
async fn migrate_again(db: &PgConnectOptions) -> StoreError {
    tokio::time::timeout(
        Duration::from_secs(30),
        Store::connect_lazy(db.clone()).migrate(),
    )
    .await
    .expect("migrations end")
    .expect_err("the database is refused")
}

#[tokio::test]
async fn a_migration_applied_with_another_checksum_is_refused() {
    let db = migrated_database().await;
    execute(
        &db,
        "UPDATE _sqlx_migrations SET checksum = sha384('edited'::bytea) WHERE version = 3",
    )
    .await;
    let err = migrate_again(&db).await;
    assert!(
        matches!(
            err,
            StoreError::Migrate(sqlx::migrate::MigrateError::VersionMismatch(3))
        ),
        "{err}"
    );
}

#[tokio::test]
async fn an_own_migration_below_an_applied_one_is_refused_not_run() {
    let db = migrated_database().await;
    // As if 0016 had never run, while 0017 and a newer release's did.
    apply_newer_migration(&db).await;
    execute(&db, "DELETE FROM _sqlx_migrations WHERE version = 16").await;
    let err = migrate_again(&db).await;
    let StoreError::OutOfOrder(e) = &err else {
        panic!("not refused as out of order: {err}");
    };
    assert_eq!((e.pending, e.applied), (16, NEWER));
    let message = err.to_string();
    assert!(
        message.contains("16 (invite within quota)") && message.contains(NEWER_NAME),
        "{message}"
    );
    let ran: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM _sqlx_migrations WHERE version = 16)")
            .fetch_one(&mut PgConnection::connect_with(&db).await.unwrap())
            .await
            .unwrap();
    assert!(!ran, "nothing ran");
}

#[tokio::test]
async fn a_database_with_a_failed_migration_is_refused() {
    let db = migrated_database().await;
    apply_newer_migration(&db).await;
    execute(
        &db,
        &format!("UPDATE _sqlx_migrations SET success = false WHERE version = {NEWER}"),
    )
    .await;
    let err = migrate_again(&db).await;
    assert!(
        matches!(
            err,
            StoreError::Migrate(sqlx::migrate::MigrateError::Dirty(NEWER))
        ),
        "{err}"
    );
}
