//! A recorded event as a CloudEvents 1.0 JSON event (structured mode), for
//! webhooks and EventBridge: `data` is the HandshakeEvent in the proto3
//! JSON mapping, exactly as grpcurl prints it (through the descriptor set
//! reflection serves).
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};
use serde_json::json;

use super::watch::event_to_proto;
use crate::{
    domain::HandshakeEvent,
    proto::FILE_DESCRIPTOR_SET,
    reconcile::delivery::{RenderEvent, Rendered},
};

pub struct CloudEvents {
    /// `--events-source`; unset: `urn:org-invites:<organization id>`.
    source: Option<String>,
    message: MessageDescriptor,
}

impl CloudEvents {
    pub fn new(source: Option<String>) -> Self {
        let pool = DescriptorPool::decode(FILE_DESCRIPTOR_SET).expect("the descriptor set decodes");
        let message = pool
            .get_message_by_name("orginvites.v1.HandshakeEvent")
            .expect("HandshakeEvent is in the descriptor set");
        Self { source, message }
    }
}

/// The organization id in a handshake ARN
/// (`arn:aws:organizations::<account>:handshake/<o-...>/<action>/<h-...>`).
fn organization_of(arn: &str) -> &str {
    arn.split('/')
        .nth(1)
        .filter(|o| o.starts_with("o-"))
        .unwrap_or("unknown")
}

impl RenderEvent for CloudEvents {
    fn render(&self, e: &HandshakeEvent) -> Rendered {
        let proto = event_to_proto(e);
        let data = DynamicMessage::decode(self.message.clone(), proto.encode_to_vec().as_slice())
            .ok()
            .and_then(|m| serde_json::to_value(&m).ok())
            .unwrap_or(serde_json::Value::Null);
        let organization = organization_of(&e.record.handshake.arn);
        let source = self
            .source
            .clone()
            .unwrap_or_else(|| format!("urn:org-invites:{organization}"));
        let id = format!("{organization}-{}", e.event_id);
        let kind = format!("orginvites.handshake.v1.{}", e.kind.as_str().to_lowercase());
        let body = json!({
            "specversion": "1.0",
            "id": id,
            "source": source,
            "type": kind,
            "subject": e.record.handshake.id.as_str(),
            "time": e.observe_time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "datacontenttype": "application/json",
            "data": data,
        });
        Rendered {
            id,
            kind,
            body: body.to_string(),
        }
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
        assert_eq!(organization_of(""), "unknown");
    }
}
