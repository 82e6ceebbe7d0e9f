//! `Organizations` through `aws-sdk-organizations`.
use std::time::Duration;

use async_trait::async_trait;
use aws_config::{retry::RetryConfig, timeout::TimeoutConfig, BehaviorVersion, Region};
use aws_sdk_organizations::{
    error::{ProvideErrorMetadata, SdkError},
    types as sdk, Client,
};
use aws_smithy_runtime_api::{
    box_error::BoxError,
    client::{
        interceptors::{context::BeforeTransmitInterceptorContextRef, Intercept},
        orchestrator::Metadata,
        retries::RequestAttempts,
        runtime_components::RuntimeComponents,
    },
};
use aws_smithy_types::config_bag::ConfigBag;
use chrono::{DateTime, Utc};
use prometheus_client::metrics::counter::Counter;
use tracing::warn;

use super::{AwsError, AwsErrorKind, HandshakePage, Organizations};
use crate::domain::{
    Handshake, HandshakeAction, HandshakeId, HandshakeState, Invitation, Party, PartyType, Resource,
};

/// AWS lists at most 20 handshakes a page.
const PAGE_SIZE: i32 = 20;

#[derive(Clone)]
pub struct SdkOrganizations {
    client: Client,
}

impl SdkOrganizations {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// A client from aws-config's standard chain (env, profiles, endpoint
    /// overrides such as `AWS_ENDPOINT_URL`), in us-east-1 unless set.
    /// `retries` counts the SDK's retries (`org_invites_aws_retries_total{source="sdk"}`).
    pub async fn from_env(retry_counter: Option<Counter>) -> Self {
        let region = aws_config::meta::region::RegionProviderChain::default_provider()
            .or_else(Region::new("us-east-1"));
        let config = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            .timeout_config(timeouts())
            .retry_config(retries())
            .load()
            .await;
        let config = aws_sdk_organizations::config::Builder::from(&config)
            .interceptor(LogRetries(retry_counter))
            .build();
        Self::new(Client::from_conf(config))
    }
}

/// Explicit retries: the SDK retries throttling, 5xx and transient network
/// errors, at most 3 attempts in all, with jittered backoff; except
/// InviteAccountToOrganization, which is never retried blindly.
pub fn retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(200))
        .with_max_backoff(Duration::from_secs(5))
}

/// Logs each retry the SDK makes, so throttling or a flaky endpoint shows.
#[derive(Debug)]
struct LogRetries(Option<Counter>);

impl Intercept for LogRetries {
    fn name(&self) -> &'static str {
        "LogRetries"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let attempt = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        if attempt > 1 {
            let operation = cfg.load::<Metadata>().map_or("unknown", |m| m.name());
            warn!(operation, attempt, "retrying an AWS call");
            if let Some(c) = &self.0 {
                c.inc();
            }
        }
        Ok(())
    }
}

/// Explicit bounds so a hung endpoint becomes an error, not a stuck call.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(10))
        .operation_timeout(Duration::from_secs(30))
        .build()
}

#[async_trait]
impl Organizations for SdkOrganizations {
    async fn invite_account(&self, invitation: &Invitation) -> Result<Handshake, AwsError> {
        let kind = match invitation.target.kind() {
            PartyType::Email => sdk::HandshakePartyType::Email,
            _ => sdk::HandshakePartyType::Account,
        };
        let target = sdk::HandshakeParty::builder()
            .id(invitation.target.id())
            .r#type(kind)
            .build()
            .map_err(|e| AwsError::with_kind(AwsErrorKind::Other, "BuildError", e.to_string()))?;
        let mut call = self.client.invite_account_to_organization().target(target);
        if !invitation.notes.is_empty() {
            call = call.notes(invitation.notes.as_str());
        }
        for tag in invitation.tags.iter() {
            let tag = sdk::Tag::builder()
                .key(&tag.key)
                .value(&tag.value)
                .build()
                .map_err(|e| {
                    AwsError::with_kind(AwsErrorKind::Other, "BuildError", e.to_string())
                })?;
            call = call.tags(tag);
        }
        // Never retried by the SDK: a retry after an unanswered attempt could
        // meet our own handshake as a duplicate. The caller looks the outcome
        // up instead (the intent row), then decides.
        let out = call
            .customize()
            .config_override(
                aws_sdk_organizations::config::Builder::default()
                    .retry_config(RetryConfig::disabled()),
            )
            .send()
            .await
            .map_err(from_sdk)?;
        from_handshake(out.handshake())
    }

    async fn describe_handshake(&self, id: &HandshakeId) -> Result<Handshake, AwsError> {
        let out = self
            .client
            .describe_handshake()
            .handshake_id(id.as_str())
            .send()
            .await
            .map_err(from_sdk)?;
        from_handshake(out.handshake())
    }

    async fn cancel_handshake(&self, id: &HandshakeId) -> Result<Handshake, AwsError> {
        let out = self
            .client
            .cancel_handshake()
            .handshake_id(id.as_str())
            .send()
            .await
            .map_err(from_sdk)?;
        from_handshake(out.handshake())
    }

