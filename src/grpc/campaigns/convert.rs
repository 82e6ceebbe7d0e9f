//! Campaigns and their targets as proto.
use super::super::convert::{party_type_to_proto, timestamp};
use crate::{
    domain::{
        Campaign, CampaignState, CampaignTarget, IfOpenExists, OnAcceptFailure, Tag, TargetState,
    },
    proto::v1 as pb,
};

fn tags_to_proto<'a>(tags: impl Iterator<Item = &'a Tag>) -> Vec<pb::Tag> {
    tags.map(|t| pb::Tag {
        key: t.key.clone(),
        value: t.value.clone(),
    })
    .collect()
}

fn state_to_proto(s: CampaignState) -> pb::CampaignState {
    pb::CampaignState::from_str_name(&format!("CAMPAIGN_STATE_{}", s.as_str()))
        .unwrap_or(pb::CampaignState::Unspecified)
}

fn target_state_to_proto(s: TargetState) -> pb::CampaignTargetState {
    pb::CampaignTargetState::from_str_name(&format!("CAMPAIGN_TARGET_STATE_{}", s.as_str()))
        .unwrap_or(pb::CampaignTargetState::Unspecified)
}

pub fn campaign_to_proto(c: &Campaign) -> pb::Campaign {
    let n = |s| i32::try_from(c.counts.of(s)).unwrap_or(i32::MAX);
    let queued = c.counts.of(TargetState::Queued) > 0;
    pb::Campaign {
        id: c.id.to_string(),
        display_name: c.display_name.clone(),
        state: state_to_proto(c.state) as i32,
        create_time: Some(timestamp(c.create_time)),
        update_time: Some(timestamp(c.update_time)),
        request_id: c.request_id.as_str().to_string(),
        requested_by: c.requested_by.clone().unwrap_or_default(),
        quota_reserve: i32::try_from(c.quota_reserve).unwrap_or(i32::MAX),
        notes: c.spec.notes.as_str().to_string(),
        tags: tags_to_proto(c.spec.tags.iter()),
        onboarding: c.spec.onboarding.as_ref().map(|o| pb::OnboardingSpec {
            destination_parent_id: o.destination_parent_id.clone(),
            accept_role: o.accept_role.clone(),
            external_id: o.external_id.clone(),
            on_accept_failure: match o.on_accept_failure {
                OnAcceptFailure::Cancel => pb::OnAcceptFailure::Cancel,
                OnAcceptFailure::LeaveOpen => pb::OnAcceptFailure::LeaveOpen,
                OnAcceptFailure::Unspecified => pb::OnAcceptFailure::Unspecified,
            } as i32,
            leave_previous_organization: o.leave_previous_organization,
        }),
        renewal: (c.spec.max_renewals > 0).then(|| pb::RenewalSpec {
            max_renewals: i32::from(c.spec.max_renewals),
        }),
        if_open_exists: match c.spec.if_open_exists {
            IfOpenExists::Fail => pb::IfOpenExists::Fail,
            IfOpenExists::ReturnExisting => pb::IfOpenExists::ReturnExisting,
        } as i32,
        counts: Some(pb::CampaignCounts {
            total: i32::try_from(c.counts.total()).unwrap_or(i32::MAX),
            queued: n(TargetState::Queued),
            skipped: n(TargetState::Skipped),
            invited: n(TargetState::Invited),
            accepted: n(TargetState::Accepted),
            complete: n(TargetState::Complete),
            failed: n(TargetState::Failed),
            declined: n(TargetState::Declined),
            canceled: n(TargetState::Canceled),
            expired: n(TargetState::Expired),
        }),
        next_send_time: c
            .next_send_time
            .filter(|_| queued && c.state == CampaignState::Active)
            .map(timestamp),
        pause_reason: c.pause_reason.clone().unwrap_or_default(),
    }
}

pub fn target_to_proto(t: &CampaignTarget) -> pb::CampaignTarget {
    pb::CampaignTarget {
        index: i32::try_from(t.index).unwrap_or(i32::MAX),
        target: Some(pb::HandshakeParty {
            id: t.spec.target.id().to_string(),
            r#type: party_type_to_proto(t.spec.target.kind()) as i32,
        }),
        state: target_state_to_proto(t.state) as i32,
        handshake_id: t
            .handshake_id
            .as_ref()
            .map(|h| h.to_string())
            .unwrap_or_default(),
        reason: t.reason.clone().unwrap_or_default(),
        update_time: Some(timestamp(t.update_time)),
    }
}
