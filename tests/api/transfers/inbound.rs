//! Inbound billing transfers: listed, accepted and declined by this
//! organization (the admin alone), and the invitations that cannot be
//! answered here.
use std::time::Duration;

use aws_sdk_organizations::types as sdk;
use org_invites::proto::v1 as pb;
use tonic::Code;

use super::*;

#[tokio::test]
async fn inbound_invitations_are_listed_then_one_accepted_and_another_declined() {
    let aws = Fakecloud::start().await;
    let (first_org, _) = other_org(&aws).await;
    let (second_org, _) = other_org(&aws).await;
    let app = app_on(aws.clone()).await;
    let accept_me = invite_us(&first_org, "first payer").await;
    let decline_me = invite_us(&second_org, "second payer").await;

    let inbound = eventually(Duration::from_secs(30), "both listed INBOUND", || async {
        let l = list(&app, pb::TransferDirection::Inbound).await;
        (l.len() == 2).then_some(l)
    })
    .await;
    assert!(inbound
        .iter()
        .all(|t| t.direction() == pb::TransferDirection::Inbound
            && t.target.as_ref().unwrap().management_account_id == MANAGEMENT));
    assert!(list(&app, pb::TransferDirection::Outbound).await.is_empty());
    // The other organization's handshake is not in our
    // ListHandshakesForOrganization; it is recorded through the transfer.
    let h = eventually(Duration::from_secs(30), "the inbound handshake", || async {
        app.get_handshake(&accept_me).await.ok()
    })
    .await;
    assert_eq!(h.action(), pb::HandshakeAction::TransferResponsibility);

    let accepted = app
        .client
        .clone()
        .accept_transfer(pb::AcceptTransferRequest {
            handshake_id: accept_me.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        accepted.status(),
        pb::ResponsibilityTransferStatus::Accepted
    );
    assert_eq!(accepted.direction(), pb::TransferDirection::Inbound);
    assert_eq!(accepted.name, "first payer");
    assert_eq!(
        app.get_handshake(&accept_me).await.unwrap().state(),
        pb::HandshakeState::Accepted
    );
    let declined = app
        .client
        .clone()
        .decline_transfer(pb::DeclineTransferRequest {
            handshake_id: decline_me.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        declined.status(),
        pb::ResponsibilityTransferStatus::Declined
    );
    assert_eq!(declined.name, "second payer");
    // AWS agrees.
    let seen_by_sender = first_org
        .list_outbound_responsibility_transfers()
        .r#type(sdk::ResponsibilityTransferType::Billing)
        .send()
        .await
        .unwrap();
    assert_eq!(
        seen_by_sender.responsibility_transfers()[0]
            .status()
            .unwrap()
            .as_str(),
        "ACCEPTED"
    );
}

#[tokio::test]
async fn an_outbound_invitation_cannot_be_answered_here_nor_an_ordinary_one() {
    let aws = Fakecloud::start().await;
    let (_other, other_id) = other_org(&aws).await;
    let app = app_on(aws.clone()).await;
    let sent = app
        .client
        .clone()
        .invite_transfer(billing(&other_id))
        .await
        .unwrap()
        .into_inner();
    let own = app
        .client
        .clone()
        .accept_transfer(pb::AcceptTransferRequest {
            handshake_id: sent.handshake.unwrap().id,
        })
        .await
        .unwrap_err();
    assert_eq!(own.code(), Code::InvalidArgument, "{own:?}");
    let invite = app
        .invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let ordinary = app
        .client
        .clone()
        .decline_transfer(pb::DeclineTransferRequest {
            handshake_id: invite.id,
        })
        .await
        .unwrap_err();
    assert_eq!(ordinary.code(), Code::InvalidArgument, "{ordinary:?}");
    let malformed = app
        .client
        .clone()
        .accept_transfer(pb::AcceptTransferRequest {
            handshake_id: "nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(violations(&malformed), ["handshake_id"]);
    assert_eq!(
        get(&app, &sent.transfer.unwrap().id)
            .await
            .unwrap()
            .status(),
        pb::ResponsibilityTransferStatus::Requested,
        "nothing changed"
    );
}

/// With authentication: the inviter's InviteTransfer names it in
/// requested_by; answering another organization's invitation is the
/// admin's alone, and the inviter's attempt changes nothing.
#[tokio::test]
async fn the_inviter_is_recorded_and_only_an_admin_answers_an_inbound_invitation() {
    use org_invites::auth::{token_line, Role};

    use crate::auth::client_with;
    let file = identities_file();
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(&format!(
        "{}\n",
        token_line(Role::Admin, "billing-admins", "admin-token")
    ));
    std::fs::write(&file, text).unwrap();
    let app = spawn_secured(Some(file)).await;
    let (_other, other_id) = other_org(&app.aws).await;
    let mut inviter = client_with(&app, Some("inviter-token")).await;
    let sent = inviter
        .invite_transfer(billing(&other_id))
        .await
        .unwrap()
        .into_inner();
    let t = sent.transfer.unwrap();
    assert_eq!(t.requested_by, "account-factory");
    let h = sent.handshake.unwrap();
    assert_eq!(h.requested_by, "account-factory");

    let (from, _) = other_org(&app.aws).await;
    let inbound = invite_us(&from, "payer").await;
    let refused = inviter
        .accept_transfer(pb::AcceptTransferRequest {
            handshake_id: inbound.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let mut admin = client_with(&app, Some("admin-token")).await;
    let accepted = admin
        .accept_transfer(pb::AcceptTransferRequest {
            handshake_id: inbound,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        accepted.status(),
        pb::ResponsibilityTransferStatus::Accepted
    );
}
