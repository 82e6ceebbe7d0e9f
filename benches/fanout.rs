//! Fan-out: many concurrent WatchHandshake streams on one replica.
//!
//! Starts the real server binary on a fresh database, opens `STREAMS`
//! WatchHandshake streams on one OPEN handshake over `CONNECTIONS` HTTP/2
//! connections, measures the server's RSS before and after (KiB per idle
//! stream), then commits one change from this process and measures, per
//! stream, the time from the commit returning to the stream receiving it.
//! The change is terminal, so each stream must then end with OK. The client
//! drives each connection's streams from one task and is scheduled like the
//! server (no LIFO slot), to take as little as it can of the cores it shares.
//!
//! Needs `DATABASE_URL`; `scripts/bench.sh fanout` provides one and raises
//! the open-file limit. Knobs (environment): `BENCH_FANOUT_STREAMS` (10000),
//! `BENCH_FANOUT_CONNECTIONS` (100), `BENCH_FANOUT_ROUNDS` (3; each round
//! starts a fresh server and watches a fresh handshake),
//! `BENCH_FANOUT_OPEN_CONCURRENCY` (64 streams being opened at once),
//! `BENCH_FANOUT_IDLE_SECS` (3: idle time before RSS is read),
//! `BENCH_FANOUT_HANDSHAKES` (1: stream i watches handshake i mod H and only
//! the first changes, so H > 1 also measures what a change costs the
//! watchers of other handshakes),
//! `ORG_INVITES_BIN` (default: the bench profile's `org-invites`).
//! For profiling: `BENCH_FANOUT_SERVER_WRAPPER` (a command prefix for the
//! server, e.g. `heaptrack -o /tmp/fanout`) and `BENCH_FANOUT_PERF` (a
//! directory: `perf record` samples the server and this process from just
//! before the commit until every stream has the change) and
//! `BENCH_FANOUT_SERVER_LOG` (a file the server's log lines are appended to).
mod common;

// The client shares the server's 2 cores: it allocates as the server does
// (mimalloc), so its own frees take as little of them as they can.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use common::{database_url, drop_database, fresh_database};
use std::{
    collections::VecDeque,
    process::Stdio,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use bytes::{Buf, Bytes};
use futures_util::{stream::FuturesUnordered, FutureExt, StreamExt};
use org_invites::{
    domain::{Handshake, HandshakeState},
    proto::v1 as pb,
    store::{Known, Store},
};
use prost::Message;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    sync::Semaphore,
    task::JoinSet,
};
use tonic::{
    codec::{Codec, DecodeBuf, Decoder},
    transport::{Channel, Endpoint},
};
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};

const START_TIMEOUT: Duration = Duration::from_secs(60);
/// One stream's open (call + first message), per attempt.
const OPEN_TIMEOUT: Duration = Duration::from_secs(30);
const OPEN_ATTEMPTS: u32 = 5;
/// All streams of a round open within this.
const ALL_OPEN_TIMEOUT: Duration = Duration::from_secs(600);
/// Every stream receives the change within this of the commit.
const CHANGE_TIMEOUT: Duration = Duration::from_secs(120);
/// Let the server settle (allocator, poller wake-ups) before reading RSS.
/// (`BENCH_FANOUT_IDLE_SECS` overrides it.)
const IDLE_SECS: u64 = 3;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `url` with its database name replaced by `name` (query string kept).
fn url_with_database(url: &str, name: &str) -> String {
    let scheme_end = url.find("://").map(|i| i + 3).unwrap_or(0);
    let (head, rest) = url.split_at(scheme_end);
    let query = rest.find('?').map(|i| &rest[i..]).unwrap_or("");
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    format!("{head}{}/{name}{query}", &rest[..authority_end])
}

/// The server process; killed when dropped.
struct Server {
    child: tokio::process::Child,
    pid: u32,
    addr: String,
    /// The last log lines, for diagnostics.
    tail: Arc<Mutex<VecDeque<String>>>,
    warnings: Arc<AtomicUsize>,
}

