//! Onboarding to completion against fakecloud: accept through a role in the
//! invited account, place the account in its OU, make sure its tags are
//! there; failures, a missing destination, and a leader lost mid-way.
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

const ROLE: &str = "OrgInvitesAccept";

fn onboarding(
    account: &str,
    destination: &str,
    role: &str,
    on_failure: pb::OnAcceptFailure,
) -> pb::InviteAccountRequest {
    pb::InviteAccountRequest {
        tags: vec![
            pb::Tag {
                key: "team".into(),
                value: "core".into(),
            },
            pb::Tag {
                key: "env".into(),
                value: String::new(),
            },
        ],
        request_id: uuid::Uuid::new_v4().to_string(),
        onboarding: Some(pb::OnboardingSpec {
            destination_parent_id: destination.into(),
            accept_role: role.into(),
            external_id: String::new(),
            on_accept_failure: on_failure as i32,
            leave_previous_organization: false,
        }),
        ..invite_account(account)
    }
}

fn status_of(e: &pb::HandshakeEvent) -> Option<pb::OnboardingStatus> {
    let o = e.handshake.as_ref()?.onboarding.as_ref()?;
    pb::OnboardingStatus::try_from(o.status).ok()
}

/// Every message of WatchHandshake on `id`, to its end.
async fn watch_to_the_end(app: &TestApp, id: &str) -> Vec<pb::HandshakeEvent> {
    let mut stream = app.watch(id).await;
    let mut seen = Vec::new();
    while let Some(e) = next_event(&mut stream).await {
        seen.push(e);
    }
    seen
}

/// The org-wide events of `id` until its onboarding is final.
async fn events_until_final(
    stream: &mut tonic::Streaming<pb::HandshakeEvent>,
    id: &str,
) -> Vec<(
    pb::HandshakeEventKind,
    pb::HandshakeState,
    pb::OnboardingStatus,
)> {
    let mut seen = Vec::new();
    loop {
        let e = next_event(stream)
            .await
            .expect("the org-wide stream goes on");
        if e.handshake.as_ref().map(|h| h.id.as_str()) != Some(id) {
            continue;
        }
        let status = status_of(&e).expect("an onboarding");
        seen.push((e.kind(), state_of(&e), status));
        if matches!(
            status,
            pb::OnboardingStatus::Complete
                | pb::OnboardingStatus::Failed
                | pb::OnboardingStatus::NotApplicable
        ) {
            return seen;
        }
    }
}

#[tokio::test]
async fn an_account_is_accepted_placed_and_tagged_through_its_role() {
    use pb::{HandshakeEventKind as K, HandshakeState as S, OnboardingStatus as O};
    let app = spawn_app().await;
    let account = random_account_id();
    app.aws.create_role(&account, ROLE, None).await;
    let ou = app.aws.create_ou("Workloads").await;
    let mut all = app.watch_all().await;

    let h = app
        .invite(onboarding(
            &account,
            &ou,
            ROLE,
            pb::OnAcceptFailure::LeaveOpen,
        ))
        .await
        .unwrap();
    let watched = watch_to_the_end(&app, &h.id).await;
    let seen = events_until_final(&mut all, &h.id).await;
    assert_eq!(
        seen,
        [
            (K::StateChange, S::Open, O::Pending),
            (K::Onboarding, S::Open, O::Accepting),
            (K::StateChange, S::Accepted, O::Accepting),
            (K::Onboarding, S::Accepted, O::Placing),
            (K::Onboarding, S::Accepted, O::Tagging),
            (K::Onboarding, S::Accepted, O::Complete),
        ]
    );
    // The single-handshake watch ended once onboarding was complete, having
    // seen the same changes in the same order from wherever it joined.
    let last = watched.last().expect("messages");
    assert_eq!(status_of(last), Some(O::Complete));
    let statuses: Vec<_> = watched.iter().filter_map(status_of).collect();
    assert!(
        statuses.windows(2).all(|w| w[0] as i32 <= w[1] as i32),
        "{statuses:?}"
    );

    assert_eq!(
        app.aws.parent_of(&account).await.as_deref(),
        Some(ou.as_str())
    );
    assert_eq!(app.aws.tags_of(&account).await, ["env=", "team=core"]);
    let got = app.get_handshake(&h.id).await.unwrap();
    let o = got.onboarding.expect("onboarding");
    assert_eq!(o.parent_id, ou);
    let steps: Vec<_> = o.steps.iter().map(|s| s.step()).collect();
    use pb::OnboardingStepKind as Step;
    assert_eq!(steps, [Step::Accept, Step::Place, Step::Tag]);
    // Each step done at its first attempt: nothing failed on the way.
    assert!(
        o.steps
            .iter()
            .all(|s| s.end_time.is_some() && s.error.is_none() && s.attempts == 1),
        "{:?}",
        o.steps
    );
    assert_eq!(
        o.spec.unwrap().accept_role,
        format!("arn:aws:iam::{account}:role/{ROLE}")
    );
}

