//! The server's background tasks, each handed what it needs: database
//! readiness (and with it health), the change listener, the poller, faster
//! sweeps while anyone watches, and the reloads of TLS and identities.
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic_health::{server::HealthReporter, ServingStatus};
use tracing::warn;

use super::{server::set_health, Application};
use crate::{
    http::HttpState,
    metrics::Outcome,
    poller::Poller,
    reconcile::{
        delivery::{Deliver, DeliverySettings, SubscriptionSet},
        Reconciler,
    },
    service::Invitations,
    store::DatabaseReady,
    watch::{run_campaign_listener, run_listener, Hub, Watches},
};

/// How often a replica looks for deliveries come due when nothing is recorded.
const DELIVER_EVERY: Duration = Duration::from_millis(500);

/// Background work finishes within this after shutdown, or is left behind.
const FINISH_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Background(Vec<JoinHandle<()>>);

/// Starts every background task, and the status page's server when it has
/// a listener; they stop when `tasks` is cancelled.
pub fn spawn(
    app: &mut Application,
    watches: &Watches,
    reporter: HealthReporter,
    tasks: &CancellationToken,
) -> Background {
    let (ready, check_readiness) = app.store.watch_readiness(tasks.clone());
    let poller = Poller {
        jobs: Reconciler::over(app.invitations.clone()),
        store: app.store.clone(),
        metrics: app.metrics.clone(),
        settings: app.settings.poller,
        session: app.session.clone(),
    };
    let mut handles = vec![
        tokio::spawn(check_readiness),
        tokio::spawn(report_health(ready.clone(), reporter, tasks.clone())),
        tokio::spawn(run_listener(
            app.store.clone(),
            app.hub.clone(),
            ready.clone(),
            tasks.clone(),
        )),
        tokio::spawn(run_campaign_listener(
            app.store.clone(),
            watches.campaign_ticks(),
            ready.clone(),
            tasks.clone(),
        )),
        tokio::spawn(poller.run(ready.clone(), tasks.clone())),
        tokio::spawn(wake_while_watched(
            app.invitations.clone(),
            watches.clone(),
            app.settings.poller.watched_interval,
            tasks.clone(),
        )),
    ];
    if let Some(tls) = app.tls.clone() {
        handles.push(tokio::spawn(tls.watch(tasks.clone())));
    }
    if let Some(path) = app.settings.auth.identities_file.clone() {
        let metrics = app.metrics.clone();
        handles.push(tokio::spawn(app.auth.clone().watch_file(
            path,
            tasks.clone(),
            move |ok| metrics.identities_reload(if ok { Outcome::Ok } else { Outcome::Error }),
        )));
    }
    if let Some((subscriptions, settings)) = app.delivery.clone() {
        if let Some(path) = app.settings.delivery.subscriptions_file.clone() {
            let metrics = app.metrics.clone();
            handles.push(tokio::spawn(subscriptions.clone().watch_file(
                path,
                tasks.clone(),
                move |ok| {
                    metrics.subscriptions_reload(if ok { Outcome::Ok } else { Outcome::Error })
                },
            )));
        }
        handles.push(tokio::spawn(deliver(
            app.invitations.clone(),
            subscriptions,
            settings,
            app.hub.clone(),
            ready.clone(),
            tasks.clone(),
        )));
    }
    if let Some(listener) = app.http_listener.take() {
        let state = HttpState {
            subscriptions: app.delivery.as_ref().map(|(s, _)| s.clone()),
            invitations: app.invitations.clone(),
            watches: watches.clone(),
            metrics: app.metrics.clone(),
            stop: tasks.clone(),
        };
        handles.push(tokio::spawn(crate::http::serve(listener, state)));
    }
    Background(handles)
}

impl Background {
    /// Waits for the tasks (a sweep in progress) to end, so nothing this
    /// server started acts after it stopped.
    pub async fn finish(self) {
        let all = async {
            for task in self.0 {
                let _ = task.await;
            }
        };
        if tokio::time::timeout(FINISH_TIMEOUT, all).await.is_err() {
            warn!("background tasks still running at exit");
        }
    }
}

/// SERVING while the database is ready (migrated, answering); NOT_SERVING
/// otherwise and from shutdown on.
async fn report_health(
    mut ready: DatabaseReady,
    reporter: HealthReporter,
    stop: CancellationToken,
) {
    loop {
        let status = tokio::select! {
            _ = stop.cancelled() => return,
            r = ready.changed() => match r {
                Some(true) => ServingStatus::Serving,
                Some(false) => ServingStatus::NotServing,
                None => return,
            },
        };
        if stop.is_cancelled() {
            return;
        }
        set_health(&reporter, status).await;
    }
}

/// While anyone on this replica watches, asks the poller (on whichever
/// replica holds the lock) to sweep at the faster watched interval.
async fn wake_while_watched(
    invitations: Invitations,
    watches: Watches,
    every: Duration,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        if watches.watchers() > 0 {
            invitations.wake_poller().await;
        }
    }
}

/// Event delivery on this replica (every replica delivers; each delivery
/// is leased to one): a pass at once after each recorded change, and every
/// `DELIVER_EVERY` for retries that come due; at once again after a pass
/// that claimed all it could (a backlog drains without waiting).
async fn deliver(
    invitations: Invitations,
    subscriptions: SubscriptionSet,
    settings: DeliverySettings,
    hub: Hub,
    mut ready: DatabaseReady,
    stop: CancellationToken,
) {
    if !ready.wait(&stop).await {
        return;
    }
    loop {
        let pass = Deliver::new(&invitations, &subscriptions, &settings);
        match pass.run().await {
            Ok(report) if report.more => {
                if stop.is_cancelled() {
                    return;
                }
                continue;
            }
            Ok(_) => {}
            Err(e) => warn!(error = %e, "delivery pass failed; the next one will retry"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(DELIVER_EVERY) => {}
            _ = hub.published() => {}
        }
    }
}
