//! The decision rules stated twice, once in Rust and once in SQL, agree on
//! real Postgres: the predicate `ONBOARDING_WORK` and the generated column
//! `renewal_due` (the partial indexes the poller reads) against
//! `Onboarding::next` and `Renewal::is_due`, for every combination of what
//! either looks at. Each
//! row is written by the store's own writer (or, for values a later
//! release writes, by SQL) and read back by its own reader, so the test
//! also ties the stored JSON spellings to the SQL's literals.
use std::collections::HashSet;

use chrono::{Duration, Utc};
use org_invites::{
    domain::{
        AcceptRole, HandshakeId, HandshakeRecord, HandshakeState, Next, OnAcceptFailure,
        Onboarding, OnboardingSpec, OnboardingStatus, ParentId, Renewal, Step, StepRecord,
    },
    store::{Notice, Store, ONBOARDING_WORK},
};

use crate::helpers::*;

/// Every state, and one AWS may add (read as Unspecified): as the column holds them.
fn state_columns() -> Vec<&'static str> {
    use HandshakeState::*;
    // Exhaustive, so a state added to the domain is added here too.
    let all = |s: HandshakeState| match s {
        Unspecified | Requested | Open | Canceled | Accepted | Declined | Expired => s.as_str(),
    };
    let mut out: Vec<&str> = [
        Unspecified,
        Requested,
        Open,
        Canceled,
        Accepted,
        Declined,
        Expired,
    ]
    .map(all)
    .to_vec();
    out.push("SOME_LATER_STATE");
    out
}

fn statuses() -> [OnboardingStatus; 8] {
    use OnboardingStatus::*;
    let all = |s: OnboardingStatus| match s {
        Unspecified | Pending | Accepting | Placing | Tagging | Complete | Failed
        | NotApplicable => s,
    };
    [
        Unspecified,
        Pending,
        Accepting,
        Placing,
        Tagging,
        Complete,
        Failed,
        NotApplicable,
    ]
    .map(all)
}

/// The step lists that matter: none, and each step (or one a later
/// release runs) last, ended or not.
fn step_lists() -> Vec<Vec<(Step, bool)>> {
    let steps = |s: Step| match s {
        Step::Unspecified | Step::Accept | Step::Place | Step::Tag | Step::Leave => s,
    };
    let mut out = vec![Vec::new()];
    for last in [
        Step::Accept,
        Step::Leave,
        Step::Place,
        Step::Tag,
        Step::Unspecified,
    ]
    .map(steps)
    {
        let before: Vec<(Step, bool)> = match last {
            Step::Place | Step::Leave => vec![(Step::Accept, true)],
            Step::Tag => vec![(Step::Accept, true), (Step::Place, true)],
            _ => Vec::new(),
        };
        for ended in [false, true] {
            let mut list = before.clone();
            list.push((last, ended));
            out.push(list);
        }
    }
    out
}

/// `n` handshake rows, ids `h-due0000001`.., OPEN, with nothing else set.
async fn rows(store: &Store, n: i64) -> Vec<HandshakeId> {
    sqlx::query(
        "INSERT INTO handshakes (id, arn, parties, state, action, resources)
         SELECT 'h-due' || lpad(i::text, 7, '0'), 'arn:aws:organizations::123456789012:handshake',
                '[]', 'OPEN', 'INVITE', '[]'
         FROM generate_series(1, $1) AS i",
    )
    .bind(n)
    .execute(store.pool())
    .await
    .unwrap();
    (1..=n)
        .map(|i| HandshakeId::parse(&format!("h-due{i:07}")).unwrap())
        .collect()
}

