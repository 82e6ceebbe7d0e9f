//! Campaign requests → domain values (here), and campaigns → proto
//! (`convert`). A bad target is reported under its index
//! (`targets[3].target.id`), every one at once.
mod convert;

pub use convert::{campaign_to_proto, target_to_proto};
use std::collections::HashMap;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};

use super::parse::{on_accept_failure, party_type};
use crate::{
    domain::{
        merge_tags, AcceptRole, CampaignId, FieldViolation, IfOpenExists, InviteTarget,
        NewCampaign, Notes, PartyType, RequestId, SharedOnboarding, SharedSpec, Tags, TargetSpec,
        TargetState, Violations, MAX_TARGETS,
    },
    proto::v1 as pb,
};

const MAX_TAGS: usize = 50;

pub fn parse_create(
    req: pb::CreateCampaignRequest,
    requested_by: Option<String>,
) -> Result<NewCampaign, Violations> {
    let mut v = Violations::default();
    let display_name = v.take(NewCampaign::parse_name(&req.display_name));
    let request_id = if req.request_id.is_empty() {
        Some(RequestId::generate())
    } else {
        super::parse::optional_request_id(&req.request_id, &mut v)
    };
    let notes = v.take(Notes::parse(&req.notes));
    let tags = tags_of(&req.tags, "", &mut v);
    let onboarding = req
        .onboarding
        .as_ref()
        .map(|o| shared_onboarding(o, &mut v));
    let max_renewals = match &req.renewal {
        None => 0,
        Some(r) => match crate::domain::Renewal::parse(r.max_renewals) {
            Ok(_) => u8::try_from(r.max_renewals).unwrap_or(0),
            Err(e) => {
                v.push(e);
                0
            }
        },
    };
    let if_open_exists = match pb::IfOpenExists::try_from(req.if_open_exists) {
        Ok(pb::IfOpenExists::Unspecified | pb::IfOpenExists::ReturnExisting) => {
            IfOpenExists::ReturnExisting
        }
        Ok(pb::IfOpenExists::Fail) => IfOpenExists::Fail,
        Err(_) => {
            v.push(FieldViolation::new(
                "if_open_exists",
                "must be FAIL or RETURN_EXISTING",
            ));
            IfOpenExists::ReturnExisting
        }
    };
    let quota_reserve = u32::try_from(req.quota_reserve).unwrap_or_else(|_| {
        v.push(FieldViolation::new(
            "quota_reserve",
            "quota_reserve must not be negative",
        ));
        0
    });
    let spec = SharedSpec {
        notes: notes.unwrap_or_default(),
        tags: tags.unwrap_or_default(),
        onboarding: onboarding.flatten(),
        max_renewals,
        if_open_exists,
    };
    let targets = targets_of(&req.targets, &spec, &mut v);
    match (display_name, request_id) {
        (Some(display_name), Some(request_id)) if v.is_empty() => Ok(NewCampaign {
            display_name,
            request_id,
            requested_by,
            quota_reserve,
            spec,
            targets,
        }),
        _ => Err(v),
    }
}

/// The shared onboarding, checked as far as it can be without a target
/// (each target's own check follows in `targets_of`).
fn shared_onboarding(o: &pb::OnboardingSpec, v: &mut Violations) -> Option<SharedOnboarding> {
    let on_accept_failure = v.take(on_accept_failure(o.on_accept_failure))?;
    let shared = SharedOnboarding {
        destination_parent_id: o.destination_parent_id.clone(),
        accept_role: o.accept_role.clone(),
        external_id: o.external_id.clone(),
        on_accept_failure,
        leave_previous_organization: o.leave_previous_organization,
    };
    let before = v.0.len();
    if let Err(bad) = crate::domain::OnboardingSpec::parse(shared.raw(), None) {
        v.0.extend(bad.0);
    }
    // A role name is checked once here; a role ARN names one account, so
    // it is checked against each target.
    if !o.accept_role.is_empty() && !o.accept_role.starts_with("arn:") {
        if let Err(e) = AcceptRole::parse(&o.accept_role, "000000000000") {
            v.push(e.under("onboarding"));
        }
    }
    (v.0.len() == before).then_some(shared)
}

