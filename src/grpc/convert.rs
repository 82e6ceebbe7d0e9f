//! Proto ↔ domain. Requests are parsed here, once, into domain types; every
//! bad field becomes one `BadRequest` violation.
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    aws::Invitation,
    domain::{
        FieldViolation, HandshakeAction, HandshakeId, HandshakeRecord, HandshakeState, Notes,
        Party, PartyType, RequestId, Resource, ResourceType, Tags, Violations,
    },
    proto::v1 as pb,
    store::{ListCursor, ListQuery},
};

pub const DEFAULT_PAGE_SIZE: i32 = 50;
pub const MAX_PAGE_SIZE: i32 = 1000;
const MAX_TARGET_FILTER_CHARS: usize = 64;

pub fn parse_invite(
    req: pb::InviteAccountRequest,
) -> Result<(Option<RequestId>, Invitation), Violations> {
    let mut v = Violations::default();
    let target = match req.target {
        None => {
            v.push(FieldViolation::new("target", "target is required"));
            None
        }
        Some(t) => v.take(
            crate::domain::InviteTarget::parse(party_type(t.r#type), &t.id)
                .map_err(|e| e.under("target")),
        ),
    };
    let notes = v.take(Notes::parse(&req.notes));
    let tags = match Tags::parse(req.tags.iter().map(|t| (t.key.as_str(), t.value.as_str()))) {
        Ok(tags) => Some(tags),
        Err(bad) => {
            v.0.extend(bad.0);
            None
        }
    };
    let request_id = if req.request_id.is_empty() {
        None
    } else {
        v.take(RequestId::parse(&req.request_id))
    };
    match (target, notes, tags) {
        (Some(target), Some(notes), Some(tags)) if v.is_empty() => Ok((
            request_id,
            Invitation {
                target,
                notes,
                tags,
                requested_by: None,
            },
        )),
        _ => Err(v),
    }
}

pub fn parse_id(id: &str) -> Result<HandshakeId, Violations> {
    HandshakeId::parse(id).map_err(|e| Violations(vec![e]))
}

/// What a page token remembers: where the last page ended, and the filters
/// it was made for (AIP-158: changing them mid-way is an error).
#[derive(Serialize, Deserialize)]
struct PageToken {
    t: i64,
    i: String,
    f: String,
}

pub fn parse_list(req: &pb::ListHandshakesRequest) -> Result<ListQuery, Violations> {
    let mut v = Violations::default();
    let limit = match req.page_size {
        n if n < 0 => {
            v.push(FieldViolation::new(
                "page_size",
                "page_size must not be negative",
            ));
            0
        }
        0 => DEFAULT_PAGE_SIZE,
        n => n.min(MAX_PAGE_SIZE),
    };
    let states = parse_states(&req.states, &mut v);
    if req.target_id.chars().count() > MAX_TARGET_FILTER_CHARS {
        v.push(FieldViolation::new(
            "target_id",
            "target_id must be at most 64 characters",
        ));
    }
    let filter = filter_key(&states, &req.target_id);
    let after = if req.page_token.is_empty() {
        None
    } else {
        v.take(decode_token(&req.page_token, &filter))
    };
    if !v.is_empty() {
        return Err(v);
    }
    Ok(ListQuery {
        states,
        target_id: (!req.target_id.is_empty()).then(|| req.target_id.clone()),
        after,
        limit: i64::from(limit),
    })
}

/// A `states` filter: every entry a known, specified state.
pub fn parse_states(raw: &[i32], v: &mut Violations) -> Vec<HandshakeState> {
    let mut states = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        match pb::HandshakeState::try_from(*s) {
            Ok(pb::HandshakeState::Unspecified) | Err(_) => v.push(FieldViolation::new(
                format!("states[{i}]"),
                "unknown or unspecified handshake state",
            )),
            Ok(s) => states.push(state_from_proto(s)),
        }
    }
    states
}

fn filter_key(states: &[HandshakeState], target_id: &str) -> String {
    let mut names: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    format!("{}|{}", names.join(","), target_id.to_lowercase())
}

pub fn encode_token(cursor: &ListCursor, query: &ListQuery) -> String {
    let token = PageToken {
        t: cursor.create_time.timestamp_micros(),
        i: cursor.id.clone(),
        f: filter_key(
            &query.states,
            query.target_id.as_deref().unwrap_or_default(),
        ),
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).expect("token serializes"))
}

fn decode_token(s: &str, filter: &str) -> Result<ListCursor, FieldViolation> {
    let bad = || FieldViolation::new("page_token", "page_token is not one this service issued");
    let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
    let token: PageToken = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if token.f != filter {
        return Err(FieldViolation::new(
            "page_token",
            "page_token was issued for other filters; keep the filters or start over",
        ));
    }
    let create_time = DateTime::<Utc>::from_timestamp_micros(token.t).ok_or_else(bad)?;
    Ok(ListCursor {
        create_time,
        id: token.i,
    })
}

