//! `invite`: InviteAccount, always with a request id so that a retry is
//! safe, and with `--wait` the handshake's changes until it is terminal.
use serde::Deserialize;
use serde_json::Value;

use super::preamble::{Command, Ready};
use crate::client::{
    exit::{self, CliError},
    flags::InviteArgs,
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
    renewal: Option<RenewalParam>,
    if_open_exists: Option<String>,
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

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RenewalParam {
    max_renewals: i32,
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
            leave_previous_organization: false,
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
            renewal: self.renewal.map(|r| pb::RenewalSpec {
                max_renewals: r.max_renewals,
            }),
            if_open_exists: self
                .if_open_exists
                .map(|v| {
                    shape::if_open_exists_from_name(&v)
                        .expect("the schema allows only known IfOpenExists values")
                })
                .unwrap_or(pb::IfOpenExists::Unspecified) as i32,
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
        input.set_in("Onboarding", "OnAcceptFailure", enum_value(f));
    }
    if let Some(n) = &a.max_renewals {
        input.set_in_flag("Renewal", "MaxRenewals", "--max-renewals", n)?;
    }
    if let Some(w) = &a.if_open_exists {
        input.set("IfOpenExists", enum_value(w));
    }
    input.finish()
}

/// `--on-accept-failure leave-open` → `LEAVE_OPEN`, `--if-open-exists
/// return-existing` → `RETURN_EXISTING`, as `--state` takes either case;
/// the schema then checks the value.
fn enum_value(flag: &str) -> Value {
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
    if let watch::After::Exit(code) = watch::after(&h) {
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
mod tests;
