//! History at scale: the hot paths' cost with N = 10,000, 100,000 and
//! 1,000,000 handshakes recorded (nearly all closed, a few hundred OPEN,
//! two or three events and history rows each, spread over years), against
//! the target: every p99 at 1,000,000 within 2x its value at 10,000, and a
//! WatchHandshakes replay at >= 50,000 events/s. N = 0 (only the
//! InviteAccount calls the bench makes itself) compares with an empty
//! database: `BENCH_HISTORY_NS=0,1000000`.
//!
//! Needs `DATABASE_URL` (a Postgres the bench may create databases on);
//! `scripts/bench.sh history` provides one. Knobs (environment):
//! `BENCH_HISTORY_NS` (default `10000,100000,1000000`), `BENCH_HISTORY_RUNS`
//! (default 200: samples per measurement), `BENCH_HISTORY_OPEN` (default
//! 300 open handshakes).
mod common;

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use common::{drop_database, fresh_database};
use org_invites::{
    aws::{fake::FakeOrganizations, BudgetSettings, Budgeted},
    domain::{HandshakeState, IfOpenExists, Invitation, InviteRequest, InviteTarget, PartyType},
    http::HttpState,
    metrics::{Metrics, WatchMethod},
    service::{Invitations, ServiceSettings},
    startup::Settings,
    store::{ListQuery, Store},
    watch::{Hub, Watches},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The indexes the history needs, as migrations 0008-0013 build them: the
/// bench drops them after the fill and times building them again.
const INDEX_MIGRATIONS: [&str; 6] = [
    include_str!("../migrations/0008_index_handshakes_by_state_newest.sql"),
    include_str!("../migrations/0009_index_handshakes_by_target_newest.sql"),
    include_str!("../migrations/0010_index_handshakes_pending.sql"),
    include_str!("../migrations/0011_index_handshakes_invites_requested.sql"),
    include_str!("../migrations/0012_index_handshakes_expiring.sql"),
    include_str!("../migrations/0013_index_handshake_events_by_time.sql"),
];

/// Handshakes the fill records per transaction. The counts trigger runs on
/// each, as it does when the service records them, so `handshake_state_counts`
/// is left as a history leaves it: one row per state, in a heap that every
/// count update made grow (a version per update, until vacuum, and the file
/// keeps its size after). One transaction per handshake, as the service
/// writes, would take hours at 1,000,000.
const FILL_BATCH: i64 = 1000;

/// Fills the migrated database with `n` handshakes, `open` of them OPEN,
/// in SQL, `FILL_BATCH` handshakes a transaction: states, times over four
/// years, two or three events and history rows each, an intent row for the
/// ones this service sent.
async fn fill(store: &Store, n: i64, open: i64) {
    let pool = store.pool();
    for first in (1..=n).step_by(FILL_BATCH as usize) {
        fill_handshakes(store, n, open, first, (first + FILL_BATCH - 1).min(n)).await;
    }
    fill_history(pool).await;
}

/// Handshakes `first..=last` of the `n` (the last `open` OPEN).
async fn fill_handshakes(store: &Store, n: i64, open: i64, first: i64, last: i64) {
    sqlx::query(
        "INSERT INTO handshakes (id, arn, parties, state, requested_time, expiration_time,
                                 action, resources, target_type, target_id, notes, tags,
                                 request_id, version, create_time, update_time)
         SELECT 'h-' || lpad(to_hex(i), 12, '0'),
                'arn:aws:organizations::123456789012:handshake/o-bench00000/invite/h-' || lpad(to_hex(i), 12, '0'),
                jsonb_build_array(jsonb_build_object('id', 'o-bench00000', 'kind', 'Organization'),
                                  jsonb_build_object('id', lpad((100000000000 + i)::text, 12, '0'), 'kind', 'Account')),
                CASE WHEN i > $1 - $2 THEN 'OPEN'
                     ELSE (ARRAY['ACCEPTED', 'EXPIRED', 'DECLINED', 'CANCELED', 'ACCEPTED'])[1 + i % 5] END,
                t, t + interval '15 days', 'INVITE', '[]'::jsonb,
                'ACCOUNT', lpad((100000000000 + i)::text, 12, '0'), '', '[]'::jsonb,
                CASE WHEN i % 2 = 0 THEN 'req-' || i END, 2, t, t
         FROM generate_series($3::bigint, $4::bigint) AS i,
              LATERAL (SELECT CASE WHEN i > $1 - $2 THEN now() - (i % 86400) * interval '1 second'
                                   ELSE now() - interval '4 years' * (1.0 - i::float8 / $1) - interval '1 day'
                              END AS t) AS times",
    )
    .bind(n)
    .bind(open)
    .bind(first)
    .bind(last)
    .execute(store.pool())
    .await
    .unwrap();
}

