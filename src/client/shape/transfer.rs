//! Billing transfers in the AWS CLI's output shape: `{"ResponsibilityTransfer":
//! {"Arn", "Name", "Id", "Type", "Status", "Source", "Target",
//! "StartTimestamp", "EndTimestamp", "ActiveHandshakeId"}}` as botocore's
//! model has it, then what only this service knows (Direction, the
//! acceptance deadline, when it was recorded, who asked, each status with
//! when it was first seen), as the handshake's shape adds its own after
//! AWS's. What is empty or unset is left out; times are epoch seconds.
use serde_json::{json, Map, Value};

use super::{aws_name, epoch};
use crate::proto::v1 as pb;

pub fn transfer(t: &pb::ResponsibilityTransfer) -> Value {
    let mut m = Map::new();
    if !t.arn.is_empty() {
        m.insert("Arn".into(), json!(t.arn));
    }
    if !t.name.is_empty() {
        m.insert("Name".into(), json!(t.name));
    }
    m.insert("Id".into(), json!(t.id));
    let kind = aws_name(
        t.r#type,
        pb::ResponsibilityTransferType::as_str_name,
        "RESPONSIBILITY_TRANSFER_TYPE_",
    );
    if let Some(k) = kind {
        m.insert("Type".into(), json!(k));
    }
    if let Some(s) = transfer_status_name(t.status) {
        m.insert("Status".into(), json!(s));
    }
    for (name, p) in [("Source", &t.source), ("Target", &t.target)] {
        if let Some(p) = p.as_ref().and_then(participant) {
            m.insert(name.into(), p);
        }
    }
    if let Some(at) = &t.start_time {
        m.insert("StartTimestamp".into(), epoch(at));
    }
    if let Some(at) = &t.end_time {
        m.insert("EndTimestamp".into(), epoch(at));
    }
    if !t.active_handshake_id.is_empty() {
        m.insert("ActiveHandshakeId".into(), json!(t.active_handshake_id));
    }
    service_only(t, &mut m);
    Value::Object(m)
}

/// The members AWS does not have, after AWS's.
fn service_only(t: &pb::ResponsibilityTransfer, m: &mut Map<String, Value>) {
    let direction = aws_name(
        t.direction,
        pb::TransferDirection::as_str_name,
        "TRANSFER_DIRECTION_",
    );
    if let Some(d) = direction {
        m.insert("Direction".into(), json!(d));
    }
    for (name, at) in [
        ("AcceptDeadlineTimestamp", &t.accept_deadline_time),
        ("DeadlineWarningTimestamp", &t.deadline_warning_time),
        ("CreateTimestamp", &t.create_time),
        ("UpdateTimestamp", &t.update_time),
    ] {
        if let Some(at) = at {
            m.insert(name.into(), epoch(at));
        }
    }
    for (name, value) in [
        ("RequestId", &t.request_id),
        ("RequestedBy", &t.requested_by),
    ] {
        if !value.is_empty() {
            m.insert(name.into(), json!(value));
        }
    }
    if !t.status_history.is_empty() {
        let history = t.status_history.iter().map(status_change).collect();
        m.insert("StatusHistory".into(), Value::Array(history));
    }
}

/// `{"ManagementAccountId", "ManagementAccountEmail"}`; `None` when AWS
/// named neither.
fn participant(p: &pb::TransferParticipant) -> Option<Value> {
    let mut m = Map::new();
    for (name, value) in [
        ("ManagementAccountId", &p.management_account_id),
        ("ManagementAccountEmail", &p.management_account_email),
    ] {
        if !value.is_empty() {
            m.insert(name.into(), json!(value));
        }
    }
    (!m.is_empty()).then_some(Value::Object(m))
}

fn status_change(c: &pb::TransferStatusChange) -> Value {
    let mut m = Map::new();
    if let Some(s) = transfer_status_name(c.status) {
        m.insert("Status".into(), json!(s));
    }
    if let Some(at) = &c.first_seen_time {
        m.insert("FirstSeenTimestamp".into(), epoch(at));
    }
    Value::Object(m)
}

/// What `describe-`, `terminate-` and `update-responsibility-transfer`
/// print.
pub fn transfer_output(t: &pb::ResponsibilityTransfer) -> Value {
    json!({ "ResponsibilityTransfer": transfer(t) })
}

/// One page of `list-inbound-` or `list-outbound-responsibility-transfers`.
pub fn transfers_output(ts: &[pb::ResponsibilityTransfer]) -> Vec<Value> {
    ts.iter().map(transfer).collect()
}

