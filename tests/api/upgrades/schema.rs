//! The expand/contract rule, checked where a machine can: the migrated
//! schema keeps every column, function and sequence the previous release
//! reads (`CONTRACT`, kept by hand), and no migration drops, renames or
//! retypes anything but what was retired first (`RETIRED`).
use std::collections::BTreeMap;

use org_invites::store::Store;
use regex::Regex;
use sqlx::PgPool;

use crate::helpers::*;

/// What release N-1's code reads, as `name: shape`, where the name is
/// `table.column`, `function(argument types)` or a sequence's, and the
/// shape is the column's data type (`required` when it is NOT NULL with no
/// default, so every INSERT must name it), the function's result, or
/// `sequence`. Today's code is the next release's N-1: a migration that
/// adds something adds it here in the same change.
const CONTRACT: &[&str] = &[
    "aws_request_budget.operation: text required",
    "aws_request_budget.tat: timestamp with time zone",
    "campaigns.id: text required",
    "campaigns.seq: bigint",
    "campaigns.request_id: text required",
    "campaigns.fingerprint: text required",
    "campaigns.display_name: text required",
    "campaigns.state: text required",
    "campaigns.pause_reason: text",
    "campaigns.quota_reserve: integer required",
    "campaigns.spec: jsonb required",
    "campaigns.requested_by: text",
    "campaigns.cancel_open: boolean",
    "campaigns.next_send_time: timestamp with time zone",
    "campaigns.create_time: timestamp with time zone",
    "campaigns.update_time: timestamp with time zone",
    "campaigns.version: bigint",
    "campaign_targets.campaign_id: text required",
    "campaign_targets.idx: integer required",
    "campaign_targets.target_type: text required",
    "campaign_targets.target_id: text required",
    "campaign_targets.notes: text",
    "campaign_targets.tags: jsonb",
    "campaign_targets.state: text required",
    "campaign_targets.handshake_id: text",
    "campaign_targets.reason: text",
    "campaign_targets.attempts: integer",
    "campaign_targets.retry_time: timestamp with time zone",
    "campaign_targets.update_time: timestamp with time zone",
    "campaign_handshakes.handshake_id: text required",
    "campaign_handshakes.campaign_id: text required",
    "subscriptions.id: text required",
    "subscriptions.kind: text required",
    "subscriptions.target: text required",
    "subscriptions.state: text",
    "subscriptions.disabled_reason: text",
    "subscriptions.start_after: bigint required",
    "subscriptions.enqueued_through: bigint required",
    "subscriptions.last_success_time: timestamp with time zone",
    "subscriptions.last_error: text",
    "subscriptions.create_time: timestamp with time zone",
    "subscriptions.transfers_enqueued_through: bigint",
    "deliveries.subscription_id: text required",
    "deliveries.event_id: bigint required",
    "deliveries.handshake_id: text required",
    "deliveries.cloud_event_id: text required",
    "deliveries.type: text required",
    "deliveries.body: text required",
    "deliveries.state: text",
    "deliveries.attempts: integer",
    "deliveries.next_attempt_time: timestamp with time zone",
    "deliveries.lease_until: timestamp with time zone",
    "deliveries.last_attempt_time: timestamp with time zone",
    "deliveries.last_status: text",
    "deliveries.last_error: text",
    "deliveries.observe_time: timestamp with time zone required",
    "deliveries.delivered_time: timestamp with time zone",
    "handshake_events.event_id: bigint",
    "handshake_events.handshake_id: text required",
    "handshake_events.previous_state: text",
    "handshake_events.state: text required",
    "handshake_events.version: bigint required",
    "handshake_events.snapshot: jsonb required",
    "handshake_events.observe_time: timestamp with time zone",
    "handshake_events.kind: text",
    "handshake_state_counts.state: text required",
    "handshake_state_counts.n: bigint required",
    "handshake_state_history.handshake_id: text required",
    "handshake_state_history.state: text required",
    "handshake_state_history.first_seen_time: timestamp with time zone",
    "handshakes.id: text required",
    "handshakes.arn: text required",
    "handshakes.parties: jsonb required",
    "handshakes.state: text required",
    "handshakes.requested_time: timestamp with time zone",
    "handshakes.expiration_time: timestamp with time zone",
    "handshakes.action: text required",
    "handshakes.resources: jsonb required",
    "handshakes.target_type: text",
    "handshakes.target_id: text",
    "handshakes.notes: text",
    "handshakes.tags: jsonb",
    "handshakes.request_id: text",
    "handshakes.version: bigint",
    "handshakes.create_time: timestamp with time zone",
    "handshakes.update_time: timestamp with time zone",
    "handshakes.requested_by: text",
    "handshakes.canceled_by: text",
    "handshakes.onboarding: jsonb",
    "handshakes.onboarding_due: boolean",
    "handshakes.expiry_warning_time: timestamp with time zone",
    "handshakes.renewal: jsonb",
    "handshakes.renewal_due: boolean",
    "invite_requests.request_id: text required",
    "invite_requests.status: text required",
    "invite_requests.target_type: text required",
    "invite_requests.target_id: text required",
    "invite_requests.notes: text required",
    "invite_requests.tags: jsonb required",
    "invite_requests.handshake_id: text",
    "invite_requests.error_code: text",
    "invite_requests.error_reason: text",
    "invite_requests.attempts: integer",
    "invite_requests.attempt_time: timestamp with time zone",
    "invite_requests.create_time: timestamp with time zone",
    "invite_requests.update_time: timestamp with time zone",
    "invite_requests.requested_by: text",
    "invite_requests.onboarding: jsonb",
    "invite_requests.renewal: jsonb",
    "invite_requests.owner: integer",
    "invite_requests.leave: jsonb",
    "organization_stats.one: boolean",
    "organization_stats.member_accounts: integer required",
    "organization_stats.member_accounts_time: timestamp with time zone required",
    "poller_heartbeat.one: boolean",
    "poller_heartbeat.session: integer required",
    "poller_heartbeat.beat_time: timestamp with time zone required",
    "count_handshake_states(): trigger",
    "invite_within_quota(bigint,double precision,bigint,text,text,text,text,jsonb,text,jsonb,\
     jsonb,integer): TABLE(quota_used bigint, quota_oldest timestamp with time zone, \
     db_now timestamp with time zone, intent_inserted boolean)",
    "mark_intent_sent(text,text): void",
    "quota_counted(double precision): TABLE(t timestamp with time zone)",
    "record_new_invite(bigint,text,text,jsonb,text,timestamp with time zone,\
     timestamp with time zone,text,jsonb,text,text,text,jsonb,text,text,text,jsonb,jsonb,jsonb,\
     text,text): SETOF handshakes",
    "transfer_events.event_id: bigint",
    "transfer_events.kind: text required",
    "transfer_events.observe_time: timestamp with time zone",
    "transfer_events.previous_status: text",
    "transfer_events.snapshot: jsonb required",
    "transfer_events.status: text required",
    "transfer_events.transfer_id: text required",
    "transfer_requests.attempt_time: timestamp with time zone",
    "transfer_requests.attempts: integer",
    "transfer_requests.create_time: timestamp with time zone",
    "transfer_requests.digest: text required",
    "transfer_requests.error_code: text",
    "transfer_requests.error_reason: text",
    "transfer_requests.handshake_id: text",
    "transfer_requests.notes: text required",
    "transfer_requests.owner: integer",
    "transfer_requests.request_id: text required",
    "transfer_requests.requested_by: text",
    "transfer_requests.source_name: text required",
    "transfer_requests.start_time: timestamp with time zone required",
    "transfer_requests.status: text required",
    "transfer_requests.tags: jsonb required",
    "transfer_requests.target_id: text required",
    "transfer_requests.target_type: text required",
    "transfer_requests.transfer_id: text",
    "transfer_requests.update_time: timestamp with time zone",
    "transfer_status_history.first_seen_time: timestamp with time zone",
    "transfer_status_history.status: text required",
    "transfer_status_history.transfer_id: text required",
    "transfers.active_handshake_id: text",
    "transfers.arn: text required",
    "transfers.create_time: timestamp with time zone",
    "transfers.deadline_warning_time: timestamp with time zone",
    "transfers.direction: text required",
    "transfers.end_time: timestamp with time zone",
    "transfers.id: text required",
    "transfers.name: text required",
    "transfers.request_id: text",
    "transfers.requested_by: text",
    "transfers.source_account_id: text",
    "transfers.source_email: text",
    "transfers.start_time: timestamp with time zone required",
    "transfers.status: text required",
    "transfers.target_account_id: text",
    "transfers.target_email: text",
    "transfers.type: text required",
    "transfers.update_time: timestamp with time zone",
    "transfers.version: bigint",
    "handshake_events_event_id_seq: sequence",
    "replica_sessions: sequence",
];

