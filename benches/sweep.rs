//! Sweep cost: AWS calls per sweep and time to detect one change, for N
//! open handshakes, against the in-process fake throttled to AWS's rates
//! (List 5/s burst 8, Describe 1/s burst 2), compared with a naive sweep
//! that Describes every tracked handshake.
//!
//! Needs `DATABASE_URL` (a Postgres the bench may create databases on);
//! `scripts/bench.sh sweep` provides one. Knobs (environment):
//! `BENCH_SWEEP_NS` (default `10,100,1000`), `BENCH_NAIVE_FULL_MAX`
//! (default 100: naive sweeps up to this N run to the end) and
//! `BENCH_NAIVE_BUDGET_SECS` (default 30: larger naive sweeps are stopped
//! after this long and the rest is extrapolated from the measured rate),
//! `BENCH_SWEEP_CLOSED` (default 0: closed handshakes AWS also lists, as it
//! does for 30 days after they close).
mod common;

use common::{drop_database, fresh_database};
use std::{
    sync::{atomic::Ordering, Arc},
    time::{Duration, Instant},
};

use org_invites::{
    aws::{fake::FakeOrganizations, AwsErrorKind, Budgeted, Organizations},
    domain::{HandshakeId, HandshakeState},
    metrics::Metrics,
    reconcile::{Reconciler, SweepReport},
    service::Invitations,
    startup::Settings,
    store::Store,
};
use tokio_util::sync::CancellationToken;

