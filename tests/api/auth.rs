//! Authentication and roles: tokens from the identities file, refused calls
//! change nothing, and the audit fields name the caller.
use std::time::Duration;

use org_invites::{
    auth::{token_line, AuthSettings, Role},
    proto::v1::{self as pb, invitation_service_client::InvitationServiceClient},
};
use tonic::{
    service::{interceptor::InterceptedService, Interceptor},
    transport::Channel,
    Code, Request, Status,
};
use tonic_health::pb::{health_client::HealthClient, HealthCheckRequest};

use crate::helpers::*;

#[derive(Clone)]
pub struct Token(pub Option<String>);

impl Interceptor for Token {
    fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, Status> {
        if let Some(t) = &self.0 {
            req.metadata_mut()
                .insert("authorization", format!("Bearer {t}").parse().unwrap());
        }
        Ok(req)
    }
}

pub type AuthedClient = InvitationServiceClient<InterceptedService<Channel, Token>>;

/// Invites a fresh account with `client`, which must be allowed to.
pub async fn invite_as(client: &mut AuthedClient) -> pb::Handshake {
    client
        .invite_account(invite_account(&random_account_id()))
        .await
        .expect("the invite succeeds")
        .into_inner()
        .handshake
        .expect("a handshake")
}

pub async fn client_with(app: &TestApp, token: Option<&str>) -> AuthedClient {
    let channel = Channel::from_shared(format!("http://{}", app.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    InvitationServiceClient::with_interceptor(channel, Token(token.map(str::to_string)))
}

fn list() -> pb::ListHandshakesRequest {
    pb::ListHandshakesRequest::default()
}

#[tokio::test]
async fn calls_without_a_known_token_are_unauthenticated_but_health_answers() {
    let app = spawn_secured(Some(identities_file())).await;
    let err = client_with(&app, None)
        .await
        .list_handshakes(list())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "{err:?}");
    assert!(err.message().contains("Bearer"), "{}", err.message());
    let err = client_with(&app, Some("guess"))
        .await
        .list_handshakes(list())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    // A malformed header is refused the same way, never passed on.
    let mut raw = app.client.clone();
    let mut req = Request::new(list());
    req.metadata_mut()
        .insert("authorization", "Basic cmVhZGVyLXRva2Vu".parse().unwrap());
    assert_eq!(
        raw.list_handshakes(req).await.unwrap_err().code(),
        Code::Unauthenticated
    );

    let channel = Channel::from_shared(format!("http://{}", app.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let health = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health needs no credentials");
    assert_eq!(health.into_inner().status, 1);
}

#[tokio::test]
async fn a_reader_can_list_and_watch_but_not_invite_or_cancel() {
    let app = spawn_secured(Some(identities_file())).await;
    let mut reader = client_with(&app, Some("reader-token")).await;
    reader
        .list_handshakes(list())
        .await
        .expect("a reader lists");

    let err = reader
        .invite_account(invite_account(&random_account_id()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    assert!(
        err.message().contains("dashboards has role reader"),
        "{}",
        err.message()
    );
    assert_eq!(app.intent_rows().await, 0, "a refused call writes nothing");
    assert_eq!(app.handshake_rows().await, 0);

    let mut inviter = client_with(&app, Some("inviter-token")).await;
    let h = invite_as(&mut inviter).await;
    let mut events = reader
        .watch_handshake(pb::WatchHandshakeRequest { id: h.id.clone() })
        .await
        .expect("a reader watches")
        .into_inner();
    assert_eq!(
        state_of(&next_event(&mut events).await.unwrap()),
        pb::HandshakeState::Open
    );
    let err = reader
        .cancel_handshake(pb::CancelHandshakeRequest { id: h.id.clone() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn get_names_who_invited_and_who_cancelled() {
    let app = spawn_secured(Some(identities_file())).await;
    let mut inviter = client_with(&app, Some("inviter-token")).await;
    let h = invite_as(&mut inviter).await;
    assert_eq!(h.requested_by, "account-factory");
    inviter
        .cancel_handshake(pb::CancelHandshakeRequest { id: h.id.clone() })
        .await
        .expect("an inviter cancels");
    let got = client_with(&app, Some("reader-token"))
        .await
        .get_handshake(pb::GetHandshakeRequest { id: h.id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.requested_by, "account-factory");
    assert_eq!(got.canceled_by, "account-factory");
    assert_eq!(got.state, pb::HandshakeState::Canceled as i32);
}

#[tokio::test]
async fn with_no_identities_configured_every_call_is_refused() {
    let app = spawn_secured(None).await;
    let err = client_with(&app, Some("anything"))
        .await
        .list_handshakes(list())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let err = client_with(&app, None)
        .await
        .list_handshakes(list())
        .await
        .unwrap_err();
    assert!(
        err.message().contains("no identities configured"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn a_changed_identities_file_is_picked_up_without_a_restart() {
    let file = identities_file();
    let app = spawn_app_with(
        fresh_database().await,
        AppOptions {
            auth: AuthSettings {
                identities_file: Some(file.clone()),
                insecure_no_auth: false,
            },
            http: true,
            ..AppOptions::default()
        },
    )
    .await;
    let mut newcomer = client_with(&app, Some("new-token")).await;
    assert_eq!(
        newcomer.list_handshakes(list()).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(&token_line(Role::Reader, "newcomer", "new-token"));
    std::fs::write(&file, text).unwrap();
    // The file is re-read each second; wait for the reload, not a fixed time.
    eventually(Duration::from_secs(15), "the new token to work", || {
        let mut newcomer = newcomer.clone();
        async move {
            match newcomer.list_handshakes(list()).await {
                Ok(_) => Ok(()),
                Err(e) if e.code() == Code::Unauthenticated => Err(e),
                Err(e) => panic!("the new token never worked: {e:?}"),
            }
        }
    })
    .await;
    assert_eq!(reloads(&app, "ok").await, 1.0);
    // A broken file keeps the identities in force, and is counted.
    std::fs::write(&file, "not a valid line\n").unwrap();
    eventually(
        Duration::from_secs(15),
        "the broken file to be read and refused",
        || async {
            let errors = reloads(&app, "error").await;
            if errors >= 1.0 {
                Ok(())
            } else {
                Err(format!("{errors} reload errors"))
            }
        },
    )
    .await;
    for token in ["reader-token", "new-token"] {
        client_with(&app, Some(token))
            .await
            .list_handshakes(list())
            .await
            .expect("the identities in force still work");
    }
    assert_eq!(reloads(&app, "ok").await, 1.0, "nothing else was loaded");
}

/// `org_invites_identities_reloads_total` for `outcome`, from /metrics.
async fn reloads(app: &TestApp, outcome: &str) -> f64 {
    let series = format!("org_invites_identities_reloads_total{{outcome=\"{outcome}\"}}");
    metric_value(&scrape(app).await, &series).unwrap_or_else(|| panic!("no {series}"))
}

/// A method of this service that the method table does not list is refused
/// to every caller, not treated as a reader's call (fail closed).
#[tokio::test]
async fn a_method_missing_from_the_method_table_is_refused_even_to_an_inviter() {
    let app = spawn_secured(Some(identities_file())).await;
    let channel = Channel::from_shared(format!("http://{}", app.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let mut req = Request::new(pb::GetHandshakeRequest {
        id: "h-abcdefgh12".into(),
    });
    req.metadata_mut()
        .insert("authorization", "Bearer inviter-token".parse().unwrap());
    let path = http::uri::PathAndQuery::from_static(
        "/orginvites.v1.InvitationService/DeleteEveryHandshake",
    );
    let codec = tonic_prost::ProstCodec::<pb::GetHandshakeRequest, pb::Handshake>::default();
    let err = grpc.unary(req, path, codec).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    // A listed method still works for the same caller.
    let mut inviter = client_with(&app, Some("inviter-token")).await;
    inviter
        .list_handshakes(list())
        .await
        .expect("a listed method");
}
