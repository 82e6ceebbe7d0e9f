//! Tests of the billing-transfer commands: their names, flags and input, as
//! the requests they send, and the usage errors that send none.
use clap::Parser;

use super::by_id::{
    describe_params, terminate_params, update_params, RenameParams, WithdrawParams,
};
use super::*;
use crate::client::flags::{ClientCommand, InputOptions, TransferCommand as T};

#[derive(Parser)]
struct Argv {
    #[command(subcommand)]
    cmd: ClientCommand,
}

pub(super) fn parsed(argv: &[&str]) -> TransferCommand {
    let argv = ["org-invites"].iter().chain(argv);
    match Argv::try_parse_from(argv).unwrap().cmd {
        ClientCommand::Transfer(c) => c,
        _ => unreachable!("a transfer command line"),
    }
}

pub(super) fn input(shape: &'static schema::Shape, i: &InputOptions) -> Input {
    Input::new(
        shape,
        i.cli_input_json.as_deref(),
        i.cli_input_yaml.as_deref(),
    )
    .unwrap()
}

/// The request `org-invites invite-organization-to-transfer-responsibility
/// ARGV...` sends.
fn invite_request(argv: &[&str]) -> Result<pb::InviteTransferRequest, CliError> {
    let name = "invite-organization-to-transfer-responsibility";
    let T::InviteOrganizationToTransferResponsibility(a) = parsed(&[&[name], argv].concat()) else {
        unreachable!("an invitation")
    };
    let i = input(&schema::TRANSFER_INVITE, &a.input);
    Ok(invite_params(&a, i)?.into_request())
}

