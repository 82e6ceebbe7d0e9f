//! Domain values → proto messages. Plain matches, not name lookups: these
//! run per message per watcher.
use chrono::{DateTime, Utc};

use crate::{
    domain::{
        EventKind, HandshakeAction, HandshakeRecord, HandshakeState, OnAcceptFailure, Onboarding,
        OnboardingSpec, OnboardingStatus, Party, PartyType, Resource, ResourceType, Step,
        StepRecord,
    },
    proto::v1 as pb,
};

pub(super) fn party_type_to_proto(t: PartyType) -> pb::HandshakePartyType {
    match t {
        PartyType::Account => pb::HandshakePartyType::Account,
        PartyType::Email => pb::HandshakePartyType::Email,
        PartyType::Organization => pb::HandshakePartyType::Organization,
        PartyType::Unspecified => pb::HandshakePartyType::Unspecified,
    }
}

// Plain matches, not name lookups: these run per message per watcher.
pub fn state_to_proto(s: HandshakeState) -> pb::HandshakeState {
    use pb::HandshakeState as P;
    match s {
        HandshakeState::Unspecified => P::Unspecified,
        HandshakeState::Requested => P::Requested,
        HandshakeState::Open => P::Open,
        HandshakeState::Canceled => P::Canceled,
        HandshakeState::Accepted => P::Accepted,
        HandshakeState::Declined => P::Declined,
        HandshakeState::Expired => P::Expired,
    }
}

fn action_to_proto(a: HandshakeAction) -> pb::HandshakeAction {
    use pb::HandshakeAction as P;
    match a {
        HandshakeAction::Unspecified => P::Unspecified,
        HandshakeAction::Invite => P::Invite,
        HandshakeAction::EnableAllFeatures => P::EnableAllFeatures,
        HandshakeAction::ApproveAllFeatures => P::ApproveAllFeatures,
        HandshakeAction::AddOrganizationsServiceLinkedRole => P::AddOrganizationsServiceLinkedRole,
        HandshakeAction::TransferResponsibility => P::TransferResponsibility,
    }
}

fn resource_type_to_proto(t: ResourceType) -> pb::HandshakeResourceType {
    use pb::HandshakeResourceType as P;
    match t {
        ResourceType::Unspecified => P::Unspecified,
        ResourceType::Account => P::Account,
        ResourceType::Organization => P::Organization,
        ResourceType::OrganizationFeatureSet => P::OrganizationFeatureSet,
        ResourceType::Email => P::Email,
        ResourceType::MasterEmail => P::MasterEmail,
        ResourceType::MasterName => P::MasterName,
        ResourceType::Notes => P::Notes,
        ResourceType::ParentHandshake => P::ParentHandshake,
        ResourceType::ResponsibilityTransfer => P::ResponsibilityTransfer,
        ResourceType::TransferStartTimestamp => P::TransferStartTimestamp,
        ResourceType::TransferType => P::TransferType,
        ResourceType::ManagementAccount => P::ManagementAccount,
        ResourceType::ManagementEmail => P::ManagementEmail,
        ResourceType::ManagementName => P::ManagementName,
    }
}

pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

fn party_to_proto(p: &Party) -> pb::HandshakeParty {
    pb::HandshakeParty {
        id: p.id.clone(),
        r#type: party_type_to_proto(p.kind) as i32,
    }
}

fn resource_to_proto(r: &Resource) -> pb::HandshakeResource {
    pb::HandshakeResource {
        r#type: resource_type_to_proto(r.kind) as i32,
        value: r.value.clone(),
        resources: r.resources.iter().map(resource_to_proto).collect(),
    }
}

pub fn handshake_to_proto(r: &HandshakeRecord) -> pb::Handshake {
    let h = &r.handshake;
    pb::Handshake {
        id: h.id.as_str().to_string(),
        arn: h.arn.clone(),
        parties: h.parties.iter().map(party_to_proto).collect(),
        state: state_to_proto(h.state) as i32,
        requested_time: h.requested_time.map(timestamp),
        expiration_time: h.expiration_time.map(timestamp),
        action: action_to_proto(h.action) as i32,
        resources: h.resources.iter().map(resource_to_proto).collect(),
        target: r.target.as_ref().map(party_to_proto),
        notes: r.notes.as_str().to_string(),
        tags: r
            .tags
            .iter()
            .map(|t| pb::Tag {
                key: t.key.clone(),
                value: t.value.clone(),
            })
            .collect(),
        create_time: Some(timestamp(r.create_time)),
        update_time: Some(timestamp(r.update_time)),
        request_id: r.request_id.clone().unwrap_or_default(),
        requested_by: r.requested_by.clone().unwrap_or_default(),
        canceled_by: r.canceled_by.clone().unwrap_or_default(),
        state_history: r
            .history
            .iter()
            .map(|s| pb::StateChange {
                state: state_to_proto(s.state) as i32,
                first_seen_time: Some(timestamp(s.first_seen_time)),
            })
            .collect(),
        onboarding: r.onboarding.as_ref().map(onboarding_to_proto),
        expiry_warning_time: r.expiry_warning_time.map(timestamp),
        campaign_id: r.campaign_id.clone().unwrap_or_default(),
        transfer_id: crate::domain::transfer_of(&r.handshake)
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        renewal: r.renewal.as_ref().map(|n| pb::Renewal {
            renewals_left: i32::from(n.renewals_left),
            renewed_from: n
                .renewed_from
                .as_ref()
                .map(|h| h.as_str().to_string())
                .unwrap_or_default(),
            renewed_to: n
                .renewed_to
                .as_ref()
                .map(|h| h.as_str().to_string())
                .unwrap_or_default(),
            reason: n.reason.clone().unwrap_or_default(),
            waiting_until: n.waiting_until.map(timestamp),
            given_up: n.given_up,
        }),
    }
}

