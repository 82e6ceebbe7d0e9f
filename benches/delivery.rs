//! Event delivery (issue 26) to a webhook receiver on 127.0.0.1:
//!
//! a. commit → webhook latency: `BENCH_DELIVERY_EVENTS` events recorded one
//!    at a time (`Store::save_handshake`, as the poller records a change,
//!    each on a handshake of its own), `BENCH_DELIVERY_GAP_MS` apart; for
//!    each, the time from the write returning to the receiver getting its
//!    POST, and, in the same run, to a `WatchHandshakes` stream (opened
//!    "from now on" on the same server) getting it: what a client has
//!    without delivery.
//! b. backlog drain: `BENCH_DELIVERY_BACKLOG` events recorded while the
//!    receiver answers 503 (each first attempt fails; the retry schedule's
//!    one delay is an hour), then the receiver answers 204 and
//!    `RedeliverEvents`' store call makes them all due: events/s from then
//!    until the last one arrived.
//! c. memory while the receiver is down: the process's VmRSS while the
//!    backlog of (b) accumulates undelivered.
//!
//! Everything runs in this process: the server as `Application` builds and
//! runs it (AWS and EventBridge are the in-process fakes; the poller's
//! intervals are an hour, so no sweep adds events), the receiver (axum,
//! answering at once and recording arrival times) and the writes. So the
//! RSS of (c) includes the receiver and this bench's own state, both small
//! and flat.
//!
//! Needs `DATABASE_URL`; `scripts/bench.sh delivery` provides one. Knobs
//! (environment): `BENCH_DELIVERY_EVENTS` (200), `BENCH_DELIVERY_GAP_MS`
//! (50), `BENCH_DELIVERY_BACKLOG` (10000).
mod common;

