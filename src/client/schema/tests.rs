//! Tests of `client::schema`.
use super::*;

#[test]
fn a_well_formed_invite_has_no_problems() {
    let v = json!({"Target": {"Id": "123456789012", "Type": "ACCOUNT"},
                   "Tags": [{"Key": "a", "Value": ""}]});
    assert!(validate(&v, &INVITE).is_empty());
}

#[test]
fn problems_are_worded_like_botocores() {
    let v = json!({"Target": {"Id": ["1", "2"], "Type": "PERSON", "Foo": "x"},
                   "Tags": [{"Key": "a"}]});
    assert_eq!(
        validate(&v, &INVITE),
        [
            "Invalid type for parameter Target.Id, value: [\"1\",\"2\"], type: list, valid types: string",
            "Invalid value for parameter Target.Type, value: PERSON, valid values: ACCOUNT, ORGANIZATION, EMAIL",
            "Unknown parameter in Target: \"Foo\", must be one of: Id, Type",
            "Missing required parameter in Tags[0]: \"Value\"",
        ]
    );
}

#[test]
fn an_onboarding_is_checked_like_the_other_members() {
    let v = json!({"Target": {"Id": "123456789012", "Type": "ACCOUNT"},
                   "Onboarding": {"DestinationParentId": "ou-ab12-cdef3456",
                                  "AcceptRole": "OrgInvitesAccept",
                                  "OnAcceptFailure": "CANCEL"}});
    assert!(validate(&v, &INVITE).is_empty());
    let v = json!({"Target": {"Id": "123456789012", "Type": "ACCOUNT"},
                   "Onboarding": {"AcceptRole": 7, "OnAcceptFailure": "RETRY",
                                  "Destination": "ou-x"}});
    assert_eq!(
        validate(&v, &INVITE),
        [
            "Missing required parameter in Onboarding: \"DestinationParentId\"",
            "Invalid type for parameter Onboarding.AcceptRole, value: 7, type: number, valid types: string",
            "Invalid value for parameter Onboarding.OnAcceptFailure, value: RETRY, valid values: LEAVE_OPEN, CANCEL",
            "Unknown parameter in Onboarding: \"Destination\", must be one of: DestinationParentId, AcceptRole, ExternalId, OnAcceptFailure, LeavePreviousOrganization",
        ]
    );
}

#[test]
fn a_missing_target_is_named() {
    assert_eq!(
        validate(&json!({"Notes": "hi"}), &INVITE),
        ["Missing required parameter in input: \"Target\""]
    );
}

#[test]
fn the_input_skeleton_lists_every_member() {
    assert_eq!(
        skeleton(&INVITE),
        json!({"Target": {"Id": "", "Type": "ACCOUNT"}, "Notes": "",
               "Tags": [{"Key": "", "Value": ""}], "RequestId": "",
               "Onboarding": {"DestinationParentId": "", "AcceptRole": "",
                              "ExternalId": "", "OnAcceptFailure": "LEAVE_OPEN",
                              "LeavePreviousOrganization": false},
               "Renewal": {"MaxRenewals": 0}, "IfOpenExists": "FAIL"})
    );
    assert_eq!(skeleton(&QUOTA), json!({}));
}

#[test]
fn a_boolean_member_takes_true_or_false_and_nothing_else() {
    let v = json!({"CampaignId": "c-abcdefgh", "CancelOpenInvitations": true});
    assert!(validate(&v, &CAMPAIGN_CANCEL).is_empty());
    let v = json!({"CampaignId": "c-abcdefgh", "CancelOpenInvitations": "yes"});
    assert_eq!(
        validate(&v, &CAMPAIGN_CANCEL),
        ["Invalid type for parameter CancelOpenInvitations, value: yes, type: string, valid types: boolean"]
    );
    let yaml = yaml_skeleton(&CAMPAIGN_CANCEL);
    assert!(
        yaml.contains("CancelOpenInvitations: false  # Also cancel"),
        "{yaml}"
    );
}

#[test]
fn a_campaigns_targets_are_checked_item_by_item() {
    let v = json!({"DisplayName": "n", "Targets": [
        {"Id": "111122223333", "Type": "ACCOUNT", "Tags": [{"Key": "a", "Value": ""}]},
        {"Id": "x", "Type": "ACCT"},
    ]});
    assert_eq!(
        validate(&v, &CAMPAIGN_CREATE),
        ["Invalid value for parameter Targets[1].Type, value: ACCT, valid values: ACCOUNT, ORGANIZATION, EMAIL"]
    );
}

