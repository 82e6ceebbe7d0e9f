//! Building and running the server: bind, health, reflection, background
//! tasks, and one cancellation token for shutdown.
mod command;
mod cors;

pub use command::{migrate, serve};
use std::{future::Future, net::SocketAddr, pin::Pin, sync::Arc, time::Duration};

use sqlx::postgres::PgConnectOptions;
use tokio::{net::TcpListener, sync::watch};
use tokio_util::sync::CancellationToken;
use tonic_health::{server::HealthReporter, ServingStatus};
use tonic_web::GrpcWebLayer;
use tower_http::cors::CorsLayer;
use tracing::{info, warn};

use crate::{
    auth::{AuthLayer, AuthSettings, Authenticator},
    aws::{BudgetSettings, Budgeted, Organizations},
    conn,
    domain::InviteQuota,
    grpc::InvitationApi,
    http::HttpState,
    limits::{Limits, LimitsLayer},
    metrics::{Measured, Metrics, RpcMetricsLayer},
    poller::{run_poller, PollerSettings},
    proto::{self, v1::invitation_service_server::InvitationServiceServer},
    service::Invitations,
    store::Store,
    tls::{Tls, TlsSettings},
    watch::{run_listener, Hub},
};

/// How often Postgres is checked for the health status.
const HEALTH_CHECK_EVERY: Duration = Duration::from_secs(1);
/// How long in-flight calls may take to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Background tasks start once migrations ran; this says when.
#[derive(Clone)]
pub struct DatabaseReady(watch::Receiver<bool>);

impl DatabaseReady {
    /// Waits for the database; false when shutdown came first.
    pub async fn wait(&mut self, stop: &CancellationToken) -> bool {
        tokio::select! {
            _ = stop.cancelled() => false,
            r = self.0.wait_for(|r| *r) => r.is_ok(),
        }
    }
}

/// Everything the server needs, ready to run: the port is already bound,
/// so callers (and tests, with port 0) know the address before it serves.
pub struct Application {
    listener: TcpListener,
    store: Store,
    invitations: Invitations,
    hub: Hub,
    poller: PollerSettings,
    auth: Authenticator,
    auth_file: Option<std::path::PathBuf>,
    tls: Option<Tls>,
    limits: Limits,
    http_listener: Option<TcpListener>,
    cors: Option<CorsLayer>,
    metrics: Metrics,
}

pub struct Settings {
    pub listen: SocketAddr,
    pub database: PgConnectOptions,
    pub poller: PollerSettings,
    pub invite_grace: Duration,
    pub auth: AuthSettings,
    pub quota: InviteQuota,
    pub budget: BudgetSettings,
    /// TLS on the gRPC port; plaintext when None.
    pub tls: Option<TlsSettings>,
    pub limits: Limits,
    /// Where the status page and /metrics listen; not served when None.
    pub http_listen: Option<SocketAddr>,
    /// Browser origins allowed to call the gRPC port with gRPC-Web.
    pub cors_origins: Vec<String>,
    pub metrics: Metrics,
}

impl Application {
    pub async fn build(settings: Settings, aws: Arc<dyn Organizations>) -> Result<Self, BoxError> {
        let auth = Authenticator::load(&settings.auth)?;
        let tls = settings.tls.map(Tls::load).transpose()?;
        let listener = TcpListener::bind(settings.listen).await?;
        let store = Store::connect_lazy(settings.database);
        let metrics = settings.metrics;
        // Every AWS call, from RPCs and the poller alike, spends the shared
        // budget; what reaches AWS is counted and timed.
        let aws = Arc::new(Measured::new(aws, metrics.clone()));
        let aws = Arc::new(
            Budgeted::new(aws, store.clone(), settings.budget).with_metrics(metrics.clone()),
        );
        let invitations = Invitations::new(store.clone(), aws, settings.invite_grace)
            .with_quota(settings.quota)
            .with_metrics(metrics.clone());
        let http_listener = match settings.http_listen {
            Some(addr) => Some(TcpListener::bind(addr).await?),
            None => None,
        };
        let cors = cors::cors_layer(&settings.cors_origins)?;
        Ok(Self {
            listener,
            store,
            invitations,
            hub: Hub::new(),
            poller: settings.poller,
            auth,
            auth_file: settings.auth.identities_file,
            tls,
            limits: settings.limits,
            http_listener,
            cors,
            metrics,
        })
    }

