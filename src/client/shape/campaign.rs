//! Campaigns in the CLI's output shape: `{"Campaign": {"Id", "DisplayName",
//! "State", ..., "Counts": {...}}}`, `{"Campaigns": [...]}` and
//! `{"Targets": [...]}`, with enum values by their names less the proto's
//! prefix, as the handshake's are.
use serde_json::{json, Map, Value};

use super::{aws_name, epoch, onboarding_spec, party};
use crate::proto::v1 as pb;

pub fn campaign(c: &pb::Campaign) -> Value {
    let mut m = Map::new();
    m.insert("Id".into(), json!(c.id));
    m.insert("DisplayName".into(), json!(c.display_name));
    if let Some(state) = campaign_state_name(c.state) {
        m.insert("State".into(), json!(state));
    }
    if let Some(t) = &c.create_time {
        m.insert("CreateTimestamp".into(), epoch(t));
    }
    if let Some(t) = &c.update_time {
        m.insert("UpdateTimestamp".into(), epoch(t));
    }
    for (name, value) in [
        ("RequestId", &c.request_id),
        ("RequestedBy", &c.requested_by),
    ] {
        if !value.is_empty() {
            m.insert(name.into(), json!(value));
        }
    }
    m.insert("QuotaReserve".into(), json!(c.quota_reserve));
    if !c.notes.is_empty() {
        m.insert("Notes".into(), json!(c.notes));
    }
    m.insert("Tags".into(), tags(&c.tags));
    if let Some(o) = &c.onboarding {
        m.insert("Onboarding".into(), onboarding_spec(o));
    }
    if let Some(r) = &c.renewal {
        m.insert("Renewal".into(), json!({ "MaxRenewals": r.max_renewals }));
    }
    let if_open = aws_name(
        c.if_open_exists,
        pb::IfOpenExists::as_str_name,
        "IF_OPEN_EXISTS_",
    );
    if let Some(w) = if_open {
        m.insert("IfOpenExists".into(), json!(w));
    }
    if let Some(n) = &c.counts {
        m.insert("Counts".into(), counts(n));
    }
    if let Some(t) = &c.next_send_time {
        m.insert("NextSendTimestamp".into(), epoch(t));
    }
    if !c.pause_reason.is_empty() {
        m.insert("PauseReason".into(), json!(c.pause_reason));
    }
    Value::Object(m)
}

fn tags(tags: &[pb::Tag]) -> Value {
    Value::Array(
        tags.iter()
            .map(|t| json!({"Key": t.key, "Value": t.value}))
            .collect(),
    )
}

fn counts(n: &pb::CampaignCounts) -> Value {
    json!({
        "Total": n.total,
        "Queued": n.queued,
        "Skipped": n.skipped,
        "Invited": n.invited,
        "Accepted": n.accepted,
        "Complete": n.complete,
        "Failed": n.failed,
        "Declined": n.declined,
        "Canceled": n.canceled,
        "Expired": n.expired,
    })
}

/// One target: `{"Index", "Target": {"Id", "Type"}, "State",
/// "HandshakeId", "Reason", "UpdateTimestamp"}`; what is empty is left out.
pub fn target(t: &pb::CampaignTarget) -> Value {
    let mut m = Map::new();
    m.insert("Index".into(), json!(t.index));
    if let Some(p) = &t.target {
        m.insert("Target".into(), party(p));
    }
    if let Some(state) = target_state_name(t.state) {
        m.insert("State".into(), json!(state));
    }
    for (name, value) in [("HandshakeId", &t.handshake_id), ("Reason", &t.reason)] {
        if !value.is_empty() {
            m.insert(name.into(), json!(value));
        }
    }
    if let Some(u) = &t.update_time {
        m.insert("UpdateTimestamp".into(), epoch(u));
    }
    Value::Object(m)
}

/// What `campaign create|get|pause|resume|cancel` print, and `campaign
/// watch` at each change.
pub fn campaign_output(c: &pb::Campaign) -> Value {
    json!({ "Campaign": campaign(c) })
}

/// One page of `campaign list`.
pub fn campaigns_output(cs: &[pb::Campaign]) -> Vec<Value> {
    cs.iter().map(campaign).collect()
}

/// One page of `campaign targets`.
pub fn targets_output(ts: &[pb::CampaignTarget]) -> Vec<Value> {
    ts.iter().map(target).collect()
}

/// `ACTIVE` for `CAMPAIGN_STATE_ACTIVE`; `None` for UNSPECIFIED or unknown.
pub fn campaign_state_name(state: i32) -> Option<&'static str> {
    aws_name(state, pb::CampaignState::as_str_name, "CAMPAIGN_STATE_")
}

pub fn target_state_name(state: i32) -> Option<&'static str> {
    aws_name(
        state,
        pb::CampaignTargetState::as_str_name,
        "CAMPAIGN_TARGET_STATE_",
    )
}

/// `COMPLETE` → `CAMPAIGN_TARGET_STATE_COMPLETE`, for requests.
pub fn target_state_from_name(name: &str) -> Option<pb::CampaignTargetState> {
    pb::CampaignTargetState::from_str_name(&format!("CAMPAIGN_TARGET_STATE_{name}"))
        .filter(|s| *s != pb::CampaignTargetState::Unspecified)
}

fn sample_campaign() -> Value {
    json!({
        "Id": "Id",
        "DisplayName": "DisplayName",
        "State": "State",
        "CreateTimestamp": 0.0,
        "UpdateTimestamp": 0.0,
        "RequestId": "RequestId",
        "RequestedBy": "RequestedBy",
        "QuotaReserve": 0,
        "Notes": "Notes",
        "Tags": [{"Key": "Key", "Value": "Value"}],
        "Onboarding": {
            "DestinationParentId": "DestinationParentId",
            "AcceptRole": "AcceptRole",
            "ExternalId": "ExternalId",
            "OnAcceptFailure": "OnAcceptFailure",
            "LeavePreviousOrganization": false,
        },
        "Renewal": {"MaxRenewals": 0},
        "IfOpenExists": "IfOpenExists",
        "Counts": counts(&pb::CampaignCounts::default()),
        "NextSendTimestamp": 0.0,
        "PauseReason": "PauseReason",
    })
}

/// What `campaign create|get|pause|resume|cancel|watch` print, made up.
pub fn sample_campaign_output() -> Value {
    json!({ "Campaign": sample_campaign() })
}

pub fn sample_campaigns_output() -> Value {
    json!({ "Campaigns": [sample_campaign()], "NextToken": "NextToken" })
}

pub fn sample_targets_output() -> Value {
    json!({
        "Targets": [{
            "Index": 0,
            "Target": {"Id": "Id", "Type": "Type"},
            "State": "State",
            "HandshakeId": "HandshakeId",
            "Reason": "Reason",
            "UpdateTimestamp": 0.0,
        }],
        "NextToken": "NextToken",
    })
}

#[cfg(test)]
mod tests;
