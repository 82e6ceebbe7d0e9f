//! An `Organizations` that counts and times every AWS call.
use std::{future::Future, sync::Arc, time::Instant};

use async_trait::async_trait;

use super::{AwsError, AwsErrorKind, HandshakePage, Operation, Organizations};
use crate::{
    domain::{Handshake, HandshakeId, Invitation},
    metrics::Metrics,
};

pub struct Measured {
    inner: Arc<dyn Organizations>,
    metrics: Metrics,
}

impl Measured {
    pub fn new(inner: Arc<dyn Organizations>, metrics: Metrics) -> Self {
        metrics.declare_aws_operations(Operation::ALL.map(Operation::name));
        Self { inner, metrics }
    }

    async fn measure<T>(
        &self,
        operation: Operation,
        call: impl Future<Output = Result<T, AwsError>>,
    ) -> Result<T, AwsError> {
        let started = Instant::now();
        let result = call.await;
        let (outcome, throttled) = match &result {
            Ok(_) => (Ok(()), false),
            Err(e) => (
                Err(e.code.as_str()),
                e.kind == AwsErrorKind::TooManyRequests,
            ),
        };
        self.metrics
            .aws_call(operation.name(), outcome, throttled, started.elapsed());
        result
    }
}

#[async_trait]
impl Organizations for Measured {
    async fn invite_account(&self, invitation: &Invitation) -> Result<Handshake, AwsError> {
        self.measure(
            Operation::InviteAccountToOrganization,
            self.inner.invite_account(invitation),
        )
        .await
    }

    async fn describe_handshake(&self, id: &HandshakeId) -> Result<Handshake, AwsError> {
        self.measure(
            Operation::DescribeHandshake,
            self.inner.describe_handshake(id),
        )
        .await
    }

    async fn cancel_handshake(&self, id: &HandshakeId) -> Result<Handshake, AwsError> {
        self.measure(Operation::CancelHandshake, self.inner.cancel_handshake(id))
            .await
    }

    async fn list_invite_handshakes(
        &self,
        next_token: Option<String>,
    ) -> Result<HandshakePage, AwsError> {
        self.measure(
            Operation::ListHandshakesForOrganization,
            self.inner.list_invite_handshakes(next_token),
        )
        .await
    }
}
