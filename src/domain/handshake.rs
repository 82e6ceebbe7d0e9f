//! A handshake as AWS reports it, and this service's record of it.
use chrono::{DateTime, Utc};

use super::{HandshakeId, Notes, Onboarding, Renewal, Tags};

/// Declares an enum of AWS string values, with `Unspecified` for anything
/// AWS may add later, and the conversions to and from the AWS spelling.
macro_rules! aws_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $aws:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            #[default]
            Unspecified,
            $($variant),+
        }

        impl $name {
            /// Every value AWS spells (all but `Unspecified`).
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The AWS spelling, also what Postgres stores.
            pub fn as_str(self) -> &'static str {
                match self {
                    Self::Unspecified => "UNSPECIFIED",
                    $(Self::$variant => $aws),+
                }
            }

            /// Unknown spellings become `Unspecified` rather than failing a read.
            pub fn from_aws(s: &str) -> Self {
                match s {
                    $($aws => Self::$variant,)+
                    _ => Self::Unspecified,
                }
            }
        }
    };
}

aws_enum!(
    /// REQUESTED and OPEN are pending; the other four are terminal.
    HandshakeState {
        Requested => "REQUESTED",
        Open => "OPEN",
        Canceled => "CANCELED",
        Accepted => "ACCEPTED",
        Declined => "DECLINED",
        Expired => "EXPIRED",
    }
);

impl HandshakeState {
    /// The states dashboards count and show, zero or not (REQUESTED passes
    /// too quickly to matter: AWS answers an invitation with OPEN).
    pub const COUNTED: [Self; 5] = [
        Self::Open,
        Self::Accepted,
        Self::Declined,
        Self::Canceled,
        Self::Expired,
    ];

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Accepted | Self::Declined | Self::Canceled | Self::Expired
        )
    }
}

aws_enum!(PartyType {
    Account => "ACCOUNT",
    Organization => "ORGANIZATION",
    Email => "EMAIL",
});

aws_enum!(HandshakeAction {
    Invite => "INVITE",
    EnableAllFeatures => "ENABLE_ALL_FEATURES",
    ApproveAllFeatures => "APPROVE_ALL_FEATURES",
    AddOrganizationsServiceLinkedRole => "ADD_ORGANIZATIONS_SERVICE_LINKED_ROLE",
    TransferResponsibility => "TRANSFER_RESPONSIBILITY",
});

aws_enum!(ResourceType {
    Account => "ACCOUNT",
    Organization => "ORGANIZATION",
    OrganizationFeatureSet => "ORGANIZATION_FEATURE_SET",
    Email => "EMAIL",
    MasterEmail => "MASTER_EMAIL",
    MasterName => "MASTER_NAME",
    Notes => "NOTES",
    ParentHandshake => "PARENT_HANDSHAKE",
    ResponsibilityTransfer => "RESPONSIBILITY_TRANSFER",
    TransferStartTimestamp => "TRANSFER_START_TIMESTAMP",
    TransferType => "TRANSFER_TYPE",
    ManagementAccount => "MANAGEMENT_ACCOUNT",
    ManagementEmail => "MANAGEMENT_EMAIL",
    ManagementName => "MANAGEMENT_NAME",
});

/// A participant. Party ids are sensitive: Debug does not show them.
#[derive(Clone, PartialEq, Eq)]
pub struct Party {
    pub id: String,
    pub kind: PartyType,
}

impl std::fmt::Debug for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Party({:?}, <id redacted>)", self.kind)
    }
}

impl Party {
    /// Whether this party is the invited `target_id`. Email addresses compare
    /// without case, since AWS may echo them in another case.
    pub fn is(&self, kind: PartyType, target_id: &str) -> bool {
        self.kind == kind && self.id.eq_ignore_ascii_case(target_id)
    }
}

/// Extra data passed with a handshake. Values are sensitive in the AWS model.
#[derive(Clone, PartialEq, Eq)]
pub struct Resource {
    pub kind: ResourceType,
    pub value: String,
    pub resources: Vec<Resource>,
}

