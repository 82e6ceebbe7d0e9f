//! `invite`: InviteAccount, always with a request id so that a retry is
//! safe, and with `--wait` the handshake's changes until it is terminal.
use serde::Deserialize;
use serde_json::Value;

use super::preamble::{Command, Ready};
use crate::cli::{
    args::InviteArgs,
    exit::{self, CliError},
    input::Input,
    schema,
    shape::{self, sample_handshake_output},
    watch,
};
use crate::proto::v1 as pb;

const INVITE: Command = Command::new(&schema::INVITE, "InviteAccount", sample_handshake_output);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InviteParams {
    target: PartyParam,
    notes: Option<String>,
    tags: Option<Vec<TagParam>>,
    request_id: Option<String>,
    onboarding: Option<OnboardingParam>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PartyParam {
    id: String,
    r#type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagParam {
    key: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OnboardingParam {
    destination_parent_id: String,
    accept_role: Option<String>,
    external_id: Option<String>,
    on_accept_failure: Option<String>,
}

impl OnboardingParam {
    fn into_spec(self) -> pb::OnboardingSpec {
        let on_accept_failure = self
            .on_accept_failure
            .map(|f| {
                shape::on_accept_failure_from_name(&f)
                    .expect("the schema allows only known OnAcceptFailure values")
            })
            .unwrap_or(pb::OnAcceptFailure::Unspecified);
        pb::OnboardingSpec {
            destination_parent_id: self.destination_parent_id,
            accept_role: self.accept_role.unwrap_or_default(),
            external_id: self.external_id.unwrap_or_default(),
            on_accept_failure: on_accept_failure as i32,
        }
    }
}

impl InviteParams {
    fn into_request(self) -> pb::InviteAccountRequest {
        let party_type = shape::party_type_from_name(&self.target.r#type)
            .expect("the schema allows only known party types");
        pb::InviteAccountRequest {
            target: Some(pb::HandshakeParty {
                id: self.target.id,
                r#type: party_type as i32,
            }),
            notes: self.notes.unwrap_or_default(),
            tags: self
                .tags
                .unwrap_or_default()
                .into_iter()
                .map(|t| pb::Tag {
                    key: t.key,
                    value: t.value,
                })
                .collect(),
            renewal: None,
            if_open_exists: 0,
            onboarding: self.onboarding.map(OnboardingParam::into_spec),
            // Always deduplicated: a retry of this same call is then safe.
            request_id: self
                .request_id
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        }
    }
}

pub async fn run(a: InviteArgs) -> Result<u8, CliError> {
    let wait = a.wait;
    INVITE
        .run(&a.input, &a.client, |i| params(&a, i), |r| invite(r, wait))
        .await
}

fn params(a: &InviteArgs, mut input: Input) -> Result<InviteParams, CliError> {
    if let Some(t) = &a.target {
        input.set_flag("Target", "--target", t)?;
    }
    if let Some(n) = &a.notes {
        input.set_flag("Notes", "--notes", n)?;
    }
    if let Some(t) = &a.tags {
        input.set_list_flag("Tags", "--tags", t)?;
    }
    if let Some(r) = &a.request_id {
        input.set_flag("RequestId", "--request-id", r)?;
    }
    let onboarding = [
        (
            "DestinationParentId",
            "--destination-parent-id",
            &a.destination_parent_id,
        ),
        ("AcceptRole", "--accept-role", &a.accept_role),
        ("ExternalId", "--external-id", &a.external_id),
    ];
    for (member, flag, value) in onboarding {
        if let Some(v) = value {
            input.set_in_flag("Onboarding", member, flag, v)?;
        }
    }
    if let Some(f) = &a.on_accept_failure {
        input.set_in("Onboarding", "OnAcceptFailure", on_accept_failure_value(f));
    }
    input.finish()
}

/// `--on-accept-failure leave-open` → `LEAVE_OPEN`, as `--state` takes
/// either case; the schema then checks the value.
fn on_accept_failure_value(flag: &str) -> Value {
    Value::String(flag.trim().to_ascii_uppercase().replace('-', "_"))
}

async fn invite(ready: Ready<InviteParams>, wait: bool) -> Result<u8, CliError> {
    let req = ready.params.into_request();
    let request_id = req.request_id.clone();
    let resp = ready
        .conn
        .call("InviteAccount", req, |mut c, r| async move {
            c.invite_account(r).await
        })
        .await
        .inspect_err(|e| {
            if may_have_been_sent(e) {
                eprintln!(
                    "note: the invitation may have been sent; to retry it safely, run the same \
                     command with --request-id {request_id}"
                );
            }
        })?;
    let h = resp
        .handshake
        .ok_or_else(|| CliError::Other("the service answered without a handshake".into()))?;
    let out = shape::handshake_output(&h);
    if !wait {
        ready.printer.print(&out)?;
        return Ok(exit::SUCCESS);
    }
    ready.printer.print_streamed(&out)?;
    if let Some(code) = watch::exit_code(&h) {
        return Ok(code);
    }
    let printed = watch::Seen::of(&h);
    watch::until_settled(&ready.conn, &ready.printer, &h.id, Some(printed)).await
}

/// Whether a failed InviteAccount may still have reached AWS.
fn may_have_been_sent(e: &CliError) -> bool {
    use tonic::Code;
    match e {
        CliError::Service { status, .. } => matches!(
            status.code(),
            Code::Unavailable | Code::Aborted | Code::Unknown | Code::Internal | Code::Cancelled
        ),
        CliError::Other(_) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::ClientCommand;
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
}
