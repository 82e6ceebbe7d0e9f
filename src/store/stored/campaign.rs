//! The campaigns.spec column: what every target of a campaign shares, as
//! requested (a role by name stays a name: each target resolves it).
use serde::{Deserialize, Serialize};

use super::{names::Name, progress::StoredTag, record::NotADomainValue};
use crate::domain::{IfOpenExists, Notes, OnAcceptFailure, SharedOnboarding, SharedSpec};

#[derive(Serialize, Deserialize)]
pub(in crate::store) struct StoredCampaignSpec {
    #[serde(default)]
    notes: String,
    #[serde(default)]
    tags: Vec<StoredTag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    onboarding: Option<StoredSharedOnboarding>,
    #[serde(default)]
    max_renewals: u8,
    #[serde(default)]
    return_existing: bool,
}

#[derive(Serialize, Deserialize)]
struct StoredSharedOnboarding {
    destination: String,
    #[serde(default)]
    accept_role: String,
    #[serde(default)]
    external_id: String,
    #[serde(default)]
    on_accept_failure: Name<OnAcceptFailure>,
    #[serde(default)]
    leave_previous_organization: bool,
}

impl From<&SharedSpec> for StoredCampaignSpec {
    fn from(s: &SharedSpec) -> Self {
        Self {
            notes: s.notes.as_str().to_string(),
            tags: super::stored_tags(&s.tags),
            onboarding: s.onboarding.as_ref().map(|o| StoredSharedOnboarding {
                destination: o.destination_parent_id.clone(),
                accept_role: o.accept_role.clone(),
                external_id: o.external_id.clone(),
                on_accept_failure: Name(o.on_accept_failure),
                leave_previous_organization: o.leave_previous_organization,
            }),
            max_renewals: s.max_renewals,
            return_existing: s.if_open_exists == IfOpenExists::ReturnExisting,
        }
    }
}

impl TryFrom<StoredCampaignSpec> for SharedSpec {
    type Error = NotADomainValue;

    fn try_from(s: StoredCampaignSpec) -> Result<Self, NotADomainValue> {
        Ok(Self {
            notes: Notes::parse(&s.notes).map_err(|_| NotADomainValue)?,
            tags: super::tags_of(s.tags),
            onboarding: s.onboarding.map(|o| SharedOnboarding {
                destination_parent_id: o.destination,
                accept_role: o.accept_role,
                external_id: o.external_id,
                on_accept_failure: o.on_accept_failure.0,
                leave_previous_organization: o.leave_previous_organization,
            }),
            max_renewals: s.max_renewals,
            if_open_exists: if s.return_existing {
                IfOpenExists::ReturnExisting
            } else {
                IfOpenExists::Fail
            },
        })
    }
}