impl std::fmt::Debug for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resource")
            .field("kind", &self.kind)
            .field("value", &"<redacted>")
            .field("resources", &self.resources)
            .finish()
    }
}

/// What AWS says about a handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    pub id: HandshakeId,
    pub arn: String,
    pub parties: Vec<Party>,
    pub state: HandshakeState,
    pub requested_time: Option<DateTime<Utc>>,
    pub expiration_time: Option<DateTime<Utc>>,
    pub action: HandshakeAction,
    pub resources: Vec<Resource>,
}

impl Handshake {
    /// The party matching the invited target; AWS and emulators may list
    /// more parties than the organization and the target.
    pub fn party_matching(&self, kind: PartyType, target_id: &str) -> Option<&Party> {
        self.parties.iter().find(|p| p.is(kind, target_id))
    }

    /// The invited party when the target is not known: the first ACCOUNT or
    /// EMAIL party that is not the organization's management account.
    pub fn guess_target(&self) -> Option<&Party> {
        let management = self.management_account();
        self.parties.iter().find(|p| {
            matches!(p.kind, PartyType::Account | PartyType::Email)
                && Some(p.id.as_str()) != management
        })
    }

    /// The invited account's id, once AWS lists it: an ACCOUNT party that
    /// is not the management account (for an EMAIL target, not before it
    /// joined, and not at all on every endpoint).
    pub fn invited_account(&self) -> Option<&str> {
        let management = self.management_account();
        self.parties
            .iter()
            .find(|p| p.kind == PartyType::Account && Some(p.id.as_str()) != management)
            .map(|p| p.id.as_str())
    }

    /// The account in the ARN: the organization's management account.
    fn management_account(&self) -> Option<&str> {
        self.arn
            .split("::")
            .nth(1)
            .and_then(|s| s.split(':').next())
    }

    /// The NOTES resource, wherever AWS nested it.
    pub fn notes(&self) -> Option<&str> {
        fn find(rs: &[Resource]) -> Option<&str> {
            rs.iter().find_map(|r| {
                if r.kind == ResourceType::Notes {
                    Some(r.value.as_str())
                } else {
                    find(&r.resources)
                }
            })
        }
        find(&self.resources)
    }
}

/// This service's lasting record of a handshake.
#[derive(Debug, Clone, PartialEq)]
pub struct HandshakeRecord {
    pub handshake: Handshake,
    pub target: Option<Party>,
    pub notes: Notes,
    pub tags: Tags,
    pub request_id: Option<String>,
    /// Who asked for it (the caller's identity), when known.
    pub requested_by: Option<String>,
    /// Who cancelled it through this service, when anyone did.
    pub canceled_by: Option<String>,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    /// Bumped on every change AWS reports: newer versions are newer news.
    pub version: i64,
    /// Each state with when it was first seen, oldest first; filled by Get only.
    pub history: Vec<StateSeen>,
    /// Accept, place, tag: when the invitation asked for it.
    pub onboarding: Option<Onboarding>,
    /// When the EXPIRING_SOON warning was recorded.
    pub expiry_warning_time: Option<DateTime<Utc>>,
    /// Renewal on expiry, when asked for, with its links.
    pub renewal: Option<Renewal>,
    /// The campaign that sent or adopted it.
    pub campaign_id: Option<String>,
}

impl HandshakeRecord {
    /// Nothing more will happen to it: a terminal state and, when onboarding
    /// was asked for, onboarding finished too.
    /// An expired one to be renewed is settled once the renewal is sent
    /// (or given up), so its watchers learn the new handshake's id.
    pub fn is_settled(&self) -> bool {
        let state = self.handshake.state;
        state.is_terminal()
            && self.onboarding.as_ref().is_none_or(|o| o.is_done(state))
            && self.renewal.as_ref().is_none_or(|r| !r.is_due(state))
    }
}

/// A state and when this service first saw the handshake in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateSeen {
    pub state: HandshakeState,
    pub first_seen_time: DateTime<Utc>,
}