pub(super) fn usage<R: std::fmt::Debug>(r: Result<R, CliError>) -> String {
    match r {
        Err(CliError::Usage(m)) => m,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

const INVITE: &[&str] = &[
    "--type",
    "BILLING",
    "--target",
    "Id=222222222222,Type=ACCOUNT",
    "--start-timestamp",
    "2027-02-01T00:00:00Z",
    "--source-name",
    "Shared billing",
];

#[test]
fn the_aws_clis_invitation_becomes_one_invite_transfer_request() {
    let tagged = [
        INVITE,
        &[
            "--notes",
            "From Bill",
            "--tags",
            "Key=team,Value=core",
            "Key=env,Value=",
        ],
        &["--request-id", "r-1"],
    ]
    .concat();
    let req = invite_request(&tagged).unwrap();
    assert_eq!(
        req,
        pb::InviteTransferRequest {
            r#type: pb::ResponsibilityTransferType::Billing as i32,
            target: Some(pb::HandshakeParty {
                id: "222222222222".into(),
                r#type: pb::HandshakePartyType::Account as i32,
            }),
            start_time: Some(prost_types::Timestamp {
                seconds: 1_801_440_000,
                nanos: 0
            }),
            source_name: "Shared billing".into(),
            notes: "From Bill".into(),
            tags: vec![
                pb::Tag {
                    key: "team".into(),
                    value: "core".into()
                },
                pb::Tag {
                    key: "env".into(),
                    value: String::new()
                },
            ],
            request_id: "r-1".into(),
        }
    );
}

#[test]
fn every_invitation_carries_a_fresh_request_id_unless_given_one() {
    let a = invite_request(INVITE).unwrap().request_id;
    let b = invite_request(INVITE).unwrap().request_id;
    assert!(uuid::Uuid::parse_str(&a).is_ok(), "{a}");
    assert_ne!(a, b);
}

#[test]
fn the_type_is_taken_in_any_case_and_nothing_else_is() {
    let mut argv = INVITE.to_vec();
    argv[1] = "billing";
    assert_eq!(invite_request(&argv).unwrap().r#type, 1);
    argv[1] = "SUPPORT";
    let m = usage(invite_request(&argv));
    assert!(
        m.contains("Invalid value for parameter Type, value: SUPPORT, valid values: BILLING"),
        "{m}"
    );
}

#[test]
fn a_missing_parameter_is_named_as_botocore_names_it() {
    let m = usage(invite_request(&["--notes", "hi"]));
    for missing in ["Type", "Target", "StartTimestamp", "SourceName"] {
        assert!(
            m.contains(&format!(
                "Missing required parameter in input: \"{missing}\""
            )),
            "{missing}: {m}"
        );
    }
}

#[test]
fn a_start_that_is_no_moment_is_a_usage_error_and_nothing_is_sent() {
    let mut argv = INVITE.to_vec();
    argv[5] = "next month";
    let m = usage(invite_request(&argv));
    assert!(
        m.contains(
            "Invalid type for parameter StartTimestamp, value: next month, type: string, \
             valid types: timestamp-string"
        ),
        "{m}"
    );
    // Epoch seconds, and a date alone, are moments.
    argv[5] = "1801440000";
    let start = invite_request(&argv).unwrap().start_time.unwrap();
    assert_eq!(start.seconds, 1_801_440_000);
    argv[5] = "2027-02-01";
    let start = invite_request(&argv).unwrap().start_time.unwrap();
    assert_eq!(start.seconds, 1_801_440_000);
}

#[test]
fn an_invitation_comes_from_cli_input_json_and_flags_override_it() {
    let json = r#"{"Type": "BILLING", "Target": {"Id": "ap@example.com", "Type": "EMAIL"},
        "StartTimestamp": 1801440000, "SourceName": "From file", "Notes": "file"}"#;
    let req = invite_request(&["--cli-input-json", json, "--source-name", "From flag"]).unwrap();
    assert_eq!(req.target.unwrap().id, "ap@example.com");
    assert_eq!(req.start_time.unwrap().seconds, 1_801_440_000);
    assert_eq!(req.source_name, "From flag");
    assert_eq!(req.notes, "file");
}

#[test]
fn an_untouched_skeleton_asks_for_what_it_needs_and_sends_nothing() {
    let skeleton = crate::client::output::json(&schema::skeleton(&schema::TRANSFER_INVITE));
    let m = usage(invite_request(&["--cli-input-json", &skeleton]));
    assert!(!m.contains("\"Type\""), "BILLING is a choice: {m}");
    for missing in ["Target", "StartTimestamp", "SourceName"] {
        assert!(m.contains(&format!("\"{missing}\"")), "{missing}: {m}");
    }
}

#[test]
fn describe_terminate_and_update_name_the_transfer_by_id() {
    let T::DescribeResponsibilityTransfer(a) =
        parsed(&["describe-responsibility-transfer", "--id", "rt-abcdefgh"])
    else {
        unreachable!()
    };
    let i = input(&schema::TRANSFER_ID, &a.input);
    assert_eq!(describe_params(&a, i).unwrap(), "rt-abcdefgh");

    let T::DescribeResponsibilityTransfer(a) = parsed(&["describe-responsibility-transfer"]) else {
        unreachable!()
    };
    let m = usage(describe_params(&a, input(&schema::TRANSFER_ID, &a.input)));
    assert!(
        m.contains("Missing required parameter in input: \"Id\""),
        "{m}"
    );

    let terminate = |argv: &[&str]| {
        let argv = [
            &["terminate-responsibility-transfer", "--id", "rt-abcdefgh"],
            argv,
        ]
        .concat();
        let T::TerminateResponsibilityTransfer(a) = parsed(&argv) else {
            unreachable!()
        };
        let i = input(&schema::TRANSFER_WITHDRAW, &a.input);
        terminate_params(&a, i).map(WithdrawParams::into_request)
    };
    let req = terminate(&[]).unwrap();
    assert_eq!((req.id.as_str(), req.end_time), ("rt-abcdefgh", None));
    let req = terminate(&["--end-timestamp", "2027-06-30T23:59:59Z"]).unwrap();
    assert_eq!(
        req.end_time.unwrap().seconds,
        1_801_440_000 + 150 * 86400 - 1
    );
    let m = usage(terminate(&["--end-timestamp", "June"]));
    assert!(m.contains("parameter EndTimestamp, value: June"), "{m}");

    let update = |argv: &[&str]| {
        let argv = [&["update-responsibility-transfer"], argv].concat();
        let T::UpdateResponsibilityTransfer(a) = parsed(&argv) else {
            unreachable!()
        };
        let i = input(&schema::TRANSFER_RENAME, &a.input);
        update_params(&a, i).map(RenameParams::into_request)
    };
    let req = update(&["--id", "rt-abcdefgh", "--name", "-renamed-"]).unwrap();
    assert_eq!(
        (req.id.as_str(), req.name.as_str()),
        ("rt-abcdefgh", "-renamed-")
    );
    let m = usage(update(&["--id", "rt-abcdefgh"]));
    assert!(
        m.contains("Missing required parameter in input: \"Name\""),
        "{m}"
    );
}

#[test]
fn accept_and_decline_take_the_handshake_id_by_flag_or_input() {
    for name in ["accept-handshake", "decline-handshake"] {
        let a = match parsed(&[name, "--handshake-id", "h-12345678"]) {
            T::AcceptHandshake(a) | T::DeclineHandshake(a) => a,
            _ => unreachable!(),
        };
        let i = input(&schema::BY_ID, &a.input);
        assert_eq!(respond::params(&a, i).unwrap(), "h-12345678", "{name}");
    }
    let T::AcceptHandshake(a) = parsed(&[
        "accept-handshake",
        "--cli-input-json",
        r#"{"HandshakeId": "h-fromfile1"}"#,
    ]) else {
        unreachable!()
    };
    let i = input(&schema::BY_ID, &a.input);
    assert_eq!(respond::params(&a, i).unwrap(), "h-fromfile1");
    let T::DeclineHandshake(a) = parsed(&["decline-handshake"]) else {
        unreachable!()
    };
    let m = usage(respond::params(&a, input(&schema::BY_ID, &a.input)));
    assert!(
        m.contains("Missing required parameter in input: \"HandshakeId\""),
        "{m}"
    );
}

#[test]
fn each_command_is_named_as_typed() {
    for name in [
        "invite-organization-to-transfer-responsibility",
        "describe-responsibility-transfer",
        "list-inbound-responsibility-transfers",
        "list-outbound-responsibility-transfers",
        "terminate-responsibility-transfer",
        "update-responsibility-transfer",
        "accept-handshake",
        "decline-handshake",
        "watch-transfers",
    ] {
        let cmd = parsed(&[name, "--no-cli-pager"]);
        assert_eq!(cmd.name(), name);
        assert!(cmd.client().no_cli_pager, "{name}");
    }
}
