//! Campaigns (issue 25): CreateCampaign of 1,000 targets (against the same
//! targets inserted row by row), one campaign pass with 100 ACTIVE
//! campaigns and the quota used up (and with 1), and how soon a running
//! poller uses a freed quota slot.
//!
//! Needs `DATABASE_URL` (a Postgres the bench may create databases on);
//! `scripts/bench.sh campaigns` provides one. AWS is the in-process fake.
//! Knobs (environment): `BENCH_CAMPAIGN_TARGETS` (1000 per campaign),
//! `BENCH_CAMPAIGN_CREATE_RUNS` (10), `BENCH_CAMPAIGN_COUNTS` (`1,100`:
//! ACTIVE campaigns in the pass), `BENCH_CAMPAIGN_INVITED` (20 targets of
//! each INVITED), `BENCH_CAMPAIGN_PASSES` (50), `BENCH_CAMPAIGN_POLL_SECS`
//! (2: the poller's interval), `BENCH_CAMPAIGN_WINDOW_SECS` (5) and
//! `BENCH_CAMPAIGN_SLOT_TARGETS` (12: the freed-slot campaign, limit 2).
mod common;

use std::{sync::Arc, time::Duration, time::Instant};

use chrono::{DateTime, Utc};
use common::{drop_database, fresh_database, percentile};
use org_invites::{
    aws::{fake::FakeOrganizations, BudgetSettings, Budgeted},
    domain::{
        CampaignId, IfOpenExists, InviteQuota, InviteTarget, NewCampaign, Notes, PartyType,
        RequestId, SharedSpec, Tags, TargetSpec,
    },
    metrics::Metrics,
    poller::{Poller, PollerSettings},
    reconcile::Reconciler,
    service::Invitations,
    startup::Settings,
    store::Store,
};
use sqlx::postgres::PgConnectOptions;
use tokio_util::sync::CancellationToken;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn yes_no(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "**NO**"
    }
}

/// p50, p99 and max of some durations, in ms.
fn summary(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let p = |q| percentile(&v, q).map(ms).unwrap_or(f64::NAN);
    (p(50.0), p(99.0), p(100.0))
}

/// The service over a fresh database and the fake, with `quota`; `rates`
/// overrides AWS's published rates (OPERATION=RATE/BURST).
async fn service(db: &PgConnectOptions, quota: InviteQuota, rates: &[&str]) -> Invitations {
    let store = Store::connect_lazy(db.clone());
    store.migrate().await.expect("migrations");
    let defaults = Settings::defaults("127.0.0.1:0".parse().unwrap(), db.clone());
    let rates: Vec<String> = rates.iter().map(|r| r.to_string()).collect();
    let budget = BudgetSettings::new(defaults.budget.max_wait, &rates).expect("rates");
    let metrics = Metrics::new();
    let fake = Arc::new(FakeOrganizations::new());
    let aws = Arc::new(Budgeted::new(fake, store.clone(), budget, metrics.clone()));
    let (session, keeper) = store.session();
    tokio::spawn(keeper.run(CancellationToken::new()));
    let settings = org_invites::service::ServiceSettings {
        quota,
        ..defaults.service
    };
    Invitations::new(store, aws, settings, metrics, session)
}

fn account(campaign: usize, i: usize) -> String {
    format!(
        "{:012}",
        300_000_000_000u64 + (campaign * 100_000 + i) as u64
    )
}

fn new_campaign(campaign: usize, targets: usize) -> NewCampaign {
    NewCampaign {
        display_name: format!("bench {campaign}"),
        request_id: RequestId::generate(),
        requested_by: None,
        quota_reserve: 0,
        spec: SharedSpec {
            notes: Notes::default(),
            tags: Tags::default(),
            onboarding: None,
            max_renewals: 0,
            if_open_exists: IfOpenExists::Fail,
        },
        targets: (0..targets)
            .map(|i| TargetSpec {
                target: InviteTarget::parse(PartyType::Account, &account(campaign, i)).unwrap(),
                notes: None,
                tags: Tags::default(),
            })
            .collect(),
    }
}

