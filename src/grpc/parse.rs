//! Proto requests → domain values, once, at the edge; every bad field
//! becomes one `BadRequest` violation and nothing past here re-validates.
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    domain::{
        FieldViolation, HandshakeId, HandshakeState, IfOpenExists, Invitation, InviteRequest,
        InviteTarget, Notes, OnAcceptFailure, OnboardingSpec, PartyType, RawOnboarding, Renewal,
        RequestId, Violations,
    },
    proto::v1 as pb,
    service::{ListHandshakes, Position},
};

const MAX_TARGET_FILTER_CHARS: usize = 64;

/// The invitation `req` asks for, on behalf of `requested_by` (the caller's
/// identity, None when authentication is off), with its request_id and
/// what to do if the target has an open invitation already.
pub fn parse_invite(
    req: pb::InviteAccountRequest,
    requested_by: Option<String>,
) -> Result<InviteRequest, Violations> {
    let mut v = Violations::default();
    let target = target_of(req.target.as_ref(), &mut v);
    let notes = v.take(Notes::parse(&req.notes));
    let tags = super::campaigns::tags_of(&req.tags, "", &mut v);
    let request_id = optional_request_id(&req.request_id, &mut v);
    let onboarding = match &req.onboarding {
        None => None,
        Some(o) => match parse_onboarding(o, target.as_ref()) {
            Ok(spec) => Some(spec),
            Err(bad) => {
                v.0.extend(bad.0);
                None
            }
        },
    };
    let renewal = match &req.renewal {
        None => None,
        Some(r) => v.take(Renewal::parse(r.max_renewals)).flatten(),
    };
    let if_open_exists = match pb::IfOpenExists::try_from(req.if_open_exists) {
        Ok(pb::IfOpenExists::Unspecified | pb::IfOpenExists::Fail) => IfOpenExists::Fail,
        Ok(pb::IfOpenExists::ReturnExisting) => IfOpenExists::ReturnExisting,
        Err(_) => {
            v.push(FieldViolation::new(
                "if_open_exists",
                "must be FAIL or RETURN_EXISTING",
            ));
            IfOpenExists::Fail
        }
    };
    match (target, notes, tags) {
        (Some(target), Some(notes), Some(tags)) if v.is_empty() => Ok(InviteRequest {
            request_id,
            invitation: Invitation {
                target,
                notes,
                tags,
                requested_by,
                onboarding,
                renewal,
            },
            if_open_exists,
        }),
        _ => Err(v),
    }
}

fn parse_onboarding(
    o: &pb::OnboardingSpec,
    target: Option<&InviteTarget>,
) -> Result<OnboardingSpec, Violations> {
    let on_accept_failure =
        on_accept_failure(o.on_accept_failure).map_err(|v| Violations(vec![v]))?;
    OnboardingSpec::parse(
        RawOnboarding {
            destination_parent_id: &o.destination_parent_id,
            accept_role: &o.accept_role,
            external_id: &o.external_id,
            on_accept_failure,
            leave_previous_organization: o.leave_previous_organization,
        },
        target,
    )
}