fn party_type(raw: i32) -> PartyType {
    match pb::HandshakePartyType::try_from(raw) {
        Ok(pb::HandshakePartyType::Account) => PartyType::Account,
        Ok(pb::HandshakePartyType::Email) => PartyType::Email,
        Ok(pb::HandshakePartyType::Organization) => PartyType::Organization,
        _ => PartyType::Unspecified,
    }
}

fn party_type_to_proto(t: PartyType) -> pb::HandshakePartyType {
    match t {
        PartyType::Account => pb::HandshakePartyType::Account,
        PartyType::Email => pb::HandshakePartyType::Email,
        PartyType::Organization => pb::HandshakePartyType::Organization,
        PartyType::Unspecified => pb::HandshakePartyType::Unspecified,
    }
}

fn state_from_proto(s: pb::HandshakeState) -> HandshakeState {
    use pb::HandshakeState as P;
    match s {
        P::Unspecified => HandshakeState::Unspecified,
        P::Requested => HandshakeState::Requested,
        P::Open => HandshakeState::Open,
        P::Canceled => HandshakeState::Canceled,
        P::Accepted => HandshakeState::Accepted,
        P::Declined => HandshakeState::Declined,
        P::Expired => HandshakeState::Expired,
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(kind: pb::HandshakePartyType, id: &str) -> Option<pb::HandshakeParty> {
        Some(pb::HandshakeParty {
            id: id.into(),
            r#type: kind as i32,
        })
    }

    fn fields(v: Violations) -> Vec<String> {
        v.0.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn a_valid_invite_parses() {
        let (rid, inv) = parse_invite(pb::InviteAccountRequest {
            target: target(pb::HandshakePartyType::Email, "juan@example.com"),
            notes: "hi".into(),
            tags: vec![pb::Tag {
                key: "team".into(),
                value: "".into(),
            }],
            request_id: "r-1".into(),
        })
        .unwrap();
        assert_eq!(rid.unwrap().as_str(), "r-1");
        assert_eq!(inv.target.id(), "juan@example.com");
        assert_eq!(inv.tags.iter().count(), 1);
    }

    #[test]
    fn every_bad_field_is_reported_with_its_path() {
        let err = parse_invite(pb::InviteAccountRequest {
            target: target(pb::HandshakePartyType::Account, "12345"),
            notes: "n".repeat(1025),
            tags: vec![
                pb::Tag {
                    key: "ok".into(),
                    value: "".into(),
                },
                pb::Tag {
                    key: "bad*".into(),
                    value: "".into(),
                },
            ],
            request_id: "has space".into(),
        })
        .unwrap_err();
        assert_eq!(
            fields(err),
            ["target.id", "notes", "tags[1].key", "request_id"]
        );
        let missing = parse_invite(pb::InviteAccountRequest::default()).unwrap_err();
        assert_eq!(fields(missing), ["target"]);
        let org = parse_invite(pb::InviteAccountRequest {
            target: target(pb::HandshakePartyType::Organization, "o-abcdefghij"),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(fields(org), ["target.type"]);
    }

    #[test]
    fn page_size_defaults_and_caps() {
        let q = |n| {
            parse_list(&pb::ListHandshakesRequest {
                page_size: n,
                ..Default::default()
            })
        };
        assert_eq!(q(0).unwrap().limit, 50);
        assert_eq!(q(5000).unwrap().limit, 1000);
        assert_eq!(fields(q(-1).unwrap_err()), ["page_size"]);
    }

    #[test]
    fn page_tokens_round_trip_and_are_bound_to_their_filters() {
        let req = pb::ListHandshakesRequest {
            states: vec![pb::HandshakeState::Open as i32],
            target_id: "Juan@Example.com".into(),
            ..Default::default()
        };
        let query = parse_list(&req).unwrap();
        let cursor = ListCursor {
            create_time: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            id: "h-abcdefgh12".into(),
        };
        let token = encode_token(&cursor, &query);
        let next = parse_list(&pb::ListHandshakesRequest {
            page_token: token.clone(),
            ..req.clone()
        });
        assert_eq!(next.unwrap().after, Some(cursor));
        let other = parse_list(&pb::ListHandshakesRequest {
            page_token: token,
            target_id: "someone@else.com".into(),
            ..req
        });
        assert_eq!(fields(other.unwrap_err()), ["page_token"]);
        let junk = parse_list(&pb::ListHandshakesRequest {
            page_token: "not-a-token".into(),
            ..Default::default()
        });
        assert_eq!(fields(junk.unwrap_err()), ["page_token"]);
    }

    #[test]
    fn unspecified_states_are_rejected_in_filters() {
        let err = parse_list(&pb::ListHandshakesRequest {
            states: vec![0, 99],
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(fields(err), ["states[0]", "states[1]"]);
    }

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