#[tokio::test]
async fn when_a_person_accepts_placement_and_tags_follow() {
    let app = spawn_app().await;
    let account = random_account_id();
    let ou = app.aws.create_ou("People").await;
    let h = app
        .invite(onboarding(
            &account,
            &ou,
            "",
            pb::OnAcceptFailure::LeaveOpen,
        ))
        .await
        .unwrap();
    let mut stream = app.watch(&h.id).await;
    let first = next_event(&mut stream).await.unwrap();
    assert_eq!(status_of(&first), Some(pb::OnboardingStatus::Pending));

    app.aws.accept(&account, &h.id).await;
    let mut last = first;
    while let Some(e) = next_event(&mut stream).await {
        last = e;
    }
    assert_eq!(status_of(&last), Some(pb::OnboardingStatus::Complete));
    assert_eq!(
        app.aws.parent_of(&account).await.as_deref(),
        Some(ou.as_str())
    );
    assert_eq!(app.aws.tags_of(&account).await, ["env=", "team=core"]);
}

/// AssumeRole of a role that does not exist is AccessDenied: FAILED with
/// AWS's error; the invitation stays open, or is cancelled when asked.
#[tokio::test]
async fn a_role_that_cannot_be_assumed_fails_and_the_invitation_follows_its_policy() {
    let app = spawn_app().await;
    let root = app.aws.root_id().await;
    for (policy, want) in [
        (pb::OnAcceptFailure::LeaveOpen, pb::HandshakeState::Open),
        (pb::OnAcceptFailure::Cancel, pb::HandshakeState::Canceled),
    ] {
        let account = random_account_id();
        let mut all = app.watch_all().await;
        let h = app
            .invite(onboarding(&account, &root, "NoSuchRole", policy))
            .await
            .unwrap();
        let seen = events_until_final(&mut all, &h.id).await;
        assert_eq!(
            seen.last().unwrap().2,
            pb::OnboardingStatus::Failed,
            "{policy:?}"
        );
        let got = app.get_handshake(&h.id).await.unwrap();
        assert_eq!(got.state(), want, "{policy:?}");
        let o = got.onboarding.unwrap();
        let accept = o.steps.last().unwrap();
        assert_eq!(accept.step(), pb::OnboardingStepKind::Accept);
        let error = accept.error.as_ref().expect("the reason");
        assert!(error.aws_error.starts_with("AccessDenied"), "{error:?}");
        let in_aws = app.aws.handshakes_for(&account).await;
        assert_eq!(in_aws.len(), 1);
        assert_eq!(
            in_aws[0].state().map(|s| s.as_str()),
            Some(want.as_str_name().trim_start_matches("HANDSHAKE_STATE_"))
        );
    }
}

