//! `leave_previous_organization`: an account that belongs to another
//! organization leaves it through its accept_role (the LEAVE step) and is
//! invited, accepted, placed and tagged; without the flag it is refused as
//! AWS refuses it. Against fakecloud, which refuses such an account at
//! invite time, and the in-process fake for refusals at accept time and
//! faults.
use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use aws_sdk_organizations::{types as sdk, Client as AwsClient};
use org_invites::{
    aws::{
        fake::{FakeOrganizations, RefusedAt, ROOT},
        Around, AwsError, AwsErrorKind, Call, Decorated, Operation, ALREADY_IN_AN_ORGANIZATION,
    },
    proto::v1 as pb,
};
use tonic::Code;

use crate::helpers::*;

const ROLE: &str = "OrgInvitesAccept";

fn leaving(account: &str, destination: &str, role: &str, leave: bool) -> pb::InviteAccountRequest {
    pb::InviteAccountRequest {
        tags: vec![pb::Tag {
            key: "team".into(),
            value: "core".into(),
        }],
        request_id: uuid::Uuid::new_v4().to_string(),
        onboarding: Some(pb::OnboardingSpec {
            destination_parent_id: destination.into(),
            accept_role: role.into(),
            on_accept_failure: pb::OnAcceptFailure::Cancel as i32,
            leave_previous_organization: leave,
            ..Default::default()
        }),
        ..invite_account(account)
    }
}

/// Another organization in the same fakecloud: its management account's
/// client (admin keys from create-admin, then CreateOrganization).
pub(crate) async fn second_organization(aws: &Fakecloud) -> AwsClient {
    let other = aws.member_client(&random_account_id()).await;
    other
        .create_organization()
        .feature_set(sdk::OrganizationFeatureSet::All)
        .send()
        .await
        .expect("CreateOrganization");
    other
}

/// `account` joins the organization `org` manages.
pub(crate) async fn join(aws: &Fakecloud, org: &AwsClient, account: &str) {
    let target = sdk::HandshakeParty::builder()
        .id(account)
        .r#type(sdk::HandshakePartyType::Account)
        .build()
        .unwrap();
    let out = org
        .invite_account_to_organization()
        .target(target)
        .send()
        .await
        .expect("the other organization invites");
    aws.accept(account, out.handshake().unwrap().id().unwrap())
        .await;
}

/// The member account ids `org` lists.
pub(crate) async fn members(org: &AwsClient) -> Vec<String> {
    let out = org.list_accounts().send().await.expect("ListAccounts");
    out.accounts()
        .iter()
        .filter_map(|a| a.id().map(str::to_string))
        .collect()
}

fn steps(o: &pb::Onboarding) -> Vec<pb::OnboardingStepKind> {
    o.steps.iter().map(|s| s.step()).collect()
}

#[tokio::test]
async fn a_member_of_another_organization_leaves_it_and_is_invited_accepted_placed_and_tagged() {
    use pb::OnboardingStepKind as Step;
    let app = spawn_app().await;
    let other = second_organization(&app.aws).await;
    let account = random_account_id();
    join(&app.aws, &other, &account).await;
    assert!(members(&other).await.contains(&account));
    app.aws.create_role(&account, ROLE, None).await;
    let ou = app.aws.create_ou("Moved").await;

    let h = app
        .invite(leaving(&account, &ou, ROLE, true))
        .await
        .expect("it leaves, then is invited");

    // The answer shows the leave, done before the invitation existed.
    let o = h.onboarding.expect("onboarding");
    assert_eq!(steps(&o), [Step::Leave]);
    let leave = &o.steps[0];
    assert!(leave.start_time.is_some() && leave.end_time.is_some());
    assert_eq!((leave.attempts, leave.error.is_none()), (1, true));
    assert!(!members(&other).await.contains(&account), "it left");

    let done = eventually(Duration::from_secs(30), "onboarding complete", || async {
        let o = app.get_handshake(&h.id).await.ok()?.onboarding?;
        (o.status() == pb::OnboardingStatus::Complete).then_some(o)
    })
    .await;
    assert_eq!(
        steps(&done),
        [Step::Leave, Step::Accept, Step::Place, Step::Tag]
    );
    assert_eq!(
        app.aws.parent_of(&account).await.as_deref(),
        Some(ou.as_str())
    );
    assert_eq!(app.aws.tags_of(&account).await, ["team=core"]);
}