/// What `watch-transfers` prints for each change, as `watch-all` prints a
/// handshake's: the transfer after it, then the event's own members.
pub fn transfer_event_output(e: &pb::TransferEvent) -> Value {
    let mut m = Map::new();
    if let Some(t) = &e.transfer {
        m.insert("ResponsibilityTransfer".into(), transfer(t));
    }
    if let Some(prev) = transfer_status_name(e.previous_status) {
        m.insert("PreviousStatus".into(), json!(prev));
    }
    if !e.resume_token.is_empty() {
        m.insert("ResumeToken".into(), json!(e.resume_token));
    }
    if let Some(at) = &e.observe_time {
        m.insert("ObservedTimestamp".into(), epoch(at));
    }
    let kind = aws_name(
        e.kind,
        pb::TransferEventKind::as_str_name,
        "TRANSFER_EVENT_KIND_",
    );
    if let Some(k) = kind {
        m.insert("Kind".into(), json!(k));
    }
    Value::Object(m)
}

/// `ACCEPTED` for `RESPONSIBILITY_TRANSFER_STATUS_ACCEPTED`; `None` for
/// UNSPECIFIED or unknown.
pub fn transfer_status_name(status: i32) -> Option<&'static str> {
    aws_name(
        status,
        pb::ResponsibilityTransferStatus::as_str_name,
        "RESPONSIBILITY_TRANSFER_STATUS_",
    )
}

/// `ACCEPTED` → `RESPONSIBILITY_TRANSFER_STATUS_ACCEPTED`, for requests.
pub fn transfer_status_from_name(name: &str) -> Option<pb::ResponsibilityTransferStatus> {
    pb::ResponsibilityTransferStatus::from_str_name(&format!(
        "RESPONSIBILITY_TRANSFER_STATUS_{name}"
    ))
    .filter(|s| *s != pb::ResponsibilityTransferStatus::Unspecified)
}

/// `BILLING` → `RESPONSIBILITY_TRANSFER_TYPE_BILLING`, for requests.
pub fn transfer_type_from_name(name: &str) -> Option<pb::ResponsibilityTransferType> {
    pb::ResponsibilityTransferType::from_str_name(&format!("RESPONSIBILITY_TRANSFER_TYPE_{name}"))
        .filter(|t| *t != pb::ResponsibilityTransferType::Unspecified)
}

/// `INBOUND` → `TRANSFER_DIRECTION_INBOUND`, for requests.
pub fn direction_from_name(name: &str) -> Option<pb::TransferDirection> {
    pb::TransferDirection::from_str_name(&format!("TRANSFER_DIRECTION_{name}"))
        .filter(|d| *d != pb::TransferDirection::Unspecified)
}

fn sample_transfer() -> Value {
    let participant = json!({
        "ManagementAccountId": "ManagementAccountId",
        "ManagementAccountEmail": "ManagementAccountEmail",
    });
    json!({
        "Arn": "Arn",
        "Name": "Name",
        "Id": "Id",
        "Type": "Type",
        "Status": "Status",
        "Source": participant,
        "Target": participant,
        "StartTimestamp": 0.0,
        "EndTimestamp": 0.0,
        "ActiveHandshakeId": "ActiveHandshakeId",
        "Direction": "Direction",
        "AcceptDeadlineTimestamp": 0.0,
        "DeadlineWarningTimestamp": 0.0,
        "CreateTimestamp": 0.0,
        "UpdateTimestamp": 0.0,
        "RequestId": "RequestId",
        "RequestedBy": "RequestedBy",
        "StatusHistory": [{"Status": "Status", "FirstSeenTimestamp": 0.0}],
    })
}

/// What `describe-`, `terminate-` and `update-responsibility-transfer`
/// print, made up.
pub fn sample_transfer_output() -> Value {
    json!({ "ResponsibilityTransfer": sample_transfer() })
}

/// What the two lists print, made up.
pub fn sample_transfers_output() -> Value {
    json!({ "ResponsibilityTransfers": [sample_transfer()], "NextToken": "NextToken" })
}

/// What `watch-transfers` prints per change, made up.
pub fn sample_transfer_event_output() -> Value {
    json!({
        "ResponsibilityTransfer": sample_transfer(),
        "PreviousStatus": "PreviousStatus",
        "ResumeToken": "ResumeToken",
        "ObservedTimestamp": 0.0,
        "Kind": "Kind",
    })
}

#[cfg(test)]
pub mod tests;