/// The alternative: the same campaign row, then one INSERT per target, in
/// one transaction (what `create_campaign` would cost without its UNNEST;
/// its read-back with counts is not done here).
async fn create_row_by_row(store: &Store, campaign: usize, new: &NewCampaign) {
    let mut tx = store.pool().begin().await.unwrap();
    let id = format!("c-rows{campaign:08}");
    sqlx::query(
        "INSERT INTO campaigns (id, request_id, fingerprint, display_name, state,
                                quota_reserve, spec)
         VALUES ($1, $2, '', $3, 'DONE', 0, '{}')",
    )
    .bind(&id)
    .bind(new.request_id.as_str())
    .bind(&new.display_name)
    .execute(&mut *tx)
    .await
    .unwrap();
    for (i, t) in new.targets.iter().enumerate() {
        sqlx::query(
            "INSERT INTO campaign_targets (campaign_id, idx, target_type, target_id, state)
             VALUES ($1, $2, 'ACCOUNT', $3, 'QUEUED')",
        )
        .bind(&id)
        .bind(i as i32)
        .bind(t.target.id())
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// (a) CreateCampaign through the service, alternating with row by row.
async fn bench_create(targets: usize, runs: usize) {
    let db = fresh_database().await;
    let quota = InviteQuota {
        limit: 20,
        window: Duration::from_secs(86400),
    };
    let invitations = service(&db, quota, &[]).await;
    let store = invitations.store().clone();
    let (mut ours, mut rows) = (Vec::new(), Vec::new());
    // One of each first, unmeasured: connections, prepared statements.
    invitations
        .create_campaign(new_campaign(10_000, targets))
        .await
        .unwrap();
    create_row_by_row(&store, 10_001, &new_campaign(10_001, targets)).await;
    for run in 0..runs {
        let new = new_campaign(2 * run, targets);
        let t = Instant::now();
        let made = invitations.create_campaign(new).await.expect("create");
        ours.push(t.elapsed());
        assert_eq!(
            made.counts
                .0
                .iter()
                .map(|(_, n)| *n as usize)
                .sum::<usize>(),
            targets
        );
        let new = new_campaign(2 * run + 1, targets);
        let t = Instant::now();
        create_row_by_row(&store, run, &new).await;
        rows.push(t.elapsed());
    }
    let (o50, _, omax) = summary(ours);
    let (r50, _, rmax) = summary(rows);
    println!();
    println!("### CreateCampaign, {targets} targets ({runs} runs each, alternating)");
    println!();
    println!("| how | median | max | target ≤ 1 s | met |");
    println!("|:--|---:|---:|---:|:-:|");
    println!(
        "| `Invitations::create_campaign` (one transaction, UNNEST insert, read back with counts) \
         | {o50:.1} ms | {omax:.1} ms | 1000 ms | {} |",
        yes_no(omax <= 1000.0)
    );
    println!(
        "| the same rows, one INSERT per target in one transaction | {r50:.1} ms | {rmax:.1} ms | \
         | |"
    );
    store.pool().close().await;
    drop_database(&db).await;
}

/// `n` ACTIVE campaigns of `targets`, the first `invited` of each INVITED
/// with a recorded OPEN handshake requested an hour ago (so the daily
/// quota is used up and nothing is sent), unchanged since.
async fn fill_campaigns(invitations: &Invitations, n: usize, targets: usize, invited: usize) {
    for c in 0..n {
        invitations
            .create_campaign(new_campaign(c, targets))
            .await
            .expect("create");
    }
    let pool = invitations.store().pool();
    sqlx::query(
        "INSERT INTO handshakes (id, arn, parties, state, requested_time, expiration_time,
                                 action, resources, target_type, target_id, notes, tags,
                                 version, create_time, update_time)
         SELECT 'h-' || lpad(to_hex(row_number() OVER ()), 12, '0'),
                'arn:aws:organizations::123456789012:handshake/o-bench00000/invite/h-'
                    || lpad(to_hex(row_number() OVER ()), 12, '0'),
                jsonb_build_array(jsonb_build_object('id', 'o-bench00000', 'kind', 'Organization'),
                                  jsonb_build_object('id', t.target_id, 'kind', 'Account')),
                'OPEN', now() - interval '1 hour', now() + interval '14 days', 'INVITE',
                '[]'::jsonb, 'ACCOUNT', t.target_id, '', '[]'::jsonb, 1,
                now() - interval '1 hour', now() - interval '1 hour'
         FROM campaign_targets t WHERE t.idx < $1 ORDER BY t.campaign_id, t.idx",
    )
    .bind(invited as i32)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "WITH linked AS (
             UPDATE campaign_targets t SET state = 'INVITED', handshake_id = h.id,
                                           update_time = now()
             FROM handshakes h WHERE h.target_id = t.target_id AND t.idx < $1
             RETURNING t.campaign_id, h.id)
         INSERT INTO campaign_handshakes (handshake_id, campaign_id)
         SELECT id, campaign_id FROM linked",
    )
    .bind(invited as i32)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(pool).await.unwrap();
}

