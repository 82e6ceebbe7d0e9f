//! `Organizations` through `aws-sdk-organizations` (and `aws-sdk-sts` for
//! roles in invited accounts), `EventBus` through `aws-sdk-eventbridge`:
//! clients, their retries, timeouts and interceptors. The calls are in
//! `calls.rs` and `bus.rs`, the conversions in `convert.rs`.
mod bus;
mod calls;
mod convert;
mod transfers;

pub use bus::SdkEventBus;

use std::time::Duration;

use aws_config::{retry::RetryConfig, timeout::TimeoutConfig, BehaviorVersion, Region, SdkConfig};
use aws_sdk_organizations::Client;
use aws_smithy_runtime_api::{
    box_error::BoxError,
    client::{
        interceptors::{
            context::{
                BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextRef,
            },
            Intercept,
        },
        orchestrator::Metadata,
        retries::RequestAttempts,
        runtime_components::RuntimeComponents,
    },
};
use aws_smithy_types::{body::SdkBody, config_bag::ConfigBag};
use prometheus_client::metrics::counter::Counter;
use tracing::warn;

#[derive(Clone)]
pub struct SdkOrganizations {
    /// As the management account.
    client: Client,
    sts: aws_sdk_sts::Client,
}

impl SdkOrganizations {
    /// Clients from `config`: its endpoint, region and credentials (the
    /// management account's), with this service's retries, timeouts and
    /// interceptors; `retry_counter` counts the SDK's retries
    /// (`org_invites_aws_retries_total{source="sdk"}`).
    pub fn from_config(config: &SdkConfig, retry_counter: Option<Counter>) -> Self {
        let organizations = aws_sdk_organizations::config::Builder::from(config)
            .timeout_config(timeouts())
            .retry_config(retries())
            .interceptor(LogRetries(retry_counter.clone()))
            .interceptor(EmptyOutputBody)
            .build();
        let sts = aws_sdk_sts::config::Builder::from(config)
            .timeout_config(timeouts())
            .retry_config(retries())
            .interceptor(LogRetries(retry_counter))
            .build();
        Self {
            client: Client::from_conf(organizations),
            sts: aws_sdk_sts::Client::from_conf(sts),
        }
    }
}

/// aws-config's standard chain (env, profiles, endpoint overrides such as
/// `AWS_ENDPOINT_URL`), in us-east-1 unless set.
pub async fn load_config() -> SdkConfig {
    let region = aws_config::meta::region::RegionProviderChain::default_provider()
        .or_else(Region::new("us-east-1"));
    aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .load()
        .await
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

/// Explicit bounds so a hung endpoint becomes an error, not a stuck call.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(10))
        .operation_timeout(Duration::from_secs(30))
        .build()
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

/// Operations whose output has no members come back from some endpoints
/// (fakecloud's MoveAccount) as the JSON `null`, which the SDK refuses
/// although the call succeeded. For these, a successful answer's body is
/// read as `{}` (what AWS sends): there is nothing in it to lose. The body
/// is not read here: it may not be buffered yet.
#[derive(Debug)]
struct EmptyOutputBody;

/// The operations this service calls whose output has no members.
const EMPTY_OUTPUTS: [&str; 2] = ["MoveAccount", "TagResource"];

impl Intercept for EmptyOutputBody {
    fn name(&self) -> &'static str {
        "EmptyOutputBody"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg.load::<Metadata>().map_or("", |m| m.name());
        let response = context.response_mut();
        if EMPTY_OUTPUTS.contains(&operation) && response.status().is_success() {
            *response.body_mut() = SdkBody::from("{}");
        }
        Ok(())
    }
}
