//! `spawn_app()` and friends: every test gets its own database and server.
use std::{path::PathBuf, sync::Arc, time::Duration};

use aws_sdk_organizations::{config::Credentials, Client as AwsClient};
use org_invites::{
    auth::{token_line, AuthSettings, Role},
    aws::{BudgetSettings, Organizations, SdkOrganizations},
    domain::InviteQuota,
    metrics::Metrics,
    poller::PollerSettings,
    proto::v1::{self as pb, invitation_service_client::InvitationServiceClient},
    service::ServiceSettings,
    startup::{Application, Settings},
    transport::{Limits, TlsSettings},
};
use sqlx::{postgres::PgConnectOptions, Connection, PgConnection, PgPool};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};

pub fn database_url() -> String {
    std::env::var("ORG_INVITES_TEST_DATABASE_URL")
        .expect("ORG_INVITES_TEST_DATABASE_URL is unset: run the tests with scripts/test.sh")
}

pub const MANAGEMENT_ACCOUNT: &str = "123456789012";

/// One fakecloud process per test (or per group of replicas), so tests
/// never see each other's handshakes. Killed when dropped.
pub struct Fakecloud {
    pub endpoint: String,
    _child: tokio::process::Child,
}

impl Fakecloud {
    pub async fn start() -> Arc<Self> {
        Self::start_with_env(&[]).await
    }

    /// Starts fakecloud with extra environment (libfaketime, in expiry
    /// tests), waits until it answers, and creates the organization.
    pub async fn start_with_env(env: &[(&str, &str)]) -> Arc<Self> {
        let bin = std::env::var("ORG_INVITES_TEST_FAKECLOUD_BIN")
            .expect("ORG_INVITES_TEST_FAKECLOUD_BIN is unset: run the tests with scripts/test.sh");
        let mut child = tokio::process::Command::new(bin)
            .args(["--addr", "127.0.0.1:0", "--log-level", "warn"])
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("fakecloud starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let port = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(port) = line.strip_prefix("FAKECLOUD_PORT=") {
                    return port.trim().to_string();
                }
            }
            panic!("fakecloud exited before printing its port")
        })
        .await
        .expect("fakecloud prints its port");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let fc = Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            _child: child,
        };
        // Connections made while it finishes starting wait rather than fail.
        let health = fc.http("GET", "/_fakecloud/health", "").await;
        assert!(health.contains("ok"), "{health}");
        fc.management_client()
            .create_organization()
            .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
            .send()
            .await
            .expect("CreateOrganization");
        Arc::new(fc)
    }

    /// The AWS settings of a client of this fakecloud signing as `key`.
    pub fn sdk_config(&self, key: &str, secret: &str) -> aws_config::SdkConfig {
        sdk_config(&self.endpoint, key, secret)
    }

    /// A fakecloud whose clock `FakeClock` moves (libfaketime): it expires
    /// invitations 15 days after they are sent, by that clock.
    pub async fn start_with_clock() -> (Arc<Self>, FakeClock) {
        let lib = std::env::var("ORG_INVITES_TEST_FAKETIME_LIB")
            .expect("ORG_INVITES_TEST_FAKETIME_LIB is unset: run the tests with scripts/test.sh");
        let path = std::env::temp_dir().join(format!("faketime-{}.rc", uuid::Uuid::new_v4()));
        let clock = FakeClock { path };
        clock.set("+0d");
        let path = clock.path.to_str().unwrap().to_string();
        let fakecloud = Self::start_with_env(&[
            ("LD_PRELOAD", lib.as_str()),
            ("FAKETIME_TIMESTAMP_FILE", path.as_str()),
            ("FAKETIME_NO_CACHE", "1"),
            ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
        ])
        .await;
        (fakecloud, clock)
    }

    /// An SDK client signing as `key` (fakecloud maps `test` to the management account).
    pub fn client(&self, key: &str, secret: &str) -> AwsClient {
        let conf = aws_sdk_organizations::Config::builder()
            .behavior_version(aws_sdk_organizations::config::BehaviorVersion::latest())
            .region(aws_sdk_organizations::config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new(key, secret, None, None, "tests"))
            .timeout_config(org_invites::aws::timeouts())
            .build();
        AwsClient::from_conf(conf)
    }

    pub fn management_client(&self) -> AwsClient {
        self.client("test", "test")
    }

    pub fn organizations(&self) -> Arc<dyn Organizations> {
        Arc::new(SdkOrganizations::from_config(
            &self.sdk_config("test", "test"),
            None,
        ))
    }

    /// Keys that act as `account_id`, to accept or decline.
    pub async fn member_client(&self, account_id: &str) -> AwsClient {
        let (key, secret) = self.member_keys(account_id).await;
        self.client(&key, &secret)
    }

    /// An access key and secret of an administrator of `account_id`.
    pub async fn member_keys(&self, account_id: &str) -> (String, String) {
        let body = format!(r#"{{"accountId":"{account_id}","userName":"admin"}}"#);
        let reply = self
            .http("POST", "/_fakecloud/iam/create-admin", &body)
            .await;
        let v: serde_json::Value = serde_json::from_str(&reply).expect("create-admin JSON");
        (
            v["accessKeyId"].as_str().expect("accessKeyId").to_string(),
            v["secretAccessKey"]
                .as_str()
                .expect("secretAccessKey")
                .to_string(),
        )
    }

    /// The invited account accepts `handshake_id`.
    pub async fn accept(&self, account_id: &str, handshake_id: &str) {
        self.member_client(account_id)
            .await
            .accept_handshake()
            .handshake_id(handshake_id)
            .send()
            .await
            .expect("the invited account accepts");
    }

    /// The invited account declines `handshake_id`.
    pub async fn decline(&self, account_id: &str, handshake_id: &str) {
        self.member_client(account_id)
            .await
            .decline_handshake()
            .handshake_id(handshake_id)
            .send()
            .await
            .expect("the invited account declines");
    }

    /// The INVITE handshakes AWS lists for `target_id`.
    pub async fn handshakes_for(
        &self,
        target_id: &str,
    ) -> Vec<aws_sdk_organizations::types::Handshake> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .management_client()
                .list_handshakes_for_organization()
                .set_next_token(token)
                .send()
                .await
                .expect("ListHandshakesForOrganization");
            out.extend(
                page.handshakes()
                    .iter()
                    .filter(|h| h.parties().iter().any(|p| p.id() == target_id))
                    .cloned(),
            );
            match page.next_token() {
                Some(t) => token = Some(t.to_string()),
                None => return out,
            }
        }
    }

    async fn http(&self, method: &str, path: &str, body: &str) -> String {
        self.http_with(method, path, &[("Content-Type", "application/json")], body)
            .await
    }

    /// One HTTP request to fakecloud, which must answer 200; its body.
    pub async fn http_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> String {
        let host = self.endpoint.trim_start_matches("http://").to_string();
        let mut stream = TcpStream::connect(&host)
            .await
            .expect("fakecloud reachable");
        let headers: String = headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{headers}\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).await.unwrap();
        let (head, body) = out.split_once("\r\n\r\n").expect("HTTP response");
        assert!(head.starts_with("HTTP/1.1 200"), "{path}: {head}");
        body.to_string()
    }
}