    async fn list_invite_handshakes(
        &self,
        next_token: Option<String>,
    ) -> Result<HandshakePage, AwsError> {
        let out = self
            .client
            .list_handshakes_for_organization()
            .filter(
                sdk::HandshakeFilter::builder()
                    .action_type(sdk::ActionType::InviteAccountToOrganization)
                    .build(),
            )
            .max_results(PAGE_SIZE)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(from_sdk)?;
        let handshakes = out
            .handshakes()
            .iter()
            .map(|h| from_handshake(Some(h)))
            .collect::<Result<_, _>>()?;
        Ok(HandshakePage {
            handshakes,
            next_token: out.next_token().map(str::to_string),
        })
    }
}

/// One conversion from the SDK's error to ours, for every operation.
fn from_sdk<E>(err: SdkError<E, aws_smithy_runtime_api::http::Response>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error,
{
    match &err {
        SdkError::ServiceError(se) => {
            let meta = se.err();
            let code = meta.code().unwrap_or("Unknown");
            let reason = se.raw().body().bytes().and_then(reason_from_body);
            let mut e = AwsError::new(code, reason, meta.message().unwrap_or_default());
            if e.kind == AwsErrorKind::Other && se.raw().status().is_server_error() {
                e.kind = AwsErrorKind::Service;
            }
            e
        }
        SdkError::TimeoutError(_) => {
            warn!("an AWS call timed out (connect 3s, attempt 10s, operation 30s)");
            AwsError::with_kind(
                AwsErrorKind::Timeout,
                "Timeout",
                "no answer from AWS Organizations in time",
            )
        }
        SdkError::DispatchFailure(d) if d.is_timeout() || d.is_io() => AwsError::with_kind(
            AwsErrorKind::Timeout,
            "DispatchFailure",
            "the connection to AWS Organizations failed",
        ),
        SdkError::DispatchFailure(_) => AwsError::with_kind(
            AwsErrorKind::Unreachable,
            "DispatchFailure",
            "AWS Organizations could not be reached",
        ),
        SdkError::ResponseError(_) => AwsError::with_kind(
            AwsErrorKind::Service,
            "ResponseError",
            "AWS Organizations sent an unreadable response",
        ),
        _ => AwsError::with_kind(AwsErrorKind::Other, "SdkError", err.to_string()),
    }
}

/// awsJson errors carry `Reason` in the body; reading it here serves every
/// operation's error type alike.
fn reason_from_body(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("Reason")
        .or_else(|| v.get("reason"))
        .and_then(|r| r.as_str())
        .map(str::to_string)
}

fn from_handshake(h: Option<&sdk::Handshake>) -> Result<Handshake, AwsError> {
    let h = h.ok_or_else(|| {
        AwsError::with_kind(
            AwsErrorKind::Service,
            "ResponseError",
            "response had no handshake",
        )
    })?;
    let id = HandshakeId::parse(h.id().unwrap_or_default()).map_err(|_| {
        AwsError::with_kind(
            AwsErrorKind::Service,
            "ResponseError",
            "AWS returned a malformed handshake id",
        )
    })?;
    Ok(Handshake {
        id,
        arn: h.arn().unwrap_or_default().to_string(),
        parties: h
            .parties()
            .iter()
            .map(|p| Party {
                id: p.id().to_string(),
                kind: PartyType::from_aws(p.r#type().as_str()),
            })
            .collect(),
        state: HandshakeState::from_aws(h.state().map(|s| s.as_str()).unwrap_or_default()),
        requested_time: h.requested_timestamp().and_then(to_chrono),
        expiration_time: h.expiration_timestamp().and_then(to_chrono),
        action: HandshakeAction::from_aws(h.action().map(|a| a.as_str()).unwrap_or_default()),
        resources: from_resources(h.resources()),
    })
}

fn from_resources(rs: &[sdk::HandshakeResource]) -> Vec<Resource> {
    rs.iter()
        .map(|r| Resource {
            kind: crate::domain::ResourceType::from_aws(
                r.r#type().map(|t| t.as_str()).unwrap_or_default(),
            ),
            value: r.value().unwrap_or_default().to_string(),
            resources: from_resources(r.resources()),
        })
        .collect()
}

fn to_chrono(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_is_read_from_an_aws_json_error_body() {
        let body = br#"{"__type":"HandshakeConstraintViolationException","Message":"x","Reason":"HANDSHAKE_RATE_LIMIT_EXCEEDED"}"#;
        assert_eq!(
            reason_from_body(body).as_deref(),
            Some("HANDSHAKE_RATE_LIMIT_EXCEEDED")
        );
        assert_eq!(reason_from_body(b"not json"), None);
        assert_eq!(reason_from_body(br#"{"Message":"x"}"#), None);
    }

    #[test]
    fn sdk_timestamps_keep_their_fraction() {
        let t = aws_smithy_types::DateTime::from_fractional_secs(1481656459, 0.257);
        let c = to_chrono(&t).unwrap();
        assert_eq!(c.timestamp(), 1481656459);
        assert_eq!(c.timestamp_subsec_millis(), 257);
    }
}