/// The real sweep's bound on one sweep (generous: 1000 handshakes take ~9 s).
const SWEEP_TIMEOUT: Duration = Duration::from_secs(180);
/// Long enough for both client buckets and the fake's limits to refill
/// (8 tokens at 5/s, 2 at 1/s), as between two sweeps of a running poller.
const REFILL: Duration = Duration::from_secs(2);

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn sizes() -> Vec<usize> {
    std::env::var("BENCH_SWEEP_NS")
        .unwrap_or_else(|_| "10,100,1000".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect()
}

fn account_id(i: usize) -> String {
    format!("{:012}", 200_000_000_000u64 + i as u64)
}

struct Calls {
    list: usize,
    describe: usize,
    throttled: usize,
}

fn calls(fake: &FakeOrganizations) -> Calls {
    Calls {
        list: fake.calls.list.load(Ordering::Relaxed),
        describe: fake.calls.describe.load(Ordering::Relaxed),
        throttled: fake.calls.throttled.load(Ordering::Relaxed),
    }
}

struct SweepRow {
    n: usize,
    adopt_secs: f64,
    adopt_report: SweepReport,
    report: SweepReport,
    /// Calls the fake saw during the measured sweep (cross-check).
    fake_list: usize,
    fake_describe: usize,
    fake_throttled: usize,
    sweep_secs: f64,
    /// From the sweep's start until the change's event row was written.
    recorded_secs: f64,
    naive: Naive,
}

struct Naive {
    /// Describe calls made (N when it ran to the end).
    done: usize,
    throttled: usize,
    measured_secs: f64,
    /// Seconds for all N (measured, or extrapolated when cut short).
    total_secs: f64,
    extrapolated: bool,
}

/// The naive alternative: Describe every tracked handshake, paced at
/// AWS's Describe rate. Stops after `budget` and extrapolates the rest
/// from the measured rate after the free burst.
async fn naive_sweep(aws: &Budgeted, ids: &[HandshakeId], budget: Option<Duration>) -> Naive {
    let start = Instant::now();
    let mut done = 0;
    let mut throttled = 0;
    // When the 2-token burst was spent: the steady rate is measured after it.
    let mut after_burst: Option<(Instant, usize)> = None;
    for id in ids {
        if budget.is_some_and(|b| start.elapsed() >= b) {
            break;
        }
        loop {
            match aws.describe_handshake(id).await {
                Ok(_) => break,
                Err(e) if e.kind == AwsErrorKind::TooManyRequests => throttled += 1,
                Err(e) => panic!("naive describe failed: {e}"),
            }
        }
        done += 1;
        if done == 2 {
            after_burst = Some((Instant::now(), done));
        }
    }
    let measured = start.elapsed();
    let n = ids.len();
    if done == n {
        return Naive {
            done,
            throttled,
            measured_secs: measured.as_secs_f64(),
            total_secs: measured.as_secs_f64(),
            extrapolated: false,
        };
    }
    let (t_burst, n_burst) = after_burst.expect("the budget allows more than the burst");
    let steady = (Instant::now() - t_burst).as_secs_f64() / (done - n_burst) as f64;
    Naive {
        done,
        throttled,
        measured_secs: measured.as_secs_f64(),
        total_secs: measured.as_secs_f64() + steady * (n - done) as f64,
        extrapolated: true,
    }
}

/// `naive_budget`: None runs the naive sweep to the end.
/// `closed`: how many closed handshakes AWS lists besides the N open ones.
async fn bench_one(n: usize, closed: usize, naive_budget: Option<Duration>) -> SweepRow {
    let fake = Arc::new(FakeOrganizations::new().with_aws_rates());
    let ids: Vec<HandshakeId> = (0..n).map(|i| fake.add_open(&account_id(i))).collect();
    for i in 0..closed {
        let id = fake.add_open(&account_id(n + i));
        fake.set_state(&id, HandshakeState::Accepted);
    }
    let db = fresh_database().await;
    let store = Store::connect_lazy(db.clone());
    store.migrate().await.expect("migrations");
    // Paced by the shared AWS request budget at AWS's rates, as the server
    // is with `serve`'s defaults.
    let defaults = Settings::defaults("127.0.0.1:0".parse().unwrap(), db.clone());
    let metrics = Metrics::new();
    let aws = Arc::new(Budgeted::new(
        fake.clone(),
        store.clone(),
        defaults.budget,
        metrics.clone(),
    ));
    let stop = CancellationToken::new();
    let (session, keeper) = store.session();
    tokio::spawn(keeper.run(stop.clone()));
    let invitations = Invitations::new(
        store.clone(),
        aws.clone(),
        defaults.service,
        metrics,
        session,
    );

    let jobs = Reconciler::over(invitations.clone());
    // Sweep 1 adopts all N.
    let t = Instant::now();
    let adopt_report = tokio::time::timeout(SWEEP_TIMEOUT, jobs.sweep().run(&stop))
        .await
        .expect("first sweep within the timeout")
        .expect("first sweep");
    let adopt_secs = t.elapsed().as_secs_f64();
    assert_eq!(
        adopt_report.changes,
        n + closed,
        "the first sweep adopts all"
    );

    // One change, then the measured sweep.
    tokio::time::sleep(REFILL).await;
    let changed = ids.last().expect("n > 0").clone();
    fake.set_state(&changed, HandshakeState::Accepted);
    let before = calls(&fake);
    let wall_start = chrono::Utc::now();
    let t = Instant::now();
    let report = tokio::time::timeout(SWEEP_TIMEOUT, jobs.sweep().run(&stop))
        .await
        .expect("second sweep within the timeout")
        .expect("second sweep");
    let sweep_secs = t.elapsed().as_secs_f64();
    let after = calls(&fake);
    let record = invitations.get(&changed).await.expect("changed handshake");
    assert_eq!(record.handshake.state, HandshakeState::Accepted);
    assert_eq!(report.changes, 1, "exactly the one change: {report:?}");
    let observed: chrono::DateTime<chrono::Utc> = sqlx::query_scalar(
        "SELECT observe_time FROM handshake_events
         WHERE handshake_id = $1 AND state = 'ACCEPTED'",
    )
    .bind(changed.as_str())
    .fetch_one(store.pool())
    .await
    .expect("the change's event");
    let recorded_secs = (observed - wall_start)
        .to_std()
        .unwrap_or_default()
        .as_secs_f64();

    // The naive sweep over the same N handshakes, same fake.
    tokio::time::sleep(REFILL).await;
    let naive = naive_sweep(&aws, &ids, naive_budget).await;

    store.pool().close().await;
    drop_database(&db).await;
    SweepRow {
        n,
        adopt_secs,
        adopt_report,
        fake_list: after.list - before.list,
        fake_describe: after.describe - before.describe,
        fake_throttled: after.throttled - before.throttled,
        report,
        sweep_secs,
        recorded_secs,
        naive,
    }
}

/// Seconds, with millisecond precision below 10 s.
fn secs(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.3} s")
    } else {
        format!("{s:.2} s")
    }
}

