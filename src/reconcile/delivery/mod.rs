//! Event delivery: every recorded event, to every subscription whose filter
//! matches, at least once, in commit order per handshake. Any replica runs
//! a pass: it writes the deliveries of events recorded since the last pass
//! (one replica at a time per subscription), claims the due ones under a
//! lease, sends them, and records each outcome. A replica that dies
//! mid-attempt leaves its lease to run out; another sends again, with the
//! same CloudEvent id. A webhook gets one POST per delivery; an EventBridge
//! bus one PutEvents per ten deliveries of a subscription.
mod eventbridge;
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
    aws::{EventBus, MAX_ENTRIES},
    domain::{Endpoint, HandshakeEvent, Subscription, TransferEvent},
    service::{Error, Invitations},
    store::{Attempted, DueDelivery, NewDelivery},
};

/// Events read per subscription and pass.
const BATCH: i64 = 500;
/// Deliveries claimed per pass.
const CLAIM: i64 = 200;
/// An attempt holds its delivery this long (the webhook timeout, and room):
/// a replica that dies mid-attempt delays its deliveries by at most this.
const LEASE: Duration = Duration::from_secs(15);
/// Attempts in flight at once.
const PARALLEL: usize = 32;

/// The CloudEvent for one recorded event (rendered by the gRPC edge, which
/// owns the proto and its JSON mapping).
pub trait RenderEvent: Send + Sync {
    /// The CloudEvent's id, type and whole JSON body.
    fn render(&self, event: &HandshakeEvent) -> Rendered;
    /// The same for a billing transfer's event.
    fn render_transfer(&self, event: &TransferEvent) -> Rendered;
}

#[derive(Debug, Clone)]
pub struct Rendered {
    pub id: String,
    pub kind: String,
    pub body: String,
}

impl Rendered {
    /// The delivery of event `event_id`, about the handshake or transfer
    /// `about` (whose deliveries keep their order).
    fn delivery(
        self,
        event_id: i64,
        about: String,
        observe_time: chrono::DateTime<chrono::Utc>,
    ) -> NewDelivery {
        NewDelivery {
            event_id,
            handshake_id: about,
            cloud_event_id: self.id,
            kind: self.kind,
            body: self.body,
            observe_time,
        }
    }
}

/// Runs `write` (one batch of at most BATCH events) until a batch comes
/// back short; how many events were read.
async fn drain<F, Fut>(mut write: F) -> Result<usize, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<usize, crate::store::StoreError>>,
{
    let mut total = 0;
    loop {
        let read = write().await?;
        total += read;
        if (read as i64) < BATCH {
            return Ok(total);
        }
    }
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
    /// EventBridge, measured and within the AWS request budget.
    pub bus: Arc<dyn EventBus>,
}

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeliverReport {
    pub enqueued: usize,
    pub attempted: usize,
    pub delivered: usize,
    /// The claim was full: more deliveries may be due now.
    pub more: bool,
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
        // Until this write succeeds nothing is enqueued, so a failure
        // (the first pass can beat the migrations) must not lose the change.
        if self.subscriptions.take_changed() {
            if let Err(e) = store.sync_subscriptions(&subs).await {
                self.subscriptions.mark_changed();
                return Err(e.into());
            }
            for sub in subs.iter() {
                self.invitations.metrics().declare_subscription(&sub.id);
            }
        }
        for sub in subs.iter() {
            report.enqueued += self.enqueue(sub).await?;
        }
        let ids: Vec<String> = subs.iter().map(|s| s.id.clone()).collect();
        let due = store.claim_deliveries(&ids, CLAIM, LEASE).await?;
        report.attempted = due.len();
        report.more = due.len() as i64 >= CLAIM;
        let mut running = JoinSet::new();
        for job in jobs(due, &subs) {
            if running.len() >= PARALLEL {
                report.delivered += self.finish(running.join_next().await).await;
            }
            let settings = self.settings.clone();
            running.spawn(async move { job.attempt(&settings).await });
        }
        while let Some(done) = running.join_next().await {
            report.delivered += self.finish(Some(done)).await;
        }
        Ok(report)
    }

    /// Writes `sub`'s deliveries of the events recorded since its last
    /// pass (handshake events, then transfer events), a batch at a time,
    /// until it is caught up.
    async fn enqueue(&self, sub: &Subscription) -> Result<usize, Error> {
        let store = self.invitations.store();
        let render = &self.settings.render;
        let handshakes = drain(|| {
            store.enqueue_deliveries(&sub.id, BATCH, |e| {
                let about = e.record.handshake.id.to_string();
                let r = sub.filter.matches(e).then(|| render.render(e))?;
                Some(r.delivery(e.event_id, about, e.observe_time))
            })
        })
        .await?;
        let transfers = drain(|| {
            store.enqueue_transfer_deliveries(&sub.id, BATCH, |e| {
                let about = e.record.transfer.id.as_str().to_string();
                let r = sub
                    .filter
                    .matches_transfer(e)
                    .then(|| render.render_transfer(e))?;
                Some(r.delivery(e.event_id, about, e.observe_time))
            })
        })
        .await?;
        Ok(handshakes + transfers)
    }

    /// Records a finished job's attempts; how many delivered.
    async fn finish(&self, done: Option<Result<Vec<Outcome>, tokio::task::JoinError>>) -> usize {
        let Some(Ok(outcomes)) = done else {
            return 0;
        };
        let metrics = self.invitations.metrics();
        let mut delivered = 0;
        for (d, outcome) in outcomes {
            metrics.delivery(&d.subscription_id, outcome_label(&outcome));
            if matches!(outcome, Attempted::Delivered { .. }) {
                delivered += 1;
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
        }
        delivered
    }
}

