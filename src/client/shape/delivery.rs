//! Subscriptions and deliveries in the CLI's output shape:
//! `{"Subscriptions": [{"Id", "Kind", "Target", "State", ...}]}`,
//! `{"Subscription": {...}}` and `{"Deliveries": [{"EventId", ...}]}`, enum
//! values by their names less the proto's prefix (`WEBHOOK`, `DEAD`),
//! times in epoch seconds; what is empty or unset is left out.
use serde_json::{json, Map, Value};

use super::{aws_name, epoch};
use crate::proto::v1 as pb;

pub fn subscription(s: &pb::Subscription) -> Value {
    let mut m = Map::new();
    m.insert("Id".into(), json!(s.id));
    let kind = aws_name(
        s.kind,
        pb::SubscriptionKind::as_str_name,
        "SUBSCRIPTION_KIND_",
    );
    if let Some(k) = kind {
        m.insert("Kind".into(), json!(k));
    }
    m.insert("Target".into(), json!(s.target));
    let state = aws_name(
        s.state,
        pb::SubscriptionState::as_str_name,
        "SUBSCRIPTION_STATE_",
    );
    if let Some(st) = state {
        m.insert("State".into(), json!(st));
    }
    if !s.disabled_reason.is_empty() {
        m.insert("DisabledReason".into(), json!(s.disabled_reason));
    }
    m.insert("Backlog".into(), json!(s.backlog));
    if let Some(t) = &s.oldest_undelivered_time {
        m.insert("OldestUndeliveredTime".into(), epoch(t));
    }
    if let Some(t) = &s.last_success_time {
        m.insert("LastSuccessTime".into(), epoch(t));
    }
    if !s.last_error.is_empty() {
        m.insert("LastError".into(), json!(s.last_error));
    }
    Value::Object(m)
}

pub fn delivery(d: &pb::Delivery) -> Value {
    let mut m = Map::new();
    m.insert("EventId".into(), json!(d.event_id));
    m.insert("CloudEventId".into(), json!(d.cloud_event_id));
    m.insert("HandshakeId".into(), json!(d.handshake_id));
    m.insert("Type".into(), json!(d.r#type));
    if let Some(st) = delivery_state_name(d.state) {
        m.insert("State".into(), json!(st));
    }
    m.insert("Attempts".into(), json!(d.attempts));
    if let Some(t) = &d.last_attempt_time {
        m.insert("LastAttemptTime".into(), epoch(t));
    }
    if let Some(t) = &d.next_attempt_time {
        m.insert("NextAttemptTime".into(), epoch(t));
    }
    for (name, value) in [("LastStatus", &d.last_status), ("LastError", &d.last_error)] {
        if !value.is_empty() {
            m.insert(name.into(), json!(value));
        }
    }
    m.insert("SubscriptionId".into(), json!(d.subscription_id));
    Value::Object(m)
}

/// What `subscriptions list` prints.
pub fn subscriptions_output(subs: &[pb::Subscription]) -> Value {
    json!({ "Subscriptions": subs.iter().map(subscription).collect::<Vec<_>>() })
}

/// What `subscriptions enable` prints.
pub fn subscription_output(s: &pb::Subscription) -> Value {
    json!({ "Subscription": subscription(s) })
}

/// One page of `deliveries list`, or what `deliveries redeliver` queued.
pub fn deliveries_output(ds: &[pb::Delivery]) -> Vec<Value> {
    ds.iter().map(delivery).collect()
}

/// `DEAD` for `DELIVERY_STATE_DEAD`; `None` for UNSPECIFIED or unknown.
pub fn delivery_state_name(state: i32) -> Option<&'static str> {
    aws_name(state, pb::DeliveryState::as_str_name, "DELIVERY_STATE_")
}

/// `DEAD` → `DELIVERY_STATE_DEAD`, for requests.
pub fn delivery_state_from_name(name: &str) -> Option<pb::DeliveryState> {
    pb::DeliveryState::from_str_name(&format!("DELIVERY_STATE_{name}"))
        .filter(|s| *s != pb::DeliveryState::Unspecified)
}

fn sample_subscription() -> Value {
    json!({
        "Id": "Id",
        "Kind": "Kind",
        "Target": "Target",
        "State": "State",
        "DisabledReason": "DisabledReason",
        "Backlog": 0,
        "OldestUndeliveredTime": 0.0,
        "LastSuccessTime": 0.0,
        "LastError": "LastError",
    })
}

/// What `subscriptions list` prints, made up.
pub fn sample_subscriptions_output() -> Value {
    json!({ "Subscriptions": [sample_subscription()] })
}

/// What `subscriptions enable` prints, made up.
pub fn sample_subscription_output() -> Value {
    json!({ "Subscription": sample_subscription() })
}

fn sample_delivery() -> Value {
    json!({
        "EventId": 0,
        "CloudEventId": "CloudEventId",
        "HandshakeId": "HandshakeId",
        "Type": "Type",
        "State": "State",
        "Attempts": 0,
        "LastAttemptTime": 0.0,
        "NextAttemptTime": 0.0,
        "LastStatus": "LastStatus",
        "LastError": "LastError",
        "SubscriptionId": "SubscriptionId",
    })
}

/// What `deliveries list` prints, made up.
pub fn sample_deliveries_page() -> Value {
    json!({ "Deliveries": [sample_delivery()], "NextToken": "NextToken" })
}

/// What `deliveries redeliver` prints, made up.
pub fn sample_deliveries_output() -> Value {
    json!({ "Deliveries": [sample_delivery()] })
}

#[cfg(test)]
mod tests;
