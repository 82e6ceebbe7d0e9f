//! Tests of the subscription and delivery output shapes.
use serde_json::json;

use super::*;
use crate::client::output;

fn at(seconds: i64, millis: i32) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds,
        nanos: millis * 1_000_000,
    })
}

fn failing_webhook() -> pb::Subscription {
    pb::Subscription {
        id: "hooks".into(),
        kind: pb::SubscriptionKind::Webhook as i32,
        target: "https://hooks.example.com/org-invites".into(),
        state: pb::SubscriptionState::Disabled as i32,
        disabled_reason: "410 Gone".into(),
        backlog: 3,
        oldest_undelivered_time: at(1795705529, 257),
        last_success_time: at(1795705000, 0),
        last_error: "HTTP 410".into(),
    }
}

fn dead_delivery() -> pb::Delivery {
    pb::Delivery {
        event_id: 42,
        cloud_event_id: "ce-42".into(),
        handshake_id: "h-abcdefgh".into(),
        r#type: "orginvites.handshake.v1.state_change".into(),
        state: pb::DeliveryState::Dead as i32,
        attempts: 5,
        last_attempt_time: at(1795705600, 0),
        next_attempt_time: None,
        last_status: "500".into(),
        last_error: "HTTP 500".into(),
        subscription_id: "hooks".into(),
    }
}

#[test]
fn a_subscription_comes_out_with_pascal_case_keys_and_unprefixed_enums() {
    assert_eq!(
        subscriptions_output(&[failing_webhook()]),
        json!({"Subscriptions": [{
            "Id": "hooks",
            "Kind": "WEBHOOK",
            "Target": "https://hooks.example.com/org-invites",
            "State": "DISABLED",
            "DisabledReason": "410 Gone",
            "Backlog": 3,
            "OldestUndeliveredTime": 1795705529.257,
            "LastSuccessTime": 1795705000.0,
            "LastError": "HTTP 410",
        }]})
    );
    let enabled = subscription_output(&failing_webhook());
    assert_eq!(enabled["Subscription"]["Id"], "hooks");
}

#[test]
fn a_healthy_subscription_leaves_out_what_it_does_not_have() {
    let s = pb::Subscription {
        id: "bus".into(),
        kind: pb::SubscriptionKind::Eventbridge as i32,
        target: "default".into(),
        state: pb::SubscriptionState::Active as i32,
        ..Default::default()
    };
    assert_eq!(
        subscription(&s),
        json!({"Id": "bus", "Kind": "EVENTBRIDGE", "Target": "default",
               "State": "ACTIVE", "Backlog": 0})
    );
}

#[test]
fn a_delivery_prints_its_members_in_the_issues_order() {
    let out = json!({ "Deliveries": deliveries_output(&[dead_delivery()]) });
    assert_eq!(
        out,
        json!({"Deliveries": [{
            "EventId": 42,
            "CloudEventId": "ce-42",
            "HandshakeId": "h-abcdefgh",
            "Type": "orginvites.handshake.v1.state_change",
            "State": "DEAD",
            "Attempts": 5,
            "LastAttemptTime": 1795705600.0,
            "LastStatus": "500",
            "LastError": "HTTP 500",
            "SubscriptionId": "hooks",
        }]})
    );
    assert_eq!(
        printed_keys(&out),
        [
            "EventId",
            "CloudEventId",
            "HandshakeId",
            "Type",
            "State",
            "Attempts",
            "LastAttemptTime",
            "LastStatus",
            "LastError",
            "SubscriptionId",
        ]
    );
    // Every member the output skeleton names is a member a delivery has.
    let sample = sample_deliveries_page();
    for k in printed_keys(&sample) {
        assert!(sample["Deliveries"][0].get(&k).is_some(), "{k}");
    }
    assert_eq!(printed_keys(&sample).len(), 11);
}

/// The keys of the first item of a `{"Key": [{...}]}` as printed, in order.
fn printed_keys(v: &serde_json::Value) -> Vec<String> {
    output::json(v)
        .lines()
        .filter(|l| l.starts_with("            \""))
        .map(|l| l.trim().split('"').nth(1).unwrap().to_string())
        .collect()
}

#[test]
fn a_subscription_prints_its_members_in_the_issues_order() {
    let printed = printed_keys(&sample_subscriptions_output());
    assert_eq!(
        printed,
        [
            "Id",
            "Kind",
            "Target",
            "State",
            "DisabledReason",
            "Backlog",
            "OldestUndeliveredTime",
            "LastSuccessTime",
            "LastError",
        ]
    );
    let one = output::json(&subscription_output(&failing_webhook()));
    let (id, backlog) = (
        one.find("\"Id\"").unwrap(),
        one.find("\"Backlog\"").unwrap(),
    );
    assert!(id < backlog, "{one}");
}

#[test]
fn a_pending_delivery_says_when_it_is_tried_next() {
    let d = pb::Delivery {
        state: pb::DeliveryState::Pending as i32,
        attempts: 0,
        next_attempt_time: at(1795705700, 5),
        last_attempt_time: None,
        last_status: String::new(),
        last_error: String::new(),
        ..dead_delivery()
    };
    let v = delivery(&d);
    assert_eq!(v["State"], "PENDING");
    assert_eq!(v["Attempts"], 0);
    assert_eq!(v["NextAttemptTime"], 1795705700.005);
    for gone in ["LastAttemptTime", "LastStatus", "LastError"] {
        assert!(v.get(gone).is_none(), "{gone}: {v}");
    }
}

#[test]
fn an_unknown_state_is_left_out_rather_than_guessed() {
    let d = pb::Delivery {
        state: 99,
        ..dead_delivery()
    };
    assert!(delivery(&d).get("State").is_none());
}

#[test]
fn delivery_states_map_both_ways() {
    assert_eq!(
        delivery_state_from_name("DEAD"),
        Some(pb::DeliveryState::Dead)
    );
    assert_eq!(delivery_state_from_name("UNSPECIFIED"), None);
    assert_eq!(delivery_state_from_name("dead"), None, "upper-cased first");
    assert_eq!(
        delivery_state_name(pb::DeliveryState::Delivered as i32),
        Some("DELIVERED")
    );
}
