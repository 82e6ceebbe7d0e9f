//! `org-invites serve` and `org-invites migrate`: settings from the command
//! line, then the application; signals end it.
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tracing::info;

use super::{settings::connect_options, Application, BoxError, Settings};
use crate::{
    args::{DatabaseArgs, ServeArgs},
    aws::{load_config, SdkEventBus, SdkOrganizations},
    metrics::{Metrics, RetrySource},
    store::Store,
};

/// `org-invites serve`.
pub async fn serve(args: ServeArgs) -> Result<(), BoxError> {
    let settings = Settings::from_args(args)?;
    let metrics = Metrics::new();
    let sdk_retries = metrics.retry_counter(RetrySource::Sdk);
    // One AWS configuration (credentials, region, endpoint overrides) for
    // Organizations and EventBridge alike.
    let config = load_config().await;
    let aws = Arc::new(SdkOrganizations::from_config(
        &config,
        Some(sdk_retries.clone()),
    ));
    let bus = Arc::new(SdkEventBus::from_config(&config, Some(sdk_retries)));
    let app = Application::build(settings, aws, bus, metrics).await?;
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