    /// Where the status page and /metrics are served, if anywhere.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// Serves until `shutdown` is cancelled: health turns NOT_SERVING first,
    /// then the server stops accepting and lets in-flight calls finish.
    pub async fn run_until(self, shutdown: CancellationToken) -> Result<(), BoxError> {
        let (reporter, health) = tonic_health::server::health_reporter();
        set_health(&reporter, ServingStatus::NotServing).await;
        let tasks = CancellationToken::new();
        let (ready_tx, ready) = watch::channel(false);
        let ready = DatabaseReady(ready);
        let mut background = vec![
            tokio::spawn(watch_database(
                self.store.clone(),
                reporter.clone(),
                ready_tx,
                tasks.clone(),
            )),
            tokio::spawn(run_listener(
                self.store.clone(),
                self.hub.clone(),
                ready.clone(),
                tasks.clone(),
            )),
            tokio::spawn(run_poller(
                self.invitations.clone(),
                self.poller,
                ready,
                tasks.clone(),
            )),
            tokio::spawn(wake_while_watched(
                self.invitations.clone(),
                self.hub.clone(),
                self.poller.watched_interval,
                tasks.clone(),
            )),
        ];
        if let Some(tls) = self.tls.clone() {
            background.push(tokio::spawn(tls.watch(tasks.clone())));
        }
        let listen_addr = self.local_addr();
        if let Some(listener) = self.http_listener {
            background.push(tokio::spawn(crate::http::serve(
                listener,
                HttpState {
                    store: self.store.clone(),
                    hub: self.hub.clone(),
                    metrics: self.metrics.clone(),
                    stop: tasks.clone(),
                },
            )));
        }
        if let Some(path) = self.auth_file.clone() {
            background.push(tokio::spawn(
                self.auth.clone().watch_file(path, tasks.clone()),
            ));
        }

        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()?;
        // grpcurl 1.8 speaks only v1alpha.
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()?;

        let api = InvitationServiceServer::new(InvitationApi::new(
            self.invitations.clone(),
            self.hub.clone(),
            tasks.clone(),
        ))
        .max_decoding_message_size(self.limits.max_request_bytes);
        let drained = {
            let reporter = reporter.clone();
            let tasks = tasks.clone();
            async move {
                shutdown.cancelled().await;
                info!("shutting down: health NOT_SERVING, draining in-flight calls");
                tasks.cancel();
                set_health(&reporter, ServingStatus::NotServing).await;
            }
        };
        info!(addr = %listen_addr, tls = self.tls.is_some(), "org-invites listening");
        let limits = self.limits;
        let router = tonic::transport::Server::builder()
            .max_concurrent_streams(limits.max_streams_per_connection)
            .http2_keepalive_interval(Some(limits.keepalive_interval))
            .http2_keepalive_timeout(Some(limits.keepalive_timeout))
            // gRPC-Web from browsers arrives over HTTP/1.1.
            .accept_http1(true)
            // Outermost first: CORS answers preflights itself; gRPC-Web is
            // translated to gRPC before anything counts or checks it; the
            // limits layer needs the identity auth found.
            .layer(tower::util::option_layer(self.cors.clone()))
            .layer(GrpcWebLayer::new())
            .layer(RpcMetricsLayer::new(self.metrics.clone()))
            .layer(AuthLayer::new(self.auth.clone()))
            .layer(LimitsLayer::new(limits))
            .add_service(health)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(api);
        let server: Pin<Box<dyn Future<Output = Result<(), tonic::transport::Error>> + Send>> =
            match self.tls {
                Some(tls) => Box::pin(router.serve_with_incoming_shutdown(
                    tls.incoming(self.listener, limits.idle_timeout, tasks.clone()),
                    drained,
                )),
                None => Box::pin(router.serve_with_incoming_shutdown(
                    conn::incoming(
                        self.listener,
                        limits.idle_timeout,
                        tasks.clone(),
                        |c| async { Some(c) },
                    ),
                    drained,
                )),
            };
        // Long-lived streams (health Watch) would hold a graceful drain open forever.
        let drain_deadline = async {
            tasks.cancelled().await;
            tokio::time::sleep(DRAIN_TIMEOUT).await;
        };
        let result = tokio::select! {
            r = server => r,
            _ = drain_deadline => {
                warn!("drain timeout: closing the streams still open");
                Ok(())
            }
        };
        tasks.cancel();
        // Background work (a sweep in progress) finishes before run_until
        // returns, so nothing this server started acts after it stopped.
        if tokio::time::timeout(DRAIN_TIMEOUT, async {
            for task in background {
                let _ = task.await;
            }
        })
        .await
        .is_err()
        {
            warn!("background tasks still running at exit");
        }
        result?;
        info!("org-invites stopped");
        Ok(())
    }
}

async fn set_health(reporter: &HealthReporter, status: ServingStatus) {
    reporter.set_service_status("", status).await;
    reporter
        .set_service_status(
            <InvitationServiceServer<InvitationApi> as tonic::server::NamedService>::NAME,
            status,
        )
        .await;
}

/// SERVING only once migrations ran and while Postgres answers; `ready`
/// tells the background tasks the same.
async fn watch_database(
    store: Store,
    reporter: HealthReporter,
    ready: watch::Sender<bool>,
    stop: CancellationToken,
) {
    let mut migrated = false;
    let mut last = None;
    loop {
        let ok = if migrated {
            store.ping().await.map_err(|e| e.to_string())
        } else {
            store.migrate().await.map_err(|e| e.to_string())
        };
        migrated |= ok.is_ok();
        let status = if ok.is_ok() {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        if last != Some(status) {
            match &ok {
                Ok(()) => info!("database reachable and migrated: SERVING"),
                Err(e) => warn!(error = %e, "database unavailable: NOT_SERVING"),
            }
            last = Some(status);
        }
        if stop.is_cancelled() {
            return;
        }
        set_health(&reporter, status).await;
        ready.send_replace(ok.is_ok());
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(HEALTH_CHECK_EVERY) => {}
        }
    }
}

/// While anyone on this replica watches, asks the poller (on whichever
/// replica holds the lock) to sweep at the faster watched interval.
async fn wake_while_watched(
    invitations: Invitations,
    hub: Hub,
    every: Duration,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        if hub.watchers() > 0 {
            invitations.wake_poller().await;
        }
    }
}
