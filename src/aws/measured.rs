//! Counts and times every AWS call (`Measured`).
use std::{sync::Arc, time::Instant};

use super::{
    decorate::{Around, Call, Decorated},
    AwsErrorKind, Operation, Organizations,
};
use crate::metrics::Metrics;

pub struct Measure(Metrics);

pub type Measured = Decorated<Measure>;

impl Measured {
    pub fn new(inner: Arc<dyn Organizations>, metrics: Metrics) -> Self {
        metrics.declare_aws_operations(Operation::ALL.map(Operation::name));
        Decorated::with(inner, Measure(metrics))
    }
}

impl Around for Measure {
    fn around<'a, T: Send + 'a>(&'a self, op: Operation, call: Call<'a, T>) -> Call<'a, T> {
        Box::pin(async move {
            let started = Instant::now();
            let result = call.await;
            let (outcome, throttled) = match &result {
                Ok(_) => (Ok(()), false),
                Err(e) => (
                    Err(e.code.as_str()),
                    e.kind == AwsErrorKind::TooManyRequests,
                ),
            };
            self.0
                .aws_call(op.name(), outcome, throttled, started.elapsed());
            result
        })
    }
}
