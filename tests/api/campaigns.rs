//! Campaigns against fakecloud: sent within the quota less the reserve, in
//! index order, members skipped, open invitations adopted, paused, resumed,
//! cancelled, onboarded, and watched to the end.
use std::time::Duration;

use chrono::{DateTime, Utc};
use org_invites::{domain::InviteQuota, proto::v1 as pb};
use tokio_stream::StreamExt;
use tonic::Code;

use crate::helpers::*;

const WAIT: Duration = Duration::from_secs(60);

async fn spawn_with_quota(limit: u32, window: Duration) -> TestApp {
    spawn_app_with(
        fresh_database().await,
        AppOptions {
            quota: InviteQuota { limit, window },
            ..AppOptions::default()
        },
    )
    .await
}

fn targets(ids: &[String]) -> Vec<pb::CampaignTargetSpec> {
    ids.iter()
        .map(|id| pb::CampaignTargetSpec {
            target: account_target(id),
            ..Default::default()
        })
        .collect()
}

fn campaign_of(ids: &[String]) -> pb::CreateCampaignRequest {
    pb::CreateCampaignRequest {
        display_name: "fleet".into(),
        request_id: uuid::Uuid::new_v4().to_string(),
        targets: targets(ids),
        ..Default::default()
    }
}

async fn create(
    app: &TestApp,
    req: pb::CreateCampaignRequest,
) -> Result<pb::Campaign, tonic::Status> {
    app.client
        .clone()
        .create_campaign(req)
        .await
        .map(|r| r.into_inner())
}

async fn get(app: &TestApp, id: &str) -> pb::Campaign {
    app.client
        .clone()
        .get_campaign(pb::GetCampaignRequest { id: id.into() })
        .await
        .expect("GetCampaign")
        .into_inner()
}

