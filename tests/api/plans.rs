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
    assert!(plans.len() >= 25, "every hot query is checked: {plans:?}");
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
