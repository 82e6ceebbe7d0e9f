//! The registered series and their label sets, private to `metrics`.
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

use super::labels::{AbandonedBy, Outcome, RetrySource, StepResult, StoredTable, WatchMethod};
use crate::domain::{HandshakeState, Step, TargetState, TransferDirection, TransferStatus};

/// A label set of one label; which one is fixed by the constructor used.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct StateLabel {
    state: HandshakeState,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct TransferLabel {
    pub direction: TransferDirection,
    pub status: TransferStatus,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct TargetStateLabel {
    pub state: TargetState,
}

/// `outcome` from a fixed set (the invitations' outcome is AWS's error
/// name, an open set: `OutcomeLabel`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ResultLabel {
    outcome: Outcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct OutcomeLabel {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct SourceLabel {
    source: RetrySource,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ByLabel {
    by: AbandonedBy,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct TableLabel {
    table: StoredTable,
}

/// Constructors for the one-label sets.
/// A subscription (ids come from the operator's file: a bounded set).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct SubscriptionLabel {
    pub subscription: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct SubscriptionOutcome {
    pub subscription: String,
    pub outcome: String,
}

pub(super) struct SimpleLabel;

impl SimpleLabel {
    pub fn state(state: HandshakeState) -> StateLabel {
        StateLabel { state }
    }

    pub fn outcome(s: &str) -> OutcomeLabel {
        OutcomeLabel { outcome: s.into() }
    }

    pub fn result(outcome: Outcome) -> ResultLabel {
        ResultLabel { outcome }
    }

    pub fn source(source: RetrySource) -> SourceLabel {
        SourceLabel { source }
    }

    pub fn by(by: AbandonedBy) -> ByLabel {
        ByLabel { by }
    }

    pub fn table(table: StoredTable) -> TableLabel {
        TableLabel { table }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct OperationLabel {
    operation: String,
}

impl OperationLabel {
    pub fn new(operation: &str) -> Self {
        Self {
            operation: operation.into(),
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct OperationOutcome {
    pub operation: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct MethodLabel {
    pub method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct WatchLabel {
    pub method: WatchMethod,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct MethodCode {
    pub method: String,
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct StepOutcome {
    pub step: Step,
    pub outcome: StepResult,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency() -> Histogram {
    // 1 ms to ~65 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

pub(super) struct Series {
    registry: Registry,
    /// Handshakes by state, counted in Postgres at each scrape.
    pub handshakes: Family<StateLabel, Gauge>,
    /// Campaign targets by state, counted likewise.
    pub campaign_targets: Family<TargetStateLabel, Gauge>,
    /// Billing transfers by direction and status, counted likewise.
    pub transfers: Family<TransferLabel, Gauge>,
    /// Open handshakes past their expiry warning, counted likewise.
    pub handshakes_expiring: Gauge,
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
    pub sweeps: Family<ResultLabel, Counter>,
    pub sweep_seconds: Histogram,
    pub sweep_handshakes: Histogram,
    /// From the change being recorded to its delivery to a watcher.
    pub event_delivery_seconds: Histogram,
    pub watch_streams: Family<WatchLabel, Gauge>,
    pub rpcs: Family<MethodCode, Counter>,
    pub rpc_seconds: HistogramFamily<MethodLabel>,
    pub poller_leader: Gauge,
    pub poller_takeovers: Counter,
    /// From the last poller's last sign of life to a new one taking over.
    pub poller_gap_seconds: Histogram,
    /// Attempts taken over from an owner that stopped, by how it was told.
    pub abandoned_attempts: Family<ByLabel, Counter>,
    pub identities_reloads: Family<ResultLabel, Counter>,
    pub subscriptions_reloads: Family<ResultLabel, Counter>,
    pub deliveries: Family<SubscriptionOutcome, Counter>,
    /// From the event's commit to its delivery.
    pub delivery_latency_seconds: Histogram,
    pub delivery_backlog: Family<SubscriptionLabel, Gauge>,
    pub subscription_disabled: Family<SubscriptionLabel, Gauge>,
    pub onboarding_steps: Family<StepOutcome, Counter>,
    /// From ACCEPTED to COMPLETE.
    pub onboarding_seconds: Histogram,
    /// Rows met that this release cannot read, by table.
    pub undecodable_rows: Family<TableLabel, Counter>,
}

impl Series {
    pub fn register() -> Self {
        let mut r = Registry::default();
        let m = Self {
            registry: Registry::default(),
            handshakes: Family::default(),
            handshakes_expiring: Gauge::default(),
            campaign_targets: Family::default(),
            transfers: Family::default(),
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
            poller_takeovers: Counter::default(),
            // 50 ms to ~100 s.
            poller_gap_seconds: Histogram::new(exponential_buckets(0.05, 2.0, 12)),
            abandoned_attempts: Family::default(),
            identities_reloads: Family::default(),
            subscriptions_reloads: Family::default(),
            deliveries: Family::default(),
            delivery_latency_seconds: latency(),
            delivery_backlog: Family::default(),
            subscription_disabled: Family::default(),
            onboarding_steps: Family::default(),
            // 1 s to ~9 h.
            onboarding_seconds: Histogram::new(exponential_buckets(1.0, 2.0, 16)),
            undecodable_rows: Family::default(),
        };
        let p = "org_invites_";
        r.register(
            format!("{p}handshakes"),
            "Handshakes recorded, by state",
            m.handshakes.clone(),
        );
        r.register(
            format!("{p}campaign_targets"),
            "Campaign targets, by state",
            m.campaign_targets.clone(),
        );
        r.register(
            format!("{p}transfers"),
            "Billing transfers recorded, by direction and status",
            m.transfers.clone(),
        );
        r.register(
            format!("{p}handshakes_expiring"),
            "Open invitations past their expiry warning (--expiry-warning), counted in Postgres",
            m.handshakes_expiring.clone(),
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
        r.register(
            format!("{p}poller_takeovers"),
            "Times this replica took over polling from another",
            m.poller_takeovers.clone(),
        );
        r.register(
            format!("{p}poller_gap_seconds"),
            "Time without a poller: from the previous poller's last heartbeat to this replica taking over",
            m.poller_gap_seconds.clone(),
        );
        r.register(
            format!("{p}abandoned_attempts"),
            "InviteAccount attempts taken over from an owner that stopped, by how that was known \
             (owner_gone: its replica session ended; grace: --invite-grace passed)",
            m.abandoned_attempts.clone(),
        );
        r.register(
            format!("{p}identities_reloads"),
            "Reloads of a changed identities file, by outcome (ok; error: the file did not \
             parse and the identities in force were kept)",
            m.identities_reloads.clone(),
        );
        r.register(
            format!("{p}subscriptions_reloads"),
            "Reloads of a changed subscriptions file, by outcome (ok; error: it was refused and \
             the subscriptions in force were kept)",
            m.subscriptions_reloads.clone(),
        );
        r.register(
            format!("{p}deliveries"),
            "Event delivery attempts, by subscription and outcome (delivered, retry, dead, gone)",
            m.deliveries.clone(),
        );
        r.register(
            format!("{p}delivery_latency_seconds"),
            "From an event's commit to its delivery to a subscription",
            m.delivery_latency_seconds.clone(),
        );
        r.register(
            format!("{p}delivery_backlog"),
            "Events not yet delivered, by subscription (counted at each scrape)",
            m.delivery_backlog.clone(),
        );
        r.register(
            format!("{p}subscription_disabled"),
            "1 while a subscription is DISABLED (a 410 Gone), by subscription",
            m.subscription_disabled.clone(),
        );
        r.register(
            format!("{p}onboarding_steps"),
            "Onboarding step attempts, by step (ACCEPT, PLACE, TAG) and outcome (ok, retry, failed)",
            m.onboarding_steps.clone(),
        );
        r.register(
            format!("{p}onboarding_duration_seconds"),
            "Time from a handshake's ACCEPTED to its onboarding's COMPLETE",
            m.onboarding_seconds.clone(),
        );
        r.register(
            format!("{p}undecodable_rows"),
            "Rows this release could not read (stored by a later release, or damaged), each \
             time one was met, by table; the row is skipped by lists and streams",
            m.undecodable_rows.clone(),
        );
        // Series that may stay at zero for a long time exist from the start.
        for &source in RetrySource::ALL {
            let _ = m.aws_retries.get_or_create(&SimpleLabel::source(source));
        }
        for &outcome in Outcome::ALL {
            let _ = m.sweeps.get_or_create(&SimpleLabel::result(outcome));
            let _ = m
                .identities_reloads
                .get_or_create(&SimpleLabel::result(outcome));
            let _ = m
                .subscriptions_reloads
                .get_or_create(&SimpleLabel::result(outcome));
        }
        for &state in TargetState::ALL {
            let _ = m
                .campaign_targets
                .get_or_create(&TargetStateLabel { state });
        }
        for &direction in TransferDirection::ALL {
            for &status in TransferStatus::ALL {
                let _ = m
                    .transfers
                    .get_or_create(&TransferLabel { direction, status });
            }
        }
        for &table in StoredTable::ALL {
            let _ = m.undecodable_rows.get_or_create(&SimpleLabel::table(table));
        }
        for &by in AbandonedBy::ALL {
            let _ = m.abandoned_attempts.get_or_create(&SimpleLabel::by(by));
        }
        for step in [Step::Accept, Step::Place, Step::Tag] {
            for &outcome in StepResult::ALL {
                let _ = m
                    .onboarding_steps
                    .get_or_create(&StepOutcome { step, outcome });
            }
        }
        Self { registry: r, ..m }
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}
