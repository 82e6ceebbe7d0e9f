//! The watch streams as gRPC: the engine's domain values (`crate::watch`)
//! mapped to `HandshakeEvent` messages, its errors to statuses.
use std::pin::Pin;

use tokio_stream::{Stream, StreamExt};
use tonic::Status;

use super::convert::{event_kind_to_proto, handshake_to_proto, state_to_proto, timestamp};
use crate::{
    domain::HandshakeEvent,
    proto::v1 as pb,
    watch::{encode_resume_token, CampaignStream, Change, ChangeStream, EventStream},
};

pub type ProtoStream = Pin<Box<dyn Stream<Item = Result<pb::HandshakeEvent, Status>> + Send>>;

pub(super) fn event_to_proto(e: &HandshakeEvent) -> pb::HandshakeEvent {
    pb::HandshakeEvent {
        handshake: Some(handshake_to_proto(&e.record)),
        previous_state: state_to_proto(e.previous_state) as i32,
        event_id: e.event_id,
        resume_token: encode_resume_token(e.event_id),
        observe_time: Some(timestamp(e.observe_time)),
        kind: event_kind_to_proto(e.kind) as i32,
    }
}

fn change_to_proto(c: &Change) -> pb::HandshakeEvent {
    match c {
        Change::Recorded(e) => event_to_proto(e),
        // Not a recorded event: no id and no resume token.
        Change::Current { record, previous } => pb::HandshakeEvent {
            handshake: Some(handshake_to_proto(record)),
            previous_state: state_to_proto(*previous) as i32,
            event_id: 0,
            resume_token: String::new(),
            observe_time: Some(timestamp(record.update_time)),
            kind: pb::HandshakeEventKind::Unspecified as i32,
        },
    }
}

/// WatchHandshake's messages.
pub fn one(changes: ChangeStream) -> ProtoStream {
    Box::pin(changes.map(|c| c.map(|c| change_to_proto(&c)).map_err(Status::from)))
}

/// WatchHandshakes' messages.
pub fn all(events: EventStream) -> ProtoStream {
    Box::pin(events.map(|e| e.map(|e| event_to_proto(&e)).map_err(Status::from)))
}

pub type CampaignProtoStream = Pin<Box<dyn Stream<Item = Result<pb::Campaign, Status>> + Send>>;

/// WatchCampaign's messages.
pub fn campaign(campaigns: CampaignStream) -> CampaignProtoStream {
    Box::pin(campaigns.map(|c| {
        c.map(|c| super::campaigns::campaign_to_proto(&c))
            .map_err(Status::from)
    }))
}

pub type TransferProtoStream =
    Pin<Box<dyn Stream<Item = Result<pb::TransferEvent, Status>> + Send>>;

pub fn transfers(events: crate::watch::TransferStream) -> TransferProtoStream {
    Box::pin(events.map(|e| {
        e.map(|e| super::transfers::event_to_proto(&e))
            .map_err(Status::from)
    }))
}
