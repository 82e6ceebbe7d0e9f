//! An intent row as read: its typed status and its JSON columns through
//! their persistence types, or the row is one this release cannot read.
use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{
    invites::{Abandoned, UnresolvedInvite},
    stored::{tags_of, Lenient, StoredRenewal, StoredSpec, StoredTag},
    StoreError, Unreadable,
};
use crate::{
    domain::{
        Invitation, InviteTarget, Notes, OnboardingSpec, PartyType, Renewal, RequestId, Tags,
    },
    metrics::StoredTable,
};

/// An intent's `status` column, decoded strictly: a value this release
/// does not know fails the read loudly (the column's CHECK lists the four).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IntentStatus {
    /// An attempt is in flight (or its process died).
    Pending,
    /// The attempt ended without knowing whether AWS acted.
    Unknown,
    /// AWS made the handshake, recorded and linked.
    Sent,
    /// AWS refused, or repair found nothing sent: a retry may send.
    Failed,
}

#[derive(Debug, thiserror::Error)]
#[error("invite_requests.status {0:?} is none this release knows")]
pub(super) struct UnknownIntentStatus(String);

impl TryFrom<String> for IntentStatus {
    type Error = UnknownIntentStatus;

    fn try_from(s: String) -> Result<Self, UnknownIntentStatus> {
        match s.as_str() {
            "PENDING" => Ok(Self::Pending),
            "UNKNOWN" => Ok(Self::Unknown),
            "SENT" => Ok(Self::Sent),
            "FAILED" => Ok(Self::Failed),
            _ => Err(UnknownIntentStatus(s)),
        }
    }
}

#[derive(FromRow)]
pub(super) struct IntentRow {
    request_id: String,
    #[sqlx(try_from = "String")]
    status: IntentStatus,
    target_type: String,
    target_id: String,
    notes: String,
    tags: Lenient<Vec<StoredTag>>,
    handshake_id: Option<String>,
    requested_by: Option<String>,
    onboarding: Option<Lenient<StoredSpec>>,
    renewal: Option<Lenient<StoredRenewal>>,
    /// Why nobody is still sending it, if so (`Abandoned`'s names).
    abandoned: Option<String>,
    create_time: DateTime<Utc>,
}

impl IntentRow {
    /// Its JSON columns read, or the row is one this release cannot read.
    pub(super) fn read(self) -> Result<Intent, Unreadable> {
        let unreadable = |column| Unreadable {
            table: StoredTable::InviteRequests,
            id: self.request_id.clone(),
            column,
        };
        let tags = self.tags.into_result().map_err(|_| unreadable("tags"))?;
        let onboarding =
            Lenient::optional(self.onboarding).map_err(|_| unreadable("onboarding"))?;
        let renewal = Lenient::optional(self.renewal).map_err(|_| unreadable("renewal"))?;
        Ok(Intent {
            request_id: self.request_id,
            status: self.status,
            target_type: self.target_type,
            target_id: self.target_id,
            notes: self.notes,
            tags: tags_of(tags),
            handshake_id: self.handshake_id,
            requested_by: self.requested_by,
            onboarding,
            renewal,
            abandoned: self.abandoned,
            create_time: self.create_time,
        })
    }
}

/// An intent row, read.
pub(super) struct Intent {
    pub(super) request_id: String,
    pub(super) status: IntentStatus,
    pub(super) target_type: String,
    pub(super) target_id: String,
    pub(super) notes: String,
    pub(super) tags: Tags,
    pub(super) handshake_id: Option<String>,
    pub(super) requested_by: Option<String>,
    pub(super) onboarding: Option<OnboardingSpec>,
    pub(super) renewal: Option<Renewal>,
    pub(super) abandoned: Option<String>,
    pub(super) create_time: DateTime<Utc>,
}

impl Intent {
    pub(super) fn same_request(&self, inv: &Invitation) -> bool {
        self.target_type == inv.target.kind().as_str()
            && self.target_id == inv.target.id()
            && self.notes == inv.notes.as_str()
            && self.tags == inv.tags
            && self.onboarding == inv.onboarding
            && self.renewal == inv.renewal
    }

    pub(super) fn into_unresolved(self) -> Result<UnresolvedInvite, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("invite request {what}"));
        let target = InviteTarget::parse(PartyType::from_aws(&self.target_type), &self.target_id)
            .map_err(|_| corrupt("target"))?;
        Ok(UnresolvedInvite {
            request_id: RequestId::parse(&self.request_id).map_err(|_| corrupt("request_id"))?,
            invitation: Invitation {
                target,
                notes: Notes::parse(&self.notes).map_err(|_| corrupt("notes"))?,
                tags: self.tags,
                requested_by: self.requested_by,
                onboarding: self.onboarding,
                renewal: self.renewal,
            },
            create_time: self.create_time,
            why: self
                .abandoned
                .as_deref()
                .and_then(Abandoned::parse)
                .unwrap_or(Abandoned::Unknown),
        })
    }
}