/// The clock of a fakecloud started with `start_with_clock`.
pub struct FakeClock {
    path: PathBuf,
}

impl FakeClock {
    /// `+16d`: fakecloud's clock runs that far ahead of the real one.
    pub fn set(&self, offset: &str) {
        std::fs::write(&self.path, format!("{offset}\n")).unwrap();
    }
}

impl Drop for FakeClock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// AWS settings for `endpoint`, signing as `key`, in us-east-1.
pub fn sdk_config(endpoint: &str, key: &str, secret: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                key, secret, None, None, "tests",
            )),
        )
        .build()
}

/// A 12-digit account id no other test uses.
/// An invitation of account `account` and nothing else: no notes, tags,
/// onboarding or renewal.
pub fn plain_invitation(account: &str) -> org_invites::domain::Invitation {
    use org_invites::domain::{Invitation, InviteTarget, PartyType};
    Invitation {
        target: InviteTarget::parse(PartyType::Account, account).unwrap(),
        notes: Default::default(),
        tags: Default::default(),
        requested_by: None,
        onboarding: None,
        renewal: None,
    }
}

pub fn random_account_id() -> String {
    let n = uuid::Uuid::new_v4().as_u128() % 1_000_000_000_000;
    format!("{n:012}")
}

pub fn random_email() -> String {
    format!(
        "{}@example.com",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    /// The status page and /metrics, when `AppOptions::http` asked for them.
    pub http_addr: Option<std::net::SocketAddr>,
    /// Plaintext health, when `AppOptions::health_listen` asked for it.
    pub health_addr: Option<std::net::SocketAddr>,
    pub aws: Arc<Fakecloud>,
    pub client: InvitationServiceClient<Channel>,
    pub health: HealthClient<Channel>,
    pub db: PgPool,
    pub db_options: PgConnectOptions,
    shutdown: CancellationToken,
    handle: Option<JoinHandle<()>>,
}

pub struct AppOptions {
    /// Where the app's Postgres connections go (a proxy, in outage tests).
    pub database: Option<PgConnectOptions>,
    /// The fakecloud to use (shared by replicas); a new one when None.
    pub fakecloud: Option<Arc<Fakecloud>>,
    /// What the app calls AWS through; the real SDK against fakecloud when None.
    pub aws: Option<Arc<dyn Organizations>>,
    pub invite_grace: Duration,
    pub poller: PollerSettings,
    pub wait_serving: bool,
    /// Authentication; off (--insecure-no-auth) unless a test is about it.
    pub auth: AuthSettings,
    /// The daily invitation quota; high enough for any test not about it.
    pub quota: InviteQuota,
    /// The AWS request budget (AWS's rates unless a test changes them).
    pub budget: BudgetSettings,
    /// TLS on the gRPC port; the helper's own clients then cannot connect,
    /// so set `wait_serving: false` and connect with TLS in the test.
    pub tls: Option<TlsSettings>,
    pub limits: Limits,
    /// Serve the status page and /metrics on a free port (`TestApp::http_addr`).
    pub http: bool,
    /// Serve plaintext health on a free port (`TestApp::health_addr`).
    pub health_listen: bool,
    pub cors_origins: Vec<String>,
}

/// `serve`'s defaults, for everything a test does not change.
pub fn serve_defaults() -> Settings {
    Settings::defaults("127.0.0.1:0".parse().unwrap(), PgConnectOptions::new())
}

impl Default for AppOptions {
    /// `serve`'s defaults, except where a test stack needs otherwise:
    /// faster polling, no authentication, a quota no test reaches by chance.
    fn default() -> Self {
        let d = serve_defaults();
        Self {
            database: None,
            fakecloud: None,
            aws: None,
            invite_grace: d.service.invite_grace,
            poller: PollerSettings {
                interval: Duration::from_secs(2),
                watched_interval: Duration::from_millis(500),
                ..d.poller
            },
            wait_serving: true,
            auth: AuthSettings {
                insecure_no_auth: true,
                ..d.auth
            },
            quota: InviteQuota {
                limit: 1000,
                ..d.service.quota
            },
            budget: d.budget,
            tls: d.tls,
            limits: d.limits,
            http: false,
            health_listen: false,
            cors_origins: d.cors_origins,
        }
    }
}

/// An identities file with a reader (`reader-token`, dashboards) and an
/// inviter (`inviter-token`, account-factory).
pub fn identities_file() -> PathBuf {
    let path = std::env::temp_dir().join(format!("identities-{}", uuid::Uuid::new_v4()));
    let text = format!(
        "# test identities\n{}\n{}\n",
        token_line(Role::Reader, "dashboards", "reader-token"),
        token_line(Role::Inviter, "account-factory", "inviter-token"),
    );
    std::fs::write(&path, text).unwrap();
    path
}

pub async fn spawn_secured(file: Option<PathBuf>) -> TestApp {
    spawn_app_with(
        fresh_database().await,
        AppOptions {
            auth: AuthSettings {
                identities_file: file,
                insecure_no_auth: false,
            },
            ..AppOptions::default()
        },
    )
    .await
}

/// A fresh, empty database, migrated by the app that uses it.
pub async fn fresh_database() -> PgConnectOptions {
    let admin: PgConnectOptions = database_url().parse().unwrap();
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect_with(&admin)
        .await
        .expect("test Postgres");
    sqlx::query(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .execute(&mut conn)
        .await
        .unwrap();
    admin.database(&name)
}

/// A replica session on `store`, kept open for the rest of the test, for
/// tests that drive the service without a server.
pub fn session(store: &org_invites::store::Store) -> org_invites::store::Session {
    let (session, keeper) = store.session();
    tokio::spawn(keeper.run(CancellationToken::new()));
    session
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(fresh_database().await, AppOptions::default()).await
}

pub async fn spawn_app_with(db_options: PgConnectOptions, opts: AppOptions) -> TestApp {
    let aws = match opts.fakecloud {
        Some(fc) => fc,
        None => Fakecloud::start().await,
    };
    let settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        health_listen: opts.health_listen.then(|| "127.0.0.1:0".parse().unwrap()),
        database: opts.database.unwrap_or_else(|| db_options.clone()),
        poller: opts.poller,
        service: ServiceSettings {
            invite_grace: opts.invite_grace,
            quota: opts.quota,
        },
        auth: opts.auth,
        budget: opts.budget,
        tls: opts.tls,
        limits: opts.limits,
        http_listen: opts.http.then(|| "127.0.0.1:0".parse().unwrap()),
        cors_origins: opts.cors_origins,
    };
    let aws_api = opts.aws.unwrap_or_else(|| aws.organizations());
    let app = Application::build(settings, aws_api, Metrics::new())
        .await
        .expect("app builds");
    let addr = app.local_addr();
    let http_addr = app.http_addr();
    let health_addr = app.health_addr();
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { app.run_until(shutdown).await.expect("server runs") }
    });
    // Lazy: the port is bound already, and a TLS server would refuse a
    // plaintext handshake here.
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_lazy();
    let mut test_app = TestApp {
        addr,
        http_addr,
        health_addr,
        aws,
        client: InvitationServiceClient::new(channel.clone()),
        health: HealthClient::new(channel),
        db: PgPool::connect_with(db_options.clone()).await.unwrap(),
        db_options,
        shutdown,
        handle: Some(handle),
    };
    if opts.wait_serving {
        test_app.wait_for_health(ServingStatus::Serving).await;
    }
    test_app
}

