//! Replicas as real processes, for failover: several `org-invites serve` on
//! one database, signalled (TERM or KILL) and restarted, their log lines
//! timed as they arrive; and a gate in front of AWS that keeps one
//! InviteAccountToOrganization call in flight for as long as a test wants.
//! Also used by `benches/failover.rs`.
use std::{
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use org_invites::proto::v1::{self as pb, invitation_service_client::InvitationServiceClient};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    process::Child,
    sync::mpsc,
    time::Instant,
};
use tonic::{transport::Channel, Code};
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};

use crate::{helpers::eventually, logs::LogLines};

/// Where a replica finds its database and AWS, and what else it is told.
#[derive(Clone)]
pub struct ReplicaSpec {
    pub bin: String,
    pub database_url: String,
    pub aws_endpoint: String,
    pub args: Vec<String>,
    /// More environment (a libfaketime clock, say).
    pub env: Vec<(&'static str, String)>,
}

impl ReplicaSpec {
    /// `bin` on the database `db`, AWS at `aws_endpoint`, no extra arguments.
    pub fn new(bin: &str, db: &sqlx::postgres::PgConnectOptions, aws_endpoint: &str) -> Self {
        Self {
            bin: bin.to_string(),
            database_url: format!(
                "postgres://{}@127.0.0.1:{}/{}",
                db.get_username(),
                db.get_port(),
                db.get_database().unwrap()
            ),
            aws_endpoint: aws_endpoint.to_string(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }
}

/// One running `org-invites serve`.
pub struct Replica {
    pub name: String,
    child: Child,
    pub addr: String,
    pub metrics_addr: String,
    log: LogLines,
}

impl ReplicaSpec {
    /// Starts a replica named `name` (its database application_name) and
    /// waits until it listens.
    pub async fn start(&self, name: &str) -> Replica {
        let url = format!("{}?application_name={name}", self.database_url);
        let mut child = tokio::process::Command::new(&self.bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .args(["--metrics-listen", "127.0.0.1:0", "--insecure-no-auth"])
            .args(&self.args)
            .env("DATABASE_URL", url)
            .env("AWS_ENDPOINT_URL", &self.aws_endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .env_remove("RUST_LOG")
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the server starts");
        let (log, _) = LogLines::follow(child.stderr.take().unwrap(), Vec::new());
        let mut r = Replica {
            name: name.to_string(),
            child,
            addr: String::new(),
            metrics_addr: String::new(),
            log,
        };
        let from = Instant::now() - Duration::from_secs(1);
        let listening = r.wait_for_log("org-invites listening", from, WAIT).await;
        r.addr = field(&listening.1, "addr");
        let http = r
            .wait_for_log("status page and /metrics listening", from, WAIT)
            .await;
        r.metrics_addr = field(&http.1, "addr");
        r
    }
}

/// How long a replica may take to start or to log what a test waits for.
const WAIT: Duration = Duration::from_secs(30);

fn field(line: &str, name: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(line).expect("a JSON log line");
    v[name]
        .as_str()
        .or_else(|| v["fields"][name].as_str())
        .unwrap_or_else(|| panic!("no {name} in {line}"))
        .to_string()
}

impl Replica {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The first log line at or after `from` containing `words`, waiting up
    /// to `wait` for it.
    pub async fn wait_for_log(
        &self,
        words: &str,
        from: Instant,
        wait: Duration,
    ) -> (Instant, String) {
        self.log
            .wait_for(from, wait, |l| l.contains(words))
            .await
            .unwrap_or_else(|| panic!("{}: no log line with {words:?} in {wait:?}", self.name))
    }

    /// Whether a line containing `words` was logged at or after `from`.
    pub fn logged(&self, words: &str, from: Instant) -> bool {
        self.log.find(from, |l| l.contains(words)).is_some()
    }

    /// Everything logged so far.
    pub fn log_text(&self) -> String {
        self.log.text()
    }

    /// How many lines logged so far contain `words`.
    pub fn times_logged(&self, words: &str) -> usize {
        self.log
            .text()
            .lines()
            .filter(|l| l.contains(words))
            .count()
    }

    /// Sends `signal` (TERM or KILL) and returns when it was sent.
    pub fn signal(&self, signal: &str) -> Instant {
        let pid = self.child.id().expect("running").to_string();
        let sent = Instant::now();
        let ok = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{signal} {pid}");
        sent
    }

    /// Waits for the process to exit.
    pub async fn exited(mut self) {
        tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("the process exits")
            .unwrap();
    }

    /// One sample's value from /metrics (0 when absent).
    pub async fn metric(&self, sample: &str) -> f64 {
        let mut s = TcpStream::connect(&self.metrics_addr).await.unwrap();
        let req = format!(
            "GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.metrics_addr
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out.lines()
            .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' '))
            .map_or(0.0, |v| v.trim().parse().unwrap())
    }
}

/// A client of `replica`, once its health says SERVING.
pub async fn serving(replica: &Replica) -> InvitationServiceClient<Channel> {
    let channel = Channel::from_shared(replica.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut watch = HealthClient::new(channel.clone())
        .watch(HealthCheckRequest::default())
        .await
        .unwrap()
        .into_inner();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(m) = watch.message().await.unwrap() {
            if m.status == ServingStatus::Serving as i32 {
                return;
            }
        }
    })
    .await
    .expect("SERVING");
    InvitationServiceClient::new(channel)
}

/// Retries `req` while the answer is ABORTED (in flight elsewhere) or
/// UNAVAILABLE, as a client does; returns the answer and how many tries.
pub async fn retry(
    client: &mut InvitationServiceClient<Channel>,
    req: &pb::InviteAccountRequest,
) -> (pb::Handshake, u32) {
    let mut tries = 0;
    let h = eventually(Duration::from_secs(30), "the retry to be answered", || {
        tries += 1;
        let (mut client, req) = (client.clone(), req.clone());
        async move {
            match client.invite_account(req).await {
                Ok(r) => Ok(r.into_inner().handshake.unwrap()),
                Err(e) if matches!(e.code(), Code::Aborted | Code::Unavailable) => Err(e),
                Err(e) => panic!("retry failed: {e:?}"),
            }
        }
    })
    .await;
    (h, tries)
}

/// Which of two replicas polls: the one that logged its first sweep.
pub async fn poller_of(replicas: [Replica; 2], since: Instant) -> (Replica, Replica) {
    let [x, y] = replicas;
    let first = |l: &str| l.contains("first sweep as the poller");
    tokio::select! {
        Some(_) = x.log.wait_for(since, WAIT, first) => {}
        Some(_) = y.log.wait_for(since, WAIT, first) => {}
        else => panic!("neither replica polls"),
    }
    if x.logged("first sweep as the poller", since) {
        (x, y)
    } else {
        (y, x)
    }
}

/// What the gate does with the call it catches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Catch {
    /// Never sends it on: AWS never hears of it.
    Hold,
    /// Sends it on, and swallows AWS's answer: the handshake exists, the
    /// caller never learns it.
    Swallow,
}

/// A TCP proxy in front of AWS: passes everything, except that once armed
/// it catches the next invitation (InviteAccountToOrganization or
/// InviteOrganizationToTransferResponsibility).
pub struct AwsGate {
    pub endpoint: String,
    arm: Arc<Mutex<Option<Catch>>>,
    caught: tokio::sync::Mutex<mpsc::UnboundedReceiver<Caught>>,
}

/// Word of a caught call: a channel that yields once the caller closed
/// its connection.
pub struct Caught {
    pub closed: tokio::sync::oneshot::Receiver<Instant>,
}

/// The calls the gate catches: the invitations, to join and to pay a bill.
const CAUGHT_TARGETS: [&[u8]; 2] = [
    b"InviteAccountToOrganization",
    b"InviteOrganizationToTransferResponsibility",
];

impl AwsGate {
    pub async fn start(upstream: &str) -> Self {
        let upstream = upstream.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let arm: Arc<Mutex<Option<Catch>>> = Arc::default();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn({
            let arm = arm.clone();
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        continue;
                    };
                    tokio::spawn(pass(client, server, arm.clone(), tx.clone()));
                }
            }
        });
        Self {
            endpoint,
            arm,
            caught: tokio::sync::Mutex::new(rx),
        }
    }

    /// Catches the next InviteAccountToOrganization request.
    pub fn arm(&self, catch: Catch) {
        *self.arm.lock().unwrap() = Some(catch);
    }

    /// Waits for the armed catch.
    pub async fn caught(&self) -> Caught {
        tokio::time::timeout(WAIT, self.caught.lock().await.recv())
            .await
            .expect("the invitation reaches the gate")
            .expect("the gate runs")
    }
}

