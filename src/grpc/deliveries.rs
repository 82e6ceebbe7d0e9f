//! Event delivery as gRPC: subscriptions (from the file, with what the
//! store knows of each) and deliveries, to proto; request fields parsed.
use super::{
    campaigns::{decode_page, encode_page, page_size},
    convert::timestamp,
};
use crate::{
    domain::{FieldViolation, Subscription, Violations},
    proto::v1 as pb,
    store::{DeliveryRow, SubscriptionRow},
};

pub fn subscription_to_proto(s: &Subscription, row: Option<&SubscriptionRow>) -> pb::Subscription {
    let kind = match s.endpoint.kind() {
        "WEBHOOK" => pb::SubscriptionKind::Webhook,
        _ => pb::SubscriptionKind::Eventbridge,
    };
    let state = match row.map(|r| r.state.as_str()) {
        Some("DISABLED") => pb::SubscriptionState::Disabled,
        _ => pb::SubscriptionState::Active,
    };
    pb::Subscription {
        id: s.id.clone(),
        kind: kind as i32,
        target: s.endpoint.shown(),
        state: state as i32,
        disabled_reason: row
            .and_then(|r| r.disabled_reason.clone())
            .unwrap_or_default(),
        backlog: row.map_or(0, |r| r.backlog),
        oldest_undelivered_time: row.and_then(|r| r.oldest_undelivered_time).map(timestamp),
        last_success_time: row.and_then(|r| r.last_success_time).map(timestamp),
        last_error: row.and_then(|r| r.last_error.clone()).unwrap_or_default(),
    }
}

pub fn delivery_to_proto(d: &DeliveryRow) -> pb::Delivery {
    let state = match d.state.as_str() {
        "PENDING" => pb::DeliveryState::Pending,
        "DELIVERED" => pb::DeliveryState::Delivered,
        "DEAD" => pb::DeliveryState::Dead,
        _ => pb::DeliveryState::Unspecified,
    };
    pb::Delivery {
        event_id: d.event_id,
        cloud_event_id: d.cloud_event_id.clone(),
        handshake_id: d.handshake_id.clone(),
        r#type: d.kind.clone(),
        state: state as i32,
        attempts: d.attempts,
        last_attempt_time: d.last_attempt_time.map(timestamp),
        next_attempt_time: (d.state == "PENDING").then(|| timestamp(d.next_attempt_time)),
        last_status: d.last_status.clone().unwrap_or_default(),
        last_error: d.last_error.clone().unwrap_or_default(),
        subscription_id: d.subscription_id.clone(),
    }
}

/// ListDeliveries' query: the states as stored, where to start, how many.
pub struct DeliveryQuery {
    pub states: Vec<&'static str>,
    pub before: Option<i64>,
    pub limit: i64,
    pub filter: String,
}

pub fn parse_list(req: &pb::ListDeliveriesRequest) -> Result<DeliveryQuery, Violations> {
    let mut states = Vec::new();
    for (i, s) in req.states.iter().enumerate() {
        states.push(match pb::DeliveryState::try_from(*s) {
            Ok(pb::DeliveryState::Pending) => "PENDING",
            Ok(pb::DeliveryState::Delivered) => "DELIVERED",
            Ok(pb::DeliveryState::Dead) => "DEAD",
            _ => {
                return Err(Violations(vec![FieldViolation::new(
                    format!("states[{i}]"),
                    "unknown or unspecified delivery state",
                )]))
            }
        });
    }
    states.sort_unstable();
    states.dedup();
    let filter = format!("{}|{}", req.subscription_id, states.join(","));
    Ok(DeliveryQuery {
        before: decode_page(&req.page_token, &filter)?,
        limit: page_size(req.page_size, 100)?,
        states,
        filter,
    })
}

pub fn next_token(next: Option<i64>, q: &DeliveryQuery) -> String {
    next.map(|p| encode_page(p, &q.filter)).unwrap_or_default()
}
