//! Tests of `invite`: its flags and input, as the request they send.
use super::*;
use crate::client::flags::ClientCommand;
use clap::Parser;
use serde_json::json;

#[derive(Parser)]
struct Argv {
    #[command(subcommand)]
    cmd: ClientCommand,
}

/// The request `org-invites invite ARGV...` sends.
fn request(argv: &[&str]) -> Result<pb::InviteAccountRequest, CliError> {
    let argv = ["org-invites", "invite"].iter().chain(argv);
    let ClientCommand::Invite(a) = Argv::try_parse_from(argv).unwrap().cmd else {
        unreachable!("an invite command line")
    };
    let input = Input::new(
        &schema::INVITE,
        a.input.cli_input_json.as_deref(),
        a.input.cli_input_yaml.as_deref(),
    )?;
    Ok(params(&a, input)?.into_request())
}

fn usage(r: Result<pb::InviteAccountRequest, CliError>) -> String {
    match r {
        Err(CliError::Usage(m)) => m,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

const ACCOUNT: &str = "Id=123456789012,Type=ACCOUNT";

#[test]
fn the_onboarding_flags_ask_for_onboarding() {
    let req = request(&[
        "--target",
        ACCOUNT,
        "--destination-parent-id",
        "ou-ab12-cdef3456",
        "--accept-role",
        "OrgInvitesAccept",
        "--external-id",
        "ext-42",
        "--on-accept-failure",
        "cancel",
    ])
    .unwrap();
    assert_eq!(
        req.onboarding,
        Some(pb::OnboardingSpec {
            destination_parent_id: "ou-ab12-cdef3456".into(),
            accept_role: "OrgInvitesAccept".into(),
            external_id: "ext-42".into(),
            on_accept_failure: pb::OnAcceptFailure::Cancel as i32,
            leave_previous_organization: false,
        })
    );
}

#[test]
fn without_onboarding_flags_there_is_no_onboarding() {
    assert_eq!(request(&["--target", ACCOUNT]).unwrap().onboarding, None);
    // A destination alone: placed and tagged once a person accepts;
    // the server's default policy.
    let req = request(&["--target", ACCOUNT, "--destination-parent-id", "r-ab12"]).unwrap();
    let spec = req.onboarding.unwrap();
    assert_eq!(spec.destination_parent_id, "r-ab12");
    assert_eq!(spec.accept_role, "");
    assert_eq!(spec.external_id, "");
    assert_eq!(
        spec.on_accept_failure,
        pb::OnAcceptFailure::Unspecified as i32
    );
}

#[test]
fn on_accept_failure_takes_either_spelling_and_nothing_else() {
    use pb::OnAcceptFailure as F;
    for (given, want) in [
        ("leave-open", F::LeaveOpen),
        ("LEAVE_OPEN", F::LeaveOpen),
        ("cancel", F::Cancel),
        ("CANCEL", F::Cancel),
    ] {
        let req = request(&[
            "--target",
            ACCOUNT,
            "--destination-parent-id",
            "r-ab12",
            "--on-accept-failure",
            given,
        ])
        .unwrap();
        assert_eq!(
            req.onboarding.unwrap().on_accept_failure,
            want as i32,
            "{given}"
        );
    }
    let m = usage(request(&[
        "--target",
        ACCOUNT,
        "--destination-parent-id",
        "r-ab12",
        "--on-accept-failure",
        "retry",
    ]));
    assert!(
        m.contains(
            "Invalid value for parameter Onboarding.OnAcceptFailure, value: RETRY, \
             valid values: LEAVE_OPEN, CANCEL"
        ),
        "{m}"
    );
}

#[test]
fn a_role_without_a_destination_is_a_usage_error() {
    let m = usage(request(&[
        "--target",
        ACCOUNT,
        "--accept-role",
        "OrgInvitesAccept",
    ]));
    assert!(
        m.contains("Missing required parameter in Onboarding: \"DestinationParentId\""),
        "{m}"
    );
}

#[test]
fn an_onboarding_comes_from_cli_input_and_flags_override_its_members() {
    let json = r#"{"Target": {"Id": "123456789012", "Type": "ACCOUNT"},
        "Onboarding": {"DestinationParentId": "ou-ab12-fromfile1",
                       "AcceptRole": "FromFile", "ExternalId": "ext-file",
                       "OnAcceptFailure": "CANCEL"}}"#;
    let spec = request(&["--cli-input-json", json])
        .unwrap()
        .onboarding
        .unwrap();
    assert_eq!(spec.destination_parent_id, "ou-ab12-fromfile1");
    assert_eq!(spec.accept_role, "FromFile");
    assert_eq!(spec.external_id, "ext-file");
    assert_eq!(spec.on_accept_failure, pb::OnAcceptFailure::Cancel as i32);

    let spec = request(&[
        "--cli-input-json",
        json,
        "--accept-role",
        "FromFlag",
        "--on-accept-failure",
        "leave-open",
    ])
    .unwrap()
    .onboarding
    .unwrap();
    assert_eq!(spec.accept_role, "FromFlag");
    assert_eq!(
        spec.on_accept_failure,
        pb::OnAcceptFailure::LeaveOpen as i32
    );
    assert_eq!(spec.destination_parent_id, "ou-ab12-fromfile1", "kept");
    assert_eq!(spec.external_id, "ext-file", "kept");

    let yaml = "Target:\n  Id: '123456789012'\n  Type: ACCOUNT\n\
                Onboarding:\n  DestinationParentId: r-ab12\n  OnAcceptFailure: LEAVE_OPEN\n";
    let spec = request(&[
        "--cli-input-yaml",
        yaml,
        "--destination-parent-id",
        "ou-ab12-flag0000",
    ])
    .unwrap()
    .onboarding
    .unwrap();
    assert_eq!(spec.destination_parent_id, "ou-ab12-flag0000");
    assert_eq!(
        spec.on_accept_failure,
        pb::OnAcceptFailure::LeaveOpen as i32
    );

    // A malformed Onboarding in the file is named, unless flags replace it.
    let bad = r#"{"Target": {"Id": "123456789012", "Type": "ACCOUNT"}, "Onboarding": "ou-x"}"#;
    let m = usage(request(&["--cli-input-json", bad]));
    assert!(m.contains("Invalid type for parameter Onboarding"), "{m}");
    let req = request(&["--cli-input-json", bad, "--destination-parent-id", "r-ab12"]);
    assert_eq!(
        req.unwrap().onboarding.unwrap().destination_parent_id,
        "r-ab12"
    );
}

#[test]
fn an_invite_without_a_request_id_gets_a_fresh_one() {
    let params: InviteParams = serde_json::from_value(json!({
        "Target": {"Id": "juan@example.com", "Type": "EMAIL"}
    }))
    .unwrap();
    let req = params.into_request();
    assert_eq!(
        req.target.unwrap().r#type,
        pb::HandshakePartyType::Email as i32
    );
    assert_eq!(req.request_id.len(), 36);
}

#[test]
fn if_open_exists_takes_either_spelling_and_nothing_else() {
    use pb::IfOpenExists as W;
    assert_eq!(
        request(&["--target", ACCOUNT]).unwrap().if_open_exists,
        W::Unspecified as i32,
        "the server's default (FAIL) when not given"
    );
    for (given, want) in [
        ("return-existing", W::ReturnExisting),
        ("RETURN_EXISTING", W::ReturnExisting),
        ("fail", W::Fail),
        ("FAIL", W::Fail),
    ] {
        let req = request(&["--target", ACCOUNT, "--if-open-exists", given]).unwrap();
        assert_eq!(req.if_open_exists, want as i32, "{given}");
    }
    let m = usage(request(&["--target", ACCOUNT, "--if-open-exists", "reuse"]));
    assert!(
        m.contains(
            "Invalid value for parameter IfOpenExists, value: REUSE, \
             valid values: FAIL, RETURN_EXISTING"
        ),
        "{m}"
    );
}

#[test]
fn max_renewals_asks_for_a_renewal_of_0_to_10() {
    assert_eq!(request(&["--target", ACCOUNT]).unwrap().renewal, None);
    for n in [0, 1, 10] {
        let req = request(&["--target", ACCOUNT, "--max-renewals", &n.to_string()]).unwrap();
        assert_eq!(req.renewal, Some(pb::RenewalSpec { max_renewals: n }));
    }
    for (bad, says) in [
        ("11", "Renewal.MaxRenewals, value: 11, valid max value: 10"),
        ("-1", "Renewal.MaxRenewals, value: -1, valid min value: 0"),
        (
            "two",
            "Error parsing parameter '--max-renewals': invalid literal for int() with base 10: 'two'",
        ),
    ] {
        let m = usage(request(&["--target", ACCOUNT, "--max-renewals", bad]));
        assert!(m.contains(says), "{bad}: {m}");
    }
}

#[test]
fn a_renewal_and_if_open_exists_come_from_cli_input_and_flags_override_them() {
    let json = r#"{"Target": {"Id": "123456789012", "Type": "ACCOUNT"},
        "IfOpenExists": "RETURN_EXISTING", "Renewal": {"MaxRenewals": 1}}"#;
    let req = request(&["--cli-input-json", json]).unwrap();
    assert_eq!(req.renewal, Some(pb::RenewalSpec { max_renewals: 1 }));
    assert_eq!(req.if_open_exists, pb::IfOpenExists::ReturnExisting as i32);

    let req = request(&[
        "--cli-input-json",
        json,
        "--max-renewals",
        "3",
        "--if-open-exists",
        "fail",
    ])
    .unwrap();
    assert_eq!(req.renewal, Some(pb::RenewalSpec { max_renewals: 3 }));
    assert_eq!(req.if_open_exists, pb::IfOpenExists::Fail as i32);

    let yaml = "Target:\n  Id: '123456789012'\n  Type: ACCOUNT\n\
                Renewal:\n  MaxRenewals: 2\nIfOpenExists: RETURN_EXISTING\n";
    let req = request(&["--cli-input-yaml", yaml]).unwrap();
    assert_eq!(req.renewal, Some(pb::RenewalSpec { max_renewals: 2 }));
    assert_eq!(req.if_open_exists, pb::IfOpenExists::ReturnExisting as i32);

    // A quoted number is a string, as botocore says of it.
    let bad = r#"{"Target": {"Id": "123456789012", "Type": "ACCOUNT"},
        "Renewal": {"MaxRenewals": "1"}}"#;
    let m = usage(request(&["--cli-input-json", bad]));
    assert!(
        m.contains("Invalid type for parameter Renewal.MaxRenewals"),
        "{m}"
    );
}

