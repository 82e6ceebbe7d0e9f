//! InviteAccount against fakecloud.
use tonic::Code;

use crate::helpers::*;
use org_invites::proto::v1 as pb;

#[tokio::test]
async fn inviting_an_account_id_returns_an_open_handshake_and_records_it() {
    let app = spawn_app().await;
    let account = random_account_id();
    let h = app
        .invite(pb::InviteAccountRequest {
            target: account_target(&account),
            notes: "welcome aboard".into(),
            tags: vec![pb::Tag {
                key: "team".into(),
                value: "platform".into(),
            }],
            request_id: String::new(),
            onboarding: None,
            renewal: None,
            if_open_exists: 0,
        })
        .await
        .expect("invite succeeds");

    assert!(h.id.starts_with("h-"), "{}", h.id);
    assert_eq!(h.state, pb::HandshakeState::Open as i32);
    assert_eq!(h.action, pb::HandshakeAction::Invite as i32);
    assert!(h.arn.contains(&h.id));
    let target = h.target.clone().expect("target");
    assert_eq!(target.id, account);
    assert_eq!(target.r#type, pb::HandshakePartyType::Account as i32);
    assert!(h.parties.iter().any(|p| p.id == account));
    assert_eq!(h.notes, "welcome aboard");
    assert_eq!(
        h.tags,
        vec![pb::Tag {
            key: "team".into(),
            value: "platform".into()
        }]
    );
    assert!(h.expiration_time.unwrap().seconds > h.requested_time.unwrap().seconds);

    let (state, notes): (String, String) =
        sqlx::query_as("SELECT state, notes FROM handshakes WHERE id = $1")
            .bind(&h.id)
            .fetch_one(&app.db)
            .await
            .expect("row in Postgres");
    assert_eq!((state.as_str(), notes.as_str()), ("OPEN", "welcome aboard"));
    assert_eq!(app.aws.handshakes_for(&account).await.len(), 1);
}

#[tokio::test]
async fn inviting_by_email_targets_the_email_party() {
    let app = spawn_app().await;
    let email = random_email();
    let h = app
        .invite(pb::InviteAccountRequest {
            target: email_target(&email),
            ..Default::default()
        })
        .await
        .expect("invite succeeds");
    let target = h.target.expect("target");
    assert_eq!(target.id, email);
    assert_eq!(target.r#type, pb::HandshakePartyType::Email as i32);
}

#[tokio::test]
async fn a_second_open_invitation_for_the_same_account_is_already_exists() {
    let app = spawn_app().await;
    let account = random_account_id();
    app.invite(invite_account(&account)).await.unwrap();
    let err = app.invite(invite_account(&account)).await.unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists, "{err:?}");
    let info = error_info(&err);
    assert_eq!(info.metadata["aws_error"], "DuplicateHandshakeException");
    assert_eq!(info.domain, "organizations.amazonaws.com");
    assert_eq!(app.handshake_rows().await, 1);
}

#[tokio::test]
async fn inviting_a_member_account_is_failed_precondition_with_the_aws_reason() {
    let app = spawn_app().await;
    let err = app
        .invite(invite_account(MANAGEMENT_ACCOUNT))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let info = error_info(&err);
    assert_eq!(info.reason, "ALREADY_IN_AN_ORGANIZATION");
    assert_eq!(
        info.metadata["aws_error"],
        "HandshakeConstraintViolationException"
    );
    assert_eq!(app.handshake_rows().await, 0);
}

#[tokio::test]
async fn the_same_request_id_twice_sends_one_invitation() {
    let app = spawn_app().await;
    let account = random_account_id();
    let req = pb::InviteAccountRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        ..invite_account(&account)
    };
    let first = app.invite(req.clone()).await.unwrap();
    let second = app
        .invite(req.clone())
        .await
        .expect("retry returns the same handshake");
    assert_eq!(first.id, second.id);
    assert_eq!(second.request_id, req.request_id);
    assert_eq!(app.aws.handshakes_for(&account).await.len(), 1);
    assert_eq!(app.handshake_rows().await, 1);

    let changed = pb::InviteAccountRequest {
        notes: "other".into(),
        ..req
    };
    let err = app.invite(changed).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(error_info(&err).reason, "REQUEST_ID_REUSED");
}

#[tokio::test]
async fn each_bad_field_is_a_field_violation_with_no_aws_call_and_no_row() {
    let app = spawn_app().await;
    let good = random_account_id();
    let cases: Vec<(pb::InviteAccountRequest, Vec<&str>)> = vec![
        (pb::InviteAccountRequest::default(), vec!["target"]),
        (invite_account("12345678901"), vec!["target.id"]),
        (invite_account("12345678901x"), vec!["target.id"]),
        (
            pb::InviteAccountRequest {
                target: email_target("not-an-email"),
                ..Default::default()
            },
            vec!["target.id"],
        ),
        (
            pb::InviteAccountRequest {
                target: email_target("a@b.c"),
                ..Default::default()
            },
            vec!["target.id"],
        ),
        (
            pb::InviteAccountRequest {
                target: Some(pb::HandshakeParty {
                    id: "o-abcdefghij".into(),
                    r#type: pb::HandshakePartyType::Organization as i32,
                }),
                ..Default::default()
            },
            vec!["target.type"],
        ),
        (
            pb::InviteAccountRequest {
                notes: "n".repeat(1025),
                ..invite_account(&good)
            },
            vec!["notes"],
        ),
        (
            pb::InviteAccountRequest {
                tags: (0..51)
                    .map(|i| pb::Tag {
                        key: format!("k{i}"),
                        value: String::new(),
                    })
                    .collect(),
                ..invite_account(&good)
            },
            vec!["tags"],
        ),
        (
            pb::InviteAccountRequest {
                tags: vec![
                    pb::Tag {
                        key: "a".into(),
                        value: "1".into(),
                    },
                    pb::Tag {
                        key: "a".into(),
                        value: "2".into(),
                    },
                    pb::Tag {
                        key: "".into(),
                        value: "".into(),
                    },
                    pb::Tag {
                        key: "ok".into(),
                        value: "x".repeat(257),
                    },
                    pb::Tag {
                        key: "bad!".into(),
                        value: "".into(),
                    },
                ],
                ..invite_account(&good)
            },
            vec!["tags[1].key", "tags[2].key", "tags[3].value", "tags[4].key"],
        ),
        (
            pb::InviteAccountRequest {
                request_id: "not ok".into(),
                ..invite_account(&good)
            },
            vec!["request_id"],
        ),
    ];
    for (req, want) in cases {
        let err = app.invite(req).await.expect_err("invalid request accepted");
        assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
        assert_eq!(violations(&err), want, "{}", err.message());
    }
    assert_eq!(app.handshake_rows().await, 0);
    assert_eq!(app.intent_rows().await, 0);
    assert!(
        app.aws.handshakes_for(&good).await.is_empty(),
        "AWS was called"
    );
}
