//! No hot path scans the history: for each query of an RPC, a sweep, a
//! scrape or a page load, the plan on a migrated database (sequential scans
//! disabled, so a scan means no index can serve) reads no table that grows
//! with the history sequentially.
use org_invites::store::Store;

use crate::helpers::*;

#[tokio::test]
async fn no_hot_query_scans_a_history_table() {
    let store = Store::connect_lazy(fresh_database().await);
    store.migrate().await.unwrap();
    let plans = store.hot_query_plans().await.unwrap();
    assert!(plans.len() >= 46, "every hot query is checked: {plans:?}");
    let scanning: Vec<String> = plans
        .iter()
        .filter(|p| !p.seq_scans.is_empty())
        .map(|p| format!("{}: {}", p.query, p.seq_scans.join(", ")))
        .collect();
    assert!(
        scanning.is_empty(),
        "these hot queries scan a history table:\n{}",
        scanning.join("\n")
    );
}

/// The invalid indexes of the database, by name.
async fn invalid_indexes(db: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE NOT i.indisvalid ORDER BY 1",
    )
    .fetch_all(db)
    .await
    .unwrap()
}

#[tokio::test]
async fn an_index_an_interrupted_build_left_invalid_is_rebuilt_at_the_next_start() {
    let store = Store::connect_lazy(fresh_database().await);
    store.migrate().await.unwrap();
    let db = store.pool();
    // What a cut-short CREATE INDEX CONCURRENTLY leaves: the index, marked
    // not valid (the planner then ignores it); and what a cut-short REINDEX
    // CONCURRENTLY leaves: its new copy, invalid.
    sqlx::query("CREATE INDEX handshakes_pending_ccnew ON handshakes (id)")
        .execute(db)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE pg_index SET indisvalid = false
         WHERE indexrelid IN ('handshakes_pending'::regclass, 'handshakes_pending_ccnew'::regclass)",
    )
    .execute(db)
    .await
    .unwrap();
    assert_eq!(
        invalid_indexes(db).await,
        ["handshakes_pending", "handshakes_pending_ccnew"]
    );

    store.migrate().await.unwrap();

    // Valid is what the planner asks of an index.
    assert_eq!(invalid_indexes(db).await, Vec::<String>::new());
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE indexname LIKE 'handshakes_pending%'",
    )
    .fetch_all(db)
    .await
    .unwrap();
    assert_eq!(
        names,
        ["handshakes_pending"],
        "rebuilt; the leftover dropped"
    );
}