/// Events, state history and intents of every handshake, and fresh statistics.
async fn fill_history(pool: &sqlx::PgPool) {
    let opened = format!(
        "INSERT INTO handshake_events (handshake_id, previous_state, state, version, snapshot, observe_time, kind)
         SELECT id, NULL, 'OPEN', 1, {}, create_time, 'STATE_CHANGE'
         FROM handshakes ORDER BY create_time",
        snapshot("'OPEN'")
    );
    let closed = format!(
        "INSERT INTO handshake_events (handshake_id, previous_state, state, version, snapshot, observe_time, kind)
         SELECT id, 'OPEN', state, 2, {}, create_time + interval '2 days', 'STATE_CHANGE'
         FROM handshakes WHERE state <> 'OPEN' ORDER BY create_time",
        snapshot("state")
    );
    for sql in [
        "INSERT INTO handshake_state_history (handshake_id, state, first_seen_time)
         SELECT id, 'OPEN', create_time FROM handshakes",
        "INSERT INTO handshake_state_history (handshake_id, state, first_seen_time)
         SELECT id, state, create_time + interval '2 days' FROM handshakes WHERE state <> 'OPEN'",
        opened.as_str(),
        closed.as_str(),
        "INSERT INTO invite_requests (request_id, status, target_type, target_id, notes, tags, handshake_id,
                                      attempt_time, create_time, update_time)
         SELECT request_id, 'SENT', 'ACCOUNT', target_id, '', '[]'::jsonb, id, create_time, create_time, create_time
         FROM handshakes WHERE request_id IS NOT NULL",
        "ANALYZE",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(pool)
            .await
            .unwrap();
    }
}

/// SQL for an event's snapshot of a `handshakes` row in `state` (an SQL
/// expression): the JSON of the domain's `HandshakeRecord`, as the service
/// writes it (serde's variant names, e.g. `Open`), so replay decodes it.
fn snapshot(state: &str) -> String {
    format!(
        "jsonb_build_object(
             'handshake', jsonb_build_object(
                 'id', id, 'arn', arn, 'parties', parties, 'state', initcap({state}),
                 'requested_time', requested_time, 'expiration_time', expiration_time,
                 'action', 'Invite', 'resources', resources),
             'target', jsonb_build_object('id', target_id, 'kind', 'Account'),
             'notes', notes, 'tags', tags, 'request_id', request_id,
             'create_time', create_time, 'update_time', create_time, 'version', 1)"
    )
}

/// Drops the history indexes and builds them again as the migrations do;
/// the seconds it took.
async fn rebuild_indexes(store: &Store) -> f64 {
    let pool = store.pool();
    for name in [
        "handshakes_by_state_newest",
        "handshakes_by_target_newest",
        "handshakes_pending",
        "handshakes_invites_requested",
        "handshakes_expiring",
        "handshake_events_by_time",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX {name}")))
            .execute(pool)
            .await
            .unwrap();
    }
    let started = Instant::now();
    for sql in INDEX_MIGRATIONS {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(pool)
            .await
            .unwrap();
    }
    started.elapsed().as_secs_f64()
}

#[derive(Default)]
struct Samples(Vec<f64>);

impl Samples {
    fn push(&mut self, d: Duration) {
        self.0.push(d.as_secs_f64() * 1000.0);
    }

    fn pct(&self, p: f64) -> f64 {
        let mut v = self.0.clone();
        v.sort_by(|a, b| a.total_cmp(b));
        v[((v.len() - 1) as f64 * p).round() as usize]
    }
}

async fn time<F, Fut>(runs: usize, mut f: F) -> Samples
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut s = Samples::default();
    for i in 0..runs {
        let t = Instant::now();
        f(i).await;
        s.push(t.elapsed());
    }
    s
}