/// `onboarding.on_accept_failure`: unset is LEAVE_OPEN.
pub(super) fn on_accept_failure(raw: i32) -> Result<OnAcceptFailure, FieldViolation> {
    match pb::OnAcceptFailure::try_from(raw) {
        Ok(pb::OnAcceptFailure::Unspecified | pb::OnAcceptFailure::LeaveOpen) => {
            Ok(OnAcceptFailure::LeaveOpen)
        }
        Ok(pb::OnAcceptFailure::Cancel) => Ok(OnAcceptFailure::Cancel),
        Err(_) => Err(FieldViolation::new(
            "onboarding.on_accept_failure",
            "must be LEAVE_OPEN or CANCEL",
        )),
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

pub fn parse_list(req: &pb::ListHandshakesRequest) -> Result<ListHandshakes, Violations> {
    let mut v = Violations::default();
    let limit = match i64::from(req.page_size) {
        n if n < 0 => {
            v.push(FieldViolation::new(
                "page_size",
                "page_size must not be negative",
            ));
            0
        }
        0 => ListHandshakes::DEFAULT_LIMIT,
        n => n.min(ListHandshakes::MAX_LIMIT),
    };
    let states = parse_states(&req.states, &mut v);
    if req.target_id.chars().count() > MAX_TARGET_FILTER_CHARS {
        v.push(FieldViolation::new(
            "target_id",
            "target_id must be at most 64 characters",
        ));
    }
    if !req.campaign_id.is_empty() {
        v.take(
            crate::domain::CampaignId::parse(&req.campaign_id)
                .map_err(|e| FieldViolation::new("campaign_id", e.description)),
        );
    }
    let filter = filter_key(&states, &req.target_id, &req.campaign_id);
    let after = if req.page_token.is_empty() {
        None
    } else {
        v.take(decode_token(&req.page_token, &filter))
    };
    if !v.is_empty() {
        return Err(v);
    }
    Ok(ListHandshakes {
        states,
        target_id: (!req.target_id.is_empty()).then(|| req.target_id.clone()),
        campaign_id: (!req.campaign_id.is_empty()).then(|| req.campaign_id.clone()),
        after,
        limit,
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

fn filter_key(states: &[HandshakeState], target_id: &str, campaign_id: &str) -> String {
    let mut names: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let key = format!("{}|{}", names.join(","), target_id.to_lowercase());
    // Unchanged without a campaign: tokens issued before stay good.
    if campaign_id.is_empty() {
        key
    } else {
        format!("{key}|{campaign_id}")
    }
}

pub fn encode_token(cursor: &Position, query: &ListHandshakes) -> String {
    let filter = filter_key(
        &query.states,
        query.target_id.as_deref().unwrap_or_default(),
        query.campaign_id.as_deref().unwrap_or_default(),
    );
    encode_position(cursor, &filter)
}

/// The page token after `cursor` of a newest-first (create_time, id)
/// keyset, for the filters whose key is `filter` (ListHandshakes,
/// ListTransfers).
pub(super) fn encode_position(cursor: &Position, filter: &str) -> String {
    let token = PageToken {
        t: cursor.create_time.timestamp_micros(),
        i: cursor.id.clone(),
        f: filter.to_string(),
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).expect("token serializes"))
}

/// The position `encode_position` wrote, if `s` was issued for `filter`.
pub(super) fn decode_token(s: &str, filter: &str) -> Result<Position, FieldViolation> {
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
    Ok(Position {
        create_time,
        id: token.i,
    })
}

/// A request's idempotency key: None when not given, or its violation.
pub(super) fn optional_request_id(raw: &str, v: &mut Violations) -> Option<RequestId> {
    if raw.is_empty() {
        None
    } else {
        v.take(RequestId::parse(raw))
    }
}

/// The invited party (`target`), or its violation.
pub(super) fn target_of(
    target: Option<&pb::HandshakeParty>,
    v: &mut Violations,
) -> Option<InviteTarget> {
    match target {
        None => {
            v.push(FieldViolation::new("target", "target is required"));
            None
        }
        Some(t) => {
            v.take(InviteTarget::parse(party_type(t.r#type), &t.id).map_err(|e| e.under("target")))
        }
    }
}

pub(super) fn party_type(raw: i32) -> PartyType {
    match pb::HandshakePartyType::try_from(raw) {
        Ok(pb::HandshakePartyType::Account) => PartyType::Account,
        Ok(pb::HandshakePartyType::Email) => PartyType::Email,
        Ok(pb::HandshakePartyType::Organization) => PartyType::Organization,
        _ => PartyType::Unspecified,
    }
}

pub(super) fn state_from_proto(s: pb::HandshakeState) -> HandshakeState {
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
        let InviteRequest {
            request_id: rid,
            invitation: inv,
            ..
        } = parse_invite(
            pb::InviteAccountRequest {
                target: target(pb::HandshakePartyType::Email, "juan@example.com"),
                notes: "hi".into(),
                tags: vec![pb::Tag {
                    key: "team".into(),
                    value: "".into(),
                }],
                request_id: "r-1".into(),
                onboarding: None,
                renewal: None,
                if_open_exists: 0,
            },
            Some("account-factory".into()),
        )
        .unwrap();
        assert_eq!(rid.unwrap().as_str(), "r-1");
        assert_eq!(inv.target.id(), "juan@example.com");
        assert_eq!(inv.tags.iter().count(), 1);
        assert_eq!(inv.requested_by.as_deref(), Some("account-factory"));
    }

    #[test]
    fn every_bad_field_is_reported_with_its_path() {
        let err = parse_invite(
            pb::InviteAccountRequest {
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
                onboarding: None,
                renewal: None,
                if_open_exists: 0,
            },
            None,
        )
        .unwrap_err();
        assert_eq!(
            fields(err),
            ["target.id", "notes", "tags[1].key", "request_id"]
        );
        let missing = parse_invite(pb::InviteAccountRequest::default(), None).unwrap_err();
        assert_eq!(fields(missing), ["target"]);
        let org = parse_invite(
            pb::InviteAccountRequest {
                target: target(pb::HandshakePartyType::Organization, "o-abcdefghij"),
                ..Default::default()
            },
            None,
        )
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
        let cursor = Position {
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
}