/// What the code stopped reading a release ago (a table, `table.column`,
/// a function's or a sequence's name): only these may be dropped, renamed
/// or retyped, and they may be missing from the schema. Retiring takes
/// two releases: release N stops reading X and moves it here from
/// `CONTRACT`; release N+1's migration may drop it. Empty: nothing was
/// ever retired.
const RETIRED: &[&str] = &[];

/// Every column, function and sequence of the public schema but sqlx's
/// own table, in `CONTRACT`'s terms.
async fn schema_of(db: &PgPool) -> BTreeMap<String, String> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name || '.' || column_name,
                data_type || CASE WHEN is_nullable = 'NO' AND column_default IS NULL
                                   AND is_generated = 'NEVER' AND is_identity = 'NO'
                              THEN ' required' ELSE '' END
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'
         UNION ALL
         SELECT p.oid::regprocedure::text, pg_get_function_result(p.oid)
         FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
         UNION ALL
         SELECT sequence_name, 'sequence'
         FROM information_schema.sequences WHERE sequence_schema = 'public'",
    )
    .fetch_all(db)
    .await
    .unwrap();
    rows.into_iter().collect()
}

fn is_retired(name: &str) -> bool {
    RETIRED.iter().any(|r| {
        name == *r
            || [".", "("]
                .iter()
                .any(|s| name.starts_with(&format!("{r}{s}")))
    })
}

