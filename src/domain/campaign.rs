//! A campaign: many accounts invited by one request, each target sent once
//! (as `campaign-<id>-<index>`) when the daily quota allows, then followed
//! through its handshake.
use std::fmt;

use chrono::{DateTime, Utc};

use super::{
    FieldViolation, HandshakeId, HandshakeRecord, HandshakeState, IfOpenExists, Invitation,
    InviteTarget, Notes, OnAcceptFailure, OnboardingSpec, OnboardingStatus, RawOnboarding, Renewal,
    RequestId, Tag, Tags, Violations,
};

pub const MAX_TARGETS: usize = 1000;
const NAME_CHARS: std::ops::RangeInclusive<usize> = 1..=128;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CampaignId(String);

impl CampaignId {
    /// `^c-[0-9a-z]{8,32}$`, as handshake ids are shaped.
    pub fn parse(s: &str) -> Result<Self, FieldViolation> {
        let ok = s.strip_prefix("c-").is_some_and(|rest| {
            (8..=32).contains(&rest.len())
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        });
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(FieldViolation::new(
                "id",
                "a campaign id is c- followed by 8 to 32 lowercase letters or digits",
            ))
        }
    }

    pub fn generate() -> Self {
        Self(format!(
            "c-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..16]
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The request_id target `index` is sent under: a replica killed
    /// anywhere sends it at most once.
    pub fn request_id_of(&self, index: u32) -> RequestId {
        RequestId::parse(&format!("campaign-{}-{index}", self.0))
            .expect("a campaign id and an index make a valid request_id")
    }
}

impl fmt::Display for CampaignId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Stored as these names (`as_str`); `parse` is strict: the store's CHECK
/// allows no other.
macro_rules! named {
    ($name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

named!(CampaignState {
    Active = "ACTIVE",
    Paused = "PAUSED",
    Canceled = "CANCELED",
    Done = "DONE",
});

named!(TargetState {
    Queued = "QUEUED",
    Skipped = "SKIPPED",
    Invited = "INVITED",
    Accepted = "ACCEPTED",
    Complete = "COMPLETE",
    Failed = "FAILED",
    Declined = "DECLINED",
    Canceled = "CANCELED",
    Expired = "EXPIRED",
});

impl TargetState {
    /// Still to be sent or followed: a campaign with none is DONE.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Queued | Self::Invited | Self::Accepted)
    }

    /// Where a target stands, from its handshake (the newest of a renewal
    /// chain): an expired one with a renewal still to come is INVITED.
    pub fn of(record: &HandshakeRecord) -> Self {
        match record.handshake.state {
            HandshakeState::Accepted => match record.onboarding.as_ref().map(|o| o.status) {
                None | Some(OnboardingStatus::Complete | OnboardingStatus::NotApplicable) => {
                    Self::Complete
                }
                Some(OnboardingStatus::Failed) => Self::Failed,
                Some(_) => Self::Accepted,
            },
            HandshakeState::Declined => Self::Declined,
            HandshakeState::Canceled => Self::Canceled,
            HandshakeState::Expired => match &record.renewal {
                Some(r) if !r.given_up && (r.renewals_left > 0 || r.renewed_to.is_some()) => {
                    Self::Invited
                }
                _ => Self::Expired,
            },
            HandshakeState::Requested | HandshakeState::Open | HandshakeState::Unspecified => {
                Self::Invited
            }
        }
    }
}

/// Why a target was never sent.
pub const ALREADY_MEMBER: &str = "ALREADY_MEMBER";
pub const CAMPAIGN_CANCELED: &str = "CAMPAIGN_CANCELED";

/// The onboarding every target shares, as requested: a role given by name
/// is resolved in each target's own account when it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedOnboarding {
    pub destination_parent_id: String,
    pub accept_role: String,
    pub external_id: String,
    pub on_accept_failure: OnAcceptFailure,
    pub leave_previous_organization: bool,
}

impl SharedOnboarding {
    pub fn raw(&self) -> RawOnboarding<'_> {
        RawOnboarding {
            destination_parent_id: &self.destination_parent_id,
            accept_role: &self.accept_role,
            external_id: &self.external_id,
            on_accept_failure: self.on_accept_failure,
            leave_previous_organization: self.leave_previous_organization,
        }
    }

    /// The spec for one target (validated for every target at creation).
    pub fn for_target(&self, target: &InviteTarget) -> Result<OnboardingSpec, Violations> {
        OnboardingSpec::parse(self.raw(), Some(target))
    }
}

/// What every target shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedSpec {
    pub notes: Notes,
    pub tags: Tags,
    pub onboarding: Option<SharedOnboarding>,
    /// 0: no renewal.
    pub max_renewals: u8,
    pub if_open_exists: IfOpenExists,
}

/// One account of a campaign, as requested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    pub target: InviteTarget,
    /// Replaces the shared notes.
    pub notes: Option<Notes>,
    /// Added to the shared tags, winning for the same key.
    pub tags: Tags,
}