#[test]
fn a_renewal_and_if_open_exists_are_checked_like_the_other_members() {
    let target = json!({"Id": "123456789012", "Type": "ACCOUNT"});
    let v = json!({"Target": target, "Renewal": {"MaxRenewals": 10},
                   "IfOpenExists": "RETURN_EXISTING"});
    assert!(validate(&v, &INVITE).is_empty());
    let v = json!({"Target": target, "Renewal": {"MaxRenewals": 0}, "IfOpenExists": "FAIL"});
    assert!(validate(&v, &INVITE).is_empty());
    let v = json!({"Target": target, "Renewal": {"MaxRenewals": 11},
                   "IfOpenExists": "REUSE"});
    assert_eq!(
        validate(&v, &INVITE),
        [
            "Invalid value for parameter Renewal.MaxRenewals, value: 11, valid max value: 10",
            "Invalid value for parameter IfOpenExists, value: REUSE, valid values: FAIL, RETURN_EXISTING",
        ]
    );
    for (bad, says) in [
        (json!({"MaxRenewals": -1}), "Invalid value for parameter Renewal.MaxRenewals, value: -1, valid min value: 0"),
        (json!({"MaxRenewals": "1"}), "Invalid type for parameter Renewal.MaxRenewals, value: 1, type: string, valid types: integer"),
        (json!({"MaxRenewals": 1.5}), "Invalid type for parameter Renewal.MaxRenewals, value: 1.5, type: number, valid types: integer"),
        (json!({}), "Missing required parameter in Renewal: \"MaxRenewals\""),
        (json!(1), "Invalid type for parameter Renewal, value: 1, type: number, valid types: object"),
    ] {
        let v = json!({"Target": target, "Renewal": bad});
        assert_eq!(validate(&v, &INVITE), [says]);
    }
}

#[test]
fn quota_takes_no_parameters() {
    assert!(validate(&json!({}), &QUOTA).is_empty());
    assert_eq!(
        validate(&json!({"Limit": 3}), &QUOTA),
        ["Unknown parameter in input: \"Limit\", must be one of: "]
    );
}

#[test]
fn the_yaml_skeleton_parses_back_to_the_json_skeleton() {
    let yaml = yaml_skeleton(&INVITE);
    assert!(yaml.contains("Target:  # [REQUIRED]"), "{yaml}");
    let parsed: Value = serde_norway::from_str(&yaml).unwrap();
    assert_eq!(parsed, skeleton(&INVITE));
    assert!(
        yaml.contains("  MaxRenewals: 0  # [REQUIRED] How many times"),
        "{yaml}"
    );
    assert!(
        yaml.contains("Valid values are: FAIL, RETURN_EXISTING."),
        "{yaml}"
    );
    let parsed: Value = serde_norway::from_str(&yaml_skeleton(&LIST)).unwrap();
    assert_eq!(parsed, skeleton(&LIST));
}

#[test]
fn a_timestamp_member_takes_iso_8601_or_epoch_seconds_and_its_skeleton_is_the_aws_clis() {
    let v = |start: Value| {
        json!({"Type": "BILLING", "Target": {"Id": "222222222222", "Type": "ACCOUNT"},
               "StartTimestamp": start, "SourceName": "n"})
    };
    for ok in [
        json!("2027-02-01T00:00:00Z"),
        json!(1801440000),
        json!("1801440000.5"),
    ] {
        assert!(
            validate(&v(ok.clone()), &TRANSFER_INVITE).is_empty(),
            "{ok}"
        );
    }
    assert_eq!(
        validate(&v(json!(true)), &TRANSFER_INVITE),
        ["Invalid type for parameter StartTimestamp, value: true, type: boolean, valid types: timestamp-string"]
    );
    assert_eq!(
        skeleton(&TRANSFER_INVITE)["StartTimestamp"],
        "1970-01-01T00:00:00"
    );
    let yaml = yaml_skeleton(&TRANSFER_INVITE);
    assert!(
        yaml.contains("StartTimestamp: 1970-01-01T00:00:00  # [REQUIRED] When the other"),
        "{yaml}"
    );
    let parsed: Value = serde_norway::from_str(&yaml).unwrap();
    assert_eq!(parsed, skeleton(&TRANSFER_INVITE));
    let parsed: Value = serde_norway::from_str(&yaml_skeleton(&TRANSFER_WITHDRAW)).unwrap();
    assert_eq!(parsed, skeleton(&TRANSFER_WITHDRAW));
}

#[test]
fn every_transfer_status_and_direction_the_schema_allows_maps_to_the_proto() {
    use crate::client::shape;
    for name in transfer::TRANSFER_STATUSES {
        let s = shape::transfer_status_from_name(name).unwrap();
        assert_eq!(shape::transfer_status_name(s as i32), Some(*name));
    }
    for name in transfer::DIRECTIONS {
        assert!(shape::direction_from_name(name).is_some(), "{name}");
    }
    for name in transfer::TRANSFER_TYPES {
        assert!(shape::transfer_type_from_name(name).is_some(), "{name}");
    }
}
