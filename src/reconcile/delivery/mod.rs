//! Event delivery: every recorded event, to every subscription whose filter
//! matches, at least once, in commit order per handshake. Any replica runs
//! a pass: it writes the deliveries of events recorded since the last pass
//! (one replica at a time per subscription), claims the due ones under a
//! lease, sends them, and records each outcome. A replica that dies
//! mid-attempt leaves its lease to run out; another sends again, with the
//! same CloudEvent id.
mod schedule;
mod subscriptions;
mod webhook;

pub use schedule::RetrySchedule;
pub use subscriptions::SubscriptionSet;
pub use webhook::client as webhook_client;

use std::{sync::Arc, time::Duration};

use tokio::task::JoinSet;
use tracing::warn;

use crate::{
    domain::{Endpoint, HandshakeEvent, Subscription},
    service::{Error, Invitations},
    store::{Attempted, DueDelivery, NewDelivery},
};

/// Events read per subscription and pass.
const BATCH: i64 = 500;
/// Deliveries claimed per pass.
const CLAIM: i64 = 200;
/// An attempt holds its delivery this long (the webhook timeout, and room).
const LEASE: Duration = Duration::from_secs(30);
/// Attempts in flight at once.
const PARALLEL: usize = 32;

/// The CloudEvent for one recorded event (rendered by the gRPC edge, which
/// owns the proto and its JSON mapping).
pub trait RenderEvent: Send + Sync {
    /// The CloudEvent's id, type and whole JSON body.
    fn render(&self, event: &HandshakeEvent) -> Rendered;
}

#[derive(Debug, Clone)]
pub struct Rendered {
    pub id: String,
    pub kind: String,
    pub body: String,
}

/// Delivery as configured (`serve`'s flags).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryOptions {
    pub subscriptions_file: Option<std::path::PathBuf>,
    pub events_source: Option<String>,
    pub retry_schedule: Vec<Duration>,
}

/// How deliveries are made.
#[derive(Clone)]
pub struct DeliverySettings {
    pub schedule: RetrySchedule,
    pub render: Arc<dyn RenderEvent>,
    pub http: reqwest::Client,
}

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeliverReport {
    pub enqueued: usize,
    pub attempted: usize,
    pub delivered: usize,
}

pub struct Deliver<'a> {
    invitations: &'a Invitations,
    subscriptions: &'a SubscriptionSet,
    settings: &'a DeliverySettings,
}

impl<'a> Deliver<'a> {
    pub fn new(
        invitations: &'a Invitations,
        subscriptions: &'a SubscriptionSet,
        settings: &'a DeliverySettings,
    ) -> Self {
        Self {
            invitations,
            subscriptions,
            settings,
        }
    }

    pub async fn run(&self) -> Result<DeliverReport, Error> {
        let subs = self.subscriptions.current();
        let mut report = DeliverReport::default();
        if subs.is_empty() {
            return Ok(report);
        }
        let store = self.invitations.store();
        if self.subscriptions.take_changed() {
            if let Err(e) = store.sync_subscriptions(&subs).await {
                // Without the rows nothing is enqueued: try again next pass.
                self.subscriptions.still_changed();
                return Err(e.into());
            }
        }
        for sub in subs.iter() {
            report.enqueued += self.enqueue(sub).await?;
        }
        let ids: Vec<String> = subs.iter().map(|s| s.id.clone()).collect();
        let due = store.claim_deliveries(&ids, CLAIM, LEASE).await?;
        report.attempted = due.len();
        let mut running = JoinSet::new();
        for d in due {
            let Some(sub) = subs.iter().find(|s| s.id == d.subscription_id).cloned() else {
                continue;
            };
            if running.len() >= PARALLEL {
                report.delivered += self.finish(running.join_next().await).await;
            }
            let settings = self.settings.clone();
            running.spawn(async move {
                let outcome = attempt(&settings, &sub, &d).await;
                (d, outcome)
            });
        }
        while let Some(done) = running.join_next().await {
            report.delivered += self.finish(Some(done)).await;
        }
        Ok(report)
    }

    /// Writes `sub`'s deliveries of the events recorded since its last
    /// pass, a batch at a time, until it is caught up.
    async fn enqueue(&self, sub: &Subscription) -> Result<usize, Error> {
        let store = self.invitations.store();
        let mut total = 0;
        loop {
            let read = store
                .enqueue_deliveries(&sub.id, BATCH, |e| {
                    sub.filter.matches(e).then(|| {
                        let r = self.settings.render.render(e);
                        NewDelivery {
                            event_id: e.event_id,
                            handshake_id: e.record.handshake.id.to_string(),
                            cloud_event_id: r.id,
                            kind: r.kind,
                            body: r.body,
                            observe_time: e.observe_time,
                        }
                    })
                })
                .await?;
            total += read;
            if (read as i64) < BATCH {
                return Ok(total);
            }
        }
    }

    /// Records a finished attempt; 1 when it delivered.
    async fn finish(
        &self,
        done: Option<Result<(DueDelivery, Attempted), tokio::task::JoinError>>,
    ) -> usize {
        let Some(Ok((d, outcome))) = done else {
            return 0;
        };
        let metrics = self.invitations.metrics();
        let delivered = matches!(outcome, Attempted::Delivered { .. });
        metrics.delivery(&d.subscription_id, outcome_label(&outcome));
        if delivered {
            let since = (chrono::Utc::now() - d.observe_time)
                .to_std()
                .unwrap_or_default();
            metrics.delivered_after(since);
        }
        if let Err(e) = self.invitations.store().record_attempt(&d, &outcome).await {
            // The lease runs out and the delivery is tried again: at least once.
            warn!(subscription = d.subscription_id.as_str(), event_id = d.event_id, error = %e,
                  "could not record a delivery attempt");
        }
        usize::from(delivered)
    }
}

fn outcome_label(a: &Attempted) -> &'static str {
    match a {
        Attempted::Delivered { .. } => "delivered",
        Attempted::Retry { .. } => "retry",
        Attempted::Dead { .. } => "dead",
        Attempted::Gone { .. } => "gone",
    }
}

async fn attempt(settings: &DeliverySettings, sub: &Subscription, d: &DueDelivery) -> Attempted {
    match &sub.endpoint {
        Endpoint::Webhook { url, secrets } => {
            let sent = webhook::post(&settings.http, url, secrets, d).await;
            settings.schedule.after(d.attempts, sent)
        }
        Endpoint::EventBridge { .. } => Attempted::Retry {
            at: chrono::Utc::now() + chrono::Duration::seconds(60),
            status: String::new(),
            error: "EventBridge delivery is not built yet".into(),
        },
    }
}
