//! Private row structs and their conversion into domain types. The JSON
//! columns are read through `stored`'s persistence types, each leniently:
//! a value this release cannot read makes the row `Unreadable`, not the
//! query that read it.
use chrono::{DateTime, SubsecRound, Utc};
use sqlx::FromRow;

use super::{
    handshakes::Known,
    stored::{Lenient, StoredOnboarding, StoredParty, StoredRenewal, StoredResource, StoredTag},
    Unreadable,
};
use crate::{
    domain::{
        Handshake, HandshakeAction, HandshakeId, HandshakeRecord, HandshakeState, Notes, Party,
        PartyType,
    },
    metrics::StoredTable,
};

/// The column list every handshake read selects, in `HandshakeRow` order.
pub const HANDSHAKE_COLUMNS: &str = "id, arn, parties, state, requested_time, expiration_time, \
     action, resources, target_type, target_id, notes, tags, request_id, create_time, update_time, \
     version, requested_by, canceled_by, onboarding, expiry_warning_time, renewal, \
     (SELECT ch.campaign_id FROM campaign_handshakes ch WHERE ch.handshake_id = id) \
     AS campaign_id";

#[derive(FromRow)]
pub struct HandshakeRow {
    pub(super) id: String,
    arn: String,
    parties: Lenient<Vec<StoredParty>>,
    state: String,
    requested_time: Option<DateTime<Utc>>,
    expiration_time: Option<DateTime<Utc>>,
    action: String,
    resources: Lenient<Vec<StoredResource>>,
    target_type: Option<String>,
    target_id: Option<String>,
    notes: String,
    tags: Lenient<Vec<StoredTag>>,
    request_id: Option<String>,
    pub(super) create_time: DateTime<Utc>,
    update_time: DateTime<Utc>,
    version: i64,
    requested_by: Option<String>,
    canceled_by: Option<String>,
    onboarding: Option<Lenient<StoredOnboarding>>,
    expiry_warning_time: Option<DateTime<Utc>>,
    renewal: Option<Lenient<StoredRenewal>>,
    campaign_id: Option<String>,
}

/// The record `record_new_invite` makes for an invitation just sent, with
/// `at` for the times Postgres assigns (create_time, update_time).
pub(super) fn new_invite_record(
    h: &Handshake,
    known: &Known,
    at: DateTime<Utc>,
) -> HandshakeRecord {
    let mut handshake = h.clone();
    // As stored: sqlx sends microseconds, truncated.
    handshake.requested_time = h.requested_time.map(|t| t.trunc_subsecs(6));
    handshake.expiration_time = h.expiration_time.map(|t| t.trunc_subsecs(6));
    let (target_type, target_id) = known.target_columns();
    let target = target_of(&handshake, target_type, target_id);
    HandshakeRecord {
        handshake,
        target,
        notes: known.notes.clone(),
        tags: known.tags.clone(),
        request_id: known.request_id.as_ref().map(|r| r.as_str().to_string()),
        requested_by: known.requested_by.clone(),
        canceled_by: known.canceled_by.clone(),
        create_time: at,
        update_time: at,
        version: 1,
        history: Vec::new(),
        onboarding: known.onboarding.clone(),
        expiry_warning_time: None,
        renewal: known.renewal.clone(),
        campaign_id: None,
    }
}

/// The target party as AWS lists it when it does; the requested target otherwise.
fn target_of(h: &Handshake, kind: Option<&str>, id: Option<&str>) -> Option<Party> {
    let (kind, id) = (kind?, id?);
    let kind = PartyType::from_aws(kind);
    Some(h.party_matching(kind, id).cloned().unwrap_or(Party {
        id: id.to_string(),
        kind,
    }))
}

impl TryFrom<HandshakeRow> for HandshakeRecord {
    type Error = Unreadable;

    fn try_from(r: HandshakeRow) -> Result<Self, Unreadable> {
        let unreadable = |column| Unreadable {
            table: StoredTable::Handshakes,
            id: r.id.clone(),
            column,
        };
        let id = HandshakeId::parse(&r.id).map_err(|_| unreadable("id"))?;
        let parties = r.parties.into_result().map_err(|_| unreadable("parties"))?;
        let resources = r
            .resources
            .into_result()
            .map_err(|_| unreadable("resources"))?;
        let tags = r.tags.into_result().map_err(|_| unreadable("tags"))?;
        let onboarding = Lenient::optional(r.onboarding).map_err(|_| unreadable("onboarding"))?;
        let renewal = Lenient::optional(r.renewal).map_err(|_| unreadable("renewal"))?;
        let handshake = Handshake {
            id,
            arn: r.arn,
            parties: parties.into_iter().map(Party::from).collect(),
            state: HandshakeState::from_aws(&r.state),
            requested_time: r.requested_time,
            expiration_time: r.expiration_time,
            action: HandshakeAction::from_aws(&r.action),
            resources: resources.into_iter().map(Into::into).collect(),
        };
        let target = target_of(&handshake, r.target_type.as_deref(), r.target_id.as_deref());
        Ok(HandshakeRecord {
            handshake,
            target,
            // Stored notes passed validation when they were written.
            notes: Notes::parse(&r.notes).unwrap_or_default(),
            tags: super::stored::tags_of(tags),
            request_id: r.request_id,
            requested_by: r.requested_by,
            canceled_by: r.canceled_by,
            create_time: r.create_time,
            update_time: r.update_time,
            version: r.version,
            history: Vec::new(),
            onboarding,
            expiry_warning_time: r.expiry_warning_time,
            renewal,
            campaign_id: r.campaign_id,
        })
    }
}
