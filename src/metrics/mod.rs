//! Prometheus metrics, one registry per server (tests run several servers in
//! one process). Every name is listed in docs/operations.md and used by
//! `deploy/grafana-dashboard.json`. Callers record through the methods
//! below, whose parameters say which label values exist; the label structs
//! stay private.
mod labels;
mod series;

pub use labels::{AbandonedBy, Outcome, RetrySource, StepResult, StoredTable, WatchMethod};

use std::{sync::Arc, time::Duration};

use prometheus_client::metrics::{counter::Counter, gauge::Gauge};

use crate::domain::{
    HandshakeState, Step, TargetCounts, TargetState, TransferDirection, TransferStatus,
};
use series::{
    MethodCode, MethodLabel, OperationLabel, OperationOutcome, Series, SimpleLabel, StepOutcome,
    SubscriptionLabel, SubscriptionOutcome, TargetStateLabel, WatchLabel,
};

/// Cheap to clone (one Arc): every RPC and stream holds one.
#[derive(Clone)]
pub struct Metrics(Arc<Series>);

impl Metrics {
    /// A new registry. The server makes one and hands it to every part that
    /// records, so nothing records into a registry nobody serves.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self(Arc::new(Series::register()))
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        self.0.encode()
    }

    /// Series for `operations` exist from the start, so dashboards and
    /// rate() see 0 rather than nothing before the first throttle or refusal.
    pub fn declare_aws_operations(&self, operations: impl IntoIterator<Item = &'static str>) {
        for operation in operations {
            let op = OperationLabel::new(operation);
            let _ = self.0.aws_throttles.get_or_create(&op);
            let _ = self.0.aws_budget_refusals.get_or_create(&op);
        }
    }

    /// One AWS call that reached the SDK: `Err` carries the AWS error name.
    pub fn aws_call(&self, operation: &'static str, outcome: Result<(), &str>, took: Duration) {
        let op = OperationLabel::new(operation);
        self.0
            .aws_call_seconds
            .get_or_create(&op)
            .observe(took.as_secs_f64());
        self.0
            .aws_calls
            .get_or_create(&OperationOutcome {
                operation: operation.into(),
                outcome: outcome.err().unwrap_or("ok").into(),
            })
            .inc();
    }

    /// AWS throttled a call (TooManyRequestsException).
    pub fn aws_throttled(&self, operation: &'static str) {
        self.0
            .aws_throttles
            .get_or_create(&OperationLabel::new(operation))
            .inc();
    }

    /// A call the shared AWS request budget refused before it was sent.
    pub fn aws_budget_refused(&self, operation: &'static str) {
        self.0
            .aws_budget_refusals
            .get_or_create(&OperationLabel::new(operation))
            .inc();
    }

    pub fn aws_retried(&self, by: RetrySource, times: u64) {
        self.retry_counter(by).inc_by(times);
    }

    /// The counter behind `aws_retried(by, ..)`, for code that counts on
    /// its own (the SDK's retry interceptor).
    pub fn retry_counter(&self, by: RetrySource) -> Counter {
        self.0
            .aws_retries
            .get_or_create(&SimpleLabel::source(by))
            .clone()
    }

    /// One InviteAccount attempt: `Err` names why it was not sent (the AWS
    /// error name, or `DailyQuotaExhausted`).
    pub fn invitation(&self, outcome: Result<(), &str>) {
        self.0
            .invitations
            .get_or_create(&SimpleLabel::outcome(outcome.err().unwrap_or("sent")))
            .inc();
    }

    /// One poller sweep; `listed` is how many handshakes AWS listed, when
    /// the sweep got that far.
    pub fn sweep(&self, took: Duration, listed: Option<usize>) {
        let outcome = if listed.is_some() {
            Outcome::Ok
        } else {
            Outcome::Error
        };
        self.0
            .sweeps
            .get_or_create(&SimpleLabel::result(outcome))
            .inc();
        self.0.sweep_seconds.observe(took.as_secs_f64());
        if let Some(n) = listed {
            self.0.sweep_handshakes.observe(n as f64);
        }
    }

    pub fn set_poller_leader(&self, leading: bool) {
        self.0.poller_leader.set(i64::from(leading));
    }

    /// This replica took over polling; `gap` since the previous poller's
    /// last heartbeat, when there was one.
    pub fn poller_takeover(&self, gap: Option<Duration>) {
        self.0.poller_takeovers.inc();
        if let Some(gap) = gap {
            self.0.poller_gap_seconds.observe(gap.as_secs_f64());
        }
    }

    /// An InviteAccount attempt taken over from an owner that stopped.
    pub fn abandoned_attempt(&self, by: AbandonedBy) {
        self.0
            .abandoned_attempts
            .get_or_create(&SimpleLabel::by(by))
            .inc();
    }

    /// A changed identities file was read: `Ok`, or not (the identities in
    /// force were kept).
    pub fn identities_reload(&self, outcome: Outcome) {
        self.0
            .identities_reloads
            .get_or_create(&SimpleLabel::result(outcome))
            .inc();
    }

    /// A changed subscriptions file was read: `Ok`, or refused.
    pub fn subscriptions_reload(&self, outcome: Outcome) {
        self.0
            .subscriptions_reloads
            .get_or_create(&SimpleLabel::result(outcome))
            .inc();
    }

    /// Every series of `subscription` at zero, so dashboards see it before
    /// its first delivery.
    pub fn declare_subscription(&self, subscription: &str) {
        for outcome in ["delivered", "retry", "dead", "gone"] {
            let _ = self.0.deliveries.get_or_create(&SubscriptionOutcome {
                subscription: subscription.into(),
                outcome: outcome.into(),
            });
        }
        let label = SubscriptionLabel {
            subscription: subscription.into(),
        };
        let _ = self.0.delivery_backlog.get_or_create(&label);
        let _ = self.0.subscription_disabled.get_or_create(&label);
    }

    /// One delivery attempt to `subscription` ended as `outcome`.
    pub fn delivery(&self, subscription: &str, outcome: &'static str) {
        self.0
            .deliveries
            .get_or_create(&SubscriptionOutcome {
                subscription: subscription.into(),
                outcome: outcome.into(),
            })
            .inc();
    }

    /// An event reached its subscriber `since` after its commit.
    pub fn delivered_after(&self, since: Duration) {
        self.0.delivery_latency_seconds.observe(since.as_secs_f64());
    }

    /// Each subscription's backlog and whether it is disabled.
    pub fn set_subscription(&self, subscription: &str, backlog: i64, disabled: bool) {
        let label = SubscriptionLabel {
            subscription: subscription.into(),
        };
        self.0.delivery_backlog.get_or_create(&label).set(backlog);
        self.0
            .subscription_disabled
            .get_or_create(&label)
            .set(i64::from(disabled));
    }

    /// A row of `table` this release could not read was met (and skipped,
    /// where a list or a stream read it).
    pub fn undecodable_row(&self, table: StoredTable) {
        self.0
            .undecodable_rows
            .get_or_create(&SimpleLabel::table(table))
            .inc();
    }

    /// How many handshakes are in each state; states absent from `counts` are 0.
    pub fn set_handshake_counts(&self, counts: &[(HandshakeState, i64)]) {
        for state in HandshakeState::COUNTED {
            let n = counts.iter().find(|(s, _)| *s == state).map_or(0, |c| c.1);
            self.0
                .handshakes
                .get_or_create(&SimpleLabel::state(state))
                .set(n);
        }
    }

    /// Campaign targets in each state (every state, 0 when none).
    pub fn set_campaign_targets(&self, counts: &TargetCounts) {
        for &state in TargetState::ALL {
            self.0
                .campaign_targets
                .get_or_create(&TargetStateLabel { state })
                .set(i64::from(counts.of(state)));
        }
    }

    /// Billing transfers by direction and status (every pair, 0 when none).
    pub fn set_transfers(&self, counts: &[(TransferDirection, TransferStatus, i64)]) {
        for &direction in TransferDirection::ALL {
            for &status in TransferStatus::ALL {
                let n = counts
                    .iter()
                    .find(|(d, s, _)| *d == direction && *s == status)
                    .map_or(0, |c| c.2);
                self.0
                    .transfers
                    .get_or_create(&series::TransferLabel { direction, status })
                    .set(n);
            }
        }
    }

    /// Open invitations warned about as expiring soon.
    pub fn set_expiring(&self, n: i64) {
        self.0.handshakes_expiring.set(n);
    }

    /// A live change reached a watcher `since` after it was recorded.
    pub fn event_delivered(&self, since: Duration) {
        self.0.event_delivery_seconds.observe(since.as_secs_f64());
    }

    /// Counts an open watch stream until the returned guard is dropped.
    pub fn watch_stream(&self, method: WatchMethod) -> StreamGauge {
        let gauge = self
            .0
            .watch_streams
            .get_or_create(&WatchLabel { method })
            .clone();
        gauge.inc();
        StreamGauge(gauge)
    }

    /// One attempt of an onboarding step, and how it ended.
    pub fn onboarding_step(&self, step: Step, outcome: StepResult) {
        self.0
            .onboarding_steps
            .get_or_create(&StepOutcome { step, outcome })
            .inc();
    }

    /// An onboarding reached COMPLETE `since` its handshake was ACCEPTED.
    pub fn onboarding_completed(&self, since: Duration) {
        self.0.onboarding_seconds.observe(since.as_secs_f64());
    }

    /// One finished RPC, by method label and gRPC code name.
    pub fn rpc(&self, method: &str, code: &str, took: Duration) {
        self.0
            .rpcs
            .get_or_create(&MethodCode {
                method: method.into(),
                code: code.into(),
            })
            .inc();
        self.0
            .rpc_seconds
            .get_or_create(&MethodLabel {
                method: method.into(),
            })
            .observe(took.as_secs_f64());
    }
}