/// A delivery and what its attempt came to.
type Outcome = (DueDelivery, Attempted);

/// One request's worth of due deliveries.
#[derive(Debug)]
enum Job {
    /// One POST.
    Webhook(Subscription, DueDelivery),
    /// One PutEvents: up to ten deliveries of one subscription, in claim
    /// (event) order.
    Bus(Subscription, Vec<DueDelivery>),
}

impl Job {
    async fn attempt(self, settings: &DeliverySettings) -> Vec<Outcome> {
        match self {
            Self::Webhook(sub, d) => {
                let Endpoint::Webhook { url, secrets } = &sub.endpoint else {
                    return Vec::new();
                };
                let sent = webhook::post(&settings.http, url, secrets, &d).await;
                let outcome = settings.schedule.after(d.attempts, sent);
                vec![(d, outcome)]
            }
            Self::Bus(sub, batch) => {
                let Endpoint::EventBridge { event_bus, source } = &sub.endpoint else {
                    return Vec::new();
                };
                let outcomes = eventbridge::put(
                    settings.bus.as_ref(),
                    &settings.schedule,
                    event_bus,
                    source,
                    &batch,
                )
                .await;
                batch.into_iter().zip(outcomes).collect()
            }
        }
    }
}

/// The claimed deliveries as requests: each webhook delivery alone, each
/// subscription's EventBridge deliveries in calls of at most ten, in the
/// order claimed. Deliveries of subscriptions no longer configured wait
/// for their leases to run out.
fn jobs(due: Vec<DueDelivery>, subs: &[Subscription]) -> Vec<Job> {
    let mut jobs = Vec::new();
    let mut filling: Vec<(Subscription, Vec<DueDelivery>)> = Vec::new();
    for d in due {
        let Some(sub) = subs.iter().find(|s| s.id == d.subscription_id) else {
            continue;
        };
        if let Endpoint::Webhook { .. } = sub.endpoint {
            jobs.push(Job::Webhook(sub.clone(), d));
            continue;
        }
        let i = match filling.iter().position(|(s, _)| s.id == sub.id) {
            Some(i) => i,
            None => {
                filling.push((sub.clone(), Vec::new()));
                filling.len() - 1
            }
        };
        filling[i].1.push(d);
        if filling[i].1.len() == MAX_ENTRIES {
            let (sub, batch) = filling.swap_remove(i);
            jobs.push(Job::Bus(sub, batch));
        }
    }
    jobs.extend(filling.into_iter().map(|(sub, batch)| Job::Bus(sub, batch)));
    jobs
}

fn outcome_label(a: &Attempted) -> &'static str {
    match a {
        Attempted::Delivered { .. } => "delivered",
        Attempted::Retry { .. } => "retry",
        Attempted::Dead { .. } => "dead",
        Attempted::Gone { .. } => "gone",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Filter;

    fn sub(id: &str, endpoint: Endpoint) -> Subscription {
        Subscription {
            id: id.into(),
            endpoint,
            filter: Filter::default(),
        }
    }

    fn due(sub: &str, event_id: i64) -> DueDelivery {
        DueDelivery {
            subscription_id: sub.into(),
            event_id,
            handshake_id: format!("h-{event_id:08}"),
            cloud_event_id: format!("o-x-{event_id}"),
            kind: "orginvites.handshake.v1.state_change".into(),
            body: "{}".into(),
            attempts: 1,
            observe_time: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_bus_gets_its_deliveries_ten_to_a_call_in_order_a_webhook_one_each() {
        let bus = |name: &str| Endpoint::EventBridge {
            event_bus: name.into(),
            source: "org-invites".into(),
        };
        let subs = [
            sub("a", bus("a")),
            sub("b", bus("b")),
            sub(
                "w",
                Endpoint::Webhook {
                    url: "https://x".into(),
                    secrets: vec![],
                },
            ),
        ];
        let mut claimed = Vec::new();
        for i in 1..=23 {
            claimed.push(due("a", i));
        }
        claimed.push(due("b", 30));
        claimed.push(due("w", 31));
        claimed.push(due("w", 32));
        claimed.push(due("gone", 33));
        let mut calls: Vec<(String, Vec<i64>)> = jobs(claimed, &subs)
            .into_iter()
            .map(|j| match j {
                Job::Webhook(s, d) => (format!("{}:post", s.id), vec![d.event_id]),
                Job::Bus(s, b) => (s.id, b.iter().map(|d| d.event_id).collect()),
            })
            .collect();
        calls.sort();
        assert_eq!(
            calls,
            [
                ("a".to_string(), (1..=10).collect::<Vec<_>>()),
                ("a".to_string(), (11..=20).collect()),
                ("a".to_string(), vec![21, 22, 23]),
                ("b".to_string(), vec![30]),
                ("w:post".to_string(), vec![31]),
                ("w:post".to_string(), vec![32]),
            ]
        );
    }
}
