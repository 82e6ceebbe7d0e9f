//! `org-invites serve` and `org-invites migrate`: settings from the command
//! line, then the application; signals end it.
use std::sync::Arc;

use sqlx::postgres::PgConnectOptions;
use tokio_util::sync::CancellationToken;
use tracing::info;

use super::{Application, BoxError, Settings};
use crate::{
    auth::AuthSettings,
    aws::{BudgetSettings, SdkOrganizations},
    config::{DatabaseArgs, ServeArgs},
    domain::InviteQuota,
    limits::Limits,
    metrics::{Metrics, SourceLabel},
    poller::PollerSettings,
    store::Store,
    tls::TlsSettings,
};

fn connect_options(args: &DatabaseArgs) -> Result<PgConnectOptions, BoxError> {
    // The URL may hold a password: report only that it is malformed.
    let url = &args.database_url;
    let malformed = || -> BoxError { "DATABASE_URL is not a valid postgres:// URL".into() };
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(malformed());
    }
    url.parse().map_err(|_| malformed())
}

/// `org-invites serve`.
pub async fn serve(args: ServeArgs) -> Result<(), BoxError> {
    let settings = Settings {
        listen: args.listen,
        database: connect_options(&args.database)?,
        poller: PollerSettings {
            interval: args.poll_interval,
            watched_interval: args.watched_poll_interval,
            event_retention: args.event_retention,
        },
        invite_grace: args.invite_grace,
        budget: BudgetSettings {
            max_wait: args.aws_max_wait,
            ..BudgetSettings::default()
        }
        .with_overrides(&args.aws_rates)?,
        tls: match (args.tls_cert_file, args.tls_key_file) {
            (Some(cert_file), Some(key_file)) => Some(TlsSettings {
                cert_file,
                key_file,
                client_ca_file: args.tls_client_ca_file,
                require_client_cert: args.tls_require_client_cert,
            }),
            _ => None,
        },
        http_listen: args.http_listen,
        cors_origins: args.cors_allowed_origins,
        metrics: Metrics::new(),
        limits: Limits {
            max_request_bytes: args.max_request_bytes,
            max_streams_per_connection: args.max_streams_per_connection,
            max_streams_per_identity: args.max_streams_per_identity,
            keepalive_interval: args.keepalive_interval,
            keepalive_timeout: args.keepalive_timeout,
            idle_timeout: (!args.idle_timeout.is_zero()).then_some(args.idle_timeout),
        },
        quota: InviteQuota {
            limit: args.invite_quota,
            window: args.invite_quota_window,
        },
        auth: AuthSettings {
            identities_file: args.auth_tokens_file,
            insecure_no_auth: args.insecure_no_auth,
        },
    };
    let sdk_retries = settings
        .metrics
        .aws_retries
        .get_or_create(&SourceLabel {
            source: "sdk".into(),
        })
        .clone();
    let aws = Arc::new(SdkOrganizations::from_env(Some(sdk_retries)).await);
    let app = Application::build(settings, aws).await?;
    let shutdown = CancellationToken::new();
    tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            wait_for_signal().await;
            shutdown.cancel();
        }
    });
    app.run_until(shutdown).await
}

/// `org-invites migrate`.
pub async fn migrate(args: DatabaseArgs) -> Result<(), BoxError> {
    let store = Store::connect_lazy(connect_options(&args)?);
    store.migrate().await?;
    info!("migrations applied");
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler installs");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