fn yes_no(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "**NO**"
    }
}

fn print_tables(rows: &[SweepRow], closed: usize) {
    println!();
    println!("### Sweep: AWS calls and time to detect one change (fake at AWS rates)");
    println!();
    if closed > 0 {
        println!("AWS also lists {closed} closed handshakes in every run below.");
        println!();
    }
    println!(
        "| N open | list calls | describe calls | calls / sweep | target ≤ ceil(N/20) | met | \
         change recorded after | sweep time | target (N=1000) ≤ 15 s | throttled |"
    );
    println!("|---:|---:|---:|---:|---:|:-:|---:|---:|:-:|---:|");
    for r in rows {
        let total = r.report.list_calls + r.report.describe_calls;
        let target = r.n.div_ceil(20);
        let time_target = if r.n == 1000 {
            yes_no(r.sweep_secs <= 15.0)
        } else {
            "n/a"
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.n,
            r.report.list_calls,
            r.report.describe_calls,
            total,
            target,
            yes_no(total <= target),
            secs(r.recorded_secs),
            secs(r.sweep_secs),
            time_target,
            r.report.throttled,
        );
    }
    println!();
    println!("### Naive sweep: one DescribeHandshake per tracked handshake (1/s, burst 2)");
    println!();
    println!(
        "| N open | calls / sweep | sweep time (= worst-case time to detect) | how | \
         real sweep: calls | real sweep: time |"
    );
    println!("|---:|---:|---:|:--|---:|---:|");
    for r in rows {
        let how = if r.naive.extrapolated {
            format!(
                "**extrapolated**: measured {} calls in {:.1} s, rest at the measured rate",
                r.naive.done, r.naive.measured_secs
            )
        } else {
            format!("measured ({} throttled)", r.naive.throttled)
        };
        println!(
            "| {} | {} | {:.1} s | {} | {} | {} |",
            r.n,
            r.n,
            r.naive.total_secs,
            how,
            r.report.list_calls + r.report.describe_calls,
            secs(r.sweep_secs),
        );
    }
    println!();
    println!("### Details");
    println!();
    println!(
        "| N open | first sweep (adopts N) | its calls (list/describe) | fake saw in measured sweep \
         (list/describe/throttled) |"
    );
    println!("|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {}/{} | {}/{}/{} |",
            r.n,
            secs(r.adopt_secs),
            r.adopt_report.list_calls,
            r.adopt_report.describe_calls,
            r.fake_list,
            r.fake_describe,
            r.fake_throttled,
        );
    }
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; a name filter is accepted and ignored.
    let naive_budget = Duration::from_secs(env_or("BENCH_NAIVE_BUDGET_SECS", 30));
    let naive_full_max: usize = env_or("BENCH_NAIVE_FULL_MAX", 100);
    let closed: usize = env_or("BENCH_SWEEP_CLOSED", 0);
    let mut rows = Vec::new();
    for n in sizes() {
        eprintln!("sweep bench: N = {n} ...");
        let t = Instant::now();
        let budget = (n > naive_full_max).then_some(naive_budget);
        let row = bench_one(n, closed, budget).await;
        eprintln!(
            "sweep bench: N = {n}: {} list + {} describe calls, change recorded after {:.3} s, \
             sweep {:.3} s; naive {:.1} s{} (bench took {:.0} s)",
            row.report.list_calls,
            row.report.describe_calls,
            row.recorded_secs,
            row.sweep_secs,
            row.naive.total_secs,
            if row.naive.extrapolated {
                " (extrapolated)"
            } else {
                ""
            },
            t.elapsed().as_secs_f64()
        );
        rows.push(row);
    }
    print_tables(&rows, closed);
}