/// Copies both ways until either side closes, catching as armed.
async fn pass(
    mut client: TcpStream,
    mut server: TcpStream,
    arm: Arc<Mutex<Option<Catch>>>,
    caught: mpsc::UnboundedSender<Caught>,
) {
    let (mut up, mut down) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    let mut catch: Option<Catch> = None;
    let mut closed_tx = None;
    loop {
        tokio::select! {
            n = client.read(&mut up) => {
                let n = n.unwrap_or(0);
                if n == 0 {
                    if let Some(tx) = closed_tx.take() {
                        let _: Result<_, _> = tokio::sync::oneshot::Sender::send(tx, Instant::now());
                    }
                    return;
                }
                let chunk = &up[..n];
                if catch.is_none() && CAUGHT_TARGETS.iter().any(|t| contains(chunk, t)) {
                    if let Some(c) = arm.lock().unwrap().take() {
                        catch = Some(c);
                        let (tx, rx) = tokio::sync::oneshot::channel();
                        closed_tx = Some(tx);
                        let _ = caught.send(Caught { closed: rx });
                    }
                }
                if catch != Some(Catch::Hold) && server.write_all(chunk).await.is_err() {
                    return;
                }
            }
            n = server.read(&mut down) => {
                let n = n.unwrap_or(0);
                if n == 0 {
                    return;
                }
                if catch != Some(Catch::Swallow) && client.write_all(&down[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
