//! What `--debug` may print of a request or response: notes and an
//! onboarding role's external id are masked.
use crate::proto::v1 as pb;

const MASKED: &str = "<masked>";

/// A copy safe to print: notes, which may be personal, and the external id
/// of an onboarding's role (which the server does not log either) are
/// replaced.
pub trait Mask {
    fn masked(&self) -> Self;
}

impl Mask for pb::InviteAccountRequest {
    fn masked(&self) -> Self {
        let mut r = self.clone();
        if !r.notes.is_empty() {
            r.notes = MASKED.into();
        }
        if let Some(o) = &mut r.onboarding {
            mask_external_id(o);
        }
        r
    }
}

fn mask_external_id(spec: &mut pb::OnboardingSpec) {
    if !spec.external_id.is_empty() {
        spec.external_id = MASKED.into();
    }
}

impl Mask for pb::Handshake {
    fn masked(&self) -> Self {
        fn resources(rs: &mut [pb::HandshakeResource]) {
            for r in rs {
                if r.r#type == pb::HandshakeResourceType::Notes as i32 {
                    r.value = MASKED.into();
                }
                resources(&mut r.resources);
            }
        }
        let mut h = self.clone();
        if !h.notes.is_empty() {
            h.notes = MASKED.into();
        }
        resources(&mut h.resources);
        if let Some(spec) = h.onboarding.as_mut().and_then(|o| o.spec.as_mut()) {
            mask_external_id(spec);
        }
        h
    }
}

impl Mask for pb::InviteAccountResponse {
    fn masked(&self) -> Self {
        Self {
            handshake: self.handshake.as_ref().map(Mask::masked),
        }
    }
}

impl Mask for pb::ListHandshakesResponse {
    fn masked(&self) -> Self {
        Self {
            handshakes: self.handshakes.iter().map(Mask::masked).collect(),
            next_page_token: self.next_page_token.clone(),
        }
    }
}

impl Mask for pb::HandshakeEvent {
    fn masked(&self) -> Self {
        Self {
            handshake: self.handshake.as_ref().map(Mask::masked),
            ..self.clone()
        }
    }
}

impl Mask for pb::CreateCampaignRequest {
    fn masked(&self) -> Self {
        let mut r = self.clone();
        if !r.notes.is_empty() {
            r.notes = MASKED.into();
        }
        for t in &mut r.targets {
            if !t.notes.is_empty() {
                t.notes = MASKED.into();
            }
        }
        if let Some(o) = &mut r.onboarding {
            mask_external_id(o);
        }
        r
    }
}

impl Mask for pb::Campaign {
    fn masked(&self) -> Self {
        let mut c = self.clone();
        if !c.notes.is_empty() {
            c.notes = MASKED.into();
        }
        if let Some(o) = &mut c.onboarding {
            mask_external_id(o);
        }
        c
    }
}

impl Mask for pb::ListCampaignsResponse {
    fn masked(&self) -> Self {
        Self {
            campaigns: self.campaigns.iter().map(Mask::masked).collect(),
            next_page_token: self.next_page_token.clone(),
        }
    }
}

impl Mask for pb::InviteTransferRequest {
    fn masked(&self) -> Self {
        let mut r = self.clone();
        if !r.notes.is_empty() {
            r.notes = MASKED.into();
        }
        r
    }
}

impl Mask for pb::InviteTransferResponse {
    fn masked(&self) -> Self {
        Self {
            handshake: self.handshake.as_ref().map(Mask::masked),
            transfer: self.transfer.clone(),
        }
    }
}

