//! The gRPC server: the router (layers in front of health, reflection and
//! the API), serving over TLS or plaintext, and draining at shutdown.
use std::{future::Future, pin::Pin, time::Duration};

use tokio_util::sync::CancellationToken;
use tonic::{server::NamedService, service::Routes};
use tonic_health::{server::HealthReporter, ServingStatus};
use tonic_web::GrpcWebLayer;
use tracing::{info, warn};

use super::{Application, BoxError};
use crate::{
    grpc::{
        layers::{AuthPolicy, LimitsPolicy, PolicyLayer, RpcMetricsPolicy, TracePolicy},
        InvitationApi,
    },
    proto::{self, v1::invitation_service_server::InvitationServiceServer},
    telemetry, transport,
    watch::Watches,
};

/// How long in-flight calls may take to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);

/// The health service that answers SERVING for as long as the process
/// serves at all, whatever Postgres does: Kubernetes' liveness probe asks
/// it, so an outage of the database takes replicas out of the Service
/// (readiness, service "") without restarting them all.
pub const LIVENESS_SERVICE: &str = "liveness";

/// A fresh health reporter: liveness SERVING, the rest NOT_SERVING until
/// Postgres answers and migrations ran.
pub async fn start_health(reporter: &HealthReporter) {
    reporter
        .set_service_status(LIVENESS_SERVICE, ServingStatus::Serving)
        .await;
    set_health(reporter, ServingStatus::NotServing).await;
}

/// The server's and the service's status (not liveness).
pub async fn set_health(reporter: &HealthReporter, status: ServingStatus) {
    reporter.set_service_status("", status).await;
    reporter
        .set_service_status(
            <InvitationServiceServer<InvitationApi> as NamedService>::NAME,
            status,
        )
        .await;
}

/// Reflection over this service's protos and health's; grpcurl 1.8 speaks
/// only v1alpha, newer clients v1.
fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
}

fn services(
    app: &Application,
    watches: Watches,
    health: tonic_health::pb::health_server::HealthServer<
        impl tonic_health::pb::health_server::Health,
    >,
) -> Result<Routes, BoxError> {
    let api = InvitationApi::new(app.invitations.clone(), watches)
        .with_subscriptions(app.delivery.as_ref().map(|(s, _)| s.clone()));
    let api = InvitationServiceServer::new(api)
        .max_decoding_message_size(app.settings.limits.max_request_bytes);
    Ok(Routes::new(health)
        .add_service(reflection().build_v1()?)
        .add_service(reflection().build_v1alpha()?)
        .add_service(api))
}

/// Serves until `shutdown`, then drains in-flight calls for up to
/// DRAIN_TIMEOUT; `tasks` is cancelled as the drain begins.
pub async fn serve(
    mut app: Application,
    watches: Watches,
    health: tonic_health::pb::health_server::HealthServer<
        impl tonic_health::pb::health_server::Health,
    >,
    reporter: HealthReporter,
    shutdown: CancellationToken,
    tasks: CancellationToken,
) -> Result<(), BoxError> {
    // Plaintext health for probes, up until the main server has stopped.
    let health_stop = CancellationToken::new();
    let health_only = app.health_listener.take().map(|listener| {
        let server = tonic::transport::Server::builder()
            .add_service(health.clone())
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                health_stop.clone().cancelled_owned(),
            );
        tokio::spawn(async move {
            if let Err(e) = server.await {
                warn!(error = %e, "the plaintext health server failed");
            }
        })
    });
    let routes = services(&app, watches, health)?;
    let drained = {
        let tasks = tasks.clone();
        async move {
            shutdown.cancelled().await;
            info!("shutting down: health NOT_SERVING, draining in-flight calls");
            tasks.cancel();
            set_health(&reporter, ServingStatus::NotServing).await;
        }
    };
    let limits = app.settings.limits;
    info!(addr = %app.local_addr(), tls = app.tls.is_some(), "org-invites listening");
    let router = tonic::transport::Server::builder()
        .max_concurrent_streams(limits.max_streams_per_connection)
        .http2_keepalive_interval(Some(limits.keepalive_interval))
        .http2_keepalive_timeout(Some(limits.keepalive_timeout))
        // gRPC-Web from browsers arrives over HTTP/1.1.
        .accept_http1(true)
        // Outermost first: CORS answers preflights itself; gRPC-Web is
        // translated to gRPC before anything counts or checks it; the
        // limits layer needs the identity auth found.
        .layer(tower::util::option_layer(app.cors.clone()))
        .layer(GrpcWebLayer::new())
        // Only when traces are exported: a span per call costs a wrapper.
        .layer(tower::util::option_layer(
            telemetry::exporting().then_some(PolicyLayer(TracePolicy)),
        ))
        .layer(PolicyLayer(RpcMetricsPolicy(app.metrics.clone())))
        .layer(PolicyLayer(AuthPolicy(app.auth.clone())))
        .layer(PolicyLayer(LimitsPolicy::new(&limits)))
        .add_routes(routes);
    let server: Pin<Box<dyn Future<Output = Result<(), tonic::transport::Error>> + Send>> =
        match app.tls {
            Some(tls) => Box::pin(router.serve_with_incoming_shutdown(
                tls.incoming(app.listener, limits.idle_timeout, tasks.clone()),
                drained,
            )),
            None => Box::pin(router.serve_with_incoming_shutdown(
                transport::incoming(
                    app.listener,
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
    health_stop.cancel();
    if let Some(h) = health_only {
        let _ = h.await;
    }
    Ok(result?)
}