pub fn event_kind_to_proto(k: EventKind) -> pb::HandshakeEventKind {
    match k {
        EventKind::Unspecified => pb::HandshakeEventKind::Unspecified,
        EventKind::StateChange => pb::HandshakeEventKind::StateChange,
        EventKind::Onboarding => pb::HandshakeEventKind::Onboarding,
        EventKind::ExpiringSoon => pb::HandshakeEventKind::ExpiringSoon,
        EventKind::Renewal => pb::HandshakeEventKind::Renewal,
    }
}

fn onboarding_to_proto(o: &Onboarding) -> pb::Onboarding {
    use pb::OnboardingStatus as P;
    let status = match o.status {
        OnboardingStatus::Unspecified => P::Unspecified,
        OnboardingStatus::Pending => P::Pending,
        OnboardingStatus::Accepting => P::Accepting,
        OnboardingStatus::Placing => P::Placing,
        OnboardingStatus::Tagging => P::Tagging,
        OnboardingStatus::Complete => P::Complete,
        OnboardingStatus::Failed => P::Failed,
        OnboardingStatus::NotApplicable => P::NotApplicable,
    };
    pb::Onboarding {
        spec: Some(spec_to_proto(&o.spec)),
        status: status as i32,
        steps: o.steps.iter().map(step_to_proto).collect(),
        parent_id: o.parent_id.clone().unwrap_or_default(),
    }
}

fn spec_to_proto(s: &OnboardingSpec) -> pb::OnboardingSpec {
    pb::OnboardingSpec {
        leave_previous_organization: s.leave_previous_organization,
        destination_parent_id: s.destination.as_str().to_string(),
        accept_role: s
            .accept_role
            .as_ref()
            .map(|r| r.arn().to_string())
            .unwrap_or_default(),
        external_id: s
            .external_id
            .as_ref()
            .map(|e| e.as_str().to_string())
            .unwrap_or_default(),
        on_accept_failure: match s.on_accept_failure {
            OnAcceptFailure::Unspecified => pb::OnAcceptFailure::Unspecified,
            OnAcceptFailure::LeaveOpen => pb::OnAcceptFailure::LeaveOpen,
            OnAcceptFailure::Cancel => pb::OnAcceptFailure::Cancel,
        } as i32,
    }
}

fn step_to_proto(s: &StepRecord) -> pb::OnboardingStep {
    pb::OnboardingStep {
        step: match s.step {
            Step::Unspecified => pb::OnboardingStepKind::Unspecified,
            Step::Accept => pb::OnboardingStepKind::Accept,
            Step::Place => pb::OnboardingStepKind::Place,
            Step::Tag => pb::OnboardingStepKind::Tag,
            Step::Leave => pb::OnboardingStepKind::Leave,
        } as i32,
        start_time: Some(timestamp(s.start_time)),
        end_time: s.end_time.map(timestamp),
        attempts: i32::try_from(s.attempts).unwrap_or(i32::MAX),
        error: s.error.as_ref().map(|e| pb::OnboardingError {
            aws_error: e.aws_error.clone(),
            reason: e.reason.clone().unwrap_or_default(),
            message: e.message.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::parse::state_from_proto;

    #[test]
    fn every_enum_value_keeps_its_name_across_the_edge() {
        use crate::domain::HandshakeState as S;
        for s in [
            S::Unspecified,
            S::Requested,
            S::Open,
            S::Canceled,
            S::Accepted,
            S::Declined,
            S::Expired,
        ] {
            let p = state_to_proto(s);
            assert_eq!(p.as_str_name(), format!("HANDSHAKE_STATE_{}", s.as_str()));
            assert_eq!(state_from_proto(p), s);
        }
        for raw in 0..20 {
            let Ok(p) = pb::HandshakeResourceType::try_from(raw) else {
                continue;
            };
            let name = p
                .as_str_name()
                .trim_start_matches("HANDSHAKE_RESOURCE_TYPE_");
            assert_eq!(resource_type_to_proto(ResourceType::from_aws(name)), p);
        }
        for raw in 0..10 {
            let Ok(p) = pb::HandshakeAction::try_from(raw) else {
                continue;
            };
            let name = p.as_str_name().trim_start_matches("HANDSHAKE_ACTION_");
            assert_eq!(action_to_proto(HandshakeAction::from_aws(name)), p);
        }
    }

    #[test]
    fn enums_map_by_name_both_ways() {
        for s in [
            HandshakeState::Open,
            HandshakeState::Accepted,
            HandshakeState::Expired,
        ] {
            assert_eq!(state_from_proto(state_to_proto(s)), s);
        }
        assert_eq!(
            action_to_proto(HandshakeAction::Invite),
            pb::HandshakeAction::Invite
        );
        assert_eq!(
            resource_type_to_proto(ResourceType::MasterEmail),
            pb::HandshakeResourceType::MasterEmail
        );
    }
}
