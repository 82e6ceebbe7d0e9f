//! `spawn_app()` and friends: every test gets its own database and server.
use std::{path::PathBuf, sync::Arc, time::Duration};

use org_invites::{
    auth::{token_line, AuthSettings, Role},
    aws::{BudgetSettings, EventBus, Organizations},
    domain::InviteQuota,
    metrics::Metrics,
    poller::PollerSettings,
    proto::v1::{self as pb, invitation_service_client::InvitationServiceClient},
    reconcile::delivery::DeliveryOptions,
    service::ServiceSettings,
    startup::{Application, Settings},
    transport::{Limits, TlsSettings},
};
use sqlx::{postgres::PgConnectOptions, PgPool};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};

use super::{fresh_database, watch_all_through, Fakecloud};

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
    /// What the app sends EventBridge events through; the real SDK against
    /// fakecloud when None.
    pub bus: Option<Arc<dyn EventBus>>,
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
    /// Event delivery (`--subscriptions-file` and its neighbours).
    pub delivery: DeliveryOptions,
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
            bus: None,
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
            delivery: d.delivery,
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
        delivery: opts.delivery,
    };
    let aws_api = opts.aws.unwrap_or_else(|| aws.organizations());
    let bus = opts.bus.unwrap_or_else(|| aws.event_bus());
    let app = Application::build(settings, aws_api, bus, Metrics::new())
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

    /// GetHandshake on `id`, as the service answers it.
    pub async fn get_handshake(&self, id: &str) -> Result<pb::Handshake, tonic::Status> {
        self.client
            .clone()
            .get_handshake(pb::GetHandshakeRequest { id: id.into() })
            .await
            .map(|r| r.into_inner())
    }

    /// Opens WatchHandshakes from now on, which must start.
    pub async fn watch_all(&self) -> tonic::Streaming<pb::HandshakeEvent> {
        watch_all_through(&self.client).await
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