#[tokio::test]
async fn without_the_flag_a_member_of_another_organization_is_refused_and_nothing_is_left_open() {
    let app = spawn_app().await;
    let other = second_organization(&app.aws).await;
    let account = random_account_id();
    join(&app.aws, &other, &account).await;
    app.aws.create_role(&account, ROLE, None).await;
    let root = app.aws.root_id().await;

    let err = app
        .invite(leaving(&account, &root, ROLE, false))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert_eq!(error_info(&err).reason, ALREADY_IN_AN_ORGANIZATION);
    assert!(app.aws.handshakes_for(&account).await.is_empty());
    assert_eq!(app.handshake_rows().await, 0);
    let status: String = sqlx::query_scalar("SELECT status FROM invite_requests")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "FAILED");
    assert!(members(&other).await.contains(&account), "it stayed");
}

#[tokio::test]
async fn leaving_without_accept_role_is_invalid_and_nothing_is_sent() {
    let app = spawn_app().await;
    let account = random_account_id();
    let root = app.aws.root_id().await;
    let err = app
        .invite(leaving(&account, &root, "", true))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violations(&err), ["onboarding.leave_previous_organization"]);
    assert!(app.aws.handshakes_for(&account).await.is_empty());
    assert_eq!(app.intent_rows().await, 0);
}

/// The in-process fake with `account` in another organization and its
/// role assumable; the app calls AWS through `around` it.
async fn fake_app(
    account: &str,
    refused_at: RefusedAt,
    around: impl Around,
) -> (TestApp, Arc<FakeOrganizations>) {
    let fake = Arc::new(FakeOrganizations::new());
    fake.allow_role(&format!("arn:aws:iam::{account}:role/{ROLE}"));
    fake.member_elsewhere(account, refused_at);
    let app = spawn_app_with(
        fresh_database().await,
        AppOptions {
            aws: Some(Arc::new(Decorated::with(fake.clone(), around))),
            ..AppOptions::default()
        },
    )
    .await;
    (app, fake)
}

/// Lets every call through.
struct Untouched;

impl Around for Untouched {
    fn around<'a, T: Send + 'a>(&'a self, _: Operation, call: Call<'a, T>) -> Call<'a, T> {
        call
    }
}

/// The second InviteAccountToOrganization (the one after the leave) ends
/// in a timeout: having reached AWS (its answer lost), or not (the
/// process stopped between the leave and the invitation, as it were).
struct InviteAfterLeaveLost {
    calls: AtomicUsize,
    reaches_aws: bool,
}

impl Around for InviteAfterLeaveLost {
    fn around<'a, T: Send + 'a>(&'a self, op: Operation, call: Call<'a, T>) -> Call<'a, T> {
        Box::pin(async move {
            let lost = op == Operation::InviteAccountToOrganization
                && self.calls.fetch_add(1, Ordering::SeqCst) == 1;
            if !lost {
                return call.await;
            }
            if self.reaches_aws {
                let _ = call.await;
            }
            Err(AwsError::with_kind(
                AwsErrorKind::Timeout,
                "Timeout",
                "answer lost",
            ))
        })
    }
}

