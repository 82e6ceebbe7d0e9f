//! Counts and times every AWS call (`Measured`).
use std::{sync::Arc, time::Instant};

use tracing::Instrument;

use super::{
    decorate::{Around, Call, Decorated, DecoratedBus},
    AwsErrorKind, EventBus, Operation, Organizations,
};
use crate::metrics::Metrics;

pub struct Measure(Metrics);

pub type Measured = Decorated<Measure>;

/// An `EventBus` whose every PutEvents is counted and timed.
pub type MeasuredBus = DecoratedBus<Measure>;

impl MeasuredBus {
    pub fn new(inner: Arc<dyn EventBus>, metrics: Metrics) -> Self {
        metrics.declare_aws_operations(Operation::ALL.map(Operation::name));
        DecoratedBus::with(inner, Measure(metrics))
    }
}

impl Measured {
    pub fn new(inner: Arc<dyn Organizations>, metrics: Metrics) -> Self {
        metrics.declare_aws_operations(Operation::ALL.map(Operation::name));
        Decorated::with(inner, Measure(metrics))
    }
}

impl Around for Measure {
    fn around<'a, T: Send + 'a>(&'a self, op: Operation, call: Call<'a, T>) -> Call<'a, T> {
        // A span per call, a child of the RPC's or the sweep's: its name and
        // the operation, never the call's values.
        let span = tracing::info_span!(
            "aws",
            otel.name = op.name(),
            otel.kind = "client",
            rpc.system = "aws-api",
            rpc.service = op.service(),
            rpc.method = op.name(),
            aws.error = tracing::field::Empty,
        );
        let traced = span.clone();
        Box::pin(
            async move {
                let started = Instant::now();
                let result = call.await;
                if let Err(e) = &result {
                    traced.record("aws.error", e.code.as_str());
                }
                let outcome = result.as_ref().map(|_| ()).map_err(|e| e.code.as_str());
                self.0.aws_call(op.name(), outcome, started.elapsed());
                if let Err(e) = &result {
                    if e.kind == AwsErrorKind::TooManyRequests {
                        self.0.aws_throttled(op.name());
                    }
                }
                result
            }
            .instrument(span),
        )
    }
}