/// How `schema` breaks the contract, one sentence each.
fn breaches(schema: &BTreeMap<String, String>) -> Vec<String> {
    let mut found = Vec::new();
    let contract: BTreeMap<&str, &str> = CONTRACT
        .iter()
        .map(|line| line.split_once(": ").expect("`name: shape`"))
        .collect();
    for (name, shape) in &contract {
        if is_retired(name) {
            found.push(format!(
                "{name} is both in CONTRACT and RETIRED: take it off one"
            ));
            continue;
        }
        match schema.get(*name) {
            None => found.push(format!(
                "{name} is gone (dropped or renamed), yet the previous release reads it: \
                 add the new one beside it, retire it a release later, drop it after that"
            )),
            Some(now) if now != shape => found.push(format!(
                "{name} was `{shape}` and is now `{now}`, which the previous release does not \
                 expect: add a new column (or function) instead of changing this one"
            )),
            Some(_) => {}
        }
    }
    for (name, shape) in schema {
        if contract.contains_key(name.as_str()) || is_retired(name) {
            continue;
        }
        let mut s = format!(
            "{name}: {shape} is not in CONTRACT (tests/api/upgrades/schema.rs): add it there"
        );
        if shape.ends_with(" required") {
            s += ", and make it nullable or give it a default unless its table is new: the \
                  previous release inserts rows without it";
        }
        found.push(s);
    }
    found
}

async fn migrated_pool() -> PgPool {
    let store = Store::connect_lazy(fresh_database().await);
    store.migrate().await.unwrap();
    store.pool().clone()
}

