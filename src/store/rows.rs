//! Private row structs and their conversion into domain types.
use chrono::{DateTime, SubsecRound, Utc};
use sqlx::{types::Json, FromRow};

use super::{handshakes::Known, StoreError};
use crate::domain::{
    Handshake, HandshakeAction, HandshakeId, HandshakeRecord, HandshakeState, Notes, Onboarding,
    Party, PartyType, Renewal, Resource, Tags,
};

/// The column list every handshake read selects, in `HandshakeRow` order.
pub const HANDSHAKE_COLUMNS: &str = "id, arn, parties, state, requested_time, expiration_time, \
     action, resources, target_type, target_id, notes, tags, request_id, create_time, update_time, \
     version, requested_by, canceled_by, onboarding, expiry_warning_time, renewal";

#[derive(FromRow)]
pub struct HandshakeRow {
    id: String,
    arn: String,
    parties: Json<Vec<Party>>,
    state: String,
    requested_time: Option<DateTime<Utc>>,
    expiration_time: Option<DateTime<Utc>>,
    action: String,
    resources: Json<Vec<Resource>>,
    target_type: Option<String>,
    target_id: Option<String>,
    notes: String,
    tags: Json<Tags>,
    request_id: Option<String>,
    create_time: DateTime<Utc>,
    update_time: DateTime<Utc>,
    version: i64,
    requested_by: Option<String>,
    canceled_by: Option<String>,
    onboarding: Option<Json<Onboarding>>,
    expiry_warning_time: Option<DateTime<Utc>>,
    renewal: Option<Json<Renewal>>,
}

impl HandshakeRow {
    /// The row `record_new_invite` makes for an invitation just sent, with
    /// `at` for the times Postgres assigns (create_time, update_time).
    pub(super) fn new_invite(h: &Handshake, known: &Known, at: DateTime<Utc>) -> Self {
        let (target_type, target_id) = known.target_columns();
        Self {
            id: h.id.as_str().to_string(),
            arn: h.arn.clone(),
            parties: Json(h.parties.clone()),
            state: h.state.as_str().to_string(),
            // As stored: sqlx sends microseconds, truncated.
            requested_time: h.requested_time.map(|t| t.trunc_subsecs(6)),
            expiration_time: h.expiration_time.map(|t| t.trunc_subsecs(6)),
            action: h.action.as_str().to_string(),
            resources: Json(h.resources.clone()),
            target_type: target_type.map(str::to_string),
            target_id: target_id.map(str::to_string),
            notes: known.notes.as_str().to_string(),
            tags: Json(known.tags.clone()),
            request_id: known.request_id.clone(),
            create_time: at,
            update_time: at,
            version: 1,
            requested_by: known.requested_by.clone(),
            canceled_by: known.canceled_by.clone(),
            onboarding: known.onboarding.clone().map(Json),
            expiry_warning_time: None,
            renewal: known.renewal.clone().map(Json),
        }
    }
}

impl TryFrom<HandshakeRow> for HandshakeRecord {
    type Error = StoreError;

    fn try_from(r: HandshakeRow) -> Result<Self, StoreError> {
        let id = HandshakeId::parse(&r.id)
            .map_err(|_| StoreError::Corrupt(format!("handshake id {:?}", r.id)))?;
        let handshake = Handshake {
            id,
            arn: r.arn,
            parties: r.parties.0,
            state: HandshakeState::from_aws(&r.state),
            requested_time: r.requested_time,
            expiration_time: r.expiration_time,
            action: HandshakeAction::from_aws(&r.action),
            resources: r.resources.0,
        };
        // The target party as AWS lists it when it does; the requested target otherwise.
        let target = match (r.target_type, r.target_id) {
            (Some(kind), Some(id)) => {
                let kind = PartyType::from_aws(&kind);
                Some(
                    handshake
                        .party_matching(kind, &id)
                        .cloned()
                        .unwrap_or(Party { id, kind }),
                )
            }
            _ => None,
        };
        Ok(HandshakeRecord {
            handshake,
            target,
            // Stored notes passed validation when they were written.
            notes: Notes::parse(&r.notes).unwrap_or_default(),
            tags: r.tags.0,
            request_id: r.request_id,
            requested_by: r.requested_by,
            canceled_by: r.canceled_by,
            create_time: r.create_time,
            update_time: r.update_time,
            version: r.version,
            history: Vec::new(),
            onboarding: r.onboarding.map(|o| o.0),
            expiry_warning_time: r.expiry_warning_time,
            renewal: r.renewal.map(|o| o.0),
        })
    }
}