#[tokio::test]
async fn a_destination_that_does_not_exist_sends_nothing() {
    let app = spawn_app().await;
    let account = random_account_id();
    let root = app.aws.root_id().await;
    let missing = format!("ou-{}-0000abcd", root.trim_start_matches("r-"));
    let err = app
        .invite(onboarding(
            &account,
            &missing,
            "",
            pb::OnAcceptFailure::LeaveOpen,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let failure = err
        .get_details_precondition_failure()
        .expect("PreconditionFailure");
    assert!(
        failure.violations[0].subject.contains(&missing),
        "{failure:?}"
    );
    assert_eq!(app.handshake_rows().await, 0);
    assert_eq!(app.intent_rows().await, 0);
    assert!(app.aws.handshakes_for(&account).await.is_empty());
}

#[tokio::test]
async fn a_destination_deleted_before_acceptance_fails_the_onboarding_with_aws_reason() {
    let app = spawn_app().await;
    let account = random_account_id();
    let ou = app.aws.create_ou("Doomed").await;
    let mut all = app.watch_all().await;
    let h = app
        .invite(onboarding(
            &account,
            &ou,
            "",
            pb::OnAcceptFailure::LeaveOpen,
        ))
        .await
        .unwrap();
    app.aws.delete_ou(&ou).await;
    app.aws.accept(&account, &h.id).await;
    let seen = events_until_final(&mut all, &h.id).await;
    assert_eq!(seen.last().unwrap().2, pb::OnboardingStatus::Failed);
    let o = app.get_handshake(&h.id).await.unwrap().onboarding.unwrap();
    let place = o.steps.last().unwrap();
    assert_eq!(place.step(), pb::OnboardingStepKind::Place);
    let error = place.error.as_ref().unwrap();
    assert!(
        error.aws_error.contains("DestinationParentNotFound"),
        "{error:?}"
    );
}

#[tokio::test]
async fn bad_onboarding_requests_are_invalid_and_send_nothing() {
    let app = spawn_app().await;
    let email = pb::InviteAccountRequest {
        target: email_target(&random_email()),
        ..onboarding(
            &random_account_id(),
            "r-abcd",
            ROLE,
            pb::OnAcceptFailure::LeaveOpen,
        )
    };
    let err = app.invite(email).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violations(&err), ["onboarding.accept_role"]);
    let malformed = onboarding(
        &random_account_id(),
        "ou-nope",
        "",
        pb::OnAcceptFailure::Cancel,
    );
    let err = app.invite(malformed).await.unwrap_err();
    assert_eq!(violations(&err), ["onboarding.destination_parent_id"]);
    assert_eq!(app.intent_rows().await, 0);
}

/// Counts the calls of `op` that reached AWS; on `hang` the replica's call
/// never returns, as if its process died there: before the call reached
/// AWS, or after AWS acted but before the replica recorded it.
struct Hanging {
    op: Operation,
    reached_aws: Arc<AtomicUsize>,
    hang: Option<Hang>,
    hung: Arc<tokio::sync::Notify>,
}

#[derive(Clone, Copy)]
enum Hang {
    BeforeTheCall,
    AfterTheCall,
}

impl Around for Hanging {
    fn around<'a, T: Send + 'a>(&'a self, op: Operation, call: Call<'a, T>) -> Call<'a, T> {
        Box::pin(async move {
            if op != self.op {
                return call.await;
            }
            if let Some(Hang::BeforeTheCall) = self.hang {
                self.hung.notify_one();
                std::future::pending::<()>().await;
            }
            let result = call.await;
            self.reached_aws.fetch_add(1, Ordering::SeqCst);
            if let Some(Hang::AfterTheCall) = self.hang {
                self.hung.notify_one();
                std::future::pending::<()>().await;
            }
            result
        })
    }
}

/// The polling replica stops for good around `op` (its Postgres connection
/// cut, so its lock frees); the other replica takes over and finishes.
/// Returns the finished handshake, as Get shows it, and how many calls of
/// `op` reached AWS.
async fn a_leader_lost_mid_onboarding(op: Operation, hang: Hang) -> (pb::Handshake, usize) {
    let db = fresh_database().await;
    let fakecloud = Fakecloud::start().await;
    let account = random_account_id();
    fakecloud.create_role(&account, ROLE, Some("ext-42")).await;
    let ou = fakecloud.create_ou("Resilient").await;
    let reached_aws = Arc::new(AtomicUsize::new(0));
    let hung = Arc::new(tokio::sync::Notify::new());
    let replica = |hang: Option<Hang>, database| {
        let aws = Arc::new(Decorated::with(
            fakecloud.organizations(),
            Hanging {
                op,
                reached_aws: reached_aws.clone(),
                hang,
                hung: hung.clone(),
            },
        ));
        AppOptions {
            database,
            fakecloud: Some(fakecloud.clone()),
            aws: Some(aws),
            ..AppOptions::default()
        }
    };
    let proxy = PgProxy::start(&db).await;
    let first = spawn_app_with(db.clone(), replica(Some(hang), Some(proxy.options(&db)))).await;
    crate::replicas::wait_for_holder(&first, None).await;
    let second = spawn_app_with(db.clone(), replica(None, None)).await;

    let mut req = onboarding(&account, &ou, ROLE, pb::OnAcceptFailure::LeaveOpen);
    req.onboarding.as_mut().unwrap().external_id = "ext-42".into();
    let h = first.invite(req).await.unwrap();
    tokio::time::timeout(Duration::from_secs(30), hung.notified())
        .await
        .unwrap_or_else(|_| panic!("the first replica reaches {op:?}"));
    proxy.cut();

    let watched = watch_to_the_end(&second, &h.id).await;
    assert_eq!(
        status_of(watched.last().unwrap()),
        Some(pb::OnboardingStatus::Complete)
    );
    assert_eq!(
        fakecloud.parent_of(&account).await.as_deref(),
        Some(ou.as_str())
    );
    assert_eq!(fakecloud.tags_of(&account).await, ["env=", "team=core"]);
    let got = second.get_handshake(&h.id).await.unwrap();
    // An onboarding that ended has no step still running.
    let steps = &got.onboarding.as_ref().unwrap().steps;
    assert!(
        steps
            .iter()
            .all(|s| s.end_time.is_some() && s.error.is_none()),
        "{steps:?}"
    );
    (got, reached_aws.load(Ordering::SeqCst))
}