/// A validated CreateCampaign.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub display_name: String,
    pub request_id: RequestId,
    pub requested_by: Option<String>,
    pub quota_reserve: u32,
    pub spec: SharedSpec,
    pub targets: Vec<TargetSpec>,
}

impl NewCampaign {
    pub fn parse_name(s: &str) -> Result<String, FieldViolation> {
        if NAME_CHARS.contains(&s.chars().count()) {
            Ok(s.to_string())
        } else {
            Err(FieldViolation::new(
                "display_name",
                "display_name must be 1 to 128 characters",
            ))
        }
    }
}

impl SharedSpec {
    /// The invitation target `t` is sent as.
    pub fn invitation(&self, t: &TargetSpec, requested_by: Option<String>) -> Invitation {
        Invitation {
            target: t.target.clone(),
            notes: t.notes.clone().unwrap_or_else(|| self.notes.clone()),
            tags: merge_tags(&self.tags, &t.tags),
            requested_by,
            onboarding: self
                .onboarding
                .as_ref()
                .and_then(|o| o.for_target(&t.target).ok()),
            renewal: Renewal::parse(i32::from(self.max_renewals)).ok().flatten(),
        }
    }
}

/// The shared tags with a target's own added; its own value wins.
pub fn merge_tags(shared: &Tags, own: &Tags) -> Tags {
    let mut tags: Vec<Tag> = shared
        .iter()
        .filter(|s| !own.iter().any(|o| o.key == s.key))
        .cloned()
        .collect();
    tags.extend(own.iter().cloned());
    Tags::from_stored(tags)
}

/// The two targets of a request that are one: same type and id, emails
/// compared case-insensitively.
pub fn same_target(a: &InviteTarget, b: &InviteTarget) -> bool {
    a.kind() == b.kind() && a.id().eq_ignore_ascii_case(b.id())
}

/// How many targets are in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetCounts(pub Vec<(TargetState, u32)>);

impl TargetCounts {
    pub fn of(&self, state: TargetState) -> u32 {
        self.0
            .iter()
            .filter(|(s, _)| *s == state)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn total(&self) -> u32 {
        self.0.iter().map(|(_, n)| n).sum()
    }
}

/// A campaign as recorded.
#[derive(Debug, Clone)]
pub struct Campaign {
    pub id: CampaignId,
    pub display_name: String,
    pub state: CampaignState,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub request_id: RequestId,
    pub requested_by: Option<String>,
    pub quota_reserve: u32,
    pub spec: SharedSpec,
    pub counts: TargetCounts,
    /// While targets are queued and the campaign is ACTIVE.
    pub next_send_time: Option<DateTime<Utc>>,
    pub pause_reason: Option<String>,
    /// Bumped on every change: watchers send when it moves.
    pub version: i64,
}

impl Campaign {
    pub fn is_over(&self) -> bool {
        matches!(self.state, CampaignState::Done | CampaignState::Canceled)
    }
}

/// One target as recorded.
#[derive(Debug, Clone)]
pub struct CampaignTarget {
    pub index: u32,
    pub spec: TargetSpec,
    pub state: TargetState,
    pub handshake_id: Option<HandshakeId>,
    pub reason: Option<String>,
    pub update_time: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PartyType;

    #[test]
    fn ids_are_c_and_8_to_32_lowercase_alphanumerics() {
        assert!(CampaignId::parse("c-12345678").is_ok());
        assert!(CampaignId::parse(CampaignId::generate().as_str()).is_ok());
        for bad in ["c-1234567", "h-12345678", "c-ABCDEFGH", ""] {
            assert!(CampaignId::parse(bad).is_err(), "{bad}");
        }
        let id = CampaignId::parse(&format!("c-{}", "a".repeat(32))).unwrap();
        assert!(id.request_id_of(999).as_str().starts_with("campaign-c-"));
    }

    #[test]
    fn own_tags_are_added_and_win_for_the_same_key() {
        let shared = Tags::parse([("team", "a"), ("env", "prod")]).unwrap();
        let own = Tags::parse([("team", "b"), ("cost", "1")]).unwrap();
        let merged: Vec<_> = merge_tags(&shared, &own)
            .iter()
            .map(|t| format!("{}={}", t.key, t.value))
            .collect();
        assert_eq!(merged, ["env=prod", "team=b", "cost=1"]);
    }

    #[test]
    fn emails_are_the_same_target_whatever_their_case() {
        let a = InviteTarget::parse(PartyType::Email, "Juan@Example.com").unwrap();
        let b = InviteTarget::parse(PartyType::Email, "juan@example.com").unwrap();
        assert!(same_target(&a, &b));
        let c = InviteTarget::parse(PartyType::Account, "111122223333").unwrap();
        assert!(!same_target(&a, &c));
    }

    #[test]
    fn state_names_round_trip() {
        for s in TargetState::ALL {
            assert_eq!(TargetState::parse(s.as_str()), Some(*s));
        }
        for s in CampaignState::ALL {
            assert_eq!(CampaignState::parse(s.as_str()), Some(*s));
        }
    }
}