impl TestApp {
    /// Waits on the health Watch stream until the overall status is `want`.
    pub async fn wait_for_health(&mut self, want: ServingStatus) {
        let mut stream = self
            .health
            .watch(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .expect("health watch")
            .into_inner();
        let wait = async {
            while let Some(msg) = stream.message().await.expect("health stream") {
                if msg.status == want as i32 {
                    return;
                }
            }
            panic!("health stream ended before {want:?}");
        };
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .unwrap_or_else(|_| panic!("health never became {want:?}"));
    }

    pub async fn invite(
        &self,
        req: pb::InviteAccountRequest,
    ) -> Result<pb::Handshake, tonic::Status> {
        let mut client = self.client.clone();
        let resp = client.invite_account(req).await?;
        Ok(resp.into_inner().handshake.expect("handshake in response"))
    }

    /// Cancels `id` through the service, which must succeed.
    pub async fn cancel(&self, id: &str) -> pb::Handshake {
        self.client
            .clone()
            .cancel_handshake(pb::CancelHandshakeRequest { id: id.into() })
            .await
            .expect("cancel succeeds")
            .into_inner()
    }

    /// Opens WatchHandshake on `id`, which must start.
    pub async fn watch(&self, id: &str) -> tonic::Streaming<pb::HandshakeEvent> {
        self.client
            .clone()
            .watch_handshake(pb::WatchHandshakeRequest { id: id.into() })
            .await
            .expect("watch starts")
            .into_inner()
    }

    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(h) = self.handle.take() {
            h.await.unwrap();
        }
    }

