//! An invitation's whole 15-day life against fakecloud, its clock moved by
//! libfaketime: the expiry warning, renewal on expiry (once, also across a
//! crash, and after waiting for the quota), reuse of an open invitation,
//! and the account slots GetInvitationQuota reports.
use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use org_invites::{
    aws::{Around, Call, Decorated, Operation},
    proto::v1 as pb,
};
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::*;

/// 15 days less `secs`: the warning comes `secs` after an invitation is sent.
fn warning_after(secs: u64) -> Duration {
    Duration::from_secs(15 * 86400 - secs)
}

fn kind(e: &pb::HandshakeEvent) -> pb::HandshakeEventKind {
    e.kind()
}

fn renewal_of(e: &pb::HandshakeEvent) -> Option<pb::Renewal> {
    e.handshake.as_ref()?.renewal.clone()
}

async fn app_on(fakecloud: Arc<Fakecloud>, opts: AppOptions) -> TestApp {
    spawn_app_with(
        fresh_database().await,
        AppOptions {
            fakecloud: Some(fakecloud),
            ..opts
        },
    )
    .await
}

fn renewing(account: &str, times: i32) -> pb::InviteAccountRequest {
    pb::InviteAccountRequest {
        renewal: Some(pb::RenewalSpec {
            max_renewals: times,
        }),
        request_id: uuid::Uuid::new_v4().to_string(),
        ..invite_account(account)
    }
}

#[tokio::test]
async fn an_open_invitation_is_warned_about_once_before_it_expires() {
    let (fakecloud, clock) = Fakecloud::start_with_clock().await;
    let mut opts = AppOptions {
        http: true,
        ..AppOptions::default()
    };
    opts.poller.expiry_warning = warning_after(3);
    let app = app_on(fakecloud, opts).await;
    let h = app
        .invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let mut stream = app.watch(&h.id).await;
    let first = next_event(&mut stream).await.unwrap();
    assert!(first.handshake.unwrap().expiry_warning_time.is_none());

    // Three seconds later the invitation is within its warning.
    let warned = next_event(&mut stream).await.unwrap();
    assert_eq!(kind(&warned), pb::HandshakeEventKind::ExpiringSoon);
    assert_eq!(state_of(&warned), pb::HandshakeState::Open);
    assert!(warned
        .handshake
        .as_ref()
        .unwrap()
        .expiry_warning_time
        .is_some());
    let metrics = scrape(&app).await;
    assert!(
        metrics.contains("org_invites_handshakes_expiring 1"),
        "{metrics}"
    );
    let (_, _, summary) =
        http_request(app.http_addr.unwrap(), "GET", "/api/summary", &[], b"").await;
    let summary: serde_json::Value = serde_json::from_slice(&summary).unwrap();
    let row = &summary["handshakes"][0];
    assert_eq!(row["id"], h.id.as_str());
    assert_eq!(
        row["expiring_soon"], true,
        "the status page marks it: {row}"
    );

    clock.set("+16d");
    let expired = next_event(&mut stream).await.unwrap();
    assert_eq!(state_of(&expired), pb::HandshakeState::Expired);
    assert!(next_event(&mut stream).await.is_none());
    // Once only, however many sweeps ran meanwhile.
    let warnings: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM handshake_events WHERE handshake_id = $1 AND kind = 'EXPIRING_SOON'",
    )
    .bind(&h.id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(warnings, 1);
}