#[tokio::test]
async fn a_refused_leave_fails_the_invite_with_the_reason_aws_gave() {
    let account = random_account_id();
    let (app, fake) = fake_app(&account, RefusedAt::Invite, Untouched).await;
    fake.refuse_leave(AwsError::new(
        "ConstraintViolationException",
        Some("MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED".into()),
        "the account needs a payment instrument to leave",
    ));
    let err = app
        .invite(leaving(&account, ROOT, ROLE, true))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert_eq!(
        error_info(&err).reason,
        "MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED"
    );
    assert!(fake.is_member_elsewhere(&account));
    assert_eq!(fake.calls.leave.load(Ordering::SeqCst), 1);
    assert_eq!(fake.calls.invite.load(Ordering::SeqCst), 1, "not again");
    assert_eq!(app.handshake_rows().await, 0);
    let (status, reason, leave): (String, Option<String>, serde_json::Value) =
        sqlx::query_as("SELECT status, error_reason, leave FROM invite_requests")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(status, "FAILED");
    assert_eq!(
        reason.as_deref(),
        Some("MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED")
    );
    // The LEAVE step was recorded, and ended with AWS's error.
    assert_eq!(leave["step"], "LEAVE");
    assert!(leave["end_time"].is_string(), "{leave}");
    assert_eq!(
        leave["error"]["reason"],
        "MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED"
    );
}

#[tokio::test]
async fn a_retry_after_the_leave_finds_the_invitation_without_leaving_twice() {
    a_retry_after_the_leave(true).await;
}

#[tokio::test]
async fn a_retry_after_the_leave_sends_the_invitation_without_leaving_twice() {
    a_retry_after_the_leave(false).await;
}

