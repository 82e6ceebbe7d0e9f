//! What every invitation of `invite` and `campaign create` is sent with
//! (Notes, Tags, Onboarding, Renewal, IfOpenExists): their shared flags put
//! into the input, and the checked input made into the proto's messages,
//! once for both commands.
use serde::Deserialize;
use serde_json::Value;

use crate::client::{exit::CliError, flags::SpecFlags, input::Input, shape};
use crate::proto::v1 as pb;

/// The shared members of a command's parameters (`#[serde(flatten)]`).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SpecParams {
    pub notes: Option<String>,
    pub tags: Option<Vec<TagParam>>,
    pub onboarding: Option<OnboardingParam>,
    pub renewal: Option<RenewalParam>,
    pub if_open_exists: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagParam {
    key: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OnboardingParam {
    destination_parent_id: String,
    accept_role: Option<String>,
    external_id: Option<String>,
    on_accept_failure: Option<String>,
    leave_previous_organization: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RenewalParam {
    max_renewals: i32,
}

/// Puts the shared flags given on top of the input, each in its member.
pub fn apply(f: &SpecFlags, input: &mut Input) -> Result<(), CliError> {
    if let Some(n) = &f.notes {
        input.set_flag("Notes", "--notes", n)?;
    }
    if let Some(t) = &f.tags {
        input.set_list_flag("Tags", "--tags", t)?;
    }
    let onboarding = [
        (
            "DestinationParentId",
            "--destination-parent-id",
            &f.destination_parent_id,
        ),
        ("AcceptRole", "--accept-role", &f.accept_role),
        ("ExternalId", "--external-id", &f.external_id),
    ];
    for (member, flag, value) in onboarding {
        if let Some(v) = value {
            input.set_in_flag("Onboarding", member, flag, v)?;
        }
    }
    if let Some(a) = &f.on_accept_failure {
        input.set_in("Onboarding", "OnAcceptFailure", enum_value(a));
    }
    if f.leave_previous_organization {
        input.set_in("Onboarding", "LeavePreviousOrganization", Value::Bool(true));
    }
    if let Some(n) = &f.max_renewals {
        input.set_in_flag("Renewal", "MaxRenewals", "--max-renewals", n)?;
    }
    if let Some(w) = &f.if_open_exists {
        input.set("IfOpenExists", enum_value(w));
    }
    Ok(())
}

/// `--on-accept-failure leave-open` → `LEAVE_OPEN`, `--if-open-exists
/// return-existing` → `RETURN_EXISTING`, as `--state` takes either case;
/// the schema then checks the value.
fn enum_value(flag: &str) -> Value {
    Value::String(flag.trim().to_ascii_uppercase().replace('-', "_"))
}

pub fn tags(tags: Option<Vec<TagParam>>) -> Vec<pb::Tag> {
    tags.unwrap_or_default()
        .into_iter()
        .map(|t| pb::Tag {
            key: t.key,
            value: t.value,
        })
        .collect()
}

impl OnboardingParam {
    pub fn into_spec(self) -> pb::OnboardingSpec {
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
            leave_previous_organization: self.leave_previous_organization.unwrap_or(false),
        }
    }
}

impl RenewalParam {
    pub fn into_spec(self) -> pb::RenewalSpec {
        pb::RenewalSpec {
            max_renewals: self.max_renewals,
        }
    }
}

/// IfOpenExists as the proto's number; unset is UNSPECIFIED, which each
/// method reads its own way.
pub fn if_open_exists(value: Option<String>) -> i32 {
    value
        .map(|v| {
            shape::if_open_exists_from_name(&v)
                .expect("the schema allows only known IfOpenExists values")
        })
        .unwrap_or(pb::IfOpenExists::Unspecified) as i32
}
