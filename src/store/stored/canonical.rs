//! One value of each stored shape with every field set, for the golden
//! fixtures in `tests/fixtures/stored/`.
use chrono::{DateTime, TimeZone, Utc};

use crate::domain::{
    AcceptRole, ExternalId, Handshake, HandshakeAction, HandshakeId, HandshakeRecord,
    HandshakeState, Notes, OnAcceptFailure, Onboarding, OnboardingSpec, OnboardingStatus, ParentId,
    Party, PartyType, Renewal, Resource, ResourceType, StateSeen, Step, StepError, StepRecord,
    Tags,
};

fn at(second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, second).unwrap()
        + chrono::Duration::microseconds(123_456)
}

pub fn spec() -> OnboardingSpec {
    OnboardingSpec {
        destination: ParentId::parse("ou-ab12-cdef3456").unwrap(),
        accept_role: Some(AcceptRole::parse("OrgInvitesAccept", "111122223333").unwrap()),
        external_id: Some(ExternalId::parse("ext-42").unwrap()),
        on_accept_failure: OnAcceptFailure::Cancel,
        leave_previous_organization: false,
    }
}

pub fn onboarding() -> Onboarding {
    Onboarding {
        spec: spec(),
        status: OnboardingStatus::Tagging,
        steps: vec![
            StepRecord {
                step: Step::Accept,
                start_time: at(1),
                end_time: Some(at(2)),
                attempts: 1,
                error: None,
            },
            StepRecord {
                step: Step::Place,
                start_time: at(2),
                end_time: Some(at(4)),
                attempts: 2,
                error: None,
            },
            StepRecord {
                step: Step::Tag,
                start_time: at(4),
                end_time: None,
                attempts: 3,
                error: Some(StepError {
                    aws_error: "ConcurrentModificationException".into(),
                    reason: Some("SOME_REASON".into()),
                    message: "try again".into(),
                }),
            },
        ],
        parent_id: Some("ou-ab12-cdef3456".into()),
        retry_at: Some(at(9)),
    }
}

pub fn renewal() -> Renewal {
    Renewal {
        renewals_left: 2,
        renewed_from: Some(HandshakeId::parse("h-0000000001").unwrap()),
        renewed_to: Some(HandshakeId::parse("h-0000000003").unwrap()),
        reason: Some("renewed on expiry".into()),
        waiting_until: Some(at(30)),
        given_up: true,
    }
}

pub fn tags() -> Tags {
    Tags::parse([("team", "core"), ("env", "")]).unwrap()
}

pub fn record() -> HandshakeRecord {
    let account = Party {
        id: "111122223333".into(),
        kind: PartyType::Account,
    };
    HandshakeRecord {
        handshake: Handshake {
            id: HandshakeId::parse("h-0000000002").unwrap(),
            arn: "arn:aws:organizations::999988887777:handshake/o-abcdefghij/invite/h-0000000002"
                .into(),
            parties: vec![
                Party {
                    id: "o-abcdefghij".into(),
                    kind: PartyType::Organization,
                },
                account.clone(),
            ],
            state: HandshakeState::Accepted,
            requested_time: Some(at(0)),
            expiration_time: Some(at(59)),
            action: HandshakeAction::Invite,
            resources: vec![Resource {
                kind: ResourceType::Organization,
                value: "o-abcdefghij".into(),
                resources: vec![Resource {
                    kind: ResourceType::Notes,
                    value: "welcome".into(),
                    resources: vec![],
                }],
            }],
        },
        target: Some(account),
        notes: Notes::parse("welcome").unwrap(),
        tags: tags(),
        request_id: Some("req-1".into()),
        requested_by: Some("svc-platform".into()),
        canceled_by: Some("nobody".into()),
        create_time: at(0),
        update_time: at(5),
        version: 3,
        history: vec![
            StateSeen {
                state: HandshakeState::Open,
                first_seen_time: at(0),
            },
            StateSeen {
                state: HandshakeState::Accepted,
                first_seen_time: at(2),
            },
        ],
        onboarding: Some(onboarding()),
        expiry_warning_time: Some(at(50)),
        renewal: Some(renewal()),
        campaign_id: None,
    }
}
