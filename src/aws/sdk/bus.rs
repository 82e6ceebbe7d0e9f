//! `EventBus` through `aws-sdk-eventbridge`: PutEvents, answered per entry.
use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_eventbridge::{types::PutEventsRequestEntry, Client};
use prometheus_client::metrics::counter::Counter;

use super::{convert::from_sdk_of, retries, timeouts, LogRetries};
use crate::aws::{AwsError, AwsErrorKind, BusEntry, EntryResult, EventBus};

#[derive(Clone)]
pub struct SdkEventBus {
    client: Client,
}

impl SdkEventBus {
    /// A client from `config` (the one Organizations is built from: its
    /// region is the bus's), with this service's retries and timeouts.
    pub fn from_config(config: &SdkConfig, retry_counter: Option<Counter>) -> Self {
        let conf = aws_sdk_eventbridge::config::Builder::from(config)
            .timeout_config(timeouts())
            .retry_config(retries())
            .interceptor(LogRetries(retry_counter))
            .build();
        Self {
            client: Client::from_conf(conf),
        }
    }
}

#[async_trait]
impl EventBus for SdkEventBus {
    async fn put_events(&self, entries: &[BusEntry]) -> Result<Vec<EntryResult>, AwsError> {
        let mut call = self.client.put_events();
        for e in entries {
            call = call.entries(
                PutEventsRequestEntry::builder()
                    .event_bus_name(&e.event_bus)
                    .source(&e.source)
                    .detail_type(&e.detail_type)
                    .detail(&e.detail)
                    .set_resources(Some(e.resources.clone()))
                    .build(),
            );
        }
        let out = call
            .send()
            .await
            .map_err(|e| from_sdk_of("EventBridge", e))?;
        let results = out.entries();
        // AWS answers one result per entry, in order; anything else cannot
        // be matched to the entries, so no entry counts as sent.
        if results.len() != entries.len() {
            return Err(AwsError::with_kind(
                AwsErrorKind::Service,
                "ResponseError",
                format!(
                    "PutEvents answered {} results for {} entries",
                    results.len(),
                    entries.len()
                ),
            ));
        }
        Ok(results
            .iter()
            .map(|r| match (r.event_id(), r.error_code()) {
                (Some(id), None) => EntryResult::Accepted {
                    event_id: id.to_string(),
                },
                (_, code) => EntryResult::Failed {
                    code: code.unwrap_or("Unknown").to_string(),
                    message: r.error_message().unwrap_or_default().to_string(),
                },
            })
            .collect())
    }
}