pub struct StreamGauge(Gauge);

impl Drop for StreamGauge {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_series_is_exported_under_its_documented_name() {
        let m = Metrics::new();
        m.invitation(Ok(()));
        m.rpc("InviteAccount", "OK", Duration::from_millis(3));
        let _g = m.watch_stream(WatchMethod::WatchHandshake);
        m.declare_aws_operations(["DescribeHandshake"]);
        let text = m.encode();
        for line in [
            "org_invites_invitations_total{outcome=\"sent\"} 1",
            "org_invites_rpcs_total{method=\"InviteAccount\",code=\"OK\"} 1",
            "org_invites_watch_streams{method=\"WatchHandshake\"} 1",
            "# TYPE org_invites_poller_leader gauge",
            "org_invites_aws_throttles_total{operation=\"DescribeHandshake\"} 0",
            "org_invites_aws_retries_total{source=\"sdk\"} 0",
            "org_invites_sweeps_total{outcome=\"error\"} 0",
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }
    }

    #[test]
    fn handshake_counts_report_every_state_even_at_zero() {
        let m = Metrics::new();
        m.set_handshake_counts(&[(HandshakeState::Open, 3)]);
        let text = m.encode();
        assert!(
            text.contains("org_invites_handshakes{state=\"OPEN\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("org_invites_handshakes{state=\"EXPIRED\"} 0"),
            "{text}"
        );
    }
}