struct PassRow {
    campaigns: usize,
    rows: i64,
    pass: (f64, f64, f64),
    queries: (f64, f64, f64),
    default_rates: String,
    metric: (f64, f64, f64),
}

/// (b) One campaign pass over `n` ACTIVE campaigns.
async fn bench_pass(n: usize, targets: usize, invited: usize, passes: usize) -> PassRow {
    let db = fresh_database().await;
    let quota = InviteQuota {
        limit: 20,
        window: Duration::from_secs(86400),
    };
    // ListParents unbounded: the pass asks it once per campaign head; at
    // AWS's rate (2/s) that, not Postgres, would be the pass's time.
    let unbounded = [
        "ListParents=100000/100000",
        "InviteAccountToOrganization=100000/100000",
    ];
    let invitations = service(&db, quota, &unbounded).await;
    fill_campaigns(&invitations, n, targets, invited).await;
    let store = invitations.store().clone();
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM campaign_targets")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let jobs = Reconciler::over(invitations.clone());
    let report = jobs.campaigns().run().await.expect("warm-up pass");
    assert_eq!(report.sent, 0, "the quota is used up: {report:?}");
    let (mut pass, mut queries, mut metric) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..passes {
        let t = Instant::now();
        let report = jobs.campaigns().run().await.expect("pass");
        pass.push(t.elapsed());
        assert_eq!((report.sent, report.finished), (0, 0));
        // The store's own part: the four statements the pass always runs.
        let t = Instant::now();
        store.followed_changes().await.unwrap();
        store.invitations_to_cancel(None).await.unwrap();
        let heads = store.next_targets(None).await.unwrap();
        store.finish_campaigns().await.unwrap();
        queries.push(t.elapsed());
        assert_eq!(heads.len(), n);
        let t = Instant::now();
        store.campaign_target_counts().await.unwrap();
        metric.push(t.elapsed());
    }
    // The same pass at AWS's published rates (the server's defaults).
    let at_aws = service(&db, quota, &[]).await;
    let t = Instant::now();
    let outcome = Reconciler::over(at_aws.clone()).campaigns().run().await;
    let default_rates = match outcome {
        Ok(r) => format!("{:.2} s, ok (sent {})", t.elapsed().as_secs_f64(), r.sent),
        Err(e) => format!("{:.2} s, **failed**: {e}", t.elapsed().as_secs_f64()),
    };
    at_aws.store().pool().close().await;
    store.pool().close().await;
    drop_database(&db).await;
    PassRow {
        campaigns: n,
        rows,
        pass: summary(pass),
        queries: summary(queries),
        default_rates,
        metric: summary(metric),
    }
}

fn print_passes(rows: &[PassRow], invited: usize, passes: usize) {
    println!();
    println!(
        "### One campaign pass, quota used up ({passes} passes; {invited} targets of each \
         INVITED, the rest QUEUED; ListParents unbounded)"
    );
    println!();
    println!(
        "| ACTIVE campaigns | targets | pass p50 | p99 | max | target ≤ 50 ms (p99) | met | \
         its 4 store statements p50 / p99 | one pass at AWS's rates |"
    );
    println!("|---:|---:|---:|---:|---:|---:|:-:|---:|:--|");
    for r in rows {
        println!(
            "| {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | 50 ms | {} | {:.1} / {:.1} ms | {} |",
            r.campaigns,
            r.rows,
            r.pass.0,
            r.pass.1,
            r.pass.2,
            yes_no(r.pass.1 <= 50.0),
            r.queries.0,
            r.queries.1,
            r.default_rates,
        );
    }
    println!();
    println!("`campaign_target_counts` (the metric, read on every `GET /metrics`):");
    println!();
    println!("| targets | p50 | p99 |");
    println!("|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {:.2} ms | {:.2} ms |",
            r.rows, r.metric.0, r.metric.1
        );
    }
}