struct Row {
    n: i64,
    fill_secs: f64,
    index_secs: f64,
    /// The size of handshake_state_counts' heap after the fill, in KiB.
    counts_heap_kib: i64,
    measures: Vec<(&'static str, Samples)>,
    replay_events_per_sec: f64,
    replayed: usize,
}

async fn bench_one(n: i64, open: i64, runs: usize) -> Row {
    let db = fresh_database().await;
    let store = Store::connect_lazy(db.clone());
    store.migrate().await.unwrap();
    let t = Instant::now();
    fill(&store, n, open).await;
    let fill_secs = t.elapsed().as_secs_f64();
    let index_secs = rebuild_indexes(&store).await;
    sqlx::query("ANALYZE").execute(store.pool()).await.unwrap();
    let counts_heap_kib: i64 =
        sqlx::query_scalar("SELECT pg_relation_size('handshake_state_counts') / 1024")
            .fetch_one(store.pool())
            .await
            .unwrap();

    let defaults = Settings::defaults("127.0.0.1:0".parse().unwrap(), db.clone());
    let metrics = Metrics::new();
    let fake = Arc::new(FakeOrganizations::new());
    // AWS's rates would make this a bench of the budget; the budget's own
    // Postgres turn is still taken on each call.
    let budget = BudgetSettings::new(
        defaults.budget.max_wait,
        &["InviteAccountToOrganization=100000/100000".to_string()],
    )
    .unwrap();
    let aws = Arc::new(Budgeted::new(fake, store.clone(), budget, metrics.clone()));
    let service = ServiceSettings {
        quota: org_invites::domain::InviteQuota {
            limit: u32::MAX,
            window: Duration::from_secs(86400),
        },
        ..defaults.service
    };
    let (session, keeper) = store.session();
    tokio::spawn(keeper.run(tokio_util::sync::CancellationToken::new()));
    let invitations = Invitations::new(store.clone(), aws, service, metrics.clone(), session);

    let mut measures = Vec::new();
    let inv = |i: usize| Invitation {
        target: InviteTarget::parse(
            PartyType::Account,
            &format!("{:012}", 900_000_000_000u64 + i as u64),
        )
        .unwrap(),
        notes: Default::default(),
        tags: Default::default(),
        requested_by: None,
        onboarding: None,
        renewal: None,
    };
    let s = time(runs, |i| {
        let invitations = invitations.clone();
        let invitation = inv(i);
        async move {
            invitations
                .invite(InviteRequest {
                    request_id: None,
                    invitation,
                    if_open_exists: IfOpenExists::Fail,
                })
                .await
                .expect("invite");
        }
    })
    .await;
    measures.push(("InviteAccount (fake AWS, quota check included)", s));

    let list = |q: ListQuery| {
        let store = store.clone();
        async move {
            store.list(&q).await.expect("list");
        }
    };
    measures.push((
        "ListHandshakes, first page",
        time(runs, |_| list(ListQuery::default())).await,
    ));
    measures.push((
        "ListHandshakes, states=[OPEN]",
        time(runs, |_| {
            list(ListQuery {
                states: vec![HandshakeState::Open],
                ..ListQuery::default()
            })
        })
        .await,
    ));
    measures.push((
        "ListHandshakes, by target",
        time(runs, |i| {
            list(ListQuery {
                target_id: Some(format!(
                    "{:012}",
                    100_000_000_000u64 + 1 + (i as u64 * 7919) % n.max(1) as u64
                )),
                ..ListQuery::default()
            })
        })
        .await,
    ));
    // The cursor of page 100, read once; then page 101 is timed.
    let mut q = ListQuery::default();
    for _ in 0..100 {
        let (_, next) = store.list(&q).await.unwrap();
        q.after = next;
    }
    measures.push((
        "ListHandshakes, 100 pages deep",
        time(runs, |_| list(q.clone())).await,
    ));
    let some_id = store.list(&ListQuery::default()).await.unwrap().0[0]
        .handshake
        .id
        .clone();
    measures.push((
        "GetHandshake with history",
        time(runs, |_| {
            let (store, id) = (store.clone(), some_id.clone());
            async move {
                store.get_with_history(&id).await.unwrap();
            }
        })
        .await,
    ));
    measures.push((
        "sweep's pending read",
        time(runs, |_| {
            let store = store.clone();
            async move {
                store.pending_ids().await.unwrap();
            }
        })
        .await,
    ));
    measures.push((
        "/metrics scrape (its queries)",
        time(runs, |_| {
            let store = store.clone();
            async move {
                store.count_by_state().await.unwrap();
                store.expiring_invitations().await.unwrap();
            }
        })
        .await,
    ));
    // The counts as the scrape read them before issue 24: a sequential
    // scan of handshake_state_counts, whose heap the history made grow.
    measures.push((
        "the counts read as before (WHERE n > 0, a sequential scan)",
        time(runs, |_| {
            let pool = store.pool().clone();
            async move {
                sqlx::query("SELECT state, n FROM handshake_state_counts WHERE n > 0")
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            }
        })
        .await,
    ));
    let scrape = serve_http(&store, &invitations, &metrics).await;
    measures.push((
        "GET /metrics (HTTP, a connection each)",
        time(runs, |_| get_metrics(scrape)).await,
    ));
    measures.push((
        "/api/summary (its queries)",
        time(runs, |_| {
            let store = store.clone();
            async move {
                store.status_snapshot(200).await.unwrap();
                store.member_accounts().await.unwrap();
            }
        })
        .await,
    ));

    // WatchHandshakes from the oldest resume token: events per second.
    let latest = store.latest_event_id().await.unwrap();
    let stop = CancellationToken::new();
    let watches = Watches::new(store.clone(), Hub::new(), metrics.clone(), stop.clone());
    let mut stream = watches
        .all(Some(0), Vec::new(), WatchMethod::WatchHandshakes)
        .await
        .unwrap();
    let t = Instant::now();
    let mut replayed = 0;
    while let Some(e) = stream.next().await {
        let e = e.expect("replay");
        replayed += 1;
        if e.event_id >= latest {
            break;
        }
    }
    let replay_events_per_sec = replayed as f64 / t.elapsed().as_secs_f64();
    stop.cancel();
    drop(stream);

    store.pool().close().await;
    drop_database(&db).await;
    Row {
        n,
        fill_secs,
        index_secs,
        counts_heap_kib,
        measures,
        replay_events_per_sec,
        replayed,
    }
}

/// The status page and /metrics on a free port, as `serve` runs them.
async fn serve_http(store: &Store, invitations: &Invitations, metrics: &Metrics) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let state = HttpState {
        subscriptions: None,
        invitations: invitations.clone(),
        watches: Watches::new(store.clone(), Hub::new(), metrics.clone(), stop.clone()),
        metrics: metrics.clone(),
        stop,
    };
    tokio::spawn(org_invites::http::serve(listener, state));
    addr
}

