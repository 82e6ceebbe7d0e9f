//! Health, reflection, and what happens while Postgres is down.
use tonic::Code;
use tonic_health::pb::{health_check_response::ServingStatus, HealthCheckRequest};
use tonic_reflection::pb::v1alpha::{
    server_reflection_client::ServerReflectionClient, server_reflection_request::MessageRequest,
    server_reflection_response::MessageResponse, ServerReflectionRequest,
};

use crate::helpers::*;
use org_invites::{proto::v1 as pb, startup::LIVENESS_SERVICE};

/// What health says of `service` now.
async fn status_of(app: &TestApp, service: &str) -> i32 {
    app.health
        .clone()
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .status
}

#[tokio::test]
async fn health_is_serving_for_the_server_and_the_service() {
    let app = spawn_app().await;
    for service in ["", "orginvites.v1.InvitationService", LIVENESS_SERVICE] {
        let status = status_of(&app, service).await;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }
}

#[tokio::test]
async fn reflection_lists_the_service_health_and_reflection_in_v1_and_v1alpha() {
    use tokio_stream::StreamExt as _;
    let app = spawn_app().await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", app.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();

    let reply = ask_v1alpha(channel.clone(), MessageRequest::ListServices(String::new())).await;
    let Some(MessageResponse::ListServicesResponse(list)) = reply else {
        panic!("not a list reply: {reply:?}")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for want in [
        "orginvites.v1.InvitationService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }

    use tonic_reflection::pb::v1;
    let req = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut replies = v1::server_reflection_client::ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter([req]))
        .await
        .unwrap()
        .into_inner();
    let Some(Ok(reply)) = replies.next().await else {
        panic!("no v1 reflection reply")
    };
    assert!(matches!(
        reply.message_response,
        Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(ref l))
            if l.service.iter().any(|s| s.name == "orginvites.v1.InvitationService")
    ));
}

#[tokio::test]
async fn while_postgres_is_down_calls_are_unavailable_health_is_not_serving_and_nothing_is_sent() {
    let db = fresh_database().await;
    let proxy = PgProxy::start(&db).await;
    let mut app = spawn_app_with(
        db.clone(),
        AppOptions {
            database: Some(proxy.options(&db)),
            ..Default::default()
        },
    )
    .await;

    proxy.cut();
    app.wait_for_health(ServingStatus::NotServing).await;
    assert_eq!(
        status_of(&app, LIVENESS_SERVICE).await,
        ServingStatus::Serving as i32,
        "alive: Kubernetes must not restart it for the database's outage"
    );

    let err = app
        .client
        .clone()
        .get_handshake(pb::GetHandshakeRequest {
            id: "h-0000000000".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");

    let account = random_account_id();
    let err = app.invite(invite_account(&account)).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert!(
        app.aws.handshakes_for(&account).await.is_empty(),
        "invited with no record"
    );

    proxy.restore();
    app.wait_for_health(ServingStatus::Serving).await;
    app.invite(invite_account(&account))
        .await
        .expect("works again");
}

#[tokio::test]
async fn shutdown_turns_health_not_serving_and_the_server_exits() {
    let app = spawn_app().await;
    let mut watch = app
        .health
        .clone()
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        watch.message().await.unwrap().unwrap().status,
        ServingStatus::Serving as i32
    );
    let stopping = tokio::spawn(app.stop());
    let next = watch
        .message()
        .await
        .expect("stream open")
        .expect("an update");
    assert_eq!(next.status, ServingStatus::NotServing as i32);
    drop(watch);
    tokio::time::timeout(std::time::Duration::from_secs(30), stopping)
        .await
        .expect("server stops")
        .unwrap();
}

#[tokio::test]
async fn reflection_describes_the_error_details_errors_carry() {
    use prost::Message as _;
    // grpcurl 1.8 asks v1alpha for the file of each detail type it prints.
    let app = spawn_app().await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", app.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let symbol = MessageRequest::FileContainingSymbol("google.rpc.BadRequest".into());
    let reply = ask_v1alpha(channel, symbol).await;
    let Some(MessageResponse::FileDescriptorResponse(files)) = reply else {
        panic!("not a file: {reply:?}")
    };
    let file = files
        .file_descriptor_proto
        .iter()
        .map(|b| prost_types::FileDescriptorProto::decode(b.as_slice()).unwrap())
        .find(|f| f.name() == "google/rpc/error_details.proto")
        .expect("google/rpc/error_details.proto");
    let messages: Vec<&str> = file.message_type.iter().map(|m| m.name()).collect();
    for detail in ["BadRequest", "ErrorInfo", "RetryInfo", "QuotaFailure"] {
        assert!(messages.contains(&detail), "{detail} in {messages:?}");
    }
}

/// One question to v1alpha reflection (what grpcurl 1.8 speaks), its answer.
async fn ask_v1alpha(
    channel: tonic::transport::Channel,
    question: MessageRequest,
) -> Option<MessageResponse> {
    use tokio_stream::StreamExt as _;
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(question),
    };
    let mut replies = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter([req]))
        .await
        .unwrap()
        .into_inner();
    let Some(Ok(reply)) = replies.next().await else {
        panic!("no reflection reply")
    };
    reply.message_response
}
