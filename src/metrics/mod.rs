//! Prometheus metrics, one registry per server (tests run several servers in
//! one process). Every name is listed in the README and used by
//! `deploy/grafana-dashboard.json`.
mod layer;
mod measured;

use std::sync::Arc;

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{exponential_buckets, Histogram},
    },
    registry::Registry,
};

pub use layer::RpcMetricsLayer;
pub use measured::Measured;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
    pub state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabel {
    pub operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationOutcome {
    pub operation: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabel {
    pub source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MethodLabel {
    pub method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MethodCode {
    pub method: String,
    pub code: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency() -> Histogram {
    // 1 ms to ~65 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

/// Cheap to clone (one Arc): every RPC and stream holds one.
#[derive(Clone)]
pub struct Metrics(Arc<Series>);

impl std::ops::Deref for Metrics {
    type Target = Series;

    fn deref(&self) -> &Series {
        &self.0
    }
}

pub struct Series {
    registry: Registry,
    /// Handshakes by state, counted in Postgres at each scrape.
    pub handshakes: Family<StateLabel, Gauge>,
    /// InviteAccount attempts by outcome: `sent` or the error's name.
    pub invitations: Family<OutcomeLabel, Counter>,
    pub aws_calls: Family<OperationOutcome, Counter>,
    pub aws_call_seconds: HistogramFamily<OperationLabel>,
    /// TooManyRequests answers from AWS.
    pub aws_throttles: Family<OperationLabel, Counter>,
    /// Retries: by the SDK (`sdk`) or by the poller after throttling (`poller`).
    pub aws_retries: Family<SourceLabel, Counter>,
    /// Calls refused by this service's own AWS request budget.
    pub aws_budget_refusals: Family<OperationLabel, Counter>,
    pub sweeps: Family<OutcomeLabel, Counter>,
    pub sweep_seconds: Histogram,
    pub sweep_handshakes: Histogram,
    /// From the change being recorded to its delivery to a watcher.
    pub event_delivery_seconds: Histogram,
    pub watch_streams: Family<MethodLabel, Gauge>,
    pub rpcs: Family<MethodCode, Counter>,
    pub rpc_seconds: HistogramFamily<MethodLabel>,
    pub poller_leader: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut r = Registry::default();
        let m = Series {
            registry: Registry::default(),
            handshakes: Family::default(),
            invitations: Family::default(),
            aws_calls: Family::default(),
            aws_call_seconds: Family::new_with_constructor(latency),
            aws_throttles: Family::default(),
            aws_retries: Family::default(),
            aws_budget_refusals: Family::default(),
            sweeps: Family::default(),
            sweep_seconds: latency(),
            sweep_handshakes: Histogram::new(exponential_buckets(1.0, 4.0, 9)),
            event_delivery_seconds: latency(),
            watch_streams: Family::default(),
            rpcs: Family::default(),
            rpc_seconds: Family::new_with_constructor(latency),
            poller_leader: Gauge::default(),
        };
        let p = "org_invites_";
        r.register(
            format!("{p}handshakes"),
            "Handshakes recorded, by state",
            m.handshakes.clone(),
        );
        r.register(
            format!("{p}invitations"),
            "InviteAccount attempts, by outcome (sent, or the error name)",
            m.invitations.clone(),
        );
        r.register(
            format!("{p}aws_calls"),
            "AWS Organizations calls, by operation and outcome",
            m.aws_calls.clone(),
        );
        r.register(
            format!("{p}aws_call_duration_seconds"),
            "AWS Organizations call latency, by operation",
            m.aws_call_seconds.clone(),
        );
        r.register(
            format!("{p}aws_throttles"),
            "TooManyRequests answers from AWS, by operation",
            m.aws_throttles.clone(),
        );
        r.register(
            format!("{p}aws_retries"),
            "AWS calls retried, by who retried (sdk, poller)",
            m.aws_retries.clone(),
        );
        r.register(
            format!("{p}aws_budget_refusals"),
            "Calls refused by the shared AWS request budget, by operation",
            m.aws_budget_refusals.clone(),
        );
        r.register(
            format!("{p}sweeps"),
            "Poller sweeps, by outcome (ok, error)",
            m.sweeps.clone(),
        );
        r.register(
            format!("{p}sweep_duration_seconds"),
            "Poller sweep duration",
            m.sweep_seconds.clone(),
        );
        r.register(
            format!("{p}sweep_handshakes"),
            "Handshakes AWS listed per sweep",
            m.sweep_handshakes.clone(),
        );
        r.register(
            format!("{p}event_delivery_seconds"),
            "Time from a state change being recorded to its delivery to a watcher",
            m.event_delivery_seconds.clone(),
        );
        r.register(
            format!("{p}watch_streams"),
            "Open watch streams, by method",
            m.watch_streams.clone(),
        );
        r.register(
            format!("{p}rpcs"),
            "RPCs finished, by method and gRPC code",
            m.rpcs.clone(),
        );
        r.register(
            format!("{p}rpc_duration_seconds"),
            "RPC duration, by method",
            m.rpc_seconds.clone(),
        );
        r.register(
            format!("{p}poller_leader"),
            "1 while this replica polls AWS, else 0",
            m.poller_leader.clone(),
        );
        // Series that may stay at zero for a long time exist from the start,
        // so dashboards and rate() see 0 rather than nothing.
        for op in crate::aws::budget::OPERATIONS {
            let op = OperationLabel {
                operation: op.into(),
            };
            let _ = m.aws_throttles.get_or_create(&op);
            let _ = m.aws_budget_refusals.get_or_create(&op);
        }
        for source in ["sdk", "poller"] {
            let _ = m.aws_retries.get_or_create(&SourceLabel {
                source: source.into(),
            });
        }
        for outcome in ["ok", "error"] {
            let _ = m.sweeps.get_or_create(&OutcomeLabel {
                outcome: outcome.into(),
            });
        }
        Self(Arc::new(Series { registry: r, ..m }))
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }

    /// Counts an open watch stream until the returned guard is dropped.
    pub fn watch_stream(&self, method: &str) -> StreamGauge {
        let gauge = self
            .watch_streams
            .get_or_create(&MethodLabel {
                method: method.into(),
            })
            .clone();
        gauge.inc();
        StreamGauge(gauge)
    }

    pub fn invitation(&self, outcome: &str) {
        self.invitations
            .get_or_create(&OutcomeLabel {
                outcome: outcome.into(),
            })
            .inc();
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
        m.invitation("sent");
        m.rpcs
            .get_or_create(&MethodCode {
                method: "InviteAccount".into(),
                code: "OK".into(),
            })
            .inc();
        let _g = m.watch_stream("WatchHandshake");
        let text = m.encode();
        assert!(
            text.contains("org_invites_invitations_total{outcome=\"sent\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("org_invites_rpcs_total{method=\"InviteAccount\",code=\"OK\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("org_invites_watch_streams{method=\"WatchHandshake\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE org_invites_poller_leader gauge"),
            "{text}"
        );
    }
}
