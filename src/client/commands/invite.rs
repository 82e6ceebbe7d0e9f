//! `invite`: InviteAccount, always with a request id so that a retry is
//! safe, and with `--wait` the handshake's changes until it is terminal.
use serde::Deserialize;

use super::{
    preamble::{Command, Ready},
    spec::{self, OnboardingParam, RenewalParam, SpecParams},
};
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
    request_id: Option<String>,
    #[serde(flatten)]
    spec: SpecParams,
}

/// A `{Id, Type}` target, as `invite` and the billing-transfer invitation
/// take it.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PartyParam {
    id: String,
    r#type: String,
}

impl PartyParam {
    pub(super) fn into_party(self) -> pb::HandshakeParty {
        let party_type = shape::party_type_from_name(&self.r#type)
            .expect("the schema allows only known party types");
        pb::HandshakeParty {
            id: self.id,
            r#type: party_type as i32,
        }
    }
}

impl InviteParams {
    fn into_request(self) -> pb::InviteAccountRequest {
        let spec = self.spec;
        pb::InviteAccountRequest {
            target: Some(self.target.into_party()),
            notes: spec.notes.unwrap_or_default(),
            tags: spec::tags(spec.tags),
            renewal: spec.renewal.map(RenewalParam::into_spec),
            if_open_exists: spec::if_open_exists(spec.if_open_exists),
            onboarding: spec.onboarding.map(OnboardingParam::into_spec),
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
    spec::apply(&a.spec, &mut input)?;
    if let Some(r) = &a.request_id {
        input.set_flag("RequestId", "--request-id", r)?;
    }
    input.finish()
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
        .inspect_err(note_if_sent(
            "the invitation may have been sent",
            &request_id,
        ))?;
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

/// Whether a failed InviteAccount (or CreateCampaign) may still have
/// reached AWS.
/// After an error that leaves the outcome unknown, says how to retry
/// safely: `what` (the invitation may have been sent, ...) and the
/// request_id to send again.
pub(super) fn note_if_sent<'a>(what: &'a str, request_id: &'a str) -> impl Fn(&CliError) + 'a {
    move |e| {
        if may_have_been_sent(e) {
            eprintln!(
                "note: {what}; to retry it safely, run the same command with --request-id \
                 {request_id}"
            );
        }
    }
}

pub(super) fn may_have_been_sent(e: &CliError) -> bool {
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