async fn a_leader_lost_mid_onboarding_is_finished_by_the_next(hang: Hang) {
    let (_, moves) = a_leader_lost_mid_onboarding(Operation::MoveAccount, hang).await;
    assert_eq!(moves, 1, "MoveAccount took effect once");
}

#[tokio::test]
async fn a_leader_lost_before_move_account_is_finished_by_the_next() {
    a_leader_lost_mid_onboarding_is_finished_by_the_next(Hang::BeforeTheCall).await;
}

#[tokio::test]
async fn a_leader_lost_after_move_account_is_finished_without_moving_again() {
    a_leader_lost_mid_onboarding_is_finished_by_the_next(Hang::AfterTheCall).await;
}

/// The leader dies right after AWS shows the accept: the next one finds the
/// handshake ACCEPTED, goes on, and closes the ACCEPT step it found done.
#[tokio::test]
async fn a_leader_lost_after_accept_handshake_leaves_no_step_open() {
    let (got, accepts) =
        a_leader_lost_mid_onboarding(Operation::AcceptHandshake, Hang::AfterTheCall).await;
    assert_eq!(accepts, 1, "AcceptHandshake was called once");
    let steps: Vec<_> = got
        .onboarding
        .unwrap()
        .steps
        .iter()
        .map(|s| s.step())
        .collect();
    use pb::OnboardingStepKind as Step;
    assert_eq!(steps, [Step::Accept, Step::Place, Step::Tag]);
}

/// Fails the first MoveAccount with a 5xx, before it reaches AWS.
struct FirstMoveFails(AtomicUsize);

impl Around for FirstMoveFails {
    fn around<'a, T: Send + 'a>(&'a self, op: Operation, call: Call<'a, T>) -> Call<'a, T> {
        Box::pin(async move {
            if op == Operation::MoveAccount && self.0.fetch_add(1, Ordering::SeqCst) == 0 {
                return Err(org_invites::aws::AwsError::new(
                    "ServiceException",
                    None,
                    "injected 5xx",
                ));
            }
            call.await
        })
    }
}

/// A passing error (a 5xx) is retried with backoff, shown as another
/// attempt of the step, and onboarding completes (the in-process fake).
#[tokio::test]
async fn a_passing_error_is_retried_and_onboarding_completes() {
    use org_invites::aws::fake::FakeOrganizations;
    let fake = Arc::new(FakeOrganizations::new());
    let ou = "ou-fake0-00000001";
    fake.add_ou(ou);
    let account = random_account_id();
    fake.allow_role(&format!("arn:aws:iam::{account}:role/{ROLE}"));
    let aws = Arc::new(Decorated::with(
        fake.clone(),
        FirstMoveFails(AtomicUsize::new(0)),
    ));
    let app = spawn_app_with(
        fresh_database().await,
        AppOptions {
            aws: Some(aws),
            ..AppOptions::default()
        },
    )
    .await;
    let h = app
        .invite(onboarding(
            &account,
            ou,
            ROLE,
            pb::OnAcceptFailure::LeaveOpen,
        ))
        .await
        .unwrap();
    let watched = watch_to_the_end(&app, &h.id).await;
    assert_eq!(
        status_of(watched.last().unwrap()),
        Some(pb::OnboardingStatus::Complete)
    );
    let o = app.get_handshake(&h.id).await.unwrap().onboarding.unwrap();
    let place = o
        .steps
        .iter()
        .find(|s| s.step() == pb::OnboardingStepKind::Place)
        .unwrap();
    assert_eq!(place.attempts, 2, "{place:?}");
    assert!(place.error.is_none(), "cleared once it succeeded");
    assert_eq!(fake.parent_of(&account).as_deref(), Some(ou));
    assert_eq!(fake.calls.move_account.load(Ordering::SeqCst), 1);
    assert_eq!(fake.tags_of(&account).len(), 2);
}

