//! The onboarding, renewal and tags columns, of handshakes and of intents.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{names::Name, record::NotADomainValue};
use crate::domain::{
    AcceptRole, ExternalId, HandshakeId, OnAcceptFailure, Onboarding, OnboardingSpec,
    OnboardingStatus, ParentId, Renewal, Step, StepError, StepRecord, Tag,
};

#[derive(Serialize, Deserialize)]
pub(in crate::store) struct StoredTag {
    key: String,
    #[serde(default)]
    value: String,
}

impl From<&Tag> for StoredTag {
    fn from(t: &Tag) -> Self {
        Self {
            key: t.key.clone(),
            value: t.value.clone(),
        }
    }
}

impl From<StoredTag> for Tag {
    fn from(t: StoredTag) -> Self {
        Self {
            key: t.key,
            value: t.value,
        }
    }
}

#[derive(Serialize, Deserialize)]
pub(in crate::store) struct StoredSpec {
    destination: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    accept_role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    // Written always; missing reads as LEAVE_OPEN, as the first release did.
    #[serde(default = "leave_open")]
    on_accept_failure: Name<OnAcceptFailure>,
    // Left out when false, as every release before it wrote the spec.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    leave_previous_organization: bool,
}

fn leave_open() -> Name<OnAcceptFailure> {
    Name(OnAcceptFailure::LeaveOpen)
}

impl From<&OnboardingSpec> for StoredSpec {
    fn from(s: &OnboardingSpec) -> Self {
        Self {
            destination: s.destination.as_str().to_string(),
            accept_role: s.accept_role.as_ref().map(|r| r.arn().to_string()),
            external_id: s.external_id.as_ref().map(|e| e.as_str().to_string()),
            on_accept_failure: Name(s.on_accept_failure),
            leave_previous_organization: s.leave_previous_organization,
        }
    }
}

impl TryFrom<StoredSpec> for OnboardingSpec {
    type Error = NotADomainValue;

    fn try_from(s: StoredSpec) -> Result<Self, NotADomainValue> {
        Ok(Self {
            destination: ParentId::parse(&s.destination).map_err(|_| NotADomainValue)?,
            accept_role: s
                .accept_role
                .map(|arn| AcceptRole::from_arn(&arn).ok_or(NotADomainValue))
                .transpose()?,
            external_id: s
                .external_id
                .map(|e| ExternalId::parse(&e).map_err(|_| NotADomainValue))
                .transpose()?,
            on_accept_failure: s.on_accept_failure.0,
            leave_previous_organization: s.leave_previous_organization,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct StoredStepError {
    #[serde(default)]
    aws_error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(default)]
    message: String,
}

#[derive(Serialize, Deserialize)]
pub(in crate::store) struct StoredStep {
    step: Name<Step>,
    start_time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end_time: Option<DateTime<Utc>>,
    #[serde(default)]
    attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<StoredStepError>,
}

impl From<&StepRecord> for StoredStep {
    fn from(s: &StepRecord) -> Self {
        Self {
            step: Name(s.step),
            start_time: s.start_time,
            end_time: s.end_time,
            attempts: s.attempts,
            error: s.error.as_ref().map(|e| StoredStepError {
                aws_error: e.aws_error.clone(),
                reason: e.reason.clone(),
                message: e.message.clone(),
            }),
        }
    }
}

impl From<StoredStep> for StepRecord {
    fn from(s: StoredStep) -> Self {
        Self {
            step: s.step.0,
            start_time: s.start_time,
            end_time: s.end_time,
            attempts: s.attempts,
            error: s.error.map(|e| StepError {
                aws_error: e.aws_error,
                reason: e.reason,
                message: e.message,
            }),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub(in crate::store) struct StoredOnboarding {
    spec: StoredSpec,
    status: Name<OnboardingStatus>,
    #[serde(default)]
    steps: Vec<StoredStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_at: Option<DateTime<Utc>>,
}

impl From<&Onboarding> for StoredOnboarding {
    fn from(o: &Onboarding) -> Self {
        Self {
            spec: StoredSpec::from(&o.spec),
            status: Name(o.status),
            steps: o.steps.iter().map(StoredStep::from).collect(),
            parent_id: o.parent_id.clone(),
            retry_at: o.retry_at,
        }
    }
}

impl TryFrom<StoredOnboarding> for Onboarding {
    type Error = NotADomainValue;

    fn try_from(o: StoredOnboarding) -> Result<Self, NotADomainValue> {
        Ok(Self {
            spec: o.spec.try_into()?,
            status: o.status.0,
            steps: o.steps.into_iter().map(StepRecord::from).collect(),
            parent_id: o.parent_id,
            retry_at: o.retry_at,
        })
    }
}

#[derive(Serialize, Deserialize)]
pub(in crate::store) struct StoredRenewal {
    #[serde(default)]
    renewals_left: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    renewed_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    renewed_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    waiting_until: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    given_up: bool,
}

impl From<&Renewal> for StoredRenewal {
    fn from(r: &Renewal) -> Self {
        Self {
            renewals_left: r.renewals_left,
            renewed_from: r.renewed_from.as_ref().map(|h| h.as_str().to_string()),
            renewed_to: r.renewed_to.as_ref().map(|h| h.as_str().to_string()),
            reason: r.reason.clone(),
            waiting_until: r.waiting_until,
            given_up: r.given_up,
        }
    }
}

impl TryFrom<StoredRenewal> for Renewal {
    type Error = NotADomainValue;

    fn try_from(r: StoredRenewal) -> Result<Self, NotADomainValue> {
        let id = |s: String| HandshakeId::parse(&s).map_err(|_| NotADomainValue);
        Ok(Self {
            renewals_left: r.renewals_left,
            renewed_from: r.renewed_from.map(id).transpose()?,
            renewed_to: r.renewed_to.map(id).transpose()?,
            reason: r.reason,
            waiting_until: r.waiting_until,
            given_up: r.given_up,
        })
    }
}
