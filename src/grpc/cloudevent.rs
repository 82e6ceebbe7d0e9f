//! A recorded event as a CloudEvents 1.0 JSON event (structured mode), for
//! webhooks and EventBridge: `data` is the HandshakeEvent in the proto3
//! JSON mapping, exactly as grpcurl prints it (through the descriptor set
//! reflection serves).
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};
use serde_json::json;

use super::watch::event_to_proto;
use crate::{
    domain::{HandshakeEvent, TransferEvent},
    proto::FILE_DESCRIPTOR_SET,
    reconcile::delivery::{RenderEvent, Rendered},
};

pub struct CloudEvents {
    /// `--events-source`; unset: `urn:org-invites:<organization id>`.
    source: Option<String>,
    message: MessageDescriptor,
    transfer: MessageDescriptor,
}

impl CloudEvents {
    pub fn new(source: Option<String>) -> Self {
        let pool = DescriptorPool::decode(FILE_DESCRIPTOR_SET).expect("the descriptor set decodes");
        let message = pool
            .get_message_by_name("orginvites.v1.HandshakeEvent")
            .expect("HandshakeEvent is in the descriptor set");
        let transfer = pool
            .get_message_by_name("orginvites.v1.TransferEvent")
            .expect("TransferEvent is in the descriptor set");
        Self {
            source,
            message,
            transfer,
        }
    }
}

/// The organization id in a handshake ARN
/// (`arn:aws:organizations::<account>:handshake/<o-...>/<action>/<h-...>`)
/// or a transfer's (`...:responsibilitytransfer/<o-...>/<rt-...>`).
fn organization_of(arn: &str) -> &str {
    arn.split('/')
        .nth(1)
        .filter(|o| o.starts_with("o-"))
        .unwrap_or("unknown")
}

/// `message` in the proto3 JSON mapping, as grpcurl prints it.
fn json_of(descriptor: &MessageDescriptor, message: &impl Message) -> serde_json::Value {
    DynamicMessage::decode(descriptor.clone(), message.encode_to_vec().as_slice())
        .ok()
        .and_then(|m| serde_json::to_value(&m).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// One CloudEvent's fields, however its data was made.
struct Envelope<'a> {
    arn: &'a str,
    event_id: i64,
    kind: String,
    subject: &'a str,
    time: chrono::DateTime<chrono::Utc>,
    data: serde_json::Value,
}

impl CloudEvents {
    fn envelope(&self, e: Envelope<'_>) -> Rendered {
        let organization = organization_of(e.arn);
        let source = self
            .source
            .clone()
            .unwrap_or_else(|| format!("urn:org-invites:{organization}"));
        let id = format!("{organization}-{}", e.event_id);
        let body = json!({
            "specversion": "1.0",
            "id": id,
            "source": source,
            "type": e.kind,
            "subject": e.subject,
            "time": e.time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "datacontenttype": "application/json",
            "data": e.data,
        });
        Rendered {
            id,
            kind: e.kind,
            body: body.to_string(),
        }
    }
}

impl RenderEvent for CloudEvents {
    fn render(&self, e: &HandshakeEvent) -> Rendered {
        self.envelope(Envelope {
            arn: &e.record.handshake.arn,
            event_id: e.event_id,
            kind: format!("orginvites.handshake.v1.{}", e.kind.as_str().to_lowercase()),
            subject: e.record.handshake.id.as_str(),
            time: e.observe_time,
            data: json_of(&self.message, &event_to_proto(e)),
        })
    }

    fn render_transfer(&self, e: &TransferEvent) -> Rendered {
        self.envelope(Envelope {
            arn: &e.record.transfer.arn,
            event_id: e.event_id,
            kind: format!("orginvites.transfer.v1.{}", e.kind.as_str().to_lowercase()),
            subject: e.record.transfer.id.as_str(),
            time: e.observe_time,
            data: json_of(&self.transfer, &super::transfers::event_to_proto(e)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_organization_comes_from_the_handshake_arn() {
        assert_eq!(
            organization_of("arn:aws:organizations::123456789012:handshake/o-abc123/invite/h-1"),
            "o-abc123"
        );
        assert_eq!(
            organization_of(
                "arn:aws:organizations::123456789012:responsibilitytransfer/o-abc123/rt-x"
            ),
            "o-abc123"
        );
        assert_eq!(organization_of(""), "unknown");
    }
}
