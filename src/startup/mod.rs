//! Building and running the server: settings from the arguments, the parts
//! wired together (each handed what it needs), background tasks, the gRPC
//! router, and one cancellation token for shutdown.
mod background;
mod command;
mod cors;
mod server;
mod settings;

pub use command::{migrate, serve};
pub use server::LIVENESS_SERVICE;
pub use settings::Settings;

use std::{net::SocketAddr, sync::Arc};

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::cors::CorsLayer;

use crate::{
    auth::Authenticator,
    aws::{Budgeted, BudgetedBus, EventBus, Measured, MeasuredBus, Organizations},
    grpc::CloudEvents,
    metrics::Metrics,
    reconcile::delivery::{webhook_client, DeliverySettings, RetrySchedule, SubscriptionSet},
    service::Invitations,
    store::{Session, SessionKeeper, Store},
    transport::Tls,
    watch::{Hub, Watches},
};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Everything the server needs, ready to run: the port is already bound,
/// so callers (and tests, with port 0) know the address before it serves.
pub struct Application {
    listener: TcpListener,
    health_listener: Option<TcpListener>,
    http_listener: Option<TcpListener>,
    settings: Settings,
    store: Store,
    session: Session,
    session_keeper: Option<SessionKeeper>,
    invitations: Invitations,
    hub: Hub,
    auth: Authenticator,
    tls: Option<Tls>,
    cors: Option<CorsLayer>,
    metrics: Metrics,
    /// Event delivery, when a subscriptions file is given.
    delivery: Option<(SubscriptionSet, DeliverySettings)>,
}

impl Application {
    /// `aws` is the Organizations API as it is, `bus` EventBridge (the
    /// SDK, or fakes in tests); every call to them is measured into
    /// `metrics` and spends the shared request budget.
    pub async fn build(
        settings: Settings,
        aws: Arc<dyn Organizations>,
        bus: Arc<dyn EventBus>,
        metrics: Metrics,
    ) -> Result<Self, BoxError> {
        let auth = Authenticator::load(&settings.auth)?;
        let subscriptions = settings
            .delivery
            .subscriptions_file
            .as_deref()
            .map(SubscriptionSet::load)
            .transpose()?;
        let tls = settings.tls.clone().map(Tls::load).transpose()?;
        let listener = bind(settings.listen, "--listen / ORG_INVITES_LISTEN").await?;
        let store = Store::connect_lazy(settings.database.clone()).reporting_to(&metrics);
        let delivery = subscriptions.map(|set| {
            let bus = Arc::new(MeasuredBus::new(bus, metrics.clone()));
            let bus =
                BudgetedBus::new(bus, store.clone(), settings.budget.clone(), metrics.clone());
            let settings = DeliverySettings {
                schedule: RetrySchedule::new(settings.delivery.retry_schedule.clone()),
                render: Arc::new(CloudEvents::new(settings.delivery.events_source.clone())),
                http: webhook_client(),
                bus: Arc::new(bus),
            };
            (set, settings)
        });
        let aws = Arc::new(Measured::new(aws, metrics.clone()));
        let aws = Arc::new(Budgeted::new(
            aws,
            store.clone(),
            settings.budget.clone(),
            metrics.clone(),
        ));
        let (session, session_keeper) = store.session();
        let invitations = Invitations::new(
            store.clone(),
            aws,
            settings.service,
            metrics.clone(),
            session.clone(),
        );
        let health_listener = match settings.health_listen {
            Some(addr) => Some(bind(addr, "--health-listen / ORG_INVITES_HEALTH_LISTEN").await?),
            None => None,
        };
        let http_listener = match settings.http_listen {
            Some(addr) => Some(bind(addr, "--metrics-listen / ORG_INVITES_METRICS_LISTEN").await?),
            None => None,
        };
        let cors = cors::cors_layer(&settings.cors_origins)?;
        Ok(Self {
            listener,
            health_listener,
            http_listener,
            settings,
            store,
            session,
            session_keeper: Some(session_keeper),
            invitations,
            hub: Hub::new(),
            auth,
            tls,
            cors,
            metrics,
            delivery,
        })
    }

    /// Where plaintext health is served, if anywhere.
    pub fn health_addr(&self) -> Option<SocketAddr> {
        self.health_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
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
    /// then the server stops accepting and lets in-flight calls finish;
    /// background work ends before this returns.
    pub async fn run_until(mut self, shutdown: CancellationToken) -> Result<(), BoxError> {
        // Cancelled once shutdown begins: streams end, background work stops.
        let tasks = CancellationToken::new();
        let watches = Watches::new(
            self.store.clone(),
            self.hub.clone(),
            self.metrics.clone(),
            tasks.clone(),
        );
        let (reporter, health) = tonic_health::server::health_reporter();
        server::start_health(&reporter).await;
        // The session outlives the drain: the calls it owns finish under it.
        let session_stop = CancellationToken::new();
        let session = self
            .session_keeper
            .take()
            .map(|keeper| tokio::spawn(keeper.run(session_stop.clone())));
        let background = background::spawn(&mut self, &watches, reporter.clone(), &tasks);
        let result = server::serve(self, watches, health, reporter, shutdown, tasks).await;
        background.finish().await;
        session_stop.cancel();
        if let Some(task) = session {
            let _ = task.await;
        }
        result?;
        tracing::info!("org-invites stopped");
        Ok(())
    }
}

/// Binds `addr`; a failure names the address and the flag that set it.
async fn bind(addr: SocketAddr, flag: &str) -> Result<TcpListener, BoxError> {
    TcpListener::bind(addr).await.map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::AddrInUse => "address already in use".to_string(),
            std::io::ErrorKind::AddrNotAvailable => "no such local address".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => e.to_string(),
        };
        format!("cannot listen on {addr} ({flag}): {why}").into()
    })
}
