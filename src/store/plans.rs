//! For the tests only: the plan Postgres picks for each query of a hot path
//! (every RPC, sweep, scrape and page load), so a test can fail when one
//! would scan a table whose size is the history's. With sequential scans
//! disabled the planner still scans when no index can serve, which makes
//! the check deterministic on a small database.
use sqlx::{postgres::PgArguments, query::Query, AssertSqlSafe, Postgres, QueryBuilder, Row};

use super::{
    campaigns, events, handshakes, invites, lifecycle, progress, quota, rows::HANDSHAKE_COLUMNS,
    snapshot, ListCursor, ListQuery, Store, StoreError,
};
use crate::domain::HandshakeState;

/// The tables that grow with the history. The counts' rows do not, but
/// their heap does: every state change writes new versions of them.
/// Campaigns are never deleted, nor their targets.
const HISTORY_TABLES: [&str; 8] = [
    "handshakes",
    "handshake_events",
    "handshake_state_history",
    "invite_requests",
    "handshake_state_counts",
    "campaigns",
    "campaign_targets",
    "campaign_handshakes",
];

/// A hot query and the history tables its plan reads whole: sequentially,
/// or through every entry of an index that holds every row (a full scan of
/// a partial index reads only the rows it is for; under a LIMIT, only the
/// first few).
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
        queries.extend(campaign_queries());
        let partial: Vec<String> = sqlx::query_scalar(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indpred IS NOT NULL",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut plans = Vec::new();
        for (name, query) in queries.drain(..) {
            let plan: serde_json::Value = query.fetch_one(&mut *tx).await?.try_get(0)?;
            plans.push(HotPlan {
                query: name,
                seq_scans: seq_scans(&plan, &partial),
            });
        }
        for (name, q) in list_queries() {
            let mut sql = QueryBuilder::new("EXPLAIN (FORMAT JSON) ");
            handshakes::list_page(&mut sql, &q, 51);
            let plan: serde_json::Value = sql.build().fetch_one(&mut *tx).await?.try_get(0)?;
            plans.push(HotPlan {
                query: name,
                seq_scans: seq_scans(&plan, &partial),
            });
        }
        tx.rollback().await?;
        Ok(plans)
    }
}

/// The campaign RPCs' and the campaign pass's statements (the metric's
/// per-state count reads every target and is not among them).
fn campaign_queries() -> Vec<(String, Query<'static, Postgres, PgArguments>)> {
    use campaigns::*;
    let (c, h) = ("c-abcdefgh12", "h-abcdefgh12");
    let no_states: Vec<String> = Vec::new();
    let failed = vec!["FAILED".to_string()];
    vec![
        (
            "get_campaign".into(),
            explain(&campaign_rows(GET_CAMPAIGN)).bind(c),
        ),
        (
            "list_campaigns (page 1)".into(),
            explain(&campaign_rows(LIST_CAMPAIGNS))
                .bind(None::<i64>)
                .bind(51_i64),
        ),
        (
            "list_campaigns (deeper)".into(),
            explain(&campaign_rows(LIST_CAMPAIGNS))
                .bind(Some(1000_i64))
                .bind(51_i64),
        ),
        (
            "list_campaign_targets (page 1)".into(),
            explain(&target_rows(LIST_TARGETS))
                .bind(c)
                .bind(None::<i64>)
                .bind(no_states.clone())
                .bind(101_i64),
        ),
        (
            "list_campaign_targets failed (deeper)".into(),
            explain(&target_rows(LIST_TARGETS))
                .bind(c)
                .bind(Some(500_i64))
                .bind(failed)
                .bind(101_i64),
        ),
        (
            "campaign counts_of".into(),
            explain(COUNTS_OF).bind(vec![c.to_string()]),
        ),
        (
            "next_targets".into(),
            explain(&campaign_rows(NEXT_TARGETS)).bind(None::<String>),
        ),
        (
            "next_targets of one".into(),
            explain(&campaign_rows(NEXT_TARGETS)).bind(Some(c.to_string())),
        ),
        ("followed_changes".into(), explain(FOLLOWED_CHANGES)),
        (
            "invitations_to_cancel".into(),
            explain(INVITATIONS_TO_CANCEL).bind(None::<String>),
        ),
        (
            "invitations_to_cancel of one".into(),
            explain(INVITATIONS_TO_CANCEL).bind(Some(c.to_string())),
        ),
        ("finish_campaigns".into(), explain(FINISH_CAMPAIGNS)),
        (
            "touch campaign".into(),
            explain(TOUCH).bind(c).bind("campaigns"),
        ),
        (
            "link target".into(),
            explain(LINK_TARGET)
                .bind(c)
                .bind(7_i32)
                .bind("INVITED")
                .bind(h),
        ),
        (
            "link handshake".into(),
            explain(LINK_HANDSHAKE).bind(h).bind(c),
        ),
        (
            "end target".into(),
            explain(END_TARGET)
                .bind(c)
                .bind(7_i32)
                .bind("FAILED")
                .bind("r"),
        ),
        (
            "retry target".into(),
            explain(RETRY_TARGET)
                .bind(c)
                .bind(7_i32)
                .bind(chrono::Utc::now()),
        ),
        (
            "set_next_send_time".into(),
            explain(SET_NEXT_SEND_TIME)
                .bind(c)
                .bind(Some(chrono::Utc::now())),
        ),
    ]
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

/// The history tables a plan (EXPLAIN's JSON) reads whole: a Seq Scan, or
/// an index scan with no condition, not under a Limit, of an index that is
/// not among `partial`.
fn seq_scans(plan: &serde_json::Value, partial: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![(plan, false)];
    while let Some((v, limited)) = stack.pop() {
        match v {
            serde_json::Value::Object(o) => {
                let str_of = |k: &str| o.get(k).and_then(|t| t.as_str());
                let node = str_of("Node Type");
                let limited = limited || node == Some("Limit");
                if let Some(rel) = str_of("Relation Name").filter(|r| HISTORY_TABLES.contains(r)) {
                    let index = str_of("Index Name");
                    let whole_index = matches!(node, Some("Index Scan" | "Index Only Scan"))
                        && !o.contains_key("Index Cond")
                        && !limited
                        && index.is_some_and(|i| !partial.iter().any(|p| p == i));
                    if node == Some("Seq Scan") {
                        found.push(rel.to_string());
                    } else if whole_index {
                        found.push(format!("{rel} (every entry of {})", index.unwrap_or("?")));
                    }
                }
                stack.extend(o.values().map(|c| (c, limited)));
            }
            serde_json::Value::Array(a) => stack.extend(a.iter().map(|c| (c, limited))),
            _ => {}
        }
    }
    found
}
