//! The event snapshot (`handshake_events.snapshot`) and the handshake's own
//! JSON columns (`parties`, `resources`).
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    names::Name,
    progress::{StoredOnboarding, StoredRenewal, StoredTag},
};
use crate::domain::{
    Handshake, HandshakeAction, HandshakeId, HandshakeRecord, HandshakeState, Notes, Party,
    PartyType, Resource, ResourceType, StateSeen,
};

/// Why a stored value cannot become a domain value (its text is not kept:
/// it may quote the value).
#[derive(Debug)]
pub(in crate::store) struct NotADomainValue;

#[derive(Serialize, Deserialize)]
pub(in crate::store) struct StoredParty {
    id: String,
    kind: Name<PartyType>,
}

impl From<&Party> for StoredParty {
    fn from(p: &Party) -> Self {
        Self {
            id: p.id.clone(),
            kind: Name(p.kind),
        }
    }
}

impl From<StoredParty> for Party {
    fn from(p: StoredParty) -> Self {
        Self {
            id: p.id,
            kind: p.kind.0,
        }
    }
}

#[derive(Serialize, Deserialize)]
pub(in crate::store) struct StoredResource {
    kind: Name<ResourceType>,
    #[serde(default)]
    value: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    resources: Vec<StoredResource>,
}

impl From<&Resource> for StoredResource {
    fn from(r: &Resource) -> Self {
        Self {
            kind: Name(r.kind),
            value: r.value.clone(),
            resources: r.resources.iter().map(Self::from).collect(),
        }
    }
}

impl From<StoredResource> for Resource {
    fn from(r: StoredResource) -> Self {
        Self {
            kind: r.kind.0,
            value: r.value,
            resources: r.resources.into_iter().map(Self::from).collect(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct StoredHandshake {
    id: String,
    #[serde(default)]
    arn: String,
    #[serde(default)]
    parties: Vec<StoredParty>,
    state: Name<HandshakeState>,
    #[serde(default)]
    requested_time: Option<DateTime<Utc>>,
    #[serde(default)]
    expiration_time: Option<DateTime<Utc>>,
    #[serde(default)]
    action: Name<HandshakeAction>,
    #[serde(default)]
    resources: Vec<StoredResource>,
}

#[derive(Serialize, Deserialize)]
struct StoredStateSeen {
    state: Name<HandshakeState>,
    first_seen_time: DateTime<Utc>,
}

/// A handshake record as an event's snapshot holds it.
#[derive(Serialize, Deserialize)]
pub(in crate::store) struct StoredRecord {
    handshake: StoredHandshake,
    #[serde(default)]
    target: Option<StoredParty>,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    tags: Vec<StoredTag>,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    requested_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    canceled_by: Option<String>,
    create_time: DateTime<Utc>,
    update_time: DateTime<Utc>,
    #[serde(default)]
    version: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    history: Vec<StoredStateSeen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    onboarding: Option<StoredOnboarding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expiry_warning_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    renewal: Option<StoredRenewal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    campaign_id: Option<String>,
}

impl From<&HandshakeRecord> for StoredRecord {
    fn from(r: &HandshakeRecord) -> Self {
        let h = &r.handshake;
        Self {
            handshake: StoredHandshake {
                id: h.id.as_str().to_string(),
                arn: h.arn.clone(),
                parties: h.parties.iter().map(StoredParty::from).collect(),
                state: Name(h.state),
                requested_time: h.requested_time,
                expiration_time: h.expiration_time,
                action: Name(h.action),
                resources: h.resources.iter().map(StoredResource::from).collect(),
            },
            target: r.target.as_ref().map(StoredParty::from),
            notes: r.notes.as_str().to_string(),
            tags: super::stored_tags(&r.tags),
            request_id: r.request_id.clone(),
            requested_by: r.requested_by.clone(),
            canceled_by: r.canceled_by.clone(),
            create_time: r.create_time,
            update_time: r.update_time,
            version: r.version,
            history: r
                .history
                .iter()
                .map(|s| StoredStateSeen {
                    state: Name(s.state),
                    first_seen_time: s.first_seen_time,
                })
                .collect(),
            onboarding: r.onboarding.as_ref().map(StoredOnboarding::from),
            expiry_warning_time: r.expiry_warning_time,
            renewal: r.renewal.as_ref().map(StoredRenewal::from),
            campaign_id: r.campaign_id.clone(),
        }
    }
}

impl TryFrom<StoredRecord> for HandshakeRecord {
    type Error = NotADomainValue;

    fn try_from(r: StoredRecord) -> Result<Self, NotADomainValue> {
        let h = r.handshake;
        Ok(Self {
            handshake: Handshake {
                id: HandshakeId::parse(&h.id).map_err(|_| NotADomainValue)?,
                arn: h.arn,
                parties: h.parties.into_iter().map(Party::from).collect(),
                state: h.state.0,
                requested_time: h.requested_time,
                expiration_time: h.expiration_time,
                action: h.action.0,
                resources: h.resources.into_iter().map(Resource::from).collect(),
            },
            target: r.target.map(Party::from),
            // Stored notes passed validation when they were written.
            notes: Notes::parse(&r.notes).unwrap_or_default(),
            tags: super::tags_of(r.tags),
            request_id: r.request_id,
            requested_by: r.requested_by,
            canceled_by: r.canceled_by,
            create_time: r.create_time,
            update_time: r.update_time,
            version: r.version,
            history: r
                .history
                .into_iter()
                .map(|s| StateSeen {
                    state: s.state.0,
                    first_seen_time: s.first_seen_time,
                })
                .collect(),
            onboarding: r.onboarding.map(TryInto::try_into).transpose()?,
            expiry_warning_time: r.expiry_warning_time,
            renewal: r.renewal.map(TryInto::try_into).transpose()?,
            campaign_id: r.campaign_id,
        })
    }
}