async fn set_state(store: &Store, id: &HandshakeId, state: &str) {
    sqlx::query("UPDATE handshakes SET state = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(state)
        .execute(store.pool())
        .await
        .unwrap();
}

/// The row as the service reads it, and what its generated column says.
async fn read_back(store: &Store, id: &HandshakeId, column: &str) -> (HandshakeRecord, bool) {
    let record = store.get(id).await.unwrap().expect("readable");
    let due: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT {column} FROM handshakes WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_one(store.pool())
    .await
    .unwrap();
    (record, due)
}

/// How the poller uses `onboarding_due` (service::onboarding): it reads the
/// due rows, skips one whose retry_at is still ahead, and asks `next` of
/// the rest, acting unless it says Wait. So every onboarding with work
/// (`next` not Wait, whatever its retry_at) must be due, or it is never
/// advanced. The converse holds with one exception, and only because it
/// costs nothing that grows: an unfinished onboarding of a handshake still
/// REQUESTED or OPEN is due while `next` says Wait (no role to accept
/// through, or placing before the acceptance is recorded); the poller
/// reads it and moves on, and the OPEN rows are few whatever the history.
/// Nothing finished, and nothing of a closed handshake with nothing left
/// to do, is due.
#[tokio::test]
async fn the_onboardings_sql_finds_due_are_those_the_domain_would_advance() {
    let store = Store::connect_lazy(fresh_database().await);
    store.migrate().await.unwrap();
    let now = Utc::now();
    let mut cases = Vec::new();
    for state in state_columns() {
        // A status this release knows, or one a later release writes.
        for status in statuses().map(Some).into_iter().chain([None]) {
            for role in [false, true] {
                // Waiting to retry or not: the poller checks retry_at itself.
                for retry_at in [None, Some(now + Duration::hours(1))] {
                    for steps in step_lists() {
                        cases.push((state, status, role, retry_at, steps));
                    }
                }
            }
        }
    }
    let ids = rows(&store, cases.len() as i64).await;
    let mut checked = 0;
    let mut waiting_in_index = 0;
    let mut expected_due = HashSet::new();
    for (id, (column, status, role, retry_at, steps)) in ids.iter().zip(cases) {
        let mut onboarding = Onboarding::new(OnboardingSpec {
            destination: ParentId::parse("ou-abcd-12345678").unwrap(),
            accept_role: role.then(|| AcceptRole::parse("Role", "111122223333").unwrap()),
            external_id: None,
            on_accept_failure: OnAcceptFailure::LeaveOpen,
            leave_previous_organization: false,
        });
        onboarding.status = status.unwrap_or(OnboardingStatus::Pending);
        onboarding.retry_at = retry_at;
        onboarding.steps = steps
            .iter()
            .map(|&(step, ended)| StepRecord {
                step,
                start_time: now,
                end_time: ended.then_some(now),
                attempts: 1,
                error: None,
            })
            .collect();
        set_state(&store, id, column).await;
        store
            .save_onboarding(id, &onboarding, Notice::Quiet)
            .await
            .unwrap();
        if status.is_none() {
            sqlx::query(
                "UPDATE handshakes SET onboarding = jsonb_set(onboarding, '{status}', '\"DANCING\"')
                 WHERE id = $1",
            )
            .bind(id.as_str())
            .execute(store.pool())
            .await
            .unwrap();
        }

        let (record, due) = read_back(&store, id, ONBOARDING_WORK).await;
        let read = record.onboarding.expect("the onboarding reads back");
        let state = record.handshake.state;
        let next = read.next(state);
        let case = format!("{state:?} ({column}), {read:?}: next {next:?}");
        if next != Next::Wait {
            assert!(due, "work the poller would never find: {case}");
        }
        if due && next == Next::Wait {
            assert!(
                matches!(state, HandshakeState::Requested | HandshakeState::Open)
                    && !read.status.is_final()
                    && read.status != OnboardingStatus::Unspecified,
                "due with nothing to do, and not waiting for an acceptance: {case}"
            );
            waiting_in_index += 1;
        }
        if !due {
            assert_eq!(next, Next::Wait, "{case}");
        }
        if due {
            expected_due.insert(id.as_str().to_string());
        }
        checked += 1;
    }
    assert_eq!(checked, 8 * 9 * 2 * 2 * 11);
    assert!(waiting_in_index > 0, "the exception is exercised");

    // What the poller reads is exactly the rows the column marks.
    let found: HashSet<String> = store
        .due_onboardings()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.handshake.id.as_str().to_string())
        .collect();
    assert_eq!(found, expected_due);
}

/// How the poller uses `renewal_due` (service::lifecycle): it reads the due
/// rows, skips one whose waiting_until is still ahead, and renews the rest.
/// So due is exactly `Renewal::is_due` (waiting_until aside, which the
/// poller checks itself): a row that is due but not `is_due` would be
/// renewed twice, one that `is_due` but not due never.
#[tokio::test]
async fn the_renewals_sql_finds_due_are_exactly_those_the_domain_would_renew() {
    let store = Store::connect_lazy(fresh_database().await);
    store.migrate().await.unwrap();
    let now = Utc::now();
    let other = HandshakeId::parse("h-renewedto01").unwrap();
    let mut cases = Vec::new();
    for state in state_columns() {
        for left in [0_u8, 1, 2, 10] {
            for renewed_to in [None, Some(other.clone())] {
                for given_up in [false, true] {
                    for waiting_until in [
                        None,
                        Some(now - Duration::hours(1)),
                        Some(now + Duration::hours(1)),
                    ] {
                        // As this release writes it, and without the fields
                        // a later release might drop (read as their defaults).
                        for trimmed in [false, true] {
                            cases.push((
                                state,
                                left,
                                renewed_to.clone(),
                                given_up,
                                waiting_until,
                                trimmed,
                            ));
                        }
                    }
                }
            }
        }
    }
    let ids = rows(&store, cases.len() as i64).await;
    let mut expected_due = HashSet::new();
    for (id, (column, left, renewed_to, given_up, waiting_until, trimmed)) in ids.iter().zip(cases)
    {
        let renewal = Renewal {
            renewed_to,
            waiting_until,
            given_up,
            ..Renewal::first(left)
        };
        set_state(&store, id, column).await;
        store
            .save_renewal(id, &renewal, Notice::Quiet)
            .await
            .unwrap();
        if trimmed {
            sqlx::query(
                "UPDATE handshakes SET renewal = renewal - 'renewals_left' - 'given_up' WHERE id = $1",
            )
            .bind(id.as_str())
            .execute(store.pool())
            .await
            .unwrap();
        }

        let (record, due) = read_back(&store, id, "renewal_due").await;
        let read = record.renewal.expect("the renewal reads back");
        let state = record.handshake.state;
        assert_eq!(due, read.is_due(state), "{state:?} ({column}), {read:?}");
        if due {
            expected_due.insert(id.as_str().to_string());
        }
    }
    assert!(!expected_due.is_empty(), "some are due");

    let found: HashSet<String> = store
        .due_renewals()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.handshake.id.as_str().to_string())
        .collect();
    assert_eq!(found, expected_due);
}
