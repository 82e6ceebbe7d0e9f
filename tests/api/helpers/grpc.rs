//! The gRPC API from a test's side: requests, stream reads, status details.
use std::time::Duration;

use org_invites::proto::v1::{self as pb, invitation_service_client::InvitationServiceClient};
use tonic::transport::Channel;

use super::random_account_id;

/// The next message of a watch stream, failing the test if none comes in 30 s.
pub async fn next_event(
    stream: &mut tonic::Streaming<pb::HandshakeEvent>,
) -> Option<pb::HandshakeEvent> {
    tokio::time::timeout(Duration::from_secs(30), stream.message())
        .await
        .expect("a message within 30 s")
        .expect("stream OK")
}

pub fn state_of(e: &pb::HandshakeEvent) -> pb::HandshakeState {
    pb::HandshakeState::try_from(e.handshake.as_ref().unwrap().state).unwrap()
}

pub fn account_target(id: &str) -> Option<pb::HandshakeParty> {
    Some(pb::HandshakeParty {
        id: id.to_string(),
        r#type: pb::HandshakePartyType::Account as i32,
    })
}

pub fn email_target(id: &str) -> Option<pb::HandshakeParty> {
    Some(pb::HandshakeParty {
        id: id.to_string(),
        r#type: pb::HandshakePartyType::Email as i32,
    })
}

pub fn invite_account(id: &str) -> pb::InviteAccountRequest {
    pb::InviteAccountRequest {
        target: account_target(id),
        ..Default::default()
    }
}

/// Details from a status, for assertions.
pub fn violations(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|f| f.field).collect())
        .unwrap_or_default()
}

pub fn error_info(status: &tonic::Status) -> tonic_types::ErrorInfo {
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .expect("ErrorInfo in status")
}

/// `n` InviteAccount calls at once, spread over `clients` in turn, each
/// for a fresh account; their results in completion order.
pub async fn concurrent_invites(
    clients: &[InvitationServiceClient<Channel>],
    n: usize,
) -> Vec<Result<tonic::Response<pb::InviteAccountResponse>, tonic::Status>> {
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..n {
        let mut client = clients[i % clients.len()].clone();
        calls.spawn(async move {
            client
                .invite_account(invite_account(&random_account_id()))
                .await
        });
    }
    calls.join_all().await
}

/// How many of `results` were sent, and how many refused RESOURCE_EXHAUSTED.
pub fn sent_and_refused<T>(results: &[Result<T, tonic::Status>]) -> (usize, usize) {
    let sent = results.iter().filter(|r| r.is_ok()).count();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(e) if e.code() == tonic::Code::ResourceExhausted))
        .count();
    (sent, refused)
}

/// WatchHandshakes from now on through `client` (of a test app, or of a
/// server started as a process), which must start.
pub async fn watch_all_through(
    client: &pb::invitation_service_client::InvitationServiceClient<tonic::transport::Channel>,
) -> tonic::Streaming<pb::HandshakeEvent> {
    client
        .clone()
        .watch_handshakes(pb::WatchHandshakesRequest::default())
        .await
        .expect("WatchHandshakes starts")
        .into_inner()
}