#[tokio::test]
async fn an_expired_invitation_is_renewed_once_and_linked_both_ways() {
    let (fakecloud, clock) = Fakecloud::start_with_clock().await;
    let app = app_on(fakecloud.clone(), AppOptions::default()).await;
    let account = random_account_id();
    let first = app.invite(renewing(&account, 1)).await.unwrap();
    let mut stream = app.watch(&first.id).await;
    next_event(&mut stream).await.unwrap();

    clock.set("+16d");
    let mut last = None;
    while let Some(e) = next_event(&mut stream).await {
        last = Some(e);
    }
    let last = last.expect("changes");
    assert_eq!(state_of(&last), pb::HandshakeState::Expired);
    assert_eq!(kind(&last), pb::HandshakeEventKind::Renewal);
    let renewed_to = renewal_of(&last).unwrap().renewed_to;
    assert!(renewed_to.starts_with("h-"), "{last:?}");

    let second = app.get_handshake(&renewed_to).await.unwrap();
    assert_eq!(second.state(), pb::HandshakeState::Open);
    let link = second.renewal.as_ref().unwrap();
    assert_eq!(link.renewed_from, first.id);
    assert_eq!(link.renewals_left, 0);
    assert_eq!(second.target, first.target);
    let in_aws = fakecloud.handshakes_for(&account).await;
    assert_eq!(in_aws.len(), 2, "one new invitation in AWS");

    // The renewal expires too, and is not renewed again.
    let mut stream = app.watch(&renewed_to).await;
    next_event(&mut stream).await.unwrap();
    clock.set("+32d");
    let mut last = None;
    while let Some(e) = next_event(&mut stream).await {
        last = Some(e);
    }
    assert_eq!(state_of(&last.unwrap()), pb::HandshakeState::Expired);
    assert_eq!(fakecloud.handshakes_for(&account).await.len(), 2);
    assert!(app
        .get_handshake(&renewed_to)
        .await
        .unwrap()
        .renewal
        .unwrap()
        .renewed_to
        .is_empty());
}

#[tokio::test]
async fn a_declined_or_cancelled_invitation_is_never_renewed() {
    let (fakecloud, clock) = Fakecloud::start_with_clock().await;
    let app = app_on(fakecloud.clone(), AppOptions::default()).await;
    let (declines, cancelled) = (random_account_id(), random_account_id());
    let d = app.invite(renewing(&declines, 3)).await.unwrap();
    let c = app.invite(renewing(&cancelled, 3)).await.unwrap();
    fakecloud.decline(&declines, &d.id).await;
    app.cancel(&c.id).await;
    for id in [&d.id, &c.id] {
        let mut stream = app.watch(id).await;
        while next_event(&mut stream).await.is_some() {}
    }
    // A third one expires and is renewed: the renewal pass that does it has
    // looked at the other two as well.
    let expires = random_account_id();
    let e = app.invite(renewing(&expires, 1)).await.unwrap();
    let mut stream = app.watch(&e.id).await;
    next_event(&mut stream).await.unwrap();
    clock.set("+16d");
    let mut last = None;
    while let Some(event) = next_event(&mut stream).await {
        last = Some(event);
    }
    assert!(!renewal_of(&last.unwrap()).unwrap().renewed_to.is_empty());
    for account in [&declines, &cancelled] {
        assert_eq!(
            fakecloud.handshakes_for(account).await.len(),
            1,
            "not renewed"
        );
    }
}

/// The renewal counts against the daily quota like any invitation: with the
/// quota used up it waits (recorded, visible on Get) and is sent when the
/// window frees a slot.
#[tokio::test]
async fn a_renewal_waits_for_a_free_slot_in_the_quota() {
    let (fakecloud, clock) = Fakecloud::start_with_clock().await;
    let mut opts = AppOptions::default();
    opts.quota.limit = 1;
    opts.quota.window = Duration::from_secs(15);
    let app = app_on(fakecloud.clone(), opts).await;
    let account = random_account_id();
    let first = app.invite(renewing(&account, 1)).await.unwrap();
    let mut all = app
        .client
        .clone()
        .watch_handshakes(pb::WatchHandshakesRequest::default())
        .await
        .unwrap()
        .into_inner();
    clock.set("+16d");
    let mut waited = false;
    let renewed_to = loop {
        let e = next_event(&mut all).await.expect("events go on");
        let Some(renewal) = renewal_of(&e).filter(|_| e.handshake.as_ref().unwrap().id == first.id)
        else {
            continue;
        };
        if renewal.waiting_until.is_some() && renewal.renewed_to.is_empty() {
            waited = true;
            let got = app.get_handshake(&first.id).await.unwrap().renewal.unwrap();
            assert!(got.waiting_until.is_some(), "visible on Get: {got:?}");
            assert!(got.reason.contains("quota"), "{got:?}");
        }
        if !renewal.renewed_to.is_empty() {
            break renewal.renewed_to;
        }
    };
    assert!(waited, "the renewal waited for the quota first");
    assert_eq!(
        app.get_handshake(&renewed_to).await.unwrap().state(),
        pb::HandshakeState::Open
    );
    assert_eq!(fakecloud.handshakes_for(&account).await.len(), 2);
}