/// What an event reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventKind {
    /// A kind a later release records that this one does not know.
    Unspecified,
    /// The state changed (or the handshake was first seen).
    #[default]
    StateChange,
    /// The onboarding's status changed; the state did not.
    Onboarding,
    /// The open invitation nears its expiry.
    ExpiringSoon,
    /// The expired invitation was renewed, or could not be.
    Renewal,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unspecified => "UNSPECIFIED",
            Self::StateChange => "STATE_CHANGE",
            Self::Onboarding => "ONBOARDING",
            Self::ExpiringSoon => "EXPIRING_SOON",
            Self::Renewal => "RENEWAL",
        }
    }

    pub fn from_db(s: &str) -> Self {
        match s {
            "STATE_CHANGE" => Self::StateChange,
            "ONBOARDING" => Self::Onboarding,
            "EXPIRING_SOON" => Self::ExpiringSoon,
            "RENEWAL" => Self::Renewal,
            _ => Self::Unspecified,
        }
    }
}

/// One change of a handshake, as watchers receive it.
#[derive(Debug, Clone, PartialEq)]
pub struct HandshakeEvent {
    /// Position in commit order; the resume point of WatchHandshakes.
    pub event_id: i64,
    pub kind: EventKind,
    /// `Unspecified` when the handshake was first seen with this change.
    pub previous_state: HandshakeState,
    pub record: HandshakeRecord,
    pub observe_time: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handshake(parties: Vec<Party>) -> Handshake {
        Handshake {
            id: HandshakeId::parse("h-abcdefgh12").unwrap(),
            arn: "arn:aws:organizations::123456789012:handshake/o-abcdefghij/invite/h-abcdefgh12"
                .into(),
            parties,
            state: HandshakeState::Open,
            requested_time: None,
            expiration_time: None,
            action: HandshakeAction::Invite,
            resources: vec![Resource {
                kind: ResourceType::Organization,
                value: "o-abcdefghij".into(),
                resources: vec![Resource {
                    kind: ResourceType::Notes,
                    value: "hello".into(),
                    resources: vec![],
                }],
            }],
        }
    }

    fn party(kind: PartyType, id: &str) -> Party {
        Party {
            id: id.into(),
            kind,
        }
    }

    #[test]
    fn states_round_trip_through_their_aws_names() {
        for s in [
            HandshakeState::Requested,
            HandshakeState::Open,
            HandshakeState::Canceled,
            HandshakeState::Accepted,
            HandshakeState::Declined,
            HandshakeState::Expired,
        ] {
            assert_eq!(HandshakeState::from_aws(s.as_str()), s);
        }
        assert_eq!(
            HandshakeState::from_aws("PONDERING"),
            HandshakeState::Unspecified
        );
    }

    #[test]
    fn only_the_four_closed_states_are_terminal() {
        assert!(!HandshakeState::Open.is_terminal());
        assert!(!HandshakeState::Requested.is_terminal());
        assert!(HandshakeState::Accepted.is_terminal());
        assert!(HandshakeState::Declined.is_terminal());
        assert!(HandshakeState::Canceled.is_terminal());
        assert!(HandshakeState::Expired.is_terminal());
    }

    #[test]
    fn the_target_party_is_found_among_extra_parties() {
        let h = handshake(vec![
            party(PartyType::Organization, "o-abcdefghij"),
            party(PartyType::Account, "123456789012"),
            party(PartyType::Email, "Juan@Example.com"),
        ]);
        assert_eq!(
            h.party_matching(PartyType::Email, "juan@example.com")
                .map(|p| p.id.as_str()),
            Some("Juan@Example.com")
        );
        assert!(h
            .party_matching(PartyType::Account, "111122223333")
            .is_none());
        assert_eq!(
            h.guess_target().map(|p| p.id.as_str()),
            Some("Juan@Example.com")
        );
    }

    #[test]
    fn notes_are_found_in_nested_resources() {
        assert_eq!(handshake(vec![]).notes(), Some("hello"));
    }

    #[test]
    fn debug_output_hides_party_ids_and_resource_values() {
        let h = handshake(vec![party(PartyType::Account, "111122223333")]);
        let shown = format!("{h:?}");
        assert!(!shown.contains("111122223333"), "{shown}");
        assert!(!shown.contains("hello"), "{shown}");
    }
}