async fn targets_of(app: &TestApp, id: &str) -> Vec<pb::CampaignTarget> {
    app.client
        .clone()
        .list_campaign_targets(pb::ListCampaignTargetsRequest {
            campaign_id: id.into(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("ListCampaignTargets")
        .into_inner()
        .targets
}

fn target_state(t: &pb::CampaignTarget) -> pb::CampaignTargetState {
    pb::CampaignTargetState::try_from(t.state).unwrap()
}

fn campaign_state(c: &pb::Campaign) -> pb::CampaignState {
    pb::CampaignState::try_from(c.state).unwrap()
}

/// Accepts, as each account, every campaign invitation still open, until
/// the campaign is DONE; then its final form.
async fn accept_until_done(app: &TestApp, id: &str) -> pb::Campaign {
    let accepted = std::sync::Mutex::new(std::collections::HashSet::new());
    eventually(WAIT, "the campaign DONE", || async {
        for t in targets_of(app, id).await {
            let fresh = accepted.lock().unwrap().insert(t.handshake_id.clone());
            if target_state(&t) == pb::CampaignTargetState::Invited && fresh {
                let account = t.target.as_ref().unwrap().id.clone();
                app.aws.accept(&account, &t.handshake_id).await;
            }
        }
        let c = get(app, id).await;
        (campaign_state(&c) == pb::CampaignState::Done).then_some(c)
    })
    .await
}

/// The most invitations requested within any `window`.
fn most_in_a_window(mut times: Vec<DateTime<Utc>>, window: Duration) -> usize {
    times.sort();
    let window = chrono::Duration::from_std(window).unwrap();
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| **t - times[i] < window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn a_campaign_sends_within_the_quota_less_its_reserve_skips_members_and_ends_done() {
    let window = Duration::from_secs(8);
    let app = spawn_with_quota(3, window).await;
    // A member already: invited directly and accepted.
    let member = random_account_id();
    let h = app.invite(invite_account(&member)).await.unwrap();
    app.aws.accept(&member, &h.id).await;
    eventually(WAIT, "the member recorded as ACCEPTED", || async {
        let h = app.get_handshake(&h.id).await.ok()?;
        (h.state == pb::HandshakeState::Accepted as i32).then_some(())
    })
    .await;

    let mut ids: Vec<String> = (0..4).map(|_| random_account_id()).collect();
    ids.insert(2, member.clone());
    let mut req = campaign_of(&ids);
    req.quota_reserve = 1;
    req.tags = vec![pb::Tag {
        key: "team".into(),
        value: "platform".into(),
    }];
    let created = create(&app, req.clone()).await.expect("CreateCampaign");
    assert!(created.id.starts_with("c-"), "{}", created.id);
    assert_eq!(campaign_state(&created), pb::CampaignState::Active);
    assert_eq!(created.counts.as_ref().unwrap().total, 5);
    assert_eq!(created.quota_reserve, 1);
    // The same request_id returns the same campaign; another request under
    // it is refused.
    assert_eq!(create(&app, req.clone()).await.unwrap().id, created.id);
    let mut other = req.clone();
    other.display_name = "another".into();
    let err = create(&app, other).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(error_info(&err).reason, "REQUEST_ID_REUSED");

    let mut watch = app
        .client
        .clone()
        .watch_campaign(pb::WatchCampaignRequest {
            id: created.id.clone(),
        })
        .await
        .expect("WatchCampaign")
        .into_inner();
    let done = accept_until_done(&app, &created.id).await;
    let counts = done.counts.unwrap();
    assert_eq!(
        (counts.complete, counts.skipped, counts.total),
        (4, 1, 5),
        "{counts:?}"
    );

    let all = targets_of(&app, &created.id).await;
    assert_eq!(target_state(&all[2]), pb::CampaignTargetState::Skipped);
    assert_eq!(all[2].reason, "ALREADY_MEMBER");
    assert!(all[2].handshake_id.is_empty());
    // Sent in index order, one handshake each, linked to the campaign.
    let mut sent = Vec::new();
    for t in all.iter().filter(|t| !t.handshake_id.is_empty()) {
        let h = app.get_handshake(&t.handshake_id).await.unwrap();
        assert_eq!(h.campaign_id, created.id);
        assert_eq!(h.request_id, format!("campaign-{}-{}", created.id, t.index));
        assert!(h.tags.iter().any(|t| t.key == "team"), "{:?}", h.tags);
        sent.push(
            h.requested_time
                .map(|t| DateTime::from_timestamp(t.seconds, t.nanos as u32).unwrap())
                .unwrap(),
        );
        let account = &t.target.as_ref().unwrap().id;
        assert_eq!(
            app.aws.handshakes_for(account).await.len(),
            1,
            "one handshake for {account}"
        );
    }
    assert!(
        sent.windows(2).all(|w| w[0] <= w[1]),
        "in index order: {sent:?}"
    );
    // 3 a window, 1 left to others: never more than 2 within a window (the
    // member's own invitation was sent long before).
    assert!(most_in_a_window(sent.clone(), window) <= 2, "{sent:?}");
    let listed = app
        .client
        .clone()
        .list_handshakes(pb::ListHandshakesRequest {
            campaign_id: created.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .handshakes;
    assert_eq!(listed.len(), 4);

    // The watch saw the changes and ended once DONE.
    let mut last = None;
    let ended = tokio::time::timeout(WAIT, async {
        while let Some(c) = watch.next().await {
            last = Some(c.expect("a campaign"));
        }
    })
    .await;
    assert!(ended.is_ok(), "WatchCampaign ends after DONE");
    assert_eq!(
        campaign_state(last.as_ref().unwrap()),
        pb::CampaignState::Done
    );
}

#[tokio::test]
async fn a_bad_target_duplicates_too_many_and_a_missing_destination_create_nothing() {
    let app = spawn_app().await;
    let ids: Vec<String> = (0..3).map(|_| random_account_id()).collect();
    let mut bad = campaign_of(&ids);
    bad.targets[1].target = account_target("1234");
    let err = create(&app, bad).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violations(&err), ["targets[1].target.id"]);

    let mut dup = campaign_of(&ids);
    dup.targets.push(pb::CampaignTargetSpec {
        target: account_target(&ids[0]),
        ..Default::default()
    });
    let err = create(&app, dup).await.unwrap_err();
    assert_eq!(
        violations(&err),
        ["targets[0].target.id", "targets[3].target.id"]
    );

    let many: Vec<String> = (0..1001).map(|i| format!("{:012}", 100_000 + i)).collect();
    let err = create(&app, campaign_of(&many)).await.unwrap_err();
    assert_eq!(violations(&err), ["targets"]);

    let mut nowhere = campaign_of(&ids);
    nowhere.onboarding = Some(pb::OnboardingSpec {
        destination_parent_id: "ou-abcd-12345678".into(),
        ..Default::default()
    });
    let err = create(&app, nowhere).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");

    let mut reserve = campaign_of(&ids);
    reserve.quota_reserve = 1000;
    let err = create(&app, reserve).await.unwrap_err();
    assert_eq!(violations(&err), ["quota_reserve"]);

    let listed = app
        .client
        .clone()
        .list_campaigns(pb::ListCampaignsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.campaigns.is_empty(), "{listed:?}");
    for id in &ids {
        assert!(
            app.aws.handshakes_for(id).await.is_empty(),
            "nothing sent to {id}"
        );
    }
    let unknown = app
        .client
        .clone()
        .get_campaign(pb::GetCampaignRequest {
            id: "c-0000000000".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
}

#[tokio::test]
async fn an_open_invitation_made_directly_in_fakecloud_is_adopted_not_sent_again() {
    let app = spawn_app().await;
    let account = random_account_id();
    let direct = app
        .aws
        .management_client()
        .invite_account_to_organization()
        .target(
            aws_sdk_organizations::types::HandshakeParty::builder()
                .id(&account)
                .r#type(aws_sdk_organizations::types::HandshakePartyType::Account)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("a direct invitation")
        .handshake
        .unwrap()
        .id
        .unwrap();
    let created = create(&app, campaign_of(std::slice::from_ref(&account)))
        .await
        .unwrap();
    let target = eventually(WAIT, "the target INVITED", || async {
        let t = targets_of(&app, &created.id).await.remove(0);
        (target_state(&t) == pb::CampaignTargetState::Invited).then_some(t)
    })
    .await;
    assert_eq!(target.handshake_id, direct);
    assert_eq!(
        app.aws.handshakes_for(&account).await.len(),
        1,
        "nothing new sent"
    );
    assert_eq!(
        app.get_handshake(&direct).await.unwrap().campaign_id,
        created.id
    );
}

#[tokio::test]
async fn pause_resume_and_cancel_with_and_without_the_open_invitations() {
    let app = spawn_with_quota(1, Duration::from_secs(3600)).await;
    let ids: Vec<String> = (0..3).map(|_| random_account_id()).collect();
    let created = create(&app, campaign_of(&ids)).await.unwrap();
    let id = created.id.clone();
    // The pass records the send, then when the next may go (a write
    // each): wait for both.
    let first = eventually(
        WAIT,
        "the first target sent, and when the next goes",
        || async {
            let c = get(&app, &id).await;
            (c.counts.as_ref()?.invited == 1 && c.next_send_time.is_some()).then_some(c)
        },
    )
    .await;
    assert_eq!(
        first.counts.unwrap().queued,
        2,
        "the quota holds the others"
    );

    let mut client = app.client.clone();
    let paused = client
        .pause_campaign(pb::PauseCampaignRequest { id: id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(campaign_state(&paused), pb::CampaignState::Paused);
    assert!(paused.pause_reason.is_empty(), "paused by hand: no reason");
    let resumed = client
        .resume_campaign(pb::ResumeCampaignRequest { id: id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(campaign_state(&resumed), pb::CampaignState::Active);

    let canceled = client
        .cancel_campaign(pb::CancelCampaignRequest {
            id: id.clone(),
            cancel_open_invitations: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(campaign_state(&canceled), pb::CampaignState::Canceled);
    let counts = canceled.counts.unwrap();
    assert_eq!((counts.skipped, counts.canceled), (2, 1), "{counts:?}");
    let all = targets_of(&app, &id).await;
    let open = all.iter().find(|t| !t.handshake_id.is_empty()).unwrap();
    let aws = app
        .aws
        .handshakes_for(&open.target.as_ref().unwrap().id)
        .await;
    assert_eq!(aws.len(), 1);
    assert!(
        format!("{:?}", aws[0]).contains("Canceled"),
        "cancelled in AWS: {aws:?}"
    );
    for t in all.iter().filter(|t| t.handshake_id.is_empty()) {
        assert_eq!(t.reason, "CAMPAIGN_CANCELED");
    }
    let again = client
        .resume_campaign(pb::ResumeCampaignRequest { id: id.clone() })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);

    // Without cancel_open_invitations the open one stays open.
    let more: Vec<String> = (0..2).map(|_| random_account_id()).collect();
    let app2 = spawn_with_quota(1, Duration::from_secs(3600)).await;
    let c2 = create(&app2, campaign_of(&more)).await.unwrap();
    eventually(WAIT, "the first target sent", || async {
        (get(&app2, &c2.id).await.counts?.invited == 1).then_some(())
    })
    .await;
    let canceled = app2
        .client
        .clone()
        .cancel_campaign(pb::CancelCampaignRequest {
            id: c2.id.clone(),
            cancel_open_invitations: false,
        })
        .await
        .unwrap()
        .into_inner();
    let counts = canceled.counts.unwrap();
    assert_eq!((counts.skipped, counts.invited), (1, 1), "{counts:?}");
}

#[tokio::test]
async fn onboarding_through_roles_ends_complete_with_the_accounts_in_the_ou() {
    let app = spawn_app().await;
    let ou = app.aws.create_ou("landing").await;
    let ids: Vec<String> = (0..2).map(|_| random_account_id()).collect();
    for id in &ids {
        app.aws.create_role(id, "OrgInvitesAccept", None).await;
    }
    let mut req = campaign_of(&ids);
    req.onboarding = Some(pb::OnboardingSpec {
        destination_parent_id: ou.clone(),
        accept_role: "OrgInvitesAccept".into(),
        ..Default::default()
    });
    req.targets[1].tags = vec![pb::Tag {
        key: "owner".into(),
        value: "b".into(),
    }];
    let created = create(&app, req).await.unwrap();
    let done = eventually(WAIT, "the campaign DONE", || async {
        let c = get(&app, &created.id).await;
        (campaign_state(&c) == pb::CampaignState::Done).then_some(c)
    })
    .await;
    assert_eq!(done.counts.unwrap().complete, 2);
    for id in &ids {
        assert_eq!(app.aws.parent_of(id).await.as_deref(), Some(ou.as_str()));
    }
    assert_eq!(app.aws.tags_of(&ids[1]).await, ["owner=b"]);
}

#[tokio::test]
async fn the_status_page_and_metrics_show_a_campaigns_progress() {
    let app = spawn_app_with(
        fresh_database().await,
        AppOptions {
            http: true,
            ..AppOptions::default()
        },
    )
    .await;
    let ids: Vec<String> = (0..3).map(|_| random_account_id()).collect();
    let created = create(&app, campaign_of(&ids)).await.unwrap();
    let h = eventually(WAIT, "the first target INVITED", || async {
        let t = targets_of(&app, &created.id).await.remove(0);
        (target_state(&t) == pb::CampaignTargetState::Invited).then_some(t.handshake_id)
    })
    .await;
    app.aws.decline(&ids[0], &h).await;
    let addr = app.http_addr.unwrap();
    let shown = eventually(WAIT, "the decline on the status page", || async {
        let (_, _, body) = http_request(addr, "GET", "/api/campaigns", &[], b"").await;
        let v: serde_json::Value = serde_json::from_slice(&body).ok()?;
        let c = v["campaigns"][0].clone();
        (c["counts"]["DECLINED"] == 1).then_some(c)
    })
    .await;
    assert_eq!(shown["id"], created.id.as_str());
    assert_eq!(shown["name"], "fleet");
    assert_eq!(shown["total"], 3);
    assert!(shown["finished"].as_u64().unwrap() >= 1, "{shown}");
    let (_, _, page) = http_request(addr, "GET", "/", &[], b"").await;
    assert!(String::from_utf8_lossy(&page).contains("api/campaigns"));
    let (_, _, metrics) = http_request(addr, "GET", "/metrics", &[], b"").await;
    let metrics = String::from_utf8_lossy(&metrics);
    assert!(
        metrics.contains("org_invites_campaign_targets{state=\"DECLINED\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_member_of_a_second_organization_is_moved_with_the_flag_and_failed_without() {
    use crate::leave::{join, members, second_organization};
    let app = spawn_app().await;
    let ou = app.aws.create_ou("moved").await;
    let other = second_organization(&app.aws).await;
    let (moved, stays) = (random_account_id(), random_account_id());
    for account in [&moved, &stays] {
        join(&app.aws, &other, account).await;
        app.aws.create_role(account, "OrgInvitesAccept", None).await;
    }
    let mut with_flag = campaign_of(std::slice::from_ref(&moved));
    with_flag.onboarding = Some(pb::OnboardingSpec {
        destination_parent_id: ou.clone(),
        accept_role: "OrgInvitesAccept".into(),
        leave_previous_organization: true,
        ..Default::default()
    });
    with_flag.tags = vec![pb::Tag {
        key: "from".into(),
        value: "acquired".into(),
    }];
    let mut without = with_flag.clone();
    without.request_id = uuid::Uuid::new_v4().to_string();
    without.targets = targets(std::slice::from_ref(&stays));
    without
        .onboarding
        .as_mut()
        .unwrap()
        .leave_previous_organization = false;
    let (a, b) = (
        create(&app, with_flag).await.unwrap(),
        create(&app, without).await.unwrap(),
    );
    for c in [&a, &b] {
        eventually(WAIT, "the campaign DONE", || async {
            (campaign_state(&get(&app, &c.id).await) == pb::CampaignState::Done).then_some(())
        })
        .await;
    }
    let t = targets_of(&app, &a.id).await.remove(0);
    assert_eq!(target_state(&t), pb::CampaignTargetState::Complete, "{t:?}");
    assert_eq!(
        app.aws.parent_of(&moved).await.as_deref(),
        Some(ou.as_str())
    );
    assert_eq!(app.aws.tags_of(&moved).await, ["from=acquired"]);
    let h = app.get_handshake(&t.handshake_id).await.unwrap();
    let steps: Vec<_> = h.onboarding.unwrap().steps.iter().map(|s| s.step).collect();
    assert_eq!(
        steps.first(),
        Some(&(pb::OnboardingStepKind::Leave as i32)),
        "{steps:?}"
    );
    assert!(!members(&other).await.contains(&moved));

    let t = targets_of(&app, &b.id).await.remove(0);
    assert_eq!(target_state(&t), pb::CampaignTargetState::Failed);
    assert!(
        t.reason.contains("ALREADY_IN_AN_ORGANIZATION"),
        "{}",
        t.reason
    );
    assert!(members(&other).await.contains(&stays));
}

/// The polling replica is killed with -9 while AWS makes a campaign's
/// invitation whose answer it never hears; the other replica takes over,
/// finds it, and finishes the campaign: one handshake per target.
#[tokio::test]
async fn kill_9_during_a_campaign_leaves_exactly_one_handshake_per_target() {
    use crate::{binary::BIN, process::*};
    let fakecloud = Fakecloud::start().await;
    let db = fresh_database().await;
    let spec = ReplicaSpec::new(BIN, &db, &fakecloud.endpoint);
    let gate = AwsGate::start(&fakecloud.endpoint).await;
    let a = ReplicaSpec {
        aws_endpoint: gate.endpoint.clone(),
        ..spec.clone()
    }
    .start("replica-a")
    .await;
    let started = tokio::time::Instant::now() - Duration::from_secs(1);
    a.wait_for_log("first sweep as the poller", started, WAIT)
        .await;
    let b = spec.start("replica-b").await;
    let mut to_b = serving(&b).await;

    let ids: Vec<String> = (0..3).map(|_| random_account_id()).collect();
    gate.arm(Catch::Swallow);
    let created = to_b
        .create_campaign(campaign_of(&ids))
        .await
        .expect("CreateCampaign")
        .into_inner();
    let _caught = gate.caught().await;
    eventually(WAIT, "AWS to list the first invitation", || async {
        (!fakecloud.handshakes_for(&ids[0]).await.is_empty()).then_some(())
    })
    .await;
    a.signal("KILL");
    a.exited().await;

    let accepted = std::sync::Mutex::new(std::collections::HashSet::new());
    eventually(WAIT, "the campaign DONE on the other replica", || async {
        let mut c = to_b.clone();
        let targets = c
            .list_campaign_targets(pb::ListCampaignTargetsRequest {
                campaign_id: created.id.clone(),
                ..Default::default()
            })
            .await
            .ok()?
            .into_inner()
            .targets;
        for t in &targets {
            let invited = target_state(t) == pb::CampaignTargetState::Invited;
            if invited && accepted.lock().unwrap().insert(t.handshake_id.clone()) {
                fakecloud
                    .accept(&t.target.as_ref().unwrap().id, &t.handshake_id)
                    .await;
            }
        }
        let now = c
            .get_campaign(pb::GetCampaignRequest {
                id: created.id.clone(),
            })
            .await
            .ok()?
            .into_inner();
        (campaign_state(&now) == pb::CampaignState::Done).then_some(())
    })
    .await;
    for id in &ids {
        assert_eq!(
            fakecloud.handshakes_for(id).await.len(),
            1,
            "one handshake for {id}"
        );
    }
}

#[tokio::test]
async fn the_older_campaign_sends_first_and_the_newer_waits_for_a_slot() {
    let app = spawn_with_quota(2, Duration::from_secs(3600)).await;
    let older: Vec<String> = (0..2).map(|_| random_account_id()).collect();
    let newer: Vec<String> = (0..2).map(|_| random_account_id()).collect();
    let a = create(&app, campaign_of(&older)).await.unwrap();
    let b = create(&app, campaign_of(&newer)).await.unwrap();
    eventually(WAIT, "the older campaign's two sent", || async {
        (get(&app, &a.id).await.counts?.invited == 2).then_some(())
    })
    .await;
    let waiting = eventually(WAIT, "the newer campaign told when it sends", || async {
        let c = get(&app, &b.id).await;
        c.next_send_time.is_some().then_some(c)
    })
    .await;
    assert_eq!(
        waiting.counts.unwrap().queued,
        2,
        "nothing of the newer one sent"
    );
    for id in &newer {
        assert!(app.aws.handshakes_for(id).await.is_empty());
    }
}

/// An expired invitation with a renewal left is sent again: its target
/// follows the new handshake; one with none left is EXPIRED.
#[tokio::test]
async fn a_target_follows_its_renewal_and_expires_with_none_left() {
    let (fakecloud, clock) = Fakecloud::start_with_clock().await;
    let app = spawn_app_with(
        fresh_database().await,
        AppOptions {
            fakecloud: Some(fakecloud.clone()),
            ..AppOptions::default()
        },
    )
    .await;
    let (renewed, expires) = (random_account_id(), random_account_id());
    let mut with_renewal = campaign_of(std::slice::from_ref(&renewed));
    with_renewal.renewal = Some(pb::RenewalSpec { max_renewals: 1 });
    let a = create(&app, with_renewal).await.unwrap();
    let b = create(&app, campaign_of(std::slice::from_ref(&expires)))
        .await
        .unwrap();
    let first = eventually(WAIT, "both sent", || async {
        let ta = targets_of(&app, &a.id).await.remove(0);
        let tb = targets_of(&app, &b.id).await.remove(0);
        (!ta.handshake_id.is_empty() && !tb.handshake_id.is_empty()).then_some(ta.handshake_id)
    })
    .await;
    clock.set("+16d");
    let again = eventually(WAIT, "the target on its renewal", || async {
        let t = targets_of(&app, &a.id).await.remove(0);
        (t.handshake_id != first && target_state(&t) == pb::CampaignTargetState::Invited)
            .then_some(t.handshake_id)
    })
    .await;
    assert_eq!(app.get_handshake(&again).await.unwrap().campaign_id, a.id);
    eventually(WAIT, "the other EXPIRED, its campaign DONE", || async {
        let t = targets_of(&app, &b.id).await.remove(0);
        let done = campaign_state(&get(&app, &b.id).await) == pb::CampaignState::Done;
        (target_state(&t) == pb::CampaignTargetState::Expired && done).then_some(())
    })
    .await;
    fakecloud.accept(&renewed, &again).await;
    eventually(WAIT, "the renewed one COMPLETE", || async {
        let t = targets_of(&app, &a.id).await.remove(0);
        (target_state(&t) == pb::CampaignTargetState::Complete).then_some(())
    })
    .await;
}