impl Server {
    async fn start(database_url: &str) -> Self {
        let bin = std::env::var("ORG_INVITES_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_org-invites").to_string());
        let wrapper = std::env::var("BENCH_FANOUT_SERVER_WRAPPER").unwrap_or_default();
        let mut argv: Vec<String> = wrapper.split_whitespace().map(String::from).collect();
        argv.push(bin.clone());
        let mut child = tokio::process::Command::new(&argv[0])
            .args(&argv[1..])
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .arg("--insecure-no-auth")
            .env("DATABASE_URL", database_url)
            // Nothing listens there: the poller's sweeps fail harmlessly.
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {bin}: {e} (build it: cargo build --release)")
            });
        let spawned = child.id().expect("running");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let addr = tokio::time::timeout(START_TIMEOUT, async {
            while let Some(line) = lines.next_line().await.expect("server log") {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                if v["message"] == "org-invites listening" {
                    if let Some(addr) = v["addr"].as_str() {
                        return addr.to_string();
                    }
                }
            }
            panic!("the server exited before listening")
        })
        .await
        .expect("the server logs its address");
        // Under a wrapper, the server is the wrapper's descendant.
        let pid = if wrapper.is_empty() {
            spawned
        } else {
            descendant_named(spawned, "org-invites").expect("the server process under the wrapper")
        };
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let warnings = Arc::new(AtomicUsize::new(0));
        tokio::spawn({
            let tail = tail.clone();
            let warnings = warnings.clone();
            // BENCH_FANOUT_SERVER_LOG: append every server log line to this file.
            let mut log = std::env::var("BENCH_FANOUT_SERVER_LOG")
                .ok()
                .and_then(|path| {
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .ok()
                });
            async move {
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(f) = log.as_mut() {
                        use std::io::Write;
                        let _ = writeln!(f, "{line}");
                    }
                    if line.contains("\"WARN\"") || line.contains("\"ERROR\"") {
                        warnings.fetch_add(1, Ordering::Relaxed);
                    }
                    let mut t = tail.lock().unwrap();
                    if t.len() == 20 {
                        t.pop_front();
                    }
                    t.push_back(line);
                }
            }
        });
        Self {
            child,
            pid,
            addr,
            tail,
            warnings,
        }
    }

    /// (VmRSS, VmHWM) in KiB.
    fn memory_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .expect("the server is running");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    fn print_tail(&self) {
        eprintln!("last server log lines:");
        for l in self.tail.lock().unwrap().iter() {
            eprintln!("  {l}");
        }
    }

    /// SIGTERM (a wrapping profiler then writes its data), SIGKILL if it lingers.
    async fn stop(mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        if tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        }
    }
}

/// CPU time (user + system) of every thread of `pid` so far, in ns.
fn cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(|t| t.ok())
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Busy time of all CPUs since boot (everything but idle and iowait), in ms.
fn machine_busy_ms() -> f64 {
    let ticks = common::cpu_ticks();
    let busy: u64 = ticks
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, t)| t)
        .sum();
    // USER_HZ is 100 on Linux.
    busy as f64 * 10.0
}

/// The parent pid and command name of `pid`.
fn parent_and_name(pid: u32) -> Option<(u32, String)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat[open + 1..close].to_string();
    let ppid = stat[close + 1..].split_whitespace().nth(1)?.parse().ok()?;
    Some((ppid, name))
}