#[test]
fn a_skeleton_with_only_target_notes_and_tags_filled_asks_for_no_onboarding_or_renewal() {
    let mut input = schema::skeleton(&schema::INVITE);
    input["Target"] = json!({"Id": "123456789012", "Type": "ACCOUNT"});
    input["Notes"] = json!("Welcome aboard.");
    input["Tags"] = json!([{"Key": "team", "Value": "payments"}]);
    let req = request(&["--cli-input-json", &input.to_string()]).unwrap();
    assert_eq!(req.onboarding, None);
    assert_eq!(req.renewal, None);
    assert_eq!(req.notes, "Welcome aboard.");
    assert_eq!(req.tags.len(), 1);
    // The skeleton's empty RequestId is unset too: a fresh one keeps a
    // retry safe.
    assert!(
        uuid::Uuid::parse_str(&req.request_id).is_ok(),
        "{}",
        req.request_id
    );
}

#[test]
fn a_flag_fills_a_block_the_skeleton_left_untouched() {
    let input = schema::skeleton(&schema::INVITE).to_string();
    let req = request(&[
        "--cli-input-json",
        &input,
        "--target",
        ACCOUNT,
        "--destination-parent-id",
        "r-ab12",
    ])
    .unwrap();
    // Only the flag's member: the skeleton's LEAVE_OPEN is not sent as a
    // choice the user made.
    assert_eq!(
        req.onboarding,
        Some(pb::OnboardingSpec {
            destination_parent_id: "r-ab12".into(),
            accept_role: String::new(),
            external_id: String::new(),
            on_accept_failure: pb::OnAcceptFailure::Unspecified as i32,
            leave_previous_organization: false,
        })
    );
}