fn targets_of(
    raw: &[pb::CampaignTargetSpec],
    spec: &SharedSpec,
    v: &mut Violations,
) -> Vec<TargetSpec> {
    if raw.is_empty() || raw.len() > MAX_TARGETS {
        v.push(FieldViolation::new(
            "targets",
            format!(
                "a campaign has 1 to {MAX_TARGETS} targets, got {}",
                raw.len()
            ),
        ));
        return Vec::new();
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut seen: HashMap<(PartyType, String), usize> = HashMap::new();
    for (i, t) in raw.iter().enumerate() {
        let at = format!("targets[{i}]");
        let target = match &t.target {
            None => {
                v.push(FieldViolation::new(
                    format!("{at}.target"),
                    "target is required",
                ));
                None
            }
            Some(p) => v.take(
                InviteTarget::parse(party_type(p.r#type), &p.id)
                    .map_err(|e| e.under(&format!("{at}.target"))),
            ),
        };
        let notes = if t.notes.is_empty() {
            Some(None)
        } else {
            v.take(Notes::parse(&t.notes).map_err(|e| e.under(&at)))
                .map(Some)
        };
        let tags = tags_of(&t.tags, &at, v);
        let (Some(target), Some(notes), Some(tags)) = (target, notes, tags) else {
            continue;
        };
        if merge_tags(&spec.tags, &tags).iter().count() > MAX_TAGS {
            v.push(FieldViolation::new(
                format!("{at}.tags"),
                format!("with the campaign's tags, more than {MAX_TAGS} tags"),
            ));
        }
        if let Some(o) = &spec.onboarding {
            if let Err(bad) = o.for_target(&target) {
                for f in bad.0 {
                    let field = if matches!(target, InviteTarget::Email(_)) {
                        format!("{at}.target.type")
                    } else {
                        format!("{at}.{}", f.field)
                    };
                    v.push(FieldViolation::new(field, f.description));
                }
            }
        }
        let key = (target.kind(), target.id().to_ascii_lowercase());
        if let Some(first) = seen.get(&key) {
            let why = format!("targets[{first}] and targets[{i}] are the same target");
            v.push(FieldViolation::new(
                format!("targets[{first}].target.id"),
                why.clone(),
            ));
            v.push(FieldViolation::new(format!("{at}.target.id"), why));
        } else {
            seen.insert(key, i);
        }
        out.push(TargetSpec {
            target,
            notes,
            tags,
        });
    }
    out
}

/// Tags, or their violations (under `at`, when given).
pub(super) fn tags_of(raw: &[pb::Tag], at: &str, v: &mut Violations) -> Option<Tags> {
    match Tags::parse(raw.iter().map(|t| (t.key.as_str(), t.value.as_str()))) {
        Ok(tags) => Some(tags),
        Err(bad) => {
            let prefix = |f: FieldViolation| if at.is_empty() { f } else { f.under(at) };
            v.0.extend(bad.0.into_iter().map(prefix));
            None
        }
    }
}

pub fn parse_campaign_id(id: &str) -> Result<CampaignId, Violations> {
    CampaignId::parse(id).map_err(|e| Violations(vec![e]))
}

/// Where a page ended, and the filter it was made for.
#[derive(Serialize, Deserialize)]
struct PageToken {
    p: i64,
    f: String,
}

pub fn encode_page(position: i64, filter: &str) -> String {
    let token = PageToken {
        p: position,
        f: filter.to_string(),
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).expect("token serializes"))
}

pub fn decode_page(s: &str, filter: &str) -> Result<Option<i64>, Violations> {
    if s.is_empty() {
        return Ok(None);
    }
    let bad = |why: &str| Violations(vec![FieldViolation::new("page_token", why)]);
    let bytes = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| bad("page_token is not one this service issued"))?;
    let token: PageToken = serde_json::from_slice(&bytes)
        .map_err(|_| bad("page_token is not one this service issued"))?;
    if token.f != filter {
        return Err(bad(
            "page_token was issued for other filters; keep the filters or start over",
        ));
    }
    Ok(Some(token.p))
}

/// page_size: 0 is `default`, more than 1000 is 1000.
pub fn page_size(raw: i32, default: i64) -> Result<i64, Violations> {
    match i64::from(raw) {
        n if n < 0 => Err(Violations(vec![FieldViolation::new(
            "page_size",
            "page_size must not be negative",
        )])),
        0 => Ok(default),
        n => Ok(n.min(1000)),
    }
}

pub fn parse_target_states(raw: &[i32]) -> Result<Vec<TargetState>, Violations> {
    let mut v = Violations::default();
    let mut states = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        match pb::CampaignTargetState::try_from(*s) {
            Ok(pb::CampaignTargetState::Unspecified) | Err(_) => v.push(FieldViolation::new(
                format!("states[{i}]"),
                "unknown or unspecified target state",
            )),
            Ok(p) => states.extend(TargetState::parse(
                p.as_str_name().trim_start_matches("CAMPAIGN_TARGET_STATE_"),
            )),
        }
    }
    if v.is_empty() {
        Ok(states)
    } else {
        Err(v)
    }
}

/// The filter key of a target list.
pub fn states_key(states: &[TargetState]) -> String {
    let mut names: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

#[cfg(test)]
mod tests;