/// One scrape, as Prometheus (or curl) makes it: connect, GET, read it all.
async fn get_metrics(addr: SocketAddr) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    assert!(
        out.starts_with(b"HTTP/1.1 200") && out.windows(22).any(|w| w == b"org_invites_handshakes"),
        "a scrape: {}",
        String::from_utf8_lossy(&out)
    );
}

#[tokio::main]
async fn main() {
    let ns: Vec<i64> = std::env::var("BENCH_HISTORY_NS")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let runs: usize = env_or("BENCH_HISTORY_RUNS", 200);
    let open: i64 = env_or("BENCH_HISTORY_OPEN", 300);
    let mut rows = Vec::new();
    for n in ns {
        eprintln!("history bench: N = {n}: filling, indexing, measuring ({runs} runs each)");
        let row = bench_one(n, open, runs).await;
        eprintln!(
            "history bench: N = {n}: filled in {:.1} s, indexes built in {:.1} s, replay {:.0} events/s",
            row.fill_secs, row.index_secs, row.replay_events_per_sec
        );
        rows.push(row);
    }
    print_table(&rows);
}

fn print_table(rows: &[Row]) {
    let first = &rows[0];
    println!("\n### History: hot paths with N handshakes recorded (p50 / p99, ms)\n");
    print!("| operation |");
    for r in rows {
        print!(" N = {} |", r.n);
    }
    println!(" p99 at largest N / p99 at smallest | target ≤ 2 | met |");
    print!("|---|");
    for _ in rows {
        print!("---:|");
    }
    println!("---:|---:|:-:|");
    for (i, (name, _)) in first.measures.iter().enumerate() {
        print!("| {name} |");
        for r in rows {
            let s = &r.measures[i].1;
            print!(" {:.2} / {:.2} |", s.pct(0.5), s.pct(0.99));
        }
        let last = &rows[rows.len() - 1].measures[i].1;
        let ratio = last.pct(0.99) / first.measures[i].1.pct(0.99);
        println!(
            " {ratio:.2} | 2 | {} |",
            if ratio <= 2.0 { "yes" } else { "**NO**" }
        );
    }
    print!("| WatchHandshakes replay from the oldest token (events/s) |");
    for r in rows {
        print!(" {:.0} ({} events) |", r.replay_events_per_sec, r.replayed);
    }
    let slowest = rows
        .iter()
        .map(|r| r.replay_events_per_sec)
        .fold(f64::INFINITY, f64::min);
    println!(
        " | ≥ 50,000 | {} |",
        if slowest >= 50_000.0 { "yes" } else { "**NO**" }
    );
    println!(
        "\n| N | fill | index migrations 0008-0013 (CONCURRENTLY) | handshake_state_counts heap |\n|---:|---:|---:|---:|"
    );
    for r in rows {
        println!(
            "| {} | {:.1} s | {:.1} s | {} KiB |",
            r.n, r.fill_secs, r.index_secs, r.counts_heap_kib
        );
    }
}
