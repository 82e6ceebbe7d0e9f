//! For the tests only: the plan Postgres picks for each query of a hot path
//! (every RPC, sweep, scrape and page load), so a test can fail when one
//! would scan a table whose size is the history's. With sequential scans
//! disabled the planner still scans when no index can serve, which makes
//! the check deterministic on a small database.
use sqlx::{postgres::PgArguments, query::Query, AssertSqlSafe, Postgres, QueryBuilder, Row};

use super::{
    events, handshakes, invites, lifecycle, progress, quota, rows::HANDSHAKE_COLUMNS, snapshot,
    ListCursor, ListQuery, Store, StoreError,
};
use crate::domain::HandshakeState;

/// The tables that grow with the history. The counts' rows do not, but
/// their heap does: every state change writes new versions of them.
const HISTORY_TABLES: [&str; 5] = [
    "handshakes",
    "handshake_events",
    "handshake_state_history",
    "invite_requests",
    "handshake_state_counts",
];

/// A hot query and the history tables its plan scans sequentially.
#[derive(Debug)]
pub struct HotPlan {
    pub query: String,
    pub seq_scans: Vec<String>,
}

fn explain(sql: &str) -> Query<'static, Postgres, PgArguments> {
    sqlx::query(AssertSqlSafe(format!("EXPLAIN (FORMAT JSON) {sql}")))
}

fn rows(tail: &str) -> String {
    format!("SELECT {HANDSHAKE_COLUMNS} {tail}")
}

impl Store {
    /// Every hot query's plan, with sample arguments.
    pub async fn hot_query_plans(&self) -> Result<Vec<HotPlan>, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET LOCAL enable_seqscan = off")
            .execute(&mut *tx)
            .await?;
        let id = "h-abcdefgh12";
        let mut queries: Vec<(String, Query<'static, Postgres, PgArguments>)> = vec![
            ("get".into(), explain(&rows(handshakes::GET)).bind(id)),
            ("pending_ids".into(), explain(handshakes::PENDING_IDS)),
            (
                "states_of".into(),
                explain(handshakes::STATES_OF).bind(vec![id.to_string()]),
            ),
            (
                "count_by_state".into(),
                explain(handshakes::COUNT_BY_STATE).bind(handshakes::counted_states()),
            ),
            ("quota_use".into(), explain(quota::QUOTA_USE).bind(86400.0)),
            (
                "events_after".into(),
                explain(events::EVENTS_AFTER).bind(0_i64).bind(500_i64),
            ),
            ("latest_event".into(), explain(events::LATEST_EVENT)),
            ("oldest_event".into(), explain(events::OLDEST_EVENT)),
            (
                "prune_events".into(),
                explain(events::PRUNE_EVENTS).bind(86400.0),
            ),
            ("history_of".into(), explain(events::HISTORY_OF).bind(id)),
            (
                "status_recent".into(),
                explain(&rows(snapshot::RECENT)).bind(200_i64),
            ),
            (
                "due_onboardings".into(),
                explain(&rows(progress::DUE_ONBOARDINGS)),
            ),
            (
                "due_renewals".into(),
                explain(&rows(lifecycle::DUE_RENEWALS)),
            ),
            (
                "open_for_target".into(),
                explain(&rows(lifecycle::OPEN_FOR_TARGET))
                    .bind("111122223333")
                    .bind("ACCOUNT"),
            ),
            (
                "pending_invitations".into(),
                explain(lifecycle::PENDING_INVITATIONS),
            ),
            (
                "expiring_invitations".into(),
                explain(lifecycle::EXPIRING_INVITATIONS),
            ),
            (
                "warn_expiring".into(),
                explain(lifecycle::WARN_EXPIRING).bind(72.0 * 3600.0),
            ),
            (
                "claim_unresolved".into(),
                explain(&invites::claim_unresolved_sql())
                    .bind(None::<i32>)
                    .bind(60.0),
            ),
        ];
        let mut plans = Vec::new();
        for (name, query) in queries.drain(..) {
            let plan: serde_json::Value = query.fetch_one(&mut *tx).await?.try_get(0)?;
            plans.push(HotPlan {
                query: name,
                seq_scans: seq_scans(&plan),
            });
        }
        for (name, q) in list_queries() {
            let mut sql = QueryBuilder::new("EXPLAIN (FORMAT JSON) ");
            handshakes::list_page(&mut sql, &q, 51);
            let plan: serde_json::Value = sql.build().fetch_one(&mut *tx).await?.try_get(0)?;
            plans.push(HotPlan {
                query: name,
                seq_scans: seq_scans(&plan),
            });
        }
        tx.rollback().await?;
        Ok(plans)
    }
}

/// ListHandshakes as clients call it: each filter, first page and deeper.
fn list_queries() -> Vec<(String, ListQuery)> {
    let deeper = Some(ListCursor {
        create_time: chrono::Utc::now(),
        id: "h-abcdefgh12".into(),
    });
    let q = |states: Vec<HandshakeState>, target: Option<&str>| ListQuery {
        states,
        target_id: target.map(str::to_string),
        ..ListQuery::default()
    };
    let mut out = Vec::new();
    for (name, query) in [
        ("list", q(vec![], None)),
        ("list open", q(vec![HandshakeState::Open], None)),
        (
            "list accepted+expired",
            q(
                vec![HandshakeState::Accepted, HandshakeState::Expired],
                None,
            ),
        ),
        ("list by target", q(vec![], Some("111122223333"))),
        (
            "list open by target",
            q(vec![HandshakeState::Open], Some("111122223333")),
        ),
    ] {
        out.push((format!("{name} (page 1)"), query.clone()));
        out.push((
            format!("{name} (deeper)"),
            ListQuery {
                after: deeper.clone(),
                ..query
            },
        ));
    }
    out
}

/// The history tables a plan (EXPLAIN's JSON) reads with a Seq Scan.
fn seq_scans(plan: &serde_json::Value) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![plan];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Object(o) => {
                if o.get("Node Type").and_then(|t| t.as_str()) == Some("Seq Scan") {
                    if let Some(rel) = o.get("Relation Name").and_then(|r| r.as_str()) {
                        if HISTORY_TABLES.contains(&rel) {
                            found.push(rel.to_string());
                        }
                    }
                }
                stack.extend(o.values());
            }
            serde_json::Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    found
}
