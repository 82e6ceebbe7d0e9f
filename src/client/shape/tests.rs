//! Tests of `client::shape`.
use super::*;

pub mod lifecycle;

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
            leave_previous_organization: false,
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
