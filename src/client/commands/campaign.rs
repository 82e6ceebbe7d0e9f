//! `campaign create`: CreateCampaign from `--targets-file` and the flags
//! `invite` shares, always with a request id so that a retry is safe, and
//! with `--watch` the campaign followed until it ends; the other `campaign`
//! subcommands are in `by_id` and `lists`.
use serde::Deserialize;

use super::{
    invite::note_if_sent,
    preamble::{Command, Ready},
    spec::{self, OnboardingParam, RenewalParam, SpecParams, TagParam},
};
use crate::client::{
    exit::{self, CliError},
    flags::{CampaignCommand, CampaignCreateArgs},
    input::{targets, Input},
    schema, shape, watch,
};
use crate::proto::v1 as pb;

mod by_id;
mod lists;

pub async fn run(cmd: CampaignCommand) -> Result<u8, CliError> {
    use by_id::ById;
    match cmd {
        CampaignCommand::Create(a) => create(a).await,
        CampaignCommand::Get(a) => by_id::run(a, ById::Get).await,
        CampaignCommand::Pause(a) => by_id::run(a, ById::Pause).await,
        CampaignCommand::Resume(a) => by_id::run(a, ById::Resume).await,
        CampaignCommand::Watch(a) => by_id::run(a, ById::Watch).await,
        CampaignCommand::Cancel(a) => by_id::cancel(a).await,
        CampaignCommand::List(a) => lists::campaigns(a).await,
        CampaignCommand::Targets(a) => lists::targets(a).await,
    }
}

const CREATE: Command = Command::new(
    &schema::CAMPAIGN_CREATE,
    "CreateCampaign",
    shape::sample_campaign_output,
);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateParams {
    display_name: String,
    targets: Vec<TargetParam>,
    request_id: Option<String>,
    quota_reserve: Option<i32>,
    #[serde(flatten)]
    spec: SpecParams,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TargetParam {
    id: String,
    r#type: String,
    notes: Option<String>,
    tags: Option<Vec<TagParam>>,
}

impl CreateParams {
    fn into_request(self) -> pb::CreateCampaignRequest {
        let spec = self.spec;
        pb::CreateCampaignRequest {
            display_name: self.display_name,
            // Always deduplicated: a retry of this same call is then safe.
            request_id: self
                .request_id
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            targets: self
                .targets
                .into_iter()
                .map(TargetParam::into_spec)
                .collect(),
            notes: spec.notes.unwrap_or_default(),
            tags: spec::tags(spec.tags),
            onboarding: spec.onboarding.map(OnboardingParam::into_spec),
            renewal: spec.renewal.map(RenewalParam::into_spec),
            if_open_exists: spec::if_open_exists(spec.if_open_exists),
            quota_reserve: self.quota_reserve.unwrap_or(0),
        }
    }
}

impl TargetParam {
    fn into_spec(self) -> pb::CampaignTargetSpec {
        let party_type = shape::party_type_from_name(&self.r#type)
            .expect("the schema allows only known party types");
        pb::CampaignTargetSpec {
            target: Some(pb::HandshakeParty {
                id: self.id,
                r#type: party_type as i32,
            }),
            notes: self.notes.unwrap_or_default(),
            tags: spec::tags(self.tags),
        }
    }
}

async fn create(a: CampaignCreateArgs) -> Result<u8, CliError> {
    let watch = a.watch;
    CREATE
        .run(&a.input, &a.client, |i| params(&a, i), |r| call(r, watch))
        .await
}

fn params(a: &CampaignCreateArgs, mut input: Input) -> Result<CreateParams, CliError> {
    if let Some(f) = &a.targets_file {
        input.set("Targets", targets::read(f)?);
    }
    if let Some(n) = &a.name {
        input.set_flag("DisplayName", "--name", n)?;
    }
    spec::apply(&a.spec, &mut input)?;
    if let Some(q) = &a.quota_reserve {
        input.set_flag("QuotaReserve", "--quota-reserve", q)?;
    }
    if let Some(r) = &a.request_id {
        input.set_flag("RequestId", "--request-id", r)?;
    }
    input.finish()
}

async fn call(ready: Ready<CreateParams>, watch: bool) -> Result<u8, CliError> {
    let req = ready.params.into_request();
    let request_id = req.request_id.clone();
    let c = ready
        .conn
        .call("CreateCampaign", req, |mut c, r| async move {
            c.create_campaign(r).await
        })
        .await
        .inspect_err(note_if_sent(
            "the campaign may have been created",
            &request_id,
        ))?;
    let out = shape::campaign_output(&c);
    if !watch {
        ready.printer.print(&out)?;
        return Ok(exit::SUCCESS);
    }
    ready.printer.print_streamed(&out)?;
    if let Some(code) = watch::campaign::verdict(&c) {
        return Ok(code);
    }
    watch::campaign::until_over(&ready.conn, &ready.printer, &c.id, Some(c.clone())).await
}

#[cfg(test)]
mod tests;
