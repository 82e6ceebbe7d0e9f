//! The service's messages in the AWS CLI's output shape: `{"Handshake":
//! {"Id", "Arn", "Parties", ..., "Onboarding"}}`, enum values by their AWS
//! names, timestamps as epoch seconds with milliseconds.
use serde_json::{json, Map, Value};

use crate::proto::v1 as pb;

pub fn handshake(h: &pb::Handshake) -> Value {
    let mut m = Map::new();
    m.insert("Id".into(), json!(h.id));
    if !h.arn.is_empty() {
        m.insert("Arn".into(), json!(h.arn));
    }
    m.insert(
        "Parties".into(),
        Value::Array(h.parties.iter().map(party).collect()),
    );
    if let Some(state) = state_name(h.state) {
        m.insert("State".into(), json!(state));
    }
    if let Some(t) = &h.requested_time {
        m.insert("RequestedTimestamp".into(), epoch(t));
    }
    if let Some(t) = &h.expiration_time {
        m.insert("ExpirationTimestamp".into(), epoch(t));
    }
    if let Some(action) = aws_name(
        h.action,
        pb::HandshakeAction::as_str_name,
        "HANDSHAKE_ACTION_",
    ) {
        m.insert("Action".into(), json!(action));
    }
    m.insert(
        "Resources".into(),
        Value::Array(h.resources.iter().map(resource).collect()),
    );
    if let Some(o) = &h.onboarding {
        m.insert("Onboarding".into(), onboarding(o));
    }
    Value::Object(m)
}

/// `{"Spec", "Status", "Steps", "ParentId"}`; what is unset is left out.
fn onboarding(o: &pb::Onboarding) -> Value {
    let mut m = Map::new();
    if let Some(spec) = &o.spec {
        m.insert("Spec".into(), onboarding_spec(spec));
    }
    if let Some(status) = onboarding_status_name(o.status) {
        m.insert("Status".into(), json!(status));
    }
    m.insert(
        "Steps".into(),
        Value::Array(o.steps.iter().map(onboarding_step).collect()),
    );
    if !o.parent_id.is_empty() {
        m.insert("ParentId".into(), json!(o.parent_id));
    }
    Value::Object(m)
}

fn onboarding_spec(s: &pb::OnboardingSpec) -> Value {
    let mut m = Map::new();
    m.insert("DestinationParentId".into(), json!(s.destination_parent_id));
    if !s.accept_role.is_empty() {
        m.insert("AcceptRole".into(), json!(s.accept_role));
    }
    if !s.external_id.is_empty() {
        m.insert("ExternalId".into(), json!(s.external_id));
    }
    let failure = aws_name(
        s.on_accept_failure,
        pb::OnAcceptFailure::as_str_name,
        "ON_ACCEPT_FAILURE_",
    );
    if let Some(f) = failure {
        m.insert("OnAcceptFailure".into(), json!(f));
    }
    Value::Object(m)
}

fn onboarding_step(s: &pb::OnboardingStep) -> Value {
    let mut m = Map::new();
    let kind = aws_name(
        s.step,
        pb::OnboardingStepKind::as_str_name,
        "ONBOARDING_STEP_KIND_",
    );
    if let Some(k) = kind {
        m.insert("Step".into(), json!(k));
    }
    if let Some(t) = &s.start_time {
        m.insert("StartTimestamp".into(), epoch(t));
    }
    if let Some(t) = &s.end_time {
        m.insert("EndTimestamp".into(), epoch(t));
    }
    m.insert("Attempts".into(), json!(s.attempts));
    if let Some(e) = &s.error {
        let mut err = Map::new();
        err.insert("AwsError".into(), json!(e.aws_error));
        if !e.reason.is_empty() {
            err.insert("Reason".into(), json!(e.reason));
        }
        err.insert("Message".into(), json!(e.message));
        m.insert("Error".into(), Value::Object(err));
    }
    Value::Object(m)
}

/// What `invite`, `get` and `cancel` print.
pub fn handshake_output(h: &pb::Handshake) -> Value {
    json!({ "Handshake": handshake(h) })
}

