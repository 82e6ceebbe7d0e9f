//! The billing-transfer outputs checked against what awscli's own
//! formatters print for the same documents (`testdata/awscli_golden.py`):
//! a transfer, a list of two, a watch event, and the TRANSFER_RESPONSIBILITY
//! handshake an invitation prints.
use serde_json::{json, Value};

use super::{assert_in_order, output, shape, table, text};
use crate::proto::v1 as pb;

fn at(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

/// An inbound transfer still waiting for this organization's answer.
fn inbound() -> pb::ResponsibilityTransfer {
    pb::ResponsibilityTransfer {
        id: "rt-exampletransfer22".into(),
        name: "Their billing".into(),
        r#type: pb::ResponsibilityTransferType::Billing as i32,
        status: pb::ResponsibilityTransferStatus::Requested as i32,
        direction: pb::TransferDirection::Inbound as i32,
        source: Some(pb::TransferParticipant {
            management_account_id: "333333333333".into(),
            ..Default::default()
        }),
        target: Some(pb::TransferParticipant {
            management_account_id: "111111111111".into(),
            ..Default::default()
        }),
        start_time: at(1803859200),
        active_handshake_id: "h-examplehandshakeid333".into(),
        accept_deadline_time: at(1803772800),
        ..Default::default()
    }
}

/// The handshake invite-organization-to-transfer-responsibility prints.
fn offered() -> pb::Handshake {
    use pb::HandshakeResourceType as R;
    let res = |t: R, v: &str, children| pb::HandshakeResource {
        r#type: t as i32,
        value: v.into(),
        resources: children,
    };
    let party = |id: &str, t: pb::HandshakePartyType| pb::HandshakeParty {
        id: id.into(),
        r#type: t as i32,
    };
    pb::Handshake {
        id: "h-examplehandshakeid222".into(),
        arn: "arn:aws:organizations::111111111111:handshake/o-exampleorgid/transfer_responsibility/h-examplehandshakeid222".into(),
        parties: vec![
            party("o-exampleorgid", pb::HandshakePartyType::Organization),
            party("222222222222", pb::HandshakePartyType::Account),
        ],
        state: pb::HandshakeState::Open as i32,
        requested_time: at(1795705529),
        expiration_time: at(1796915129),
        action: pb::HandshakeAction::TransferResponsibility as i32,
        resources: vec![
            res(R::ResponsibilityTransfer, "rt-exampletransfer11", vec![
                res(R::TransferType, "BILLING", vec![]),
                res(R::TransferStartTimestamp, "1801440000", vec![]),
            ]),
            res(R::ManagementAccount, "111111111111", vec![]),
            res(R::ManagementEmail, "bill@amazon.com", vec![]),
        ],
        transfer_id: "rt-exampletransfer11".into(),
        ..Default::default()
    }
}

fn described() -> Value {
    shape::transfer_output(&shape::transfer_example())
}

#[test]
fn a_transfer_renders_as_the_aws_cli_renders_it() {
    let t = described();
    assert_eq!(
        text::render(&t),
        include_str!("../testdata/transfer_text.txt")
    );
    assert_eq!(
        table::render("GetTransfer", &t, 80, false),
        include_str!("../testdata/transfer_table80.txt")
    );
    assert_eq!(
        table::render("GetTransfer", &t, 200, false),
        include_str!("../testdata/transfer_table200.txt")
    );
    let back: Value = serde_norway::from_str(&output::yaml(&t)).unwrap();
    assert_eq!(back, t);
}

#[test]
fn a_list_of_transfers_with_different_members_renders_as_the_aws_cli_renders_it() {
    let listed = json!({"ResponsibilityTransfers":
        shape::transfers_output(&[shape::transfer_example(), inbound()])});
    assert_eq!(
        text::render(&listed),
        include_str!("../testdata/transfers_text.txt")
    );
    assert_eq!(
        table::render("ListTransfers", &listed, 80, false),
        include_str!("../testdata/transfers_table80.txt")
    );
}

#[test]
fn a_transfer_event_renders_as_the_aws_cli_renders_it() {
    let e = pb::TransferEvent {
        transfer: Some(shape::transfer_example()),
        previous_status: pb::ResponsibilityTransferStatus::Requested as i32,
        event_id: 7,
        resume_token: "tok".into(),
        observe_time: at(1795791929),
        kind: pb::TransferEventKind::StatusChange as i32,
    };
    let event = shape::transfer_event_output(&e);
    assert_eq!(
        text::render(&event),
        include_str!("../testdata/transfer_event_text.txt")
    );
    assert_eq!(
        table::render("WatchTransfers", &event, 80, false),
        include_str!("../testdata/transfer_event_table80.txt")
    );
    assert_in_order(
        &output::json(&event),
        &[
            "\"ResponsibilityTransfer\"",
            "\"StatusHistory\"",
            "\"PreviousStatus\"",
            "\"ResumeToken\"",
            "\"ObservedTimestamp\"",
            "\"Kind\"",
        ],
    );
}

#[test]
fn a_transfer_invitations_handshake_renders_as_the_aws_cli_renders_it() {
    let h = shape::handshake_output(&offered());
    assert_eq!(
        text::render(&h),
        include_str!("../testdata/transfer_handshake_text.txt")
    );
    assert_eq!(
        table::render("InviteTransfer", &h, 80, false),
        include_str!("../testdata/transfer_handshake_table80.txt")
    );
    assert_in_order(
        &output::json(&h),
        &[
            "\"Action\": \"TRANSFER_RESPONSIBILITY\"",
            "\"Resources\"",
            "\"TransferId\"",
        ],
    );
}