use std::{
    sync::{
        atomic::{AtomicU16, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use axum::{body::Bytes, extract::State, routing::post};
use common::{cpu_ticks, drop_database, fresh_database, percentile, steal_percent};
use org_invites::{
    aws::fake::{FakeEventBus, FakeOrganizations},
    metrics::Metrics,
    proto::v1::{self as pb, invitation_service_client::InvitationServiceClient},
    reconcile::delivery::DeliveryOptions,
    startup::{Application, Settings},
    store::{Known, Store},
};
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(300);
const SUBSCRIPTION: &str = "hooks";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn yes_no(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "**NO**"
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// This process's resident set, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The webhook receiver: answers every POST with `status` at once and
/// keeps the arrival time and body of each it answered with a 2xx.
#[derive(Clone, Default)]
struct Receiver {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    status: AtomicU16,
    refused: AtomicUsize,
    got: Mutex<Vec<(Instant, Bytes)>>,
}

impl Receiver {
    async fn start() -> (Self, String) {
        let r = Self::default();
        r.answer(204);
        let app = axum::Router::new()
            .route("/hook", post(receive))
            .with_state(r.shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (r, url)
    }

    fn answer(&self, status: u16) {
        self.shared.status.store(status, Ordering::Release);
    }

    fn delivered(&self) -> usize {
        self.shared.got.lock().unwrap().len()
    }

    fn refused(&self) -> usize {
        self.shared.refused.load(Ordering::Acquire)
    }

    /// Every delivered (event id, arrival) so far, emptying the list.
    fn take(&self) -> Vec<(i64, Instant)> {
        let got = std::mem::take(&mut *self.shared.got.lock().unwrap());
        got.into_iter()
            .map(|(at, body)| {
                let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON body");
                let id = json["data"]["eventId"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .expect("data.eventId");
                (id, at)
            })
            .collect()
    }
}

async fn receive(State(shared): State<Arc<Shared>>, body: Bytes) -> axum::http::StatusCode {
    let at = Instant::now();
    let status = shared.status.load(Ordering::Acquire);
    if (200..300).contains(&status) {
        shared.got.lock().unwrap().push((at, body));
    } else {
        shared.refused.fetch_add(1, Ordering::AcqRel);
    }
    axum::http::StatusCode::from_u16(status).unwrap()
}

/// Records handshake `n`'s event; its id and when the write returned.
async fn record(store: &Store, n: usize) -> (i64, Instant, Duration) {
    let t0 = Instant::now();
    let (_, event) = store
        .save_handshake(
            &common::synthetic_handshake("deliv", n, 400000000000),
            &Known::default(),
        )
        .await
        .expect("save the handshake");
    let done = Instant::now();
    (
        event.expect("a new handshake is an event").event_id,
        done,
        done - t0,
    )
}

async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if start.elapsed() > WAIT {
            panic!("{what}: not within {WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// p50, p90, p99 and max, in ms.
fn summary(mut v: Vec<f64>) -> [f64; 4] {
    v.sort_by(f64::total_cmp);
    [50.0, 90.0, 99.0, 100.0].map(|p| percentile(&v, p).unwrap_or(f64::NAN))
}

/// Latencies (ms) from each recorded event's write to its arrival.
fn latencies(recorded: &[(i64, Instant, Duration)], arrived: &[(i64, Instant)]) -> Vec<f64> {
    let at: std::collections::HashMap<i64, Instant> = arrived.iter().copied().collect();
    recorded
        .iter()
        .map(|(id, done, _)| {
            let a = at.get(id).expect("every event arrived");
            a.saturating_duration_since(*done).as_secs_f64() * 1e3
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let events: usize = env_or("BENCH_DELIVERY_EVENTS", 200);
    let gap = Duration::from_millis(env_or("BENCH_DELIVERY_GAP_MS", 50));
    let backlog: usize = env_or("BENCH_DELIVERY_BACKLOG", 10_000);

    let db = fresh_database().await;
    let (receiver, url) = Receiver::start().await;
    let dir = std::env::temp_dir().join(format!("bench-delivery-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret_path = dir.join("hooks.secret");
    {
        use base64::{engine::general_purpose::STANDARD, Engine};
        let secret = format!("whsec_{}", STANDARD.encode(uuid::Uuid::new_v4().as_bytes()));
        std::fs::write(&secret_path, format!("{secret}\n")).unwrap();
    }
    let subs_path = dir.join("subscriptions.yaml");
    std::fs::write(
        &subs_path,
        format!(
            "subscriptions:\n  - id: {SUBSCRIPTION}\n    webhook: {{url: \"{url}\", secret_file: {}, allow_plain_http: true}}\n",
            secret_path.display()
        ),
    )
    .unwrap();

    let mut settings = Settings::defaults("127.0.0.1:0".parse().unwrap(), db.clone());
    settings.auth.insecure_no_auth = true;
    settings.poller.interval = Duration::from_secs(3600);
    settings.poller.watched_interval = Duration::from_secs(3600);
    settings.delivery = DeliveryOptions {
        subscriptions_file: Some(subs_path),
        events_source: None,
        // One retry, an hour after the first attempt: the backlog waits
        // for RedeliverEvents.
        retry_schedule: vec![Duration::from_secs(3600)],
    };
    let app = Application::build(
        settings,
        Arc::new(FakeOrganizations::new()),
        Arc::new(FakeEventBus::new()),
        Metrics::new(),
    )
    .await
    .expect("the app builds");
    let addr = app.local_addr();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run_until(shutdown.clone()));

    let store = Store::connect_lazy(db.clone());
    // Migrated, and the subscription recorded: it takes later events only.
    eventually("the subscription recorded", || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM subscriptions")
            .fetch_one(store.pool())
            .await
            .ok()?;
        (n > 0).then_some(())
    })
    .await;

    // The alternative: a WatchHandshakes stream from now on.
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect");
    let mut stream = InvitationServiceClient::new(channel)
        .watch_handshakes(pb::WatchHandshakesRequest::default())
        .await
        .expect("WatchHandshakes")
        .into_inner();
    let watched: Arc<Mutex<Vec<(i64, Instant)>>> = Arc::default();
    let watching = tokio::spawn({
        let watched = watched.clone();
        async move {
            while let Ok(Some(e)) = stream.message().await {
                watched.lock().unwrap().push((e.event_id, Instant::now()));
            }
        }
    });

    // Warm-up: both paths carry a few events before anything is measured.
    // (The stream may not be subscribed yet when its call returns: events
    // until it has one, then a few more.)
    let mut n = 0;
    let mut more = 5;
    while more > 0 {
        record(&store, n).await;
        n += 1;
        assert!(n < 1000, "the stream got none of {n} warm-up events");
        if !watched.lock().unwrap().is_empty() {
            more -= 1;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eventually("the warm-up events", || async {
        (receiver.delivered() >= n).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    receiver.take();
    watched.lock().unwrap().clear();

    // a. One event at a time.
    eprintln!("delivery bench: {events} events, {gap:?} apart");
    let (load_a, cpu_a) = (loadavg(), cpu_ticks());
    let mut recorded = Vec::with_capacity(events);
    for _ in 0..events {
        recorded.push(record(&store, n).await);
        n += 1;
        tokio::time::sleep(gap).await;
    }
    eventually("every event at the receiver and the stream", || async {
        (receiver.delivered() >= events && watched.lock().unwrap().len() >= events).then_some(())
    })
    .await;
    let steal_a = steal_percent(&cpu_a, &cpu_ticks());
    let hooks = summary(latencies(&recorded, &receiver.take()));
    let streamed = summary(latencies(
        &recorded,
        &std::mem::take(&mut *watched.lock().unwrap()),
    ));
    let commits = summary(
        recorded
            .iter()
            .map(|(_, _, d)| d.as_secs_f64() * 1e3)
            .collect(),
    );
    // The server's own view: delivered_time - observe_time (both its clock).
    let first = recorded[0].0;
    let server_view: Vec<f64> = sqlx::query_scalar(
        "SELECT extract(epoch FROM delivered_time - observe_time)::float8 * 1000
         FROM deliveries WHERE subscription_id = $1 AND event_id >= $2",
    )
    .bind(SUBSCRIPTION)
    .bind(first)
    .fetch_all(store.pool())
    .await
    .expect("deliveries");
    let server_view = summary(server_view);
    watching.abort();

    // b and c. The receiver down (503), the backlog accumulating.
    eprintln!("delivery bench: {backlog} events while the receiver answers 503");
    receiver.answer(503);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_start = rss_kib();
    let refused_before = receiver.refused();
    let t_fill = Instant::now();
    let mut samples = vec![(0usize, rss_start)];
    let mut ids = Vec::with_capacity(backlog);
    for i in 0..backlog {
        ids.push(record(&store, n).await.0);
        n += 1;
        if (i + 1) % (backlog / 5).max(1) == 0 {
            samples.push((i + 1, rss_kib()));
        }
    }
    let fill_secs = t_fill.elapsed().as_secs_f64();
    eventually("every backlog event refused once", || async {
        (receiver.refused() - refused_before >= backlog).then_some(())
    })
    .await;
    let refused_secs = t_fill.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_end = rss_kib();
    let pending: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deliveries WHERE subscription_id = $1 AND state = 'PENDING'",
    )
    .bind(SUBSCRIPTION)
    .fetch_one(store.pool())
    .await
    .unwrap();

    // The receiver comes up; RedeliverEvents makes the backlog due.
    receiver.answer(204);
    let (load_b, cpu_b) = (loadavg(), cpu_ticks());
    let t_up = Instant::now();
    store
        .redeliver(SUBSCRIPTION, &ids)
        .await
        .expect("redeliver");
    let redeliver_ms = t_up.elapsed().as_secs_f64() * 1e3;
    eventually("the backlog delivered", || async {
        (receiver.delivered() >= backlog).then_some(())
    })
    .await;
    let steal_b = steal_percent(&cpu_b, &cpu_ticks());
    let drained = receiver.take();
    let last = drained.iter().map(|(_, at)| *at).max().unwrap();
    let drain_secs = (last - t_up).as_secs_f64();
    let distinct: std::collections::HashSet<i64> = drained.iter().map(|(id, _)| *id).collect();
    let rate = backlog as f64 / drain_secs;

    shutdown.cancel();
    let _ = server.await;
    drop_database(&db).await;
    let _ = std::fs::remove_dir_all(&dir);

    println!("\n### a. commit → webhook ({events} events, one at a time, {gap:?} apart)\n");
    println!(
        "load average at the start {load_a}; CPU steal {steal_a:.1}%; the write itself \
         (save_handshake) p50 {:.2} ms, p99 {:.2} ms\n",
        commits[0], commits[2]
    );
    println!("| path | p50 | p90 | p99 | max | target p99 ≤ 250 ms | met |");
    println!("|:--|---:|---:|---:|---:|---:|:-:|");
    println!(
        "| webhook POST received (write returned → receiver) | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | 250 ms | {} |",
        hooks[0], hooks[1], hooks[2], hooks[3], yes_no(hooks[2] <= 250.0)
    );
    println!(
        "| the server's view (delivered_time − observe_time) | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | | |",
        server_view[0], server_view[1], server_view[2], server_view[3]
    );
    println!(
        "| WatchHandshakes stream (write returned → message) | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | | |",
        streamed[0], streamed[1], streamed[2], streamed[3]
    );

    println!("\n### b. backlog drain ({backlog} events, on {backlog} handshakes)\n");
    println!(
        "load average at the start {load_b}; CPU steal {steal_b:.1}%; RedeliverEvents' \
         update of {backlog} rows {redeliver_ms:.0} ms (inside the time below)\n"
    );
    println!("| events | distinct | drained in | events/s | target ≥ 500/s | met |");
    println!("|---:|---:|---:|---:|---:|:-:|");
    println!(
        "| {backlog} | {} | {drain_secs:.2} s | {rate:.0} | 500 | {} |",
        distinct.len(),
        yes_no(rate >= 500.0)
    );

    println!("\n### c. memory while the receiver is down\n");
    println!(
        "{backlog} events recorded in {fill_secs:.1} s, every first attempt refused (503) \
         {refused_secs:.1} s after the first write; {pending} deliveries PENDING at the end.\n"
    );
    println!("| events undelivered | VmRSS (this process: server, receiver, writer) |");
    println!("|---:|---:|");
    for (k, rss) in &samples {
        println!("| {k} | {:.1} MiB |", *rss as f64 / 1024.0);
    }
    println!(
        "| {backlog}, all refused once, 2 s later | {:.1} MiB |",
        rss_end as f64 / 1024.0
    );
    println!(
        "\nstart {:.1} MiB, end {:.1} MiB ({:+.1} MiB)",
        rss_start as f64 / 1024.0,
        rss_end as f64 / 1024.0,
        (rss_end as f64 - rss_start as f64) / 1024.0
    );
}
