//! An `Organizations` that counts and times every AWS call.
use std::{sync::Arc, time::Instant};

use async_trait::async_trait;

use super::{Metrics, OperationLabel, OperationOutcome};
use crate::{
    aws::{budget, AwsError, AwsErrorKind, HandshakePage, Invitation, Organizations},
    domain::{Handshake, HandshakeId},
};

pub struct Measured {
    inner: Arc<dyn Organizations>,
    metrics: Metrics,
}

impl Measured {
    pub fn new(inner: Arc<dyn Organizations>, metrics: Metrics) -> Self {
        Self { inner, metrics }
    }

    fn record<T>(&self, operation: &str, started: Instant, result: &Result<T, AwsError>) {
        let m = &self.metrics;
        let op = OperationLabel {
            operation: operation.into(),
        };
        m.aws_call_seconds
            .get_or_create(&op)
            .observe(started.elapsed().as_secs_f64());
        let outcome = match result {
            Ok(_) => "ok".to_string(),
            Err(e) => e.code.clone(),
        };
        if let Err(e) = result {
            if e.kind == AwsErrorKind::TooManyRequests {
                m.aws_throttles.get_or_create(&op).inc();
            }
        }
        m.aws_calls
            .get_or_create(&OperationOutcome {
                operation: operation.into(),
                outcome,
            })
            .inc();
    }
}

#[async_trait]
impl Organizations for Measured {
    async fn invite_account(&self, invitation: &Invitation) -> Result<Handshake, AwsError> {
        let t = Instant::now();
        let r = self.inner.invite_account(invitation).await;
        self.record(budget::INVITE, t, &r);
        r
    }

    async fn describe_handshake(&self, id: &HandshakeId) -> Result<Handshake, AwsError> {
        let t = Instant::now();
        let r = self.inner.describe_handshake(id).await;
        self.record(budget::DESCRIBE, t, &r);
        r
    }

    async fn cancel_handshake(&self, id: &HandshakeId) -> Result<Handshake, AwsError> {
        let t = Instant::now();
        let r = self.inner.cancel_handshake(id).await;
        self.record(budget::CANCEL, t, &r);
        r
    }

    async fn list_invite_handshakes(
        &self,
        next_token: Option<String>,
    ) -> Result<HandshakePage, AwsError> {
        let t = Instant::now();
        let r = self.inner.list_invite_handshakes(next_token).await;
        self.record(budget::LIST, t, &r);
        r
    }
}