/// Hangs the second InviteAccountToOrganization after AWS answered it, as
/// if the process died there: the renewal was sent, not recorded.
struct HangAfterSecondInvite {
    invites: AtomicUsize,
    hung: Arc<tokio::sync::Notify>,
}

impl Around for HangAfterSecondInvite {
    fn around<'a, T: Send + 'a>(&'a self, op: Operation, call: Call<'a, T>) -> Call<'a, T> {
        Box::pin(async move {
            let result = call.await;
            if op == Operation::InviteAccountToOrganization
                && self.invites.fetch_add(1, Ordering::SeqCst) == 1
            {
                self.hung.notify_one();
                std::future::pending::<()>().await;
            }
            result
        })
    }
}

#[tokio::test]
async fn a_renewal_sent_by_a_replica_that_died_is_recorded_once_by_the_next() {
    let (fakecloud, clock) = Fakecloud::start_with_clock().await;
    let db = fresh_database().await;
    let proxy = PgProxy::start(&db).await;
    let hung = Arc::new(tokio::sync::Notify::new());
    let dying = Arc::new(Decorated::with(
        fakecloud.organizations(),
        HangAfterSecondInvite {
            invites: AtomicUsize::new(0),
            hung: hung.clone(),
        },
    ));
    let first_replica = spawn_app_with(
        db.clone(),
        AppOptions {
            database: Some(proxy.options(&db)),
            fakecloud: Some(fakecloud.clone()),
            aws: Some(dying),
            ..AppOptions::default()
        },
    )
    .await;
    crate::replicas::wait_for_holder(&first_replica, None).await;
    let second_replica = spawn_app_with(
        db.clone(),
        AppOptions {
            fakecloud: Some(fakecloud.clone()),
            invite_grace: Duration::from_secs(2),
            ..AppOptions::default()
        },
    )
    .await;
    let account = random_account_id();
    let first = first_replica.invite(renewing(&account, 1)).await.unwrap();
    clock.set("+16d");
    tokio::time::timeout(Duration::from_secs(60), hung.notified())
        .await
        .expect("the first replica sends the renewal");
    proxy.cut();

    let mut stream = second_replica.watch(&first.id).await;
    let mut last = None;
    while let Some(e) = next_event(&mut stream).await {
        last = Some(e);
    }
    let renewed_to = renewal_of(&last.unwrap()).unwrap().renewed_to;
    assert!(renewed_to.starts_with("h-"));
    let in_aws = fakecloud.handshakes_for(&account).await;
    assert_eq!(in_aws.len(), 2, "the renewal was sent once: {in_aws:?}");
    assert!(in_aws.iter().any(|h| h.id() == Some(renewed_to.as_str())));
}

fn return_existing(req: pb::InviteAccountRequest) -> pb::InviteAccountRequest {
    pb::InviteAccountRequest {
        if_open_exists: pb::IfOpenExists::ReturnExisting as i32,
        request_id: uuid::Uuid::new_v4().to_string(),
        ..req
    }
}