/// (c) A campaign of `targets` on a running poller with a quota of 2 per
/// `window`: for each send after the first two, the time from the slot
/// freeing (the oldest counted invitation's requested_time + window) to
/// the send's requested_time.
async fn bench_freed_slot(targets: usize, window: Duration, interval: Duration) {
    let db = fresh_database().await;
    let limit = 2;
    let invitations = service(&db, InviteQuota { limit, window }, &[]).await;
    let store = invitations.store().clone();
    let defaults = Settings::defaults("127.0.0.1:0".parse().unwrap(), db.clone());
    let stop = CancellationToken::new();
    let (ready, check_readiness) = store.watch_readiness(stop.clone());
    tokio::spawn(check_readiness);
    let poller = Poller {
        jobs: Reconciler::over(invitations.clone()),
        store: store.clone(),
        metrics: Metrics::new(),
        settings: PollerSettings {
            interval,
            watched_interval: interval,
            ..defaults.poller
        },
        session: invitations_session(&store).await,
    };
    tokio::spawn(poller.run(ready, stop.clone()));
    let made = invitations
        .create_campaign(new_campaign(0, targets))
        .await
        .expect("create");
    let started = Instant::now();
    let times = loop {
        let times = sent_times(&store, &made.id).await;
        if times.len() == targets {
            break times;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "sent {} of {targets} in 600 s",
            times.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    stop.cancel();
    let window = chrono::Duration::from_std(window).unwrap();
    let gaps: Vec<Duration> = (limit as usize..times.len())
        .map(|k| {
            let freed = times[k - limit as usize] + window;
            (times[k] - freed).to_std().unwrap_or_default()
        })
        .collect();
    let n = gaps.len();
    let (p50, p99, max) = summary(gaps);
    let bound = ms(interval) + 1000.0;
    println!();
    println!(
        "### A freed slot is used: quota {limit} per {} s, poll interval {} s, {targets} targets",
        window.num_seconds(),
        interval.as_secs_f64()
    );
    println!();
    println!("| sends after a freed slot | gap p50 | p99 | max | target p99 ≤ interval + 1 s | met | all sent in |");
    println!("|---:|---:|---:|---:|---:|:-:|---:|");
    println!(
        "| {n} | {p50:.0} ms | {p99:.0} ms | {max:.0} ms | {bound:.0} ms | {} | {:.1} s |",
        yes_no(p99 <= bound),
        started.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    store.pool().close().await;
    drop_database(&db).await;
}

/// A session of its own for the poller, as the server has one per replica.
async fn invitations_session(store: &Store) -> org_invites::store::Session {
    let (session, keeper) = store.session();
    tokio::spawn(keeper.run(CancellationToken::new()));
    session
}

/// The requested_time of each handshake the campaign's targets point at.
async fn sent_times(store: &Store, id: &CampaignId) -> Vec<DateTime<Utc>> {
    sqlx::query_scalar(
        "SELECT h.requested_time FROM campaign_targets t JOIN handshakes h ON h.id = t.handshake_id
         WHERE t.campaign_id = $1 ORDER BY h.requested_time",
    )
    .bind(id.as_str())
    .fetch_all(store.pool())
    .await
    .unwrap()
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run());
}

async fn run() {
    let targets = env_or("BENCH_CAMPAIGN_TARGETS", 1000);
    let invited = env_or("BENCH_CAMPAIGN_INVITED", 20);
    let passes = env_or("BENCH_CAMPAIGN_PASSES", 50);
    bench_create(targets, env_or("BENCH_CAMPAIGN_CREATE_RUNS", 10)).await;
    let counts: Vec<usize> = std::env::var("BENCH_CAMPAIGN_COUNTS")
        .unwrap_or_else(|_| "1,100".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let mut rows = Vec::new();
    for n in counts {
        rows.push(bench_pass(n, targets, invited, passes).await);
    }
    print_passes(&rows, invited, passes);
    bench_freed_slot(
        env_or("BENCH_CAMPAIGN_SLOT_TARGETS", 12),
        Duration::from_secs(env_or("BENCH_CAMPAIGN_WINDOW_SECS", 5)),
        Duration::from_secs(env_or("BENCH_CAMPAIGN_POLL_SECS", 2)),
    )
    .await;
}
