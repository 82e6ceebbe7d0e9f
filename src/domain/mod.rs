//! Domain types: parsed once at the edge, trusted everywhere after.
mod account_id;
mod aws_operation;
mod campaign;
mod email;
mod handshake;
mod handshake_id;
mod invitation;
mod notes;
mod onboarding;
mod onboarding_progress;
mod parent_id;
mod quota;
mod renewal;
mod request_id;
mod subscription;
mod tags;
mod target;
mod transfer;
mod violation;

pub use account_id::AccountId;
pub use aws_operation::Operation;
pub use campaign::{
    merge_tags, same_target, Campaign, CampaignId, CampaignState, CampaignTarget, NewCampaign,
    SharedOnboarding, SharedSpec, TargetCounts, TargetSpec, TargetState, ALREADY_MEMBER,
    CAMPAIGN_CANCELED, MAX_TARGETS,
};
pub use email::EmailAddress;
pub use handshake::{
    EventKind, Handshake, HandshakeAction, HandshakeEvent, HandshakeRecord, HandshakeState, Party,
    PartyType, Resource, ResourceType, StateSeen,
};
pub use handshake_id::HandshakeId;
pub use invitation::{IfOpenExists, Invitation, InviteRequest};
pub use notes::Notes;
pub use onboarding::{AcceptRole, ExternalId, OnAcceptFailure, OnboardingSpec, RawOnboarding};
pub use onboarding_progress::{
    Next, Onboarding, OnboardingStatus, Step, StepError, StepRecord, ALREADY_IN_AN_ORGANIZATION,
};
pub use parent_id::ParentId;
pub use quota::{InviteQuota, QuotaUse};
pub use renewal::{Renewal, MAX_RENEWALS};
pub use request_id::RequestId;
pub use subscription::{is_metadata, parse_subscriptions, Endpoint, Filter, Secret, Subscription};
pub use tags::{Tag, Tags};
pub use target::InviteTarget;
pub use transfer::{
    parse_end_time, parse_start_time, parse_transfer_name, transfer_of, Participant, Transfer,
    TransferDirection, TransferEvent, TransferEventKind, TransferId, TransferInvite,
    TransferRecord, TransferStatus, ACCEPT_BEFORE_START,
};
pub use violation::{FieldViolation, Violations};