#[tokio::test]
async fn the_migrated_schema_keeps_everything_the_previous_release_reads() {
    let db = migrated_pool().await;
    let found = breaches(&schema_of(&db).await);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[tokio::test]
async fn a_renamed_retyped_or_required_column_breaks_the_contract() {
    let db = migrated_pool().await;
    sqlx::raw_sql(
        "ALTER TABLE handshakes RENAME COLUMN notes TO remarks;
         ALTER TABLE invite_requests ALTER COLUMN attempts TYPE bigint;
         ALTER TABLE poller_heartbeat ADD COLUMN region text NOT NULL;
         DROP FUNCTION quota_counted(float8) CASCADE;",
    )
    .execute(&db)
    .await
    .unwrap();
    let found = breaches(&schema_of(&db).await).join("\n");
    for words in [
        "handshakes.notes is gone",
        "handshakes.remarks: text is not in CONTRACT",
        "invite_requests.attempts was `integer` and is now `bigint`",
        "poller_heartbeat.region: text required is not in CONTRACT",
        "previous release inserts rows without it",
        "quota_counted(double precision) is gone",
    ] {
        assert!(found.contains(words), "no {words:?} in:\n{found}");
    }
}

/// The statements of a migration that drop, rename or retype something,
/// in upper case; comments left out. DROP INDEX and DROP CONSTRAINT are
/// not among them: no code names an index or a constraint (ON CONFLICT
/// names columns), so dropping one changes plans and what may be written,
/// not what the previous release can read. A constraint added or narrowed
/// is for review to judge (it could refuse the previous release's
/// writes); `required` in CONTRACT catches a NOT NULL with no default.
fn destructive(sql: &str) -> Vec<String> {
    let drop = Regex::new(r"\bDROP\s+(\w+)").unwrap();
    let retype =
        Regex::new(r#"\bALTER\s+(COLUMN\s+)?("[^"]+"|\w+)\s+(SET\s+DATA\s+)?TYPE\b"#).unwrap();
    let comment = Regex::new(r"--[^\n]*").unwrap();
    let text = comment.replace_all(sql, "").to_uppercase();
    text.split(';')
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| {
            // DROP NOT NULL only allows more.
            let dropping = drop
                .captures_iter(s)
                .any(|c| !matches!(&c[1], "INDEX" | "CONSTRAINT" | "NOT"));
            dropping || s.contains("RENAME") || retype.is_match(s)
        })
        .collect()
}

/// Whether `statement` names only retired things: every part of some
/// retired name appears in it as a word.
fn drops_only_retired(statement: &str) -> bool {
    let words: Vec<&str> = statement
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .collect();
    RETIRED.iter().any(|r| {
        r.to_uppercase()
            .split('.')
            .all(|part| words.contains(&part))
    })
}

#[test]
fn no_migration_drops_renames_or_retypes_what_was_not_retired() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 17, "the migrations are read: {files:?}");
    let mut found = Vec::new();
    for file in files {
        let sql = std::fs::read_to_string(&file).unwrap();
        for statement in destructive(&sql) {
            if !drops_only_retired(&statement) {
                let name = file.file_name().unwrap().to_string_lossy().to_string();
                found.push(format!("{name}: {statement}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "these drop, rename or retype what the previous release may read; retire it in \
         RETIRED (tests/api/upgrades/schema.rs) a release before, or add beside it:\n{}",
        found.join("\n")
    );
}

#[test]
fn drops_renames_and_retypes_are_told_from_index_and_constraint_changes() {
    let flagged = [
        "ALTER TABLE handshakes DROP COLUMN notes;",
        "alter table handshakes drop notes;",
        "DROP TABLE organization_stats;",
        "ALTER TABLE handshakes RENAME COLUMN notes TO remarks;",
        "ALTER TABLE handshakes ALTER COLUMN version TYPE integer;",
        "ALTER TABLE handshakes ALTER version SET DATA TYPE integer;",
        "ALTER TABLE handshakes ALTER COLUMN notes DROP DEFAULT;",
        "DROP FUNCTION quota_counted(float8);",
    ];
    for sql in flagged {
        assert_eq!(destructive(sql).len(), 1, "{sql}");
    }
    let allowed = "-- DROP TABLE handshakes; in a comment\n\
        DROP INDEX CONCURRENTLY IF EXISTS handshakes_by_target;\n\
        ALTER TABLE handshake_events DROP CONSTRAINT handshake_events_kind_check;\n\
        ALTER TABLE handshakes ALTER COLUMN notes DROP NOT NULL;\n\
        ALTER TABLE handshakes ADD COLUMN kind text;";
    assert_eq!(destructive(allowed), Vec::<String>::new());
}