    pub async fn handshake_rows(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM handshakes")
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    pub async fn intent_rows(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM invite_requests")
            .fetch_one(&self.db)
            .await
            .unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The next message of a watch stream, failing the test if none comes in 30 s.
pub async fn next_event(
    stream: &mut tonic::Streaming<pb::HandshakeEvent>,
) -> Option<pb::HandshakeEvent> {
    tokio::time::timeout(Duration::from_secs(30), stream.message())
        .await
        .expect("a message within 30 s")
        .expect("stream OK")
}

pub fn state_of(e: &pb::HandshakeEvent) -> pb::HandshakeState {
    pb::HandshakeState::try_from(e.handshake.as_ref().unwrap().state).unwrap()
}

pub fn account_target(id: &str) -> Option<pb::HandshakeParty> {
    Some(pb::HandshakeParty {
        id: id.to_string(),
        r#type: pb::HandshakePartyType::Account as i32,
    })
}

pub fn email_target(id: &str) -> Option<pb::HandshakeParty> {
    Some(pb::HandshakeParty {
        id: id.to_string(),
        r#type: pb::HandshakePartyType::Email as i32,
    })
}

pub fn invite_account(id: &str) -> pb::InviteAccountRequest {
    pb::InviteAccountRequest {
        target: account_target(id),
        ..Default::default()
    }
}

/// A TCP proxy in front of Postgres that a test can cut, to make the
/// database "go down" for one app without touching the shared server.
pub struct PgProxy {
    pub port: u16,
    cut: tokio::sync::watch::Sender<bool>,
}

impl PgProxy {
    pub async fn start(target: &PgConnectOptions) -> Self {
        let upstream = format!("{}:{}", target.get_host(), target.get_port());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, watch) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if *watch.borrow() {
                    continue; // down: drop the connection at once
                }
                let upstream = upstream.clone();
                let mut watch = watch.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = watch.wait_for(|down| *down) => {}
                    }
                });
            }
        });
        Self { port, cut }
    }

    /// Options that reach `target` through this proxy.
    pub fn options(&self, target: &PgConnectOptions) -> PgConnectOptions {
        target.clone().host("127.0.0.1").port(self.port)
    }

    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}