#[tokio::test]
async fn return_existing_answers_with_the_open_invitation_and_sends_nothing() {
    let app = spawn_app().await;
    let account = random_account_id();
    let made = app.invite(invite_account(&account)).await.unwrap();
    let again = app
        .invite(return_existing(invite_account(&account)))
        .await
        .unwrap();
    assert_eq!(again.id, made.id);
    // FAIL, the default, keeps ALREADY_EXISTS.
    let err = app.invite(invite_account(&account)).await.unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert_eq!(app.aws.handshakes_for(&account).await.len(), 1);

    // Made outside the service (directly in AWS): adopted and returned.
    let outside = random_account_id();
    let direct = app
        .aws
        .management_client()
        .invite_account_to_organization()
        .target(
            aws_sdk_organizations::types::HandshakeParty::builder()
                .id(&outside)
                .r#type(aws_sdk_organizations::types::HandshakePartyType::Account)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let direct_id = direct.handshake().unwrap().id().unwrap().to_string();
    let adopted = app
        .invite(return_existing(invite_account(&outside)))
        .await
        .unwrap();
    assert_eq!(adopted.id, direct_id);
    assert_eq!(app.aws.handshakes_for(&outside).await.len(), 1);
    assert_eq!(
        app.get_handshake(&direct_id).await.unwrap().state(),
        pb::HandshakeState::Open
    );
}

#[tokio::test]
async fn return_existing_attaches_missing_settings_and_refuses_other_ones() {
    let app = spawn_app().await;
    let account = random_account_id();
    let root = app.aws.root_id().await;
    let made = app.invite(invite_account(&account)).await.unwrap();
    let with_onboarding = pb::InviteAccountRequest {
        onboarding: Some(pb::OnboardingSpec {
            destination_parent_id: root.clone(),
            ..Default::default()
        }),
        ..renewing(&account, 2)
    };
    let attached = app.invite(return_existing(with_onboarding)).await.unwrap();
    assert_eq!(attached.id, made.id);
    let got = app.get_handshake(&made.id).await.unwrap();
    assert_eq!(
        got.onboarding.unwrap().spec.unwrap().destination_parent_id,
        root
    );
    assert_eq!(got.renewal.unwrap().renewals_left, 2);

    let ou = app.aws.create_ou("Elsewhere").await;
    let other = pb::InviteAccountRequest {
        onboarding: Some(pb::OnboardingSpec {
            destination_parent_id: ou,
            ..Default::default()
        }),
        ..invite_account(&account)
    };
    let err = app.invite(return_existing(other)).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let failure = err.get_details_precondition_failure().unwrap();
    assert!(
        failure.violations[0].subject.contains(&made.id),
        "{failure:?}"
    );
    assert_eq!(app.aws.handshakes_for(&account).await.len(), 1);
}

async fn quota(app: &TestApp) -> pb::InvitationQuota {
    app.client
        .clone()
        .get_invitation_quota(pb::GetInvitationQuotaRequest {})
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn pending_invitations_and_member_accounts_match_aws() {
    let app = spawn_app().await;
    let accounts: Vec<String> = (0..3).map(|_| random_account_id()).collect();
    let mut ids = Vec::new();
    for a in &accounts {
        ids.push(app.invite(invite_account(a)).await.unwrap().id);
    }
    app.aws.accept(&accounts[0], &ids[0]).await;
    app.cancel(&ids[1]).await;
    let mut stream = app.watch(&ids[0]).await;
    while next_event(&mut stream).await.is_some() {}

    let members = app
        .aws
        .management_client()
        .list_accounts()
        .send()
        .await
        .unwrap()
        .accounts()
        .len() as i32;
    assert_eq!(members, 2, "the management account and the one that joined");
    // The polling replica counts members after a sweep that saw a change.
    let q = eventually(
        Duration::from_secs(30),
        "the member count to catch up",
        || async {
            let q = quota(&app).await;
            if q.member_accounts == members {
                Ok(q)
            } else {
                Err(q)
            }
        },
    )
    .await;
    assert_eq!(q.pending_invitations, 1, "{q:?}");
    assert!(q.member_accounts_time.is_some());
}