/// A process named `name` whose ancestors include `root`.
fn descendant_named(root: u32, name: &str) -> Option<u32> {
    // A wrapper that execs (taskset, env) leaves the server at `root` itself.
    if parent_and_name(root).is_some_and(|(_, comm)| comm == name) {
        return Some(root);
    }
    for _ in 0..100 {
        for entry in std::fs::read_dir("/proc").ok()?.filter_map(|e| e.ok()) {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Some((_, comm)) = parent_and_name(pid) else {
                continue;
            };
            if comm != name {
                continue;
            }
            let mut p = pid;
            for _ in 0..8 {
                match parent_and_name(p) {
                    Some((ppid, _)) if ppid == root => return Some(pid),
                    Some((ppid, _)) if ppid > 1 => p = ppid,
                    _ => break,
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// `perf record` on the server and this process, when BENCH_FANOUT_PERF is set.
async fn start_perf(server_pid: u32, round: usize) -> Option<tokio::process::Child> {
    let dir = std::env::var("BENCH_FANOUT_PERF").ok()?;
    let out = format!("{dir}/fanout-round{round}.perf.data");
    let child = tokio::process::Command::new("perf")
        .args([
            "record",
            "-F",
            "4999",
            "--call-graph",
            "dwarf,16384",
            "-o",
            &out,
            "-p",
        ])
        .arg(format!("{server_pid},{}", std::process::id()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| eprintln!("fanout bench: perf not started: {e}"))
        .ok()?;
    // Let perf attach before the measured window opens.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    eprintln!("fanout bench: perf recording into {out}");
    Some(child)
}

async fn stop_perf(perf: Option<tokio::process::Child>) {
    let Some(mut perf) = perf else { return };
    if let Some(pid) = perf.id() {
        let _ = std::process::Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status();
    }
    let _ = tokio::time::timeout(Duration::from_secs(60), perf.wait()).await;
}

async fn connect(addr: &str) -> Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .expect("valid address")
        .connect_timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("the server accepts connections")
}

async fn wait_serving(addr: &str) {
    let mut health = HealthClient::new(connect(addr).await);
    tokio::time::timeout(START_TIMEOUT, async {
        let mut stream = health
            .watch(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .expect("health watch")
            .into_inner();
        while let Some(msg) = stream.message().await.expect("health stream") {
            if msg.status == ServingStatus::Serving as i32 {
                return;
            }
        }
        panic!("health stream ended before SERVING");
    })
    .await
    .expect("health SERVING in time");
}

fn state_of(event: &pb::HandshakeEvent) -> i32 {
    event.handshake.as_ref().map(|h| h.state).unwrap_or(0)
}

/// Encodes requests with prost; hands responses over undecoded.
#[derive(Default)]
struct RawCodec;

struct RawDecoder;

impl Decoder for RawDecoder {
    type Item = Bytes;
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, tonic::Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

impl Codec for RawCodec {
    type Encode = pb::WatchHandshakeRequest;
    type Decode = Bytes;
    type Encoder = <tonic_prost::ProstCodec<pb::WatchHandshakeRequest, pb::WatchHandshakeRequest> as Codec>::Encoder;
    type Decoder = RawDecoder;

    fn encoder(&mut self) -> Self::Encoder {
        tonic_prost::ProstCodec::<pb::WatchHandshakeRequest, pb::WatchHandshakeRequest>::default()
            .encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawDecoder
    }
}

async fn watch_raw(
    channel: &Channel,
    id: &str,
) -> Result<(tonic::Streaming<Bytes>, Option<pb::HandshakeEvent>), tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let path =
        http::uri::PathAndQuery::from_static("/orginvites.v1.InvitationService/WatchHandshake");
    let request = tonic::Request::new(pb::WatchHandshakeRequest { id: id.to_string() });
    let mut stream = grpc
        .server_streaming(request, path, RawCodec)
        .await?
        .into_inner();
    let first = match stream.message().await? {
        Some(b) => Some(
            pb::HandshakeEvent::decode(b).map_err(|e| tonic::Status::internal(e.to_string()))?,
        ),
        None => None,
    };
    Ok((stream, first))
}

/// What the streams of a round share while they open: a bound on how many
/// open at once, and counts.
#[derive(Clone)]
struct Opening {
    gate: Arc<Semaphore>,
    opened: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
    retries: Arc<AtomicUsize>,
}

impl Opening {
    fn new(concurrency: usize) -> Self {
        Self {
            gate: Arc::new(Semaphore::new(concurrency)),
            opened: Arc::default(),
            failed: Arc::default(),
            retries: Arc::default(),
        }
    }

    /// Streams that opened, or failed to: when this reaches the number of
    /// streams, every open is over.
    fn settled(&self) -> usize {
        self.opened.load(Ordering::Acquire) + self.failed.load(Ordering::Acquire)
    }
}

/// Opens one WatchHandshake stream (retrying) and checks its first message.
async fn open_watch(
    channel: Channel,
    id: String,
    opening: Opening,
) -> Result<tonic::Streaming<Bytes>, String> {
    let Opening {
        gate,
        opened,
        failed,
        retries,
    } = opening;
    let stream = {
        let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let open = watch_raw(&channel, &id);
            let err = match tokio::time::timeout(OPEN_TIMEOUT, open).await {
                Ok(Ok((s, Some(first)))) => {
                    if state_of(&first) != pb::HandshakeState::Open as i32 {
                        failed.fetch_add(1, Ordering::Release);
                        return Err(format!("first message not OPEN: {}", state_of(&first)));
                    }
                    break s;
                }
                Ok(Ok((_, None))) => "stream ended before its first message".to_string(),
                Ok(Err(status)) => format!("{:?}: {}", status.code(), status.message()),
                Err(_) => "open timed out".to_string(),
            };
            if attempt >= OPEN_ATTEMPTS {
                failed.fetch_add(1, Ordering::Release);
                return Err(err);
            }
            retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
        }
    };
    opened.fetch_add(1, Ordering::Release);
    Ok(stream)
}

/// A watcher of the changed handshake: opens, then returns when the change
/// arrived, once its stream has ended.
async fn watcher(
    channel: Channel,
    id: String,
    opening: Opening,
) -> Result<(Instant, Bytes), String> {
    let mut stream = open_watch(channel, id, opening).await?;
    // The change is read as raw bytes and timed on arrival; it is decoded
    // and checked after every stream has it (see `round`), so the client's
    // decoding does not compete with the server for the 2 cores while the
    // change is being delivered.
    let (at, bytes) =
        match tokio::time::timeout(ALL_OPEN_TIMEOUT + CHANGE_TIMEOUT, stream.message()).await {
            Ok(Ok(Some(bytes))) => (Instant::now(), bytes),
            Ok(Ok(None)) => return Err("stream ended without the change".into()),
            Ok(Err(status)) => return Err(format!("{:?}: {}", status.code(), status.message())),
            Err(_) => return Err("no change received in time".into()),
        };
    // The change is terminal: the stream must end, OK, right after it. Read
    // to the end rather than drop it, which would send RST_STREAM to the
    // server while it is still delivering to the other streams.
    match tokio::time::timeout(CHANGE_TIMEOUT, stream.message()).await {
        Ok(Ok(None)) => Ok((at, bytes)),
        Ok(Ok(Some(_))) => Err("a message after the terminal change".into()),
        Ok(Err(status)) => Err(format!(
            "ended with {:?}: {}",
            status.code(),
            status.message()
        )),
        Err(_) => Err("the stream did not end after the terminal change".into()),
    }
}

struct Round {
    streams: usize,
    /// Streams on handshakes that did not change.
    bystanders: usize,
    received: usize,
    failures: Vec<String>,
    open_retries: usize,
    open_secs: f64,
    rss_start_kib: u64,
    rss_connected_kib: u64,
    rss_open_kib: u64,
    hwm_kib: u64,
    commit_ms: f64,
    /// CPU used from the commit until every stream had the change.
    server_cpu_ms: f64,
    bench_cpu_ms: f64,
    /// Busy time of all CPUs in the same window (every process).
    machine_cpu_ms: f64,
    /// /proc/loadavg's first three fields when the round started.
    loadavg: String,
    /// Milliseconds from the commit returning to each stream's message, sorted.
    latencies_ms: Vec<f64>,
}

impl Round {
    fn kib_per_stream(&self) -> f64 {
        (self.rss_open_kib as f64 - self.rss_start_kib as f64) / self.streams as f64
    }

    fn kib_per_stream_after_connections(&self) -> f64 {
        (self.rss_open_kib as f64 - self.rss_connected_kib as f64) / self.streams as f64
    }
}

/// Nearest-rank percentile of sorted milliseconds; NaN when there are none.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    common::percentile(sorted, p).unwrap_or(f64::NAN)
}

async fn round(
    number: usize,
    server: &Server,
    store: &Store,
    handshakes: &[Handshake],
    streams: usize,
    connections: usize,
    open_concurrency: usize,
) -> Round {
    let loadavg = std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    let rss_start_kib = server.memory_kib().0;
    let mut channels = Vec::with_capacity(connections);
    for _ in 0..connections {
        channels.push(connect(&server.addr).await);
    }
    // A channel connects lazily on first use in some tonic versions: one
    // cheap call on each makes sure its connection exists before measuring.
    for ch in &channels {
        let mut h = HealthClient::new(ch.clone());
        h.check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health check");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_connected_kib = server.memory_kib().0;

    let opening = Opening::new(open_concurrency);
    // One task per connection drives that connection's streams together:
    // a task per stream would cost the client, which shares the server's 2
    // cores, a wake-up and a join per stream inside the measured window.
    let mut tasks = JoinSet::new();
    let t_open = Instant::now();
    // Stream i watches handshake i % H; only the first handshake changes.
    let watched = |i: usize| handshakes[i % handshakes.len()].id.as_str().to_string();
    for (c, channel) in channels.iter().enumerate() {
        let (changed, others): (Vec<usize>, Vec<usize>) = (c..streams)
            .step_by(connections)
            .partition(|i| i % handshakes.len() == 0);
        let watchers: FuturesUnordered<_> = changed
            .into_iter()
            .map(|i| watcher(channel.clone(), watched(i), opening.clone()))
            .collect();
        let bystanders: FuturesUnordered<_> = others
            .into_iter()
            .map(|i| open_watch(channel.clone(), watched(i), opening.clone()))
            .collect();
        tasks.spawn(async move {
            tokio::join!(watchers.collect::<Vec<_>>(), bystanders.collect::<Vec<_>>())
        });
    }
    let mut failures = Vec::new();
    // Wait until every stream is open (or failed to).
    let all_open = tokio::time::timeout(ALL_OPEN_TIMEOUT, async {
        let mut last_report = Instant::now();
        loop {
            if opening.settled() >= streams {
                return;
            }
            if last_report.elapsed() >= Duration::from_secs(10) {
                let n = opening.opened.load(Ordering::Acquire);
                eprintln!("fanout bench:   {n} streams open ...");
                last_report = Instant::now();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    if all_open.is_err() {
        server.print_tail();
        panic!(
            "only {} of {streams} streams opened within {ALL_OPEN_TIMEOUT:?}",
            opening.opened.load(Ordering::Acquire)
        );
    }
    let open_secs = t_open.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(env_or(
        "BENCH_FANOUT_IDLE_SECS",
        IDLE_SECS,
    )))
    .await;
    let (rss_open_kib, hwm_kib) = server.memory_kib();

    // The change, committed from here.
    let perf = start_perf(server.pid, number).await;
    let mut accepted = handshakes[0].clone();
    accepted.state = HandshakeState::Accepted;
    let me = std::process::id();
    let (server_cpu_0, bench_cpu_0, machine_0) =
        (cpu_ns(server.pid), cpu_ns(me), machine_busy_ms());
    let t_commit = Instant::now();
    let (_, event) = store
        .save_handshake(&accepted, &Known::default())
        .await
        .expect("commit the change");
    let committed = Instant::now();
    assert!(event.is_some(), "the change wrote an event");
    let commit_ms = (committed - t_commit).as_secs_f64() * 1e3;

    let mut latencies_ms = Vec::with_capacity(streams);
    let mut arrived = Vec::with_capacity(streams);
    let mut bystanders = Vec::new();
    let collected = tokio::time::timeout(CHANGE_TIMEOUT, async {
        while let Some(done) = tasks.join_next().await {
            let (results, others) = match done {
                Ok(results) => results,
                Err(e) => {
                    failures.push(format!("task failed: {e}"));
                    continue;
                }
            };
            for result in results {
                match result {
                    Ok((at, _)) if at < committed => {
                        failures.push("received a change before it was committed".into())
                    }
                    Ok((at, bytes)) => {
                        latencies_ms
                            .push(at.saturating_duration_since(committed).as_secs_f64() * 1e3);
                        arrived.push(bytes);
                    }
                    Err(e) => failures.push(e),
                }
            }
            bystanders.extend(others);
        }
    })
    .await;
    let (server_cpu_1, bench_cpu_1, machine_1) =
        (cpu_ns(server.pid), cpu_ns(me), machine_busy_ms());
    stop_perf(perf).await;
    if collected.is_err() {
        failures.push(format!(
            "{} of {connections} connections still had streams without the change, or not \
             ended, after {CHANGE_TIMEOUT:?}",
            tasks.len()
        ));
        tasks.abort_all();
    }
    // Watchers of the other handshakes must have heard nothing.
    let bystander_count = bystanders.len();
    for other in bystanders {
        match other.map(|mut s| s.message().now_or_never()) {
            Ok(None) => {}
            Ok(Some(_)) => failures.push("a watcher of another handshake heard something".into()),
            Err(e) => failures.push(e),
        }
    }
    // Now that the clock has stopped: every message must be the change.
    for bytes in arrived {
        match pb::HandshakeEvent::decode(bytes) {
            Ok(e) if state_of(&e) == pb::HandshakeState::Accepted as i32 => {}
            Ok(e) => failures.push(format!("unexpected state {}", state_of(&e))),
            Err(e) => failures.push(format!("undecodable message: {e}")),
        }
    }
    latencies_ms.sort_by(f64::total_cmp);
    drop(channels);
    Round {
        streams,
        bystanders: bystander_count,
        received: latencies_ms.len(),
        failures,
        open_retries: opening.retries.load(Ordering::Relaxed),
        open_secs,
        rss_start_kib,
        rss_connected_kib,
        rss_open_kib,
        hwm_kib,
        commit_ms,
        server_cpu_ms: (server_cpu_1 - server_cpu_0) as f64 / 1e6,
        bench_cpu_ms: (bench_cpu_1 - bench_cpu_0) as f64 / 1e6,
        machine_cpu_ms: machine_1 - machine_0,
        loadavg,
        latencies_ms,
    }
}

fn yes_no(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "**NO**"
    }
}

fn print_tables(rounds: &[Round], connections: usize) {
    println!();
    println!(
        "### Fan-out: WatchHandshake streams on one replica ({connections} HTTP/2 connections)"
    );
    println!();
    println!(
        "| round | streams | received | open time | RSS before | RSS connected | RSS all open (idle) | \
         KiB / stream | KiB / stream (excl. connections) | target ≤ 20 KiB | met |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|");
    for (i, r) in rounds.iter().enumerate() {
        println!(
            "| {} | {} | {} | {:.1} s | {:.1} MiB | {:.1} MiB | {:.1} MiB | {:.1} | {:.1} | 20 | {} |",
            i + 1,
            r.streams,
            r.received,
            r.open_secs,
            r.rss_start_kib as f64 / 1024.0,
            r.rss_connected_kib as f64 / 1024.0,
            r.rss_open_kib as f64 / 1024.0,
            r.kib_per_stream(),
            r.kib_per_stream_after_connections(),
            yes_no(r.kib_per_stream() <= 20.0),
        );
    }
    println!();
    println!(
        "Each round runs its own server process. KiB / stream = (RSS all open − RSS before) / \
         streams; the second figure leaves out the {connections} connections' share."
    );
    println!();
    println!("### Fan-out: commit → every stream of the changed handshake has the change");
    println!();
    if let Some(r) = rounds.first().filter(|r| r.bystanders > 0) {
        println!(
            "{} of the {} streams per round watch other handshakes, which do not change; \
             they must hear nothing (a failure if one does). The latencies are the other {}'s.",
            r.bystanders,
            r.streams,
            r.streams - r.bystanders
        );
        println!();
    }
    println!(
        "| round | commit took | first | p50 | p99 | max | target p99 ≤ 100 ms | met | failures | \
         CPU: server | CPU: bench (client) | CPU: rest of machine |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|:-:|---:|---:|---:|---:|");
    let mut all: Vec<f64> = Vec::new();
    for (i, r) in rounds.iter().enumerate() {
        all.extend(&r.latencies_ms);
        let p99 = percentile(&r.latencies_ms, 99.0);
        println!(
            "| {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | 100 ms | {} | {} | \
             {:.0} ms | {:.0} ms | {:.0} ms |",
            i + 1,
            r.commit_ms,
            r.latencies_ms.first().copied().unwrap_or(f64::NAN),
            percentile(&r.latencies_ms, 50.0),
            p99,
            r.latencies_ms.last().copied().unwrap_or(f64::NAN),
            yes_no(p99 <= 100.0 && r.failures.is_empty()),
            r.failures.len(),
            r.server_cpu_ms,
            r.bench_cpu_ms,
            (r.machine_cpu_ms - r.server_cpu_ms - r.bench_cpu_ms).max(0.0),
        );
    }
    if rounds.len() > 1 {
        all.sort_by(f64::total_cmp);
        let p99 = percentile(&all, 99.0);
        println!(
            "| all {} | | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | 100 ms | {} | {} | | | |",
            all.len(),
            all.first().copied().unwrap_or(f64::NAN),
            percentile(&all, 50.0),
            p99,
            all.last().copied().unwrap_or(f64::NAN),
            yes_no(p99 <= 100.0 && rounds.iter().all(|r| r.failures.is_empty())),
            rounds.iter().map(|r| r.failures.len()).sum::<usize>(),
        );
    }
    for (i, r) in rounds.iter().enumerate() {
        if r.open_retries > 0 {
            println!();
            println!(
                "Round {}: {} stream opens were retried.",
                i + 1,
                r.open_retries
            );
        }
        if !r.failures.is_empty() {
            let mut kinds: Vec<&String> = r.failures.iter().collect();
            kinds.sort();
            kinds.dedup();
            println!();
            println!(
                "Round {}: {} failures, e.g. {:?}",
                i + 1,
                r.failures.len(),
                &kinds[..kinds.len().min(3)]
            );
        }
    }
    let peak = rounds.iter().map(|r| r.hwm_kib).max().unwrap_or(0);
    println!();
    println!(
        "Server peak RSS (VmHWM) at the idle point: {:.1} MiB. The CPU columns cover the window \
         from just before the commit until the last stream had the change: CPU time of the \
         server's and this bench's threads (/proc/<pid>/task/*/schedstat), and the rest of the \
         machine's busy time (/proc/stat, 10 ms ticks: Postgres and anything else running). \
         Load average at the start of each round: {}.",
        peak as f64 / 1024.0,
        rounds
            .iter()
            .map(|r| r.loadavg.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    );
}

fn main() {
    // Scheduled as the server is (src/main.rs): no LIFO slot, so a
    // connection reads many streams' frames per wake-up.
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    #[cfg(tokio_unstable)]
    builder.disable_lifo_slot();
    builder.build().expect("tokio runtime").block_on(run());
}

async fn run() {
    // `cargo bench` passes `--bench`; nothing else is read from the arguments.
    let streams: usize = env_or("BENCH_FANOUT_STREAMS", 10_000);
    let connections: usize = env_or::<usize>("BENCH_FANOUT_CONNECTIONS", 100).max(1);
    let rounds: usize = env_or::<usize>("BENCH_FANOUT_ROUNDS", 3).max(1);
    let open_concurrency: usize = env_or::<usize>("BENCH_FANOUT_OPEN_CONCURRENCY", 64).max(1);

    let db = fresh_database().await;
    let db_name = db.get_database().expect("a database name").to_string();
    let store = Store::connect_lazy(db.clone());
    store.migrate().await.expect("migrations");
    let per_round: usize = env_or::<usize>("BENCH_FANOUT_HANDSHAKES", 1).max(1);
    let handshakes: Vec<Vec<Handshake>> = (0..rounds)
        .map(|r| {
            (1..=per_round)
                .map(|k| common::synthetic_handshake("bench", r * per_round + k, 300000000000))
                .collect()
        })
        .collect();
    for h in handshakes.iter().flatten() {
        store
            .save_handshake(h, &Known::default())
            .await
            .expect("insert the handshake");
    }

    let url = url_with_database(&database_url(), &db_name);
    let mut results = Vec::new();
    let mut warnings = 0;
    for (i, round_handshakes) in handshakes.iter().enumerate() {
        let server = Server::start(&url).await;
        eprintln!(
            "fanout bench: round {}: server pid {} on {}",
            i + 1,
            server.pid,
            server.addr
        );
        wait_serving(&server.addr).await;
        // Let start-up work (migrations check, listener, poller) settle.
        tokio::time::sleep(Duration::from_secs(2)).await;
        eprintln!(
            "fanout bench: round {}: opening {streams} streams on {} handshake(s) ({} changes) \
             over {connections} connections",
            i + 1,
            round_handshakes.len(),
            round_handshakes[0].id
        );
        let r = round(
            i + 1,
            &server,
            &store,
            round_handshakes,
            streams,
            connections,
            open_concurrency,
        )
        .await;
        eprintln!(
            "fanout bench: round {}: {:.1} KiB/stream, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, \
             server CPU {:.0} ms, bench CPU {:.0} ms, {} failures",
            i + 1,
            r.kib_per_stream(),
            percentile(&r.latencies_ms, 50.0),
            percentile(&r.latencies_ms, 99.0),
            r.latencies_ms.last().copied().unwrap_or(f64::NAN),
            r.server_cpu_ms,
            r.bench_cpu_ms,
            r.failures.len()
        );
        if !r.failures.is_empty() {
            server.print_tail();
        }
        results.push(r);
        warnings += server.warnings.load(Ordering::Relaxed);
        server.stop().await;
    }
    store.pool().close().await;
    drop_database(&db).await;
    print_tables(&results, connections);
    println!();
    println!(
        "Server WARN/ERROR log lines during the run: {warnings} (expected: the poller's sweeps \
         fail, AWS_ENDPOINT_URL points at a closed port)."
    );
}