/// Messages with nothing sensitive in them.
macro_rules! nothing_to_mask {
    ($($t:ty),*) => {$(
        impl Mask for $t {
            fn masked(&self) -> Self {
                self.clone()
            }
        }
    )*};
}
nothing_to_mask!(
    pb::GetHandshakeRequest,
    pb::ListHandshakesRequest,
    pb::CancelHandshakeRequest,
    pb::WatchHandshakeRequest,
    pb::WatchHandshakesRequest,
    pb::GetInvitationQuotaRequest,
    pb::InvitationQuota,
    pb::GetCampaignRequest,
    pb::ListCampaignsRequest,
    pb::ListCampaignTargetsRequest,
    pb::ListCampaignTargetsResponse,
    pb::PauseCampaignRequest,
    pb::ResumeCampaignRequest,
    pb::CancelCampaignRequest,
    pb::WatchCampaignRequest,
    pb::ListSubscriptionsRequest,
    pb::ListSubscriptionsResponse,
    pb::Subscription,
    pb::EnableSubscriptionRequest,
    pb::ListDeliveriesRequest,
    pb::ListDeliveriesResponse,
    pb::RedeliverEventsRequest,
    pb::RedeliverEventsResponse,
    pb::GetTransferRequest,
    pb::ResponsibilityTransfer,
    pb::ListTransfersRequest,
    pb::ListTransfersResponse,
    pb::WithdrawTransferRequest,
    pb::RenameTransferRequest,
    pb::AcceptTransferRequest,
    pb::DeclineTransferRequest,
    pb::WatchTransfersRequest,
    pb::TransferEvent
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_never_reach_the_debug_trace() {
        let req = pb::InviteAccountRequest {
            notes: "Juan's secret".into(),
            ..Default::default()
        };
        assert!(!format!("{:?}", req.masked()).contains("secret"));
        let h = crate::client::shape::tests::page_example();
        let mut with_notes = h.clone();
        with_notes.resources.push(pb::HandshakeResource {
            r#type: pb::HandshakeResourceType::Notes as i32,
            value: "Juan's secret".into(),
            resources: vec![],
        });
        let shown = format!("{:?}", with_notes.masked());
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("juan@example.com"));
    }

    #[test]
    fn a_transfer_invitations_notes_never_reach_the_debug_trace() {
        let req = pb::InviteTransferRequest {
            notes: "bill secret".into(),
            source_name: "Shared billing".into(),
            ..Default::default()
        };
        let shown = format!("{:?}", req.masked());
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("Shared billing"), "{shown}");
        let mut h = crate::client::shape::tests::page_example();
        h.resources.push(pb::HandshakeResource {
            r#type: pb::HandshakeResourceType::Notes as i32,
            value: "bill secret".into(),
            resources: vec![],
        });
        let resp = pb::InviteTransferResponse {
            handshake: Some(h),
            transfer: None,
        };
        let shown = format!("{:?}", resp.masked());
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn external_ids_never_reach_the_debug_trace() {
        let spec = pb::OnboardingSpec {
            destination_parent_id: "ou-ab12-cdef3456".into(),
            accept_role: "OrgInvitesAccept".into(),
            external_id: "ext-secret".into(),
            on_accept_failure: 0,
            leave_previous_organization: false,
        };
        let req = pb::InviteAccountRequest {
            onboarding: Some(spec.clone()),
            ..Default::default()
        };
        let shown = format!("{:?}", req.masked());
        assert!(!shown.contains("ext-secret"), "{shown}");
        assert!(shown.contains("OrgInvitesAccept"), "{shown}");
        let mut h = crate::client::shape::tests::onboarding_example();
        h.onboarding.as_mut().unwrap().spec = Some(spec);
        let event = pb::HandshakeEvent {
            handshake: Some(h),
            ..Default::default()
        };
        let shown = format!("{:?}", event.masked());
        assert!(!shown.contains("ext-secret"), "{shown}");
        assert!(shown.contains("ou-ab12-cdef3456"), "{shown}");
    }

    #[test]
    fn a_campaigns_notes_and_external_id_never_reach_the_debug_trace() {
        let spec = pb::OnboardingSpec {
            destination_parent_id: "ou-ab12-cdef3456".into(),
            external_id: "ext-secret".into(),
            ..Default::default()
        };
        let req = pb::CreateCampaignRequest {
            notes: "campaign secret".into(),
            targets: vec![pb::CampaignTargetSpec {
                notes: "target secret".into(),
                ..Default::default()
            }],
            onboarding: Some(spec.clone()),
            ..Default::default()
        };
        let shown = format!("{:?}", req.masked());
        assert!(!shown.contains("secret"), "{shown}");
        let c = pb::Campaign {
            notes: "campaign secret".into(),
            onboarding: Some(spec),
            ..Default::default()
        };
        let shown = format!("{:?}", c.masked());
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("ou-ab12-cdef3456"), "{shown}");
    }
}
