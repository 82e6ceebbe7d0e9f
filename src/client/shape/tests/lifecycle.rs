//! Tests of `client::shape` for an invitation's whole life: the expiry
//! warning, the renewal, the lifecycle's event kinds and the quota.
use super::*;

/// The page's handshake for an account, itself a renewal, warned of its
/// expiry, then expired and renewed again.
pub fn renewal_example() -> pb::Handshake {
    let mut h = page_example();
    h.parties[1] = pb::HandshakeParty {
        id: "222222222222".into(),
        r#type: pb::HandshakePartyType::Account as i32,
    };
    h.resources.truncate(1);
    h.state = pb::HandshakeState::Expired as i32;
    h.expiry_warning_time = at(1482693259);
    h.renewal = Some(pb::Renewal {
        renewals_left: 1,
        renewed_from: "h-examplehandshakeid000".into(),
        renewed_to: "h-examplehandshakeid222".into(),
        reason: "expired; sent again as h-examplehandshakeid222 (0 renewal(s) left after it)"
            .into(),
        waiting_until: None,
        given_up: false,
    });
    h
}

#[test]
fn a_renewal_and_an_expiry_warning_come_out_with_aws_style_names() {
    let got = handshake(&renewal_example());
    assert_eq!(got["ExpiryWarningTimestamp"].to_string(), "1482693259.0");
    assert_eq!(
        got["Renewal"],
        json!({
            "RenewalsLeft": 1,
            "RenewedFrom": "h-examplehandshakeid000",
            "RenewedTo": "h-examplehandshakeid222",
            "Reason": "expired; sent again as h-examplehandshakeid222 (0 renewal(s) left after it)"
        })
    );
    // Waiting for the quota: no links yet, a reason and a time; an
    // unset member is left out, RenewalsLeft 0 is not.
    let mut h = renewal_example();
    h.renewal = Some(pb::Renewal {
        renewals_left: 0,
        reason: "expired; the daily invitation quota is used up".into(),
        waiting_until: Some(prost_types::Timestamp {
            seconds: 1482952460,
            nanos: 500_000_000,
        }),
        ..Default::default()
    });
    assert_eq!(
        handshake(&h)["Renewal"],
        json!({"RenewalsLeft": 0,
               "Reason": "expired; the daily invitation quota is used up",
               "WaitingUntil": 1482952460.5})
    );
    // Neither asked for nor warned: neither member.
    let plain = handshake(&page_example());
    assert!(plain.get("Renewal").is_none(), "{plain}");
    assert!(plain.get("ExpiryWarningTimestamp").is_none(), "{plain}");
}

#[test]
fn events_name_the_lifecycles_kinds() {
    let mut e = pb::HandshakeEvent {
        handshake: Some(renewal_example()),
        kind: pb::HandshakeEventKind::Renewal as i32,
        ..Default::default()
    };
    assert_eq!(event_output(&e)["Kind"], "RENEWAL");
    assert_eq!(
        event_output(&e)["Handshake"]["Renewal"]["RenewedTo"],
        "h-examplehandshakeid222"
    );
    e.kind = pb::HandshakeEventKind::ExpiringSoon as i32;
    assert_eq!(event_output(&e)["Kind"], "EXPIRING_SOON");
}

pub fn quota_example() -> pb::InvitationQuota {
    pb::InvitationQuota {
        limit: 20,
        used: 3,
        remaining: 17,
        window: Some(prost_types::Duration {
            seconds: 86400,
            nanos: 0,
        }),
        next_slot_time: at(1481742859),
        pending_invitations: 2,
        member_accounts: 5,
        member_accounts_time: at(1481656400),
    }
}

#[test]
fn the_quota_comes_out_as_one_object() {
    assert_eq!(
        quota_output(&quota_example()),
        json!({"Quota": {
            "Limit": 20, "Used": 3, "Remaining": 17, "WindowSeconds": 86400,
            "NextSlotTimestamp": 1481742859.0, "PendingInvitations": 2,
            "MemberAccounts": 5, "MemberAccountsTimestamp": 1481656400.0
        }})
    );
    // Nothing counted in the window, members not counted yet.
    let fresh = pb::InvitationQuota {
        used: 0,
        remaining: 20,
        next_slot_time: None,
        pending_invitations: 0,
        member_accounts: -1,
        member_accounts_time: None,
        window: Some(prost_types::Duration {
            seconds: 15,
            nanos: 250_000_000,
        }),
        ..quota_example()
    };
    assert_eq!(
        quota_output(&fresh),
        json!({"Quota": {"Limit": 20, "Used": 0, "Remaining": 17 + 3,
                         "WindowSeconds": 15.25, "PendingInvitations": 0}})
    );
    // The output skeleton has every member.
    let sample = sample_quota_output();
    for k in quota_output(&quota_example())["Quota"]
        .as_object()
        .unwrap()
        .keys()
    {
        assert!(sample["Quota"].get(k).is_some(), "{k}");
    }
}

#[test]
fn the_output_skeleton_has_every_member_a_renewal_can_have() {
    let mut h = renewal_example();
    h.renewal.as_mut().unwrap().waiting_until = at(1);
    let got = handshake(&h);
    let sample = sample_handshake();
    assert!(sample.get("ExpiryWarningTimestamp").is_some());
    for k in got["Renewal"].as_object().unwrap().keys() {
        assert!(sample["Renewal"].get(k).is_some(), "{k}");
    }
    assert_eq!(got["Renewal"].as_object().unwrap().len(), 5);
}

#[test]
fn if_open_exists_maps_from_its_aws_names() {
    assert_eq!(
        if_open_exists_from_name("RETURN_EXISTING"),
        Some(pb::IfOpenExists::ReturnExisting)
    );
    assert_eq!(
        if_open_exists_from_name("FAIL"),
        Some(pb::IfOpenExists::Fail)
    );
    assert_eq!(if_open_exists_from_name("UNSPECIFIED"), None);
    assert_eq!(if_open_exists_from_name("fail"), None);
}
