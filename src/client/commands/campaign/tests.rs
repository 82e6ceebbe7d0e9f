//! Tests of `campaign create`: its flags, `--targets-file` and input, as
//! the request they send.
use clap::Parser;

use super::*;
use crate::client::flags::ClientCommand;

#[derive(Parser)]
struct Argv {
    #[command(subcommand)]
    cmd: ClientCommand,
}

fn temp_file(name: &str, contents: &str) -> String {
    let dir = std::env::temp_dir().join(format!("campaign-create-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.display().to_string()
}

/// The request `org-invites campaign create ARGV...` sends.
fn request(argv: &[&str]) -> Result<pb::CreateCampaignRequest, CliError> {
    let argv = ["org-invites", "campaign", "create"].iter().chain(argv);
    let ClientCommand::Campaign(CampaignCommand::Create(a)) =
        Argv::try_parse_from(argv).unwrap().cmd
    else {
        unreachable!("a campaign create command line")
    };
    let input = Input::new(
        &schema::CAMPAIGN_CREATE,
        a.input.cli_input_json.as_deref(),
        a.input.cli_input_yaml.as_deref(),
    )?;
    Ok(params(&a, input)?.into_request())
}

fn usage(r: Result<pb::CreateCampaignRequest, CliError>) -> String {
    match r {
        Err(CliError::Usage(m)) => m,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

#[test]
fn the_targets_file_and_invites_shared_flags_make_the_request() {
    let file = temp_file(
        "accounts.csv",
        "Id,Type,Notes,Tags\n111122223333,ACCOUNT,Hi Juan,env=prod\ndiego@example.com,EMAIL,,\n",
    );
    let req = request(&[
        "--targets-file",
        &file,
        "--name",
        "Q3 accounts",
        "--notes",
        "Welcome",
        "--tags",
        "Key=team,Value=core",
        "--destination-parent-id",
        "ou-ab12-cdef3456",
        "--accept-role",
        "OrgInvitesAccept",
        "--external-id",
        "ext-42",
        "--leave-previous-organization",
        "--max-renewals",
        "2",
        "--if-open-exists",
        "fail",
        "--quota-reserve",
        "5",
        "--request-id",
        "campaign-1",
    ])
    .unwrap();
    let tag = |k: &str, v: &str| pb::Tag {
        key: k.into(),
        value: v.into(),
    };
    assert_eq!(
        req,
        pb::CreateCampaignRequest {
            display_name: "Q3 accounts".into(),
            request_id: "campaign-1".into(),
            targets: vec![
                pb::CampaignTargetSpec {
                    target: Some(pb::HandshakeParty {
                        id: "111122223333".into(),
                        r#type: pb::HandshakePartyType::Account as i32,
                    }),
                    notes: "Hi Juan".into(),
                    tags: vec![tag("env", "prod")],
                },
                pb::CampaignTargetSpec {
                    target: Some(pb::HandshakeParty {
                        id: "diego@example.com".into(),
                        r#type: pb::HandshakePartyType::Email as i32,
                    }),
                    notes: String::new(),
                    tags: vec![],
                },
            ],
            notes: "Welcome".into(),
            tags: vec![tag("team", "core")],
            onboarding: Some(pb::OnboardingSpec {
                destination_parent_id: "ou-ab12-cdef3456".into(),
                accept_role: "OrgInvitesAccept".into(),
                external_id: "ext-42".into(),
                on_accept_failure: pb::OnAcceptFailure::Unspecified as i32,
                leave_previous_organization: true,
            }),
            renewal: Some(pb::RenewalSpec { max_renewals: 2 }),
            if_open_exists: pb::IfOpenExists::Fail as i32,
            quota_reserve: 5,
        }
    );
}

#[test]
fn a_request_id_is_made_when_none_is_given_and_if_open_exists_is_left_to_the_service() {
    let file = temp_file("one.json", r#"[{"Id": "111122223333", "Type": "ACCOUNT"}]"#);
    let req = request(&["--targets-file", &file, "--name", "n"]).unwrap();
    assert!(
        uuid::Uuid::parse_str(&req.request_id).is_ok(),
        "{}",
        req.request_id
    );
    assert_eq!(req.if_open_exists, pb::IfOpenExists::Unspecified as i32);
    assert_eq!(req.onboarding, None);
    assert_eq!(req.renewal, None);
}

#[test]
fn the_targets_may_come_from_cli_input_json_and_the_file_wins() {
    let input =
        r#"{"DisplayName": "from input", "Targets": [{"Id": "444455556666", "Type": "ACCOUNT"}]}"#;
    let req = request(&["--cli-input-json", input]).unwrap();
    assert_eq!(req.display_name, "from input");
    assert_eq!(req.targets[0].target.as_ref().unwrap().id, "444455556666");
    let file = temp_file("two.yaml", "- Id: '111122223333'\n  Type: ACCOUNT\n");
    let req = request(&["--cli-input-json", input, "--targets-file", &file]).unwrap();
    assert_eq!(req.targets.len(), 1);
    assert_eq!(req.targets[0].target.as_ref().unwrap().id, "111122223333");
}

#[test]
fn a_missing_name_or_targets_or_a_bad_quota_reserve_is_a_usage_error() {
    let file = temp_file("three.csv", "Id,Type\n111122223333,ACCOUNT\n");
    let m = usage(request(&["--targets-file", &file]));
    assert!(
        m.contains("Missing required parameter in input: \"DisplayName\""),
        "{m}"
    );
    let m = usage(request(&["--name", "n"]));
    assert!(
        m.contains("Missing required parameter in input: \"Targets\""),
        "{m}"
    );
    let m = usage(request(&[
        "--targets-file",
        &file,
        "--name",
        "n",
        "--quota-reserve",
        "-1",
    ]));
    assert!(
        m.contains("QuotaReserve, value: -1, valid min value: 0"),
        "{m}"
    );
    let bad = temp_file("bad.csv", "Id,Type\n111122223333,ACCOUNT\n,EMAIL\n");
    let m = usage(request(&["--targets-file", &bad, "--name", "n"]));
    assert!(
        m.contains("bad.csv: line 3, Id: empty; nothing was sent"),
        "{m}"
    );
}

#[test]
fn the_input_skeleton_fed_back_with_a_target_filled_in_is_that_target() {
    let skeleton = crate::client::schema::skeleton(&schema::CAMPAIGN_CREATE);
    let mut filled = skeleton.clone();
    filled["DisplayName"] = "n".into();
    filled["Targets"][0]["Id"] = "111122223333".into();
    let req = request(&["--cli-input-json", &filled.to_string()]).unwrap();
    assert_eq!(req.targets.len(), 1);
    assert_eq!(
        req.onboarding, None,
        "the untouched Onboarding block is unset"
    );
    // Untouched, the skeleton asks for the targets it lacks.
    let m = usage(request(&["--cli-input-json", &skeleton.to_string()]));
    assert!(m.contains("\"Targets\""), "{m}");
}
