//! `orginvites.v1.InvitationService`.
use tonic::{Request, Response, Status};
use tracing::instrument;

use super::convert;
use crate::{
    proto::v1::{self as pb, invitation_service_server::InvitationService},
    service::{Error, Invitations},
};

pub struct InvitationApi {
    invitations: Invitations,
}

impl InvitationApi {
    pub fn new(invitations: Invitations) -> Self {
        Self { invitations }
    }
}

#[tonic::async_trait]
impl InvitationService for InvitationApi {
    // Fields are skipped: notes and party ids must not reach the logs.
    #[instrument(skip_all, name = "InviteAccount")]
    async fn invite_account(
        &self,
        request: Request<pb::InviteAccountRequest>,
    ) -> Result<Response<pb::InviteAccountResponse>, Status> {
        let (request_id, invitation) =
            convert::parse_invite(request.into_inner()).map_err(Error::Invalid)?;
        let record = self.invitations.invite(request_id, invitation).await?;
        Ok(Response::new(pb::InviteAccountResponse {
            handshake: Some(convert::handshake_to_proto(&record)),
        }))
    }

    #[instrument(skip_all, name = "GetHandshake")]
    async fn get_handshake(
        &self,
        request: Request<pb::GetHandshakeRequest>,
    ) -> Result<Response<pb::Handshake>, Status> {
        let id = convert::parse_id(&request.get_ref().id).map_err(Error::Invalid)?;
        let record = self.invitations.get(&id).await?;
        Ok(Response::new(convert::handshake_to_proto(&record)))
    }

    #[instrument(skip_all, name = "ListHandshakes")]
    async fn list_handshakes(
        &self,
        request: Request<pb::ListHandshakesRequest>,
    ) -> Result<Response<pb::ListHandshakesResponse>, Status> {
        let query = convert::parse_list(request.get_ref()).map_err(Error::Invalid)?;
        let (records, next) = self.invitations.list(&query).await?;
        Ok(Response::new(pb::ListHandshakesResponse {
            handshakes: records.iter().map(convert::handshake_to_proto).collect(),
            next_page_token: next
                .map(|c| convert::encode_token(&c, &query))
                .unwrap_or_default(),
        }))
    }

    #[instrument(skip_all, name = "CancelHandshake")]
    async fn cancel_handshake(
        &self,
        request: Request<pb::CancelHandshakeRequest>,
    ) -> Result<Response<pb::Handshake>, Status> {
        let id = convert::parse_id(&request.get_ref().id).map_err(Error::Invalid)?;
        let record = self.invitations.cancel(&id).await?;
        Ok(Response::new(convert::handshake_to_proto(&record)))
    }
}
