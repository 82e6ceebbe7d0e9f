//! Nothing is lost between the AWS call and the Postgres record: a crash, or
//! Postgres failing right after AWS answered, is repaired.
use std::{sync::Arc, time::Duration};

use org_invites::{
    aws::{Around, Call, Decorated, Operation},
    proto::v1 as pb,
};
use tonic::Code;

use crate::helpers::*;

/// Leaves what a process that crashed right after AWS answered leaves
/// behind: a handshake only AWS knows, and an intent row still PENDING from
/// an hour ago. (AWS is called first here so that a running poller cannot
/// judge the aged intent before its handshake exists.)
async fn crash_after_aws_call(
    db: &sqlx::PgPool,
    aws: &Fakecloud,
    request_id: &str,
    account: &str,
) -> String {
    let out = aws
        .management_client()
        .invite_account_to_organization()
        .target(
            aws_sdk_organizations::types::HandshakeParty::builder()
                .id(account)
                .r#type(aws_sdk_organizations::types::HandshakePartyType::Account)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("the call that made it to AWS");
    sqlx::query(
        "INSERT INTO invite_requests (request_id, status, target_type, target_id, notes, tags,
                                      attempt_time, create_time)
         VALUES ($1, 'PENDING', 'ACCOUNT', $2, '', '[]', now() - interval '1 hour',
                 now() - interval '1 hour')",
    )
    .bind(request_id)
    .bind(account)
    .execute(db)
    .await
    .unwrap();
    out.handshake().unwrap().id().unwrap().to_string()
}

/// Retries as a client should on ABORTED (RetryInfo), for at most 30 s.
async fn retry_while_aborted(app: &TestApp, req: pb::InviteAccountRequest) -> pb::Handshake {
    eventually(
        Duration::from_secs(30),
        "the retry to find the handshake",
        || async {
            match app.invite(req.clone()).await {
                Ok(h) => Ok(h),
                Err(e) if e.code() == Code::Aborted => Err(e),
                Err(e) => panic!("retry failed: {e:?}"),
            }
        },
    )
    .await
}

#[tokio::test]
async fn a_retry_after_a_crash_returns_the_handshake_aws_made_and_sends_nothing_new() {
    let app = spawn_app().await;
    let account = random_account_id();
    let request_id = uuid::Uuid::new_v4().to_string();
    let aws_id = crash_after_aws_call(&app.db, &app.aws, &request_id, &account).await;

    // The poller may be repairing it at this very moment (ABORTED: retry).
    let req = pb::InviteAccountRequest {
        request_id: request_id.clone(),
        ..invite_account(&account)
    };
    let h = retry_while_aborted(&app, req).await;
    assert_eq!(h.id, aws_id);
    assert_eq!(app.aws.handshakes_for(&account).await.len(), 1);
    let status: String =
        sqlx::query_scalar("SELECT status FROM invite_requests WHERE request_id = $1")
            .bind(&request_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(status, "SENT");
}

#[tokio::test]
async fn a_restarted_server_records_what_a_crashed_one_sent() {
    let first = spawn_app().await;
    let account = random_account_id();
    let request_id = uuid::Uuid::new_v4().to_string();
    let db = first.db_options.clone();
    let fakecloud = first.aws.clone();
    first.stop().await;
    let pool = sqlx::PgPool::connect_with(db.clone()).await.unwrap();
    let aws_id = crash_after_aws_call(&pool, &fakecloud, &request_id, &account).await;

    // The restart's start-up sweep finds and records it, with no client call.
    let app = spawn_app_with(
        db,
        AppOptions {
            fakecloud: Some(fakecloud),
            ..Default::default()
        },
    )
    .await;
    let found = eventually(
        Duration::from_secs(30),
        "the start-up sweep to record the handshake",
        || async {
            let r = app
                .client
                .clone()
                .get_handshake(pb::GetHandshakeRequest { id: aws_id.clone() })
                .await;
            match r {
                Ok(h) => Ok(h.into_inner()),
                Err(e) => {
                    assert_eq!(e.code(), Code::NotFound);
                    Err(e)
                }
            }
        },
    )
    .await;
    assert_eq!(found.request_id, request_id);
    assert_eq!(found.target.unwrap().id, account);
}

/// Around the real SDK against fakecloud: Postgres goes down the moment
/// AWS has answered an invitation.
struct CutAfterInvite {
    proxy: Arc<PgProxy>,
}

impl Around for CutAfterInvite {
    fn around<'a, T: Send + 'a>(&'a self, op: Operation, call: Call<'a, T>) -> Call<'a, T> {
        Box::pin(async move {
            let result = call.await;
            if op == Operation::InviteAccountToOrganization {
                self.proxy.cut();
            }
            result
        })
    }
}

#[tokio::test]
async fn postgres_failing_after_aws_answered_loses_nothing() {
    let db = fresh_database().await;
    let proxy = Arc::new(PgProxy::start(&db).await);
    let fakecloud = Fakecloud::start().await;
    let aws = Arc::new(Decorated::with(
        fakecloud.organizations(),
        CutAfterInvite {
            proxy: proxy.clone(),
        },
    ));
    let app = spawn_app_with(
        db.clone(),
        AppOptions {
            database: Some(proxy.options(&db)),
            fakecloud: Some(fakecloud),
            aws: Some(aws),
            ..Default::default()
        },
    )
    .await;
    let account = random_account_id();
    let req = pb::InviteAccountRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        ..invite_account(&account)
    };
    let err = app.invite(req.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert_eq!(error_info(&err).reason, "NOT_RECORDED");
    assert_eq!(
        app.aws.handshakes_for(&account).await.len(),
        1,
        "AWS has it"
    );

    proxy.restore();
    // The background recorder finishes the job; a retry with the same
    // request_id then gets the handshake (ABORTED while it is in flight).
    let h = eventually(
        Duration::from_secs(60),
        "the handshake to be recorded after Postgres came back",
        || async {
            let r = app.invite(req.clone()).await;
            if let Err(e) = &r {
                assert!(
                    matches!(e.code(), Code::Aborted | Code::Unavailable),
                    "{e:?}"
                );
            }
            r
        },
    )
    .await;
    assert_eq!(h.target.unwrap().id, account);
    assert_eq!(
        app.aws.handshakes_for(&account).await.len(),
        1,
        "nothing sent twice"
    );
    assert_eq!(app.handshake_rows().await, 1);
}