/// Details from a status, for assertions.
pub fn violations(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|f| f.field).collect())
        .unwrap_or_default()
}

pub fn error_info(status: &tonic::Status) -> tonic_types::ErrorInfo {
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .expect("ErrorInfo in status")
}

/// One HTTP/1.1 request to `addr`, read to the end: (status line, headers, body).
pub async fn http_request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (String, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).await.expect("HTTP port reachable");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut out))
        .await
        .expect("the response within 30 s")
        .unwrap();
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response");
    let head = String::from_utf8_lossy(&out[..split]).to_string();
    let (status, headers) = head.split_once("\r\n").unwrap_or((&head, ""));
    let headers = headers.to_lowercase();
    let mut body = out[split + 4..].to_vec();
    if headers.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    (status.to_string(), headers, body)
}

/// The body of a chunked HTTP/1.1 response.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size = std::str::from_utf8(&raw[..eol])
            .unwrap()
            .split(';')
            .next()
            .unwrap();
        let size = usize::from_str_radix(size.trim(), 16).expect("hex chunk size");
        raw = &raw[eol + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

/// `n` InviteAccount calls at once, spread over `clients` in turn, each
/// for a fresh account; their results in completion order.
pub async fn concurrent_invites(
    clients: &[InvitationServiceClient<Channel>],
    n: usize,
) -> Vec<Result<tonic::Response<pb::InviteAccountResponse>, tonic::Status>> {
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..n {
        let mut client = clients[i % clients.len()].clone();
        calls.spawn(async move {
            client
                .invite_account(invite_account(&random_account_id()))
                .await
        });
    }
    calls.join_all().await
}

/// Waits until `n` sessions of `db`'s database wait for an advisory lock,
/// as Postgres reports it, and returns their backend pids.
pub async fn advisory_lock_waiters(db: &PgPool, n: usize) -> Vec<i32> {
    let waiting = async {
        loop {
            let pids: Vec<i32> = sqlx::query_scalar(
                "SELECT pid FROM pg_locks
                 WHERE locktype = 'advisory' AND NOT granted
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            )
            .fetch_all(db)
            .await
            .unwrap();
            if pids.len() == n {
                return pids;
            }
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .unwrap_or_else(|_| panic!("{n} session(s) waiting for an advisory lock"))
}

/// A transaction of `db` holding the quota lock, which every InviteAccount
/// takes to count the quota, until it ends.
pub async fn hold_quota_lock(db: &PgPool) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut holder = db.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(org_invites::store::QUOTA_LOCK)
        .execute(&mut *holder)
        .await
        .unwrap();
    holder
}

/// How many of `results` were sent, and how many refused RESOURCE_EXHAUSTED.
pub fn sent_and_refused<T>(results: &[Result<T, tonic::Status>]) -> (usize, usize) {
    let sent = results.iter().filter(|r| r.is_ok()).count();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(e) if e.code() == tonic::Code::ResourceExhausted))
        .count();
    (sent, refused)
}

/// One `/metrics` scrape of `app` (started with `AppOptions::http`).
pub async fn scrape(app: &TestApp) -> String {
    let (status, headers, body) =
        http_request(app.http_addr.unwrap(), "GET", "/metrics", &[], b"").await;
    assert!(status.contains("200"), "{status}");
    assert!(headers.contains("openmetrics-text"), "{headers}");
    String::from_utf8(body).unwrap()
}

/// The value of one series in a scrape, exactly as named with its labels.
pub fn metric_value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .split(' ')
            .next()?
            .parse()
            .ok()
    })
}
