use super::*;

fn account(id: &str) -> pb::CampaignTargetSpec {
    pb::CampaignTargetSpec {
        target: Some(pb::HandshakeParty {
            id: id.into(),
            r#type: pb::HandshakePartyType::Account as i32,
        }),
        ..Default::default()
    }
}

fn request(targets: Vec<pb::CampaignTargetSpec>) -> pb::CreateCampaignRequest {
    pb::CreateCampaignRequest {
        display_name: "fleet".into(),
        request_id: "r-1".into(),
        targets,
        ..Default::default()
    }
}

fn fields(r: Result<NewCampaign, Violations>) -> Vec<String> {
    r.unwrap_err().0.into_iter().map(|f| f.field).collect()
}

#[test]
fn a_bad_target_is_named_by_its_index() {
    let r = parse_create(request(vec![account("111122223333"), account("12")]), None);
    assert_eq!(fields(r), ["targets[1].target.id"]);
}

#[test]
fn duplicates_name_both_indices_emails_whatever_their_case() {
    let email = |id: &str| pb::CampaignTargetSpec {
        target: Some(pb::HandshakeParty {
            id: id.into(),
            r#type: pb::HandshakePartyType::Email as i32,
        }),
        ..Default::default()
    };
    let r = parse_create(
        request(vec![
            email("A@x.com"),
            account("111122223333"),
            email("a@x.com"),
        ]),
        None,
    );
    assert_eq!(fields(r), ["targets[0].target.id", "targets[2].target.id"]);
}

#[test]
fn one_to_a_thousand_targets() {
    assert_eq!(fields(parse_create(request(vec![]), None)), ["targets"]);
    let many = (0..1001).map(|i| account(&format!("{:012}", i))).collect();
    assert_eq!(fields(parse_create(request(many), None)), ["targets"]);
    let most = (0..1000).map(|i| account(&format!("{:012}", i))).collect();
    assert_eq!(
        parse_create(request(most), None).unwrap().targets.len(),
        1000
    );
}

#[test]
fn own_notes_replace_and_unset_if_open_exists_returns_existing() {
    let mut t = account("111122223333");
    t.notes = "mine".into();
    let c = parse_create(request(vec![t]), None).unwrap();
    let inv = c.spec.invitation(&c.targets[0], None);
    assert_eq!(inv.notes.as_str(), "mine");
    assert_eq!(c.spec.if_open_exists, IfOpenExists::ReturnExisting);
}

#[test]
fn leaving_needs_a_role_and_a_role_needs_account_targets() {
    let mut r = request(vec![account("111122223333")]);
    r.onboarding = Some(pb::OnboardingSpec {
        destination_parent_id: "r-abcd".into(),
        leave_previous_organization: true,
        ..Default::default()
    });
    assert_eq!(
        fields(parse_create(r.clone(), None)),
        ["onboarding.leave_previous_organization"]
    );
    r.onboarding.as_mut().unwrap().accept_role = "OrgInvitesAccept".into();
    r.targets.push(pb::CampaignTargetSpec {
        target: Some(pb::HandshakeParty {
            id: "a@x.com".into(),
            r#type: pb::HandshakePartyType::Email as i32,
        }),
        ..Default::default()
    });
    assert_eq!(fields(parse_create(r, None)), ["targets[1].target.type"]);
}
