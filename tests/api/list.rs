//! GetHandshake and ListHandshakes.
use tonic::Code;

use crate::helpers::*;
use org_invites::proto::v1 as pb;

#[tokio::test]
async fn get_returns_what_invite_returned() {
    let app = spawn_app().await;
    let made = app
        .invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let got = app
        .client
        .clone()
        .get_handshake(pb::GetHandshakeRequest {
            id: made.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let history: Vec<i32> = got.state_history.iter().map(|s| s.state).collect();
    assert_eq!(history, [pb::HandshakeState::Open as i32]);
    assert_eq!(
        pb::Handshake {
            state_history: vec![],
            ..got
        },
        made
    );
}

#[tokio::test]
async fn get_of_an_unknown_id_is_not_found_and_a_malformed_id_is_invalid() {
    let app = spawn_app().await;
    let mut client = app.client.clone();
    let err = client
        .get_handshake(pb::GetHandshakeRequest {
            id: "h-0000000000".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = client
        .get_handshake(pb::GetHandshakeRequest {
            id: "H-NOPE".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violations(&err), ["id"]);
}

async fn list(app: &TestApp, req: pb::ListHandshakesRequest) -> pb::ListHandshakesResponse {
    app.client
        .clone()
        .list_handshakes(req)
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn list_pages_through_everything_newest_first() {
    let app = spawn_app().await;
    let mut made = Vec::new();
    for _ in 0..5 {
        made.push(
            app.invite(invite_account(&random_account_id()))
                .await
                .unwrap()
                .id,
        );
    }
    made.reverse();
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = list(
            &app,
            pb::ListHandshakesRequest {
                page_size: 2,
                page_token: token,
                ..Default::default()
            },
        )
        .await;
        assert!(page.handshakes.len() <= 2);
        seen.extend(page.handshakes.into_iter().map(|h| h.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, made);
}

#[tokio::test]
async fn list_filters_by_state_and_by_target() {
    let app = spawn_app().await;
    let (a, b) = (random_account_id(), random_account_id());
    let ha = app.invite(invite_account(&a)).await.unwrap();
    let hb = app.invite(invite_account(&b)).await.unwrap();
    app.cancel(&hb.id).await;

    let open = list(
        &app,
        pb::ListHandshakesRequest {
            states: vec![pb::HandshakeState::Open as i32],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        open.handshakes.iter().map(|h| &h.id).collect::<Vec<_>>(),
        [&ha.id]
    );

    let canceled = list(
        &app,
        pb::ListHandshakesRequest {
            states: vec![
                pb::HandshakeState::Canceled as i32,
                pb::HandshakeState::Declined as i32,
            ],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        canceled
            .handshakes
            .iter()
            .map(|h| &h.id)
            .collect::<Vec<_>>(),
        [&hb.id]
    );

    let by_target = list(
        &app,
        pb::ListHandshakesRequest {
            target_id: b.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        by_target
            .handshakes
            .iter()
            .map(|h| &h.id)
            .collect::<Vec<_>>(),
        [&hb.id]
    );
}

#[tokio::test]
async fn a_page_token_used_with_other_filters_is_invalid() {
    let app = spawn_app().await;
    for _ in 0..2 {
        app.invite(invite_account(&random_account_id()))
            .await
            .unwrap();
    }
    let first = list(
        &app,
        pb::ListHandshakesRequest {
            page_size: 1,
            ..Default::default()
        },
    )
    .await;
    assert!(!first.next_page_token.is_empty());
    let err = app
        .client
        .clone()
        .list_handshakes(pb::ListHandshakesRequest {
            page_size: 1,
            page_token: first.next_page_token,
            states: vec![pb::HandshakeState::Open as i32],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violations(&err), ["page_token"]);
}

/// `ListQuery::default()` is the first page of everything, as a query the
/// store can run (its limit was 0 once, which panicked on the first row).
#[tokio::test]
async fn the_default_list_query_reads_the_first_page() {
    use org_invites::store::{ListQuery, Store};
    let app = spawn_app().await;
    let made = app
        .invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let store = Store::connect_lazy(app.db_options.clone());
    let (records, next) = store.list(&ListQuery::default()).await.unwrap();
    let ids: Vec<&str> = records.iter().map(|r| r.handshake.id.as_str()).collect();
    assert_eq!(ids, [made.id.as_str()]);
    assert!(next.is_none());
    assert_eq!(ListQuery::default().limit, ListQuery::DEFAULT_LIMIT);
}
