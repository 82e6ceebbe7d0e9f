//! CancelHandshake, and what the invited account does, seen in fakecloud.
use tonic::Code;

use crate::helpers::*;
use org_invites::proto::v1 as pb;

#[tokio::test]
async fn cancel_closes_the_handshake_in_aws_and_in_postgres() {
    let app = spawn_app().await;
    let account = random_account_id();
    let h = app.invite(invite_account(&account)).await.unwrap();
    let canceled = app.cancel(&h.id).await;
    assert_eq!(canceled.state, pb::HandshakeState::Canceled as i32);
    // What only this service knows survives the update.
    assert_eq!(canceled.target, h.target);
    assert_eq!(canceled.create_time, h.create_time);

    let in_aws = app.aws.handshakes_for(&account).await;
    assert_eq!(in_aws[0].state().map(|s| s.as_str()), Some("CANCELED"));
    let state: String = sqlx::query_scalar("SELECT state FROM handshakes WHERE id = $1")
        .bind(&h.id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(state, "CANCELED");
}

#[tokio::test]
async fn cancelling_a_closed_handshake_is_failed_precondition() {
    let app = spawn_app().await;
    let account = random_account_id();
    let h = app.invite(invite_account(&account)).await.unwrap();
    app.aws.decline(&account, &h.id).await;
    let err = app
        .client
        .clone()
        .cancel_handshake(pb::CancelHandshakeRequest { id: h.id })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert_eq!(
        error_info(&err).metadata["aws_error"],
        "InvalidHandshakeTransitionException"
    );
}

#[tokio::test]
async fn cancelling_an_unknown_handshake_is_not_found() {
    let app = spawn_app().await;
    let err = app
        .client
        .clone()
        .cancel_handshake(pb::CancelHandshakeRequest {
            id: "h-00000000000000000000".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
    assert_eq!(app.handshake_rows().await, 0);
}
