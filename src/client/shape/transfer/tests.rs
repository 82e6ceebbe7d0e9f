//! Tests of the billing-transfer output shapes.
use serde_json::json;

use super::*;
use crate::client::{output, shape};

fn at(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

/// An outbound transfer the other organization accepted, as the service
/// returns it: every member set but the end and the deadline warning.
pub fn example() -> pb::ResponsibilityTransfer {
    use pb::ResponsibilityTransferStatus as S;
    let change = |status: S, seconds| pb::TransferStatusChange {
        status: status as i32,
        first_seen_time: at(seconds),
    };
    pb::ResponsibilityTransfer {
        id: "rt-exampletransfer11".into(),
        arn: "arn:aws:organizations::111111111111:transfer/o-exampleorgid/billing/outbound/rt-exampletransfer11".into(),
        name: "Shared billing".into(),
        r#type: pb::ResponsibilityTransferType::Billing as i32,
        status: S::Accepted as i32,
        direction: pb::TransferDirection::Outbound as i32,
        source: Some(pb::TransferParticipant {
            management_account_id: "111111111111".into(),
            management_account_email: "bill@amazon.com".into(),
        }),
        target: Some(pb::TransferParticipant {
            management_account_id: "222222222222".into(),
            management_account_email: "ap@example.com".into(),
        }),
        start_time: at(1801440000),
        end_time: None,
        active_handshake_id: "h-examplehandshakeid222".into(),
        create_time: at(1795705529),
        update_time: at(1795791929),
        status_history: vec![change(S::Requested, 1795705529), change(S::Accepted, 1795791929)],
        requested_by: "ops".into(),
        accept_deadline_time: at(1801353600),
        deadline_warning_time: None,
        request_id: "r-1".into(),
    }
}

#[test]
fn a_transfer_comes_out_in_awss_shape_then_the_services_members() {
    assert_eq!(
        transfer_output(&example()),
        json!({"ResponsibilityTransfer": {
            "Arn": "arn:aws:organizations::111111111111:transfer/o-exampleorgid/billing/outbound/rt-exampletransfer11",
            "Name": "Shared billing",
            "Id": "rt-exampletransfer11",
            "Type": "BILLING",
            "Status": "ACCEPTED",
            "Source": {"ManagementAccountId": "111111111111",
                       "ManagementAccountEmail": "bill@amazon.com"},
            "Target": {"ManagementAccountId": "222222222222",
                       "ManagementAccountEmail": "ap@example.com"},
            "StartTimestamp": 1801440000.0,
            "ActiveHandshakeId": "h-examplehandshakeid222",
            "Direction": "OUTBOUND",
            "AcceptDeadlineTimestamp": 1801353600.0,
            "CreateTimestamp": 1795705529.0,
            "UpdateTimestamp": 1795791929.0,
            "RequestId": "r-1",
            "RequestedBy": "ops",
            "StatusHistory": [
                {"Status": "REQUESTED", "FirstSeenTimestamp": 1795705529.0},
                {"Status": "ACCEPTED", "FirstSeenTimestamp": 1795791929.0}
            ]
        }})
    );
}

/// The keys of the object one level in (eight spaces), in order.
fn second_level_keys(got: &str) -> Vec<&str> {
    got.lines()
        .filter(|l| l.starts_with("        \""))
        .map(|l| l.trim().split('"').nth(1).unwrap())
        .collect()
}

#[test]
fn json_output_has_the_models_order_then_the_services_members() {
    let mut t = example();
    t.end_time = at(1814831999);
    t.deadline_warning_time = at(1801000000);
    let got = output::json(&transfer_output(&t));
    assert_eq!(
        second_level_keys(&got),
        [
            "Arn",
            "Name",
            "Id",
            "Type",
            "Status",
            "Source",
            "Target",
            "StartTimestamp",
            "EndTimestamp",
            "ActiveHandshakeId",
            "Direction",
            "AcceptDeadlineTimestamp",
            "DeadlineWarningTimestamp",
            "CreateTimestamp",
            "UpdateTimestamp",
            "RequestId",
            "RequestedBy",
            "StatusHistory",
        ]
    );
    assert!(
        got.contains(
            "\"Source\": {\n            \"ManagementAccountId\": \"111111111111\",\n            \
             \"ManagementAccountEmail\": \"bill@amazon.com\"\n"
        ),
        "{got}"
    );
    assert!(
        got.contains(
            "{\n                \"Status\": \"REQUESTED\",\n                \"FirstSeenTimestamp\""
        ),
        "{got}"
    );
}

#[test]
fn what_is_empty_or_unset_is_left_out() {
    let t = pb::ResponsibilityTransfer {
        id: "rt-abcdefgh".into(),
        status: pb::ResponsibilityTransferStatus::Requested as i32,
        source: Some(pb::TransferParticipant::default()),
        target: Some(pb::TransferParticipant {
            management_account_email: "ap@example.com".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(
        transfer(&t),
        json!({"Id": "rt-abcdefgh", "Status": "REQUESTED",
               "Target": {"ManagementAccountEmail": "ap@example.com"}})
    );
}

#[test]
fn an_event_has_the_transfer_and_what_changed() {
    let mut e = pb::TransferEvent {
        transfer: Some(example()),
        previous_status: pb::ResponsibilityTransferStatus::Requested as i32,
        event_id: 7,
        resume_token: "tok".into(),
        observe_time: at(1795791929),
        kind: pb::TransferEventKind::StatusChange as i32,
    };
    let got = transfer_event_output(&e);
    assert_eq!(got["ResponsibilityTransfer"], transfer(&example()));
    assert_eq!(got["PreviousStatus"], "REQUESTED");
    assert_eq!(got["ResumeToken"], "tok");
    assert_eq!(got["ObservedTimestamp"], 1795791929.0);
    assert_eq!(got["Kind"], "STATUS_CHANGE");
    // A first sighting has no previous status.
    e.previous_status = 0;
    e.kind = pb::TransferEventKind::DeadlineSoon as i32;
    let got = transfer_event_output(&e);
    assert!(got.get("PreviousStatus").is_none(), "{got}");
    assert_eq!(got["Kind"], "DEADLINE_SOON");
    let keys: Vec<_> = got.as_object().unwrap().keys().cloned().collect();
    let mut sample: Vec<_> = sample_transfer_event_output()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    sample.retain(|k| k != "PreviousStatus");
    assert_eq!(keys, sample);
}

#[test]
fn the_output_skeleton_has_every_member_a_transfer_can_have() {
    let mut t = example();
    t.end_time = at(1);
    t.deadline_warning_time = at(1);
    assert_eq!(
        sample_transfer_output()["ResponsibilityTransfer"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        transfer(&t).as_object().unwrap().keys().collect::<Vec<_>>()
    );
    assert_eq!(
        sample_transfers_output()["ResponsibilityTransfers"][0],
        sample_transfer_output()["ResponsibilityTransfer"]
    );
}

#[test]
fn a_handshake_names_its_transfer_beside_its_campaign() {
    let mut h = shape::tests::page_example();
    assert!(shape::handshake(&h).get("TransferId").is_none());
    h.action = pb::HandshakeAction::TransferResponsibility as i32;
    h.transfer_id = "rt-exampletransfer11".into();
    let got = shape::handshake(&h);
    assert_eq!(got["TransferId"], "rt-exampletransfer11");
    assert_eq!(got["Action"], "TRANSFER_RESPONSIBILITY");
    let json = output::json(&shape::handshake_output(&h));
    let tail: Vec<_> = json.lines().rev().take(4).collect();
    assert!(tail[2].contains("\"TransferId\""), "last member: {json}");
    assert!(shape::sample_handshake().get("TransferId").is_some());
}

#[test]
fn transfer_names_map_both_ways() {
    use pb::ResponsibilityTransferStatus as S;
    assert_eq!(transfer_status_name(S::Withdrawn as i32), Some("WITHDRAWN"));
    assert_eq!(transfer_status_name(0), None);
    assert_eq!(transfer_status_name(99), None);
    assert_eq!(transfer_status_from_name("DECLINED"), Some(S::Declined));
    assert_eq!(transfer_status_from_name("UNSPECIFIED"), None);
    assert_eq!(transfer_status_from_name("declined"), None);
    assert_eq!(
        direction_from_name("INBOUND"),
        Some(pb::TransferDirection::Inbound)
    );
    assert_eq!(direction_from_name("UNSPECIFIED"), None);
    assert_eq!(
        transfer_type_from_name("BILLING"),
        Some(pb::ResponsibilityTransferType::Billing)
    );
}
