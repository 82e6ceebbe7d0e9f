//! Tests of the campaign output shapes.
use serde_json::json;

use super::*;
use crate::client::{output, shape};

fn at(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

pub fn example() -> pb::Campaign {
    pb::Campaign {
        id: "c-examplecampaign1".into(),
        display_name: "Q3 accounts".into(),
        state: pb::CampaignState::Active as i32,
        create_time: at(1481656459),
        update_time: at(1481656500),
        request_id: "r-1".into(),
        requested_by: "ops".into(),
        quota_reserve: 2,
        notes: "Welcome".into(),
        tags: vec![pb::Tag {
            key: "team".into(),
            value: "core".into(),
        }],
        onboarding: Some(pb::OnboardingSpec {
            destination_parent_id: "ou-ab12-cdef3456".into(),
            accept_role: "OrgInvitesAccept".into(),
            leave_previous_organization: true,
            ..Default::default()
        }),
        renewal: Some(pb::RenewalSpec { max_renewals: 1 }),
        if_open_exists: pb::IfOpenExists::ReturnExisting as i32,
        counts: Some(pb::CampaignCounts {
            total: 3,
            queued: 1,
            invited: 1,
            complete: 1,
            ..Default::default()
        }),
        next_send_time: at(1481660000),
        pause_reason: String::new(),
    }
}

#[test]
fn a_campaign_comes_out_with_pascal_case_keys_and_unprefixed_enums() {
    assert_eq!(
        campaign_output(&example()),
        json!({"Campaign": {
            "Id": "c-examplecampaign1",
            "DisplayName": "Q3 accounts",
            "State": "ACTIVE",
            "CreateTimestamp": 1481656459.0,
            "UpdateTimestamp": 1481656500.0,
            "RequestId": "r-1",
            "RequestedBy": "ops",
            "QuotaReserve": 2,
            "Notes": "Welcome",
            "Tags": [{"Key": "team", "Value": "core"}],
            "Onboarding": {
                "DestinationParentId": "ou-ab12-cdef3456",
                "AcceptRole": "OrgInvitesAccept",
                "LeavePreviousOrganization": true,
            },
            "Renewal": {"MaxRenewals": 1},
            "IfOpenExists": "RETURN_EXISTING",
            "Counts": {"Total": 3, "Queued": 1, "Skipped": 0, "Invited": 1, "Accepted": 0,
                       "Complete": 1, "Failed": 0, "Declined": 0, "Canceled": 0, "Expired": 0},
            "NextSendTimestamp": 1481660000.0,
        }})
    );
}

#[test]
fn a_campaign_prints_its_members_in_the_order_they_are_listed_here() {
    let got = output::json(&campaign_output(&example()));
    let keys: Vec<&str> = got
        .lines()
        .filter(|l| l.starts_with("        \""))
        .map(|l| l.trim().split('"').nth(1).unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "Id",
            "DisplayName",
            "State",
            "CreateTimestamp",
            "UpdateTimestamp",
            "RequestId",
            "RequestedBy",
            "QuotaReserve",
            "Notes",
            "Tags",
            "Onboarding",
            "Renewal",
            "IfOpenExists",
            "Counts",
            "NextSendTimestamp",
        ]
    );
    let total = got.find("\"Total\"").unwrap();
    assert!(total < got.find("\"Queued\"").unwrap(), "{got}");
    // Every member the output skeleton names is a member a campaign has.
    let sample = sample_campaign_output();
    for k in keys {
        assert!(sample["Campaign"].get(k).is_some(), "{k}");
    }
}

#[test]
fn a_target_shows_its_party_state_handshake_and_reason() {
    let t = pb::CampaignTarget {
        index: 4,
        target: Some(pb::HandshakeParty {
            id: "111122223333".into(),
            r#type: pb::HandshakePartyType::Account as i32,
        }),
        state: pb::CampaignTargetState::Failed as i32,
        handshake_id: String::new(),
        reason: "ConstraintViolation: ACCOUNT_NUMBER_LIMIT_EXCEEDED".into(),
        update_time: at(1481656500),
    };
    let out = json!({ "Targets": targets_output(&[t]) });
    assert_eq!(
        out,
        json!({"Targets": [{
            "Index": 4,
            "Target": {"Id": "111122223333", "Type": "ACCOUNT"},
            "State": "FAILED",
            "Reason": "ConstraintViolation: ACCOUNT_NUMBER_LIMIT_EXCEEDED",
            "UpdateTimestamp": 1481656500.0,
        }]})
    );
    let got = output::json(&out);
    let order = [
        "\"Index\"",
        "\"Target\"",
        "\"State\"",
        "\"Reason\"",
        "\"UpdateTimestamp\"",
    ];
    let at: Vec<usize> = order.iter().map(|k| got.find(k).unwrap()).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{got}");
}

#[test]
fn a_handshake_a_campaign_sent_names_it() {
    let mut h = shape::tests::page_example();
    assert!(shape::handshake(&h).get("CampaignId").is_none());
    h.campaign_id = "c-examplecampaign1".into();
    assert_eq!(shape::handshake(&h)["CampaignId"], "c-examplecampaign1");
}

#[test]
fn target_states_map_both_ways() {
    assert_eq!(
        target_state_from_name("COMPLETE"),
        Some(pb::CampaignTargetState::Complete)
    );
    assert_eq!(target_state_from_name("UNSPECIFIED"), None);
    assert_eq!(
        target_state_name(pb::CampaignTargetState::Skipped as i32),
        Some("SKIPPED")
    );
    assert_eq!(
        campaign_state_name(pb::CampaignState::Done as i32),
        Some("DONE")
    );
    assert_eq!(campaign_state_name(0), None);
}