/// The README tour's local-stack commands: scripts/member.sh makes the OU and
/// the role that an onboarding invitation then uses, and accepts as a member.
#[tokio::test]
async fn the_member_script_makes_the_ou_and_the_role_the_readme_uses() {
    let app = spawn_app().await;
    let env = std::env::temp_dir().join(format!("member-env-{}", uuid::Uuid::new_v4()));
    std::fs::write(
        &env,
        format!("export AWS_ENDPOINT_URL={}\n", app.aws.endpoint),
    )
    .unwrap();
    let member = |args: Vec<String>| {
        let env = env.clone();
        async move {
            let out = tokio::process::Command::new("bash")
                .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/member.sh"))
                .args(&args)
                .env("ORG_INVITES_DEV_ENV", env)
                .output()
                .await
                .expect("bash runs");
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap().trim().to_string()
        }
    };
    let ou = member(vec!["create-ou".into(), "Workloads".into()]).await;
    assert!(ou.starts_with("ou-"), "{ou}");
    let account = random_account_id();
    let arn = member(vec!["create-role".into(), account.clone(), ROLE.into()]).await;
    assert_eq!(arn, format!("arn:aws:iam::{account}:role/{ROLE}"));

    let h = app
        .invite(onboarding(
            &account,
            &ou,
            ROLE,
            pb::OnAcceptFailure::LeaveOpen,
        ))
        .await
        .unwrap();
    let watched = watch_to_the_end(&app, &h.id).await;
    assert_eq!(
        status_of(watched.last().unwrap()),
        Some(pb::OnboardingStatus::Complete)
    );
    assert_eq!(
        app.aws.parent_of(&account).await.as_deref(),
        Some(ou.as_str())
    );

    // And as the invited account of a plain invitation.
    let other = random_account_id();
    let plain = app.invite(invite_account(&other)).await.unwrap();
    member(vec!["accept".into(), plain.id.clone(), other]).await;
    let watched = watch_to_the_end(&app, &plain.id).await;
    assert_eq!(
        state_of(watched.last().unwrap()),
        pb::HandshakeState::Accepted
    );
    let _ = std::fs::remove_file(env);
}

/// A role that could not accept leaves the invitation to a person
/// (LEAVE_OPEN); when one accepts, placement and tags follow, and a watcher
/// follows them too rather than stopping at ACCEPTED with FAILED.
#[tokio::test]
async fn after_a_failed_role_a_person_who_accepts_gets_the_account_placed() {
    let app = spawn_app().await;
    let account = random_account_id();
    let ou = app.aws.create_ou("Second chance").await;
    let mut all = app.watch_all().await;
    let h = app
        .invite(onboarding(
            &account,
            &ou,
            "NoSuchRole",
            pb::OnAcceptFailure::LeaveOpen,
        ))
        .await
        .unwrap();
    let seen = events_until_final(&mut all, &h.id).await;
    assert_eq!(seen.last().unwrap().2, pb::OnboardingStatus::Failed);
    let mut stream = app.watch(&h.id).await;
    let first = next_event(&mut stream).await.unwrap();
    assert_eq!(state_of(&first), pb::HandshakeState::Open);

    app.aws.accept(&account, &h.id).await;
    let mut last = first;
    while let Some(e) = next_event(&mut stream).await {
        last = e;
    }
    assert_eq!(status_of(&last), Some(pb::OnboardingStatus::Complete));
    assert_eq!(
        app.aws.parent_of(&account).await.as_deref(),
        Some(ou.as_str())
    );
    let steps: Vec<_> = app
        .get_handshake(&h.id)
        .await
        .unwrap()
        .onboarding
        .unwrap()
        .steps
        .iter()
        .map(|s| s.step())
        .collect();
    use pb::OnboardingStepKind as Step;
    assert_eq!(steps, [Step::Accept, Step::Place, Step::Tag]);
}