/// An invitation after the leave that ends without an answer, then the
/// same request again: it finishes the job (finding the invitation AWS
/// made, or sending it), shows the one leave, and does not leave again.
async fn a_retry_after_the_leave(reaches_aws: bool) {
    use pb::OnboardingStepKind as Step;
    let account = random_account_id();
    let lost = InviteAfterLeaveLost {
        calls: AtomicUsize::new(0),
        reaches_aws,
    };
    let (app, fake) = fake_app(&account, RefusedAt::Invite, lost).await;
    let req = leaving(&account, ROOT, ROLE, true);
    let err = app.invite(req.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert_eq!(fake.calls.leave.load(Ordering::SeqCst), 1);
    assert!(!fake.is_member_elsewhere(&account));

    // The same request again: the invitation, with the leave before it.
    // (ABORTED, "retry shortly", while the repair sweep holds the attempt.)
    let h = eventually(Duration::from_secs(30), "the retry finishes it", || {
        app.invite(req.clone())
    })
    .await;
    let o = h.onboarding.expect("onboarding");
    assert_eq!(steps(&o)[0], Step::Leave);
    assert_eq!(o.steps[0].attempts, 1);
    assert!(o.steps[0].end_time.is_some());
    let done = eventually(Duration::from_secs(30), "onboarding complete", || async {
        let o = app.get_handshake(&h.id).await.ok()?.onboarding?;
        (o.status() == pb::OnboardingStatus::Complete).then_some(o)
    })
    .await;
    assert_eq!(
        steps(&done),
        [Step::Leave, Step::Accept, Step::Place, Step::Tag]
    );
    assert_eq!(fake.calls.leave.load(Ordering::SeqCst), 1, "left once");
    assert_eq!(
        fake.calls.invite.load(Ordering::SeqCst),
        2,
        "sent once after"
    );
}

/// AWS (since direct transfers) sends the invitation and refuses at
/// AcceptHandshake: the ACCEPT ends with that error, LEAVE follows, then
/// the acceptance again.
#[tokio::test]
async fn refused_at_accept_time_it_leaves_then_accepts() {
    use pb::OnboardingStepKind as Step;
    let account = random_account_id();
    let (app, fake) = fake_app(&account, RefusedAt::Accept, Untouched).await;
    let h = app
        .invite(leaving(&account, ROOT, ROLE, true))
        .await
        .unwrap();
    assert!(steps(h.onboarding.as_ref().unwrap()).is_empty());
    let done = eventually(Duration::from_secs(30), "onboarding complete", || async {
        let o = app.get_handshake(&h.id).await.ok()?.onboarding?;
        (o.status() == pb::OnboardingStatus::Complete).then_some(o)
    })
    .await;
    assert_eq!(
        steps(&done),
        [
            Step::Accept,
            Step::Leave,
            Step::Accept,
            Step::Place,
            Step::Tag
        ]
    );
    let refused = done.steps[0].error.as_ref().expect("why it left");
    assert_eq!(refused.reason, ALREADY_IN_AN_ORGANIZATION);
    assert_eq!(fake.calls.leave.load(Ordering::SeqCst), 1);
    assert!(!fake.is_member_elsewhere(&account));
}

/// Without the flag, a refusal at accept time fails the onboarding, and
/// the invitation follows on_accept_failure (CANCEL here).
#[tokio::test]
async fn refused_at_accept_time_without_the_flag_it_fails_and_is_cancelled() {
    let account = random_account_id();
    let (app, fake) = fake_app(&account, RefusedAt::Accept, Untouched).await;
    let h = app
        .invite(leaving(&account, ROOT, ROLE, false))
        .await
        .unwrap();
    let got = eventually(Duration::from_secs(30), "onboarding failed", || async {
        let got = app.get_handshake(&h.id).await.ok()?;
        let failed = got.onboarding.as_ref()?.status() == pb::OnboardingStatus::Failed;
        failed.then_some(got)
    })
    .await;
    assert_eq!(got.state(), pb::HandshakeState::Canceled);
    let o = got.onboarding.unwrap();
    assert_eq!(steps(&o), [pb::OnboardingStepKind::Accept]);
    assert_eq!(
        o.steps[0].error.as_ref().unwrap().reason,
        ALREADY_IN_AN_ORGANIZATION
    );
    assert_eq!(fake.calls.leave.load(Ordering::SeqCst), 0);
}

/// A LEAVE refused at accept time leaves the invitation open (LEAVE_OPEN);
/// a person who then accepts gets the account placed and tagged, as after
/// a failed ACCEPT. (The stored `onboarding_due` column knew only a failed
/// ACCEPT; the poller now reads `ONBOARDING_WORK`, which knows both.)
#[tokio::test]
async fn after_a_refused_leave_a_person_who_accepts_gets_the_account_placed() {
    let account = random_account_id();
    let (app, fake) = fake_app(&account, RefusedAt::Accept, Untouched).await;
    fake.refuse_leave(AwsError::new(
        "ConstraintViolationException",
        Some("MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED".into()),
        "the account needs a payment instrument to leave",
    ));
    fake.add_ou("ou-abcd-12345678");
    let mut req = leaving(&account, "ou-abcd-12345678", ROLE, true);
    req.onboarding.as_mut().unwrap().on_accept_failure = pb::OnAcceptFailure::LeaveOpen as i32;
    let h = app.invite(req).await.unwrap();
    let failed = eventually(Duration::from_secs(30), "the LEAVE failed", || async {
        let got = app.get_handshake(&h.id).await.ok()?;
        let o = got.onboarding.clone()?;
        (o.status() == pb::OnboardingStatus::Failed).then_some(got)
    })
    .await;
    assert_eq!(failed.state(), pb::HandshakeState::Open, "left to a person");
    assert_eq!(
        steps(failed.onboarding.as_ref().unwrap()).last(),
        Some(&pb::OnboardingStepKind::Leave)
    );
    // A person accepts (the fake moves the handshake as the account would).
    fake.set_state(
        &org_invites::domain::HandshakeId::parse(&h.id).unwrap(),
        org_invites::domain::HandshakeState::Accepted,
    );
    eventually(Duration::from_secs(30), "placed and tagged", || async {
        let got = app.get_handshake(&h.id).await.ok()?;
        (got.onboarding?.status() == pb::OnboardingStatus::Complete).then_some(())
    })
    .await;
    assert_eq!(
        fake.parent_of(&account).as_deref(),
        Some("ou-abcd-12345678")
    );
}