/// What `watch` and `watch-all` print for each change.
pub fn event_output(e: &pb::HandshakeEvent) -> Value {
    let mut m = Map::new();
    if let Some(h) = &e.handshake {
        m.insert("Handshake".into(), handshake(h));
    }
    if let Some(prev) = state_name(e.previous_state) {
        m.insert("PreviousState".into(), json!(prev));
    }
    if !e.resume_token.is_empty() {
        m.insert("ResumeToken".into(), json!(e.resume_token));
    }
    if let Some(t) = &e.observe_time {
        m.insert("ObservedTimestamp".into(), epoch(t));
    }
    let kind = aws_name(
        e.kind,
        pb::HandshakeEventKind::as_str_name,
        "HANDSHAKE_EVENT_KIND_",
    );
    if let Some(k) = kind {
        m.insert("Kind".into(), json!(k));
    }
    Value::Object(m)
}

fn party(p: &pb::HandshakeParty) -> Value {
    let mut m = Map::new();
    m.insert("Id".into(), json!(p.id));
    if let Some(t) = party_type_name(p.r#type) {
        m.insert("Type".into(), json!(t));
    }
    Value::Object(m)
}

fn resource(r: &pb::HandshakeResource) -> Value {
    let mut m = Map::new();
    m.insert("Value".into(), json!(r.value));
    let type_name = pb::HandshakeResourceType::as_str_name;
    if let Some(t) = aws_name(r.r#type, type_name, "HANDSHAKE_RESOURCE_TYPE_") {
        m.insert("Type".into(), json!(t));
    }
    if !r.resources.is_empty() {
        m.insert(
            "Resources".into(),
            Value::Array(r.resources.iter().map(resource).collect()),
        );
    }
    Value::Object(m)
}

/// `OPEN` for `HANDSHAKE_STATE_OPEN`; `None` for UNSPECIFIED or unknown.
pub fn state_name(state: i32) -> Option<&'static str> {
    aws_name(state, pb::HandshakeState::as_str_name, "HANDSHAKE_STATE_")
}

/// `COMPLETE` for `ONBOARDING_STATUS_COMPLETE`; `None` for UNSPECIFIED or unknown.
pub fn onboarding_status_name(status: i32) -> Option<&'static str> {
    aws_name(
        status,
        pb::OnboardingStatus::as_str_name,
        "ONBOARDING_STATUS_",
    )
}

pub fn party_type_name(t: i32) -> Option<&'static str> {
    aws_name(
        t,
        pb::HandshakePartyType::as_str_name,
        "HANDSHAKE_PARTY_TYPE_",
    )
}

/// The AWS name of a proto enum value: its proto name without the type's
/// prefix; `None` for UNSPECIFIED or a value this build does not know.
fn aws_name<E: TryFrom<i32>>(
    value: i32,
    proto_name: fn(&E) -> &'static str,
    prefix: &str,
) -> Option<&'static str> {
    let full = E::try_from(value).ok()?;
    proto_name(&full)
        .strip_prefix(prefix)
        .filter(|n| *n != "UNSPECIFIED")
}

/// `OPEN` → `HANDSHAKE_STATE_OPEN`, for requests.
pub fn state_from_name(name: &str) -> Option<pb::HandshakeState> {
    pb::HandshakeState::from_str_name(&format!("HANDSHAKE_STATE_{name}"))
        .filter(|s| *s != pb::HandshakeState::Unspecified)
}

pub fn party_type_from_name(name: &str) -> Option<pb::HandshakePartyType> {
    pb::HandshakePartyType::from_str_name(&format!("HANDSHAKE_PARTY_TYPE_{name}"))
        .filter(|t| *t != pb::HandshakePartyType::Unspecified)
}

/// `CANCEL` → `ON_ACCEPT_FAILURE_CANCEL`, for requests.
pub fn on_accept_failure_from_name(name: &str) -> Option<pb::OnAcceptFailure> {
    pb::OnAcceptFailure::from_str_name(&format!("ON_ACCEPT_FAILURE_{name}"))
        .filter(|f| *f != pb::OnAcceptFailure::Unspecified)
}

/// Epoch seconds with milliseconds, as the page's example shows
/// (`1481656459.257`); whole milliseconds keep the float free of noise.
fn epoch(t: &prost_types::Timestamp) -> Value {
    let millis = t.seconds * 1000 + i64::from(t.nanos / 1_000_000);
    json!(millis as f64 / 1000.0)
}

/// A made-up handshake, for `--generate-cli-skeleton output`.
pub fn sample_handshake() -> Value {
    json!({
        "Id": "Id",
        "Arn": "Arn",
        "Parties": [{"Id": "Id", "Type": "Type"}],
        "State": "State",
        "RequestedTimestamp": 0.0,
        "ExpirationTimestamp": 0.0,
        "Action": "Action",
        "Resources": [{"Value": "Value", "Type": "Type", "Resources": [{}]}],
        "Onboarding": {
            "Spec": {
                "DestinationParentId": "DestinationParentId",
                "AcceptRole": "AcceptRole",
                "ExternalId": "ExternalId",
                "OnAcceptFailure": "OnAcceptFailure",
            },
            "Status": "Status",
            "Steps": [{
                "Step": "Step",
                "StartTimestamp": 0.0,
                "EndTimestamp": 0.0,
                "Attempts": 0,
                "Error": {"AwsError": "AwsError", "Reason": "Reason", "Message": "Message"},
            }],
            "ParentId": "ParentId",
        },
    })
}

/// What `invite`, `get` and `cancel` print, made up.
pub fn sample_handshake_output() -> Value {
    json!({ "Handshake": sample_handshake() })
}

/// What `watch` and `watch-all` print per change, made up.
pub fn sample_event_output() -> Value {
    json!({
        "Handshake": sample_handshake(),
        "PreviousState": "PreviousState",
        "ResumeToken": "ResumeToken",
        "ObservedTimestamp": 0.0,
        "Kind": "Kind",
    })
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// The handshake on the AWS CLI page, as the service returns it.
    pub fn page_example() -> pb::Handshake {
        let res = |t: pb::HandshakeResourceType, v: &str, children| pb::HandshakeResource {
            r#type: t as i32,
            value: v.into(),
            resources: children,
        };
        use pb::HandshakeResourceType as R;
        pb::Handshake {
            id: "h-examplehandshakeid111".into(),
            arn: "arn:aws:organizations::111111111111:handshake/o-exampleorgid/invite/h-examplehandshakeid111".into(),
            parties: vec![
                pb::HandshakeParty { id: "o-exampleorgid".into(), r#type: pb::HandshakePartyType::Organization as i32 },
                pb::HandshakeParty { id: "juan@example.com".into(), r#type: pb::HandshakePartyType::Email as i32 },
            ],
            state: pb::HandshakeState::Open as i32,
            requested_time: Some(prost_types::Timestamp { seconds: 1481656459, nanos: 257_000_000 }),
            expiration_time: Some(prost_types::Timestamp { seconds: 1482952459, nanos: 257_000_000 }),
            action: pb::HandshakeAction::Invite as i32,
            resources: vec![
                res(R::Organization, "o-exampleorgid", vec![
                    res(R::MasterEmail, "bill@amazon.com", vec![]),
                    res(R::MasterName, "Org Master Account", vec![]),
                    res(R::OrganizationFeatureSet, "FULL", vec![]),
                ]),
                res(R::Email, "juan@example.com", vec![]),
            ],
            notes: "secret plans".into(),
            ..Default::default()
        }
    }

    fn at(seconds: i64) -> Option<prost_types::Timestamp> {
        Some(prost_types::Timestamp { seconds, nanos: 0 })
    }

    /// The page's handshake for an account, accepted through a role and
    /// placed, its tags still being retried after a throttle.
    pub fn onboarding_example() -> pb::Handshake {
        use pb::OnboardingStepKind as K;
        let step = |step: K, start, end: Option<i64>, attempts, error| pb::OnboardingStep {
            step: step as i32,
            start_time: at(start),
            end_time: end.and_then(at),
            attempts,
            error,
        };
        let mut h = page_example();
        h.parties[1] = pb::HandshakeParty {
            id: "222222222222".into(),
            r#type: pb::HandshakePartyType::Account as i32,
        };
        h.resources.truncate(1);
        h.state = pb::HandshakeState::Accepted as i32;
        h.onboarding = Some(pb::Onboarding {
            spec: Some(pb::OnboardingSpec {
                destination_parent_id: "ou-exampleroot-exampleou".into(),
                accept_role: "arn:aws:iam::222222222222:role/OrgInvitesAccept".into(),
                external_id: String::new(),
                on_accept_failure: pb::OnAcceptFailure::LeaveOpen as i32,
            }),
            status: pb::OnboardingStatus::Tagging as i32,
            steps: vec![
                step(K::Accept, 1481656460, Some(1481656461), 1, None),
                step(K::Place, 1481656461, Some(1481656462), 1, None),
                step(
                    K::Tag,
                    1481656462,
                    None,
                    2,
                    Some(pb::OnboardingError {
                        aws_error: "TooManyRequestsException".into(),
                        reason: String::new(),
                        message: "Rate exceeded".into(),
                    }),
                ),
            ],
            parent_id: "ou-exampleroot-exampleou".into(),
        });
        h
    }

    #[test]
    fn an_onboarding_comes_out_as_an_object_with_aws_names() {
        let got = handshake(&onboarding_example());
        assert_eq!(
            got["Onboarding"],
            json!({
                "Spec": {
                    "DestinationParentId": "ou-exampleroot-exampleou",
                    "AcceptRole": "arn:aws:iam::222222222222:role/OrgInvitesAccept",
                    "OnAcceptFailure": "LEAVE_OPEN"
                },
                "Status": "TAGGING",
                "Steps": [
                    {"Step": "ACCEPT", "StartTimestamp": 1481656460.0,
                     "EndTimestamp": 1481656461.0, "Attempts": 1},
                    {"Step": "PLACE", "StartTimestamp": 1481656461.0,
                     "EndTimestamp": 1481656462.0, "Attempts": 1},
                    {"Step": "TAG", "StartTimestamp": 1481656462.0, "Attempts": 2,
                     "Error": {"AwsError": "TooManyRequestsException",
                               "Message": "Rate exceeded"}}
                ],
                "ParentId": "ou-exampleroot-exampleou"
            })
        );
        assert_eq!(got["State"], "ACCEPTED");
    }

    #[test]
    fn a_failed_onboarding_shows_its_reason_and_what_was_asked() {
        let mut h = onboarding_example();
        let o = h.onboarding.as_mut().unwrap();
        o.status = pb::OnboardingStatus::Failed as i32;
        o.parent_id.clear();
        o.steps.truncate(1);
        o.steps[0].end_time = None;
        o.steps[0].error = Some(pb::OnboardingError {
            aws_error: "HandshakeConstraintViolationException".into(),
            reason: "ACCOUNT_NUMBER_LIMIT_EXCEEDED".into(),
            message: "too many accounts".into(),
        });
        let spec = o.spec.as_mut().unwrap();
        spec.accept_role.clear();
        spec.external_id = "ext-42".into();
        spec.on_accept_failure = pb::OnAcceptFailure::Cancel as i32;
        let got = handshake(&h);
        let o = &got["Onboarding"];
        assert_eq!(o["Status"], "FAILED");
        assert_eq!(
            o["Spec"],
            json!({"DestinationParentId": "ou-exampleroot-exampleou",
                   "ExternalId": "ext-42", "OnAcceptFailure": "CANCEL"})
        );
        assert_eq!(
            o["Steps"][0]["Error"],
            json!({"AwsError": "HandshakeConstraintViolationException",
                   "Reason": "ACCOUNT_NUMBER_LIMIT_EXCEEDED",
                   "Message": "too many accounts"})
        );
        assert!(o["Steps"][0].get("EndTimestamp").is_none(), "{o}");
        assert!(o.get("ParentId").is_none(), "{o}");
    }

    #[test]
    fn an_event_says_what_kind_of_change_it_is_when_the_server_does() {
        let mut e = pb::HandshakeEvent {
            handshake: Some(onboarding_example()),
            previous_state: pb::HandshakeState::Accepted as i32,
            resume_token: "tok".into(),
            observe_time: at(1481656462),
            kind: pb::HandshakeEventKind::Onboarding as i32,
            ..Default::default()
        };
        let got = event_output(&e);
        assert_eq!(got["Kind"], "ONBOARDING");
        assert_eq!(got["PreviousState"], "ACCEPTED");
        assert_eq!(got["Handshake"]["Onboarding"]["Status"], "TAGGING");
        e.kind = pb::HandshakeEventKind::StateChange as i32;
        assert_eq!(event_output(&e)["Kind"], "STATE_CHANGE");
        // A watch's first message is no change: no Kind, as before.
        e.kind = pb::HandshakeEventKind::Unspecified as i32;
        assert!(event_output(&e).get("Kind").is_none());
    }

    #[test]
    fn the_output_skeleton_has_every_member_an_onboarding_can_have() {
        fn keys(v: &Value, path: &str, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    for (k, v) in m {
                        let p = format!("{path}.{k}");
                        out.push(p.clone());
                        keys(v, &p, out);
                    }
                }
                Value::Array(items) => items.iter().for_each(|v| keys(v, path, out)),
                _ => {}
            }
        }
        let (mut sample, mut real) = (Vec::new(), Vec::new());
        keys(&sample_handshake_output(), "", &mut sample);
        let mut h = onboarding_example();
        h.onboarding
            .as_mut()
            .unwrap()
            .spec
            .as_mut()
            .unwrap()
            .external_id = "x".into();
        h.onboarding.as_mut().unwrap().steps[2]
            .error
            .as_mut()
            .unwrap()
            .reason = "R".into();
        keys(&handshake_output(&h), "", &mut real);
        real.sort();
        real.dedup();
        let onboarding: Vec<_> = real
            .iter()
            .filter(|k| k.starts_with(".Handshake.Onboarding"))
            .collect();
        assert_eq!(onboarding.len(), 17, "{onboarding:?}");
        for k in onboarding {
            assert!(sample.contains(k), "{k} is not in the output skeleton");
        }
    }

    #[test]
    fn the_pages_handshake_comes_out_in_the_pages_shape() {
        let got = handshake_output(&page_example());
        let want = json!({
            "Handshake": {
                "Action": "INVITE",
                "Arn": "arn:aws:organizations::111111111111:handshake/o-exampleorgid/invite/h-examplehandshakeid111",
                "ExpirationTimestamp": 1482952459.257,
                "Id": "h-examplehandshakeid111",
                "Parties": [
                    {"Id": "o-exampleorgid", "Type": "ORGANIZATION"},
                    {"Id": "juan@example.com", "Type": "EMAIL"}
                ],
                "RequestedTimestamp": 1481656459.257,
                "Resources": [
                    {
                        "Resources": [
                            {"Type": "MASTER_EMAIL", "Value": "bill@amazon.com"},
                            {"Type": "MASTER_NAME", "Value": "Org Master Account"},
                            {"Type": "ORGANIZATION_FEATURE_SET", "Value": "FULL"}
                        ],
                        "Type": "ORGANIZATION",
                        "Value": "o-exampleorgid"
                    },
                    {"Type": "EMAIL", "Value": "juan@example.com"}
                ],
                "State": "OPEN"
            }
        });
        assert_eq!(got, want);
    }

    #[test]
    fn timestamps_print_as_the_page_prints_them() {
        let v = handshake(&page_example());
        assert_eq!(v["RequestedTimestamp"].to_string(), "1481656459.257");
    }

    #[test]
    fn aws_names_map_both_ways() {
        assert_eq!(
            state_name(pb::HandshakeState::Accepted as i32),
            Some("ACCEPTED")
        );
        assert_eq!(state_name(0), None);
        assert_eq!(state_from_name("OPEN"), Some(pb::HandshakeState::Open));
        assert_eq!(state_from_name("UNSPECIFIED"), None);
        assert_eq!(
            party_type_from_name("EMAIL"),
            Some(pb::HandshakePartyType::Email)
        );
        assert_eq!(party_type_from_name("email"), None);
        assert_eq!(
            onboarding_status_name(pb::OnboardingStatus::NotApplicable as i32),
            Some("NOT_APPLICABLE")
        );
        assert_eq!(onboarding_status_name(0), None);
        assert_eq!(
            on_accept_failure_from_name("LEAVE_OPEN"),
            Some(pb::OnAcceptFailure::LeaveOpen)
        );
        assert_eq!(on_accept_failure_from_name("UNSPECIFIED"), None);
        assert_eq!(on_accept_failure_from_name("cancel"), None);
    }
}
