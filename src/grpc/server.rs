//! `orginvites.v1.InvitationService`.
use tonic::{Request, Response, Status};
use tracing::instrument;

use super::{
    convert, parse,
    watch::{self, ProtoStream},
};
use crate::{
    auth::Identity,
    domain::Violations,
    metrics::WatchMethod,
    proto::v1::{self as pb, invitation_service_server::InvitationService},
    service::{Error, Invitations},
    watch::{decode_resume_token, Watches},
};

pub struct InvitationApi {
    invitations: Invitations,
    watches: Watches,
}

impl InvitationApi {
    pub fn new(invitations: Invitations, watches: Watches) -> Self {
        Self {
            invitations,
            watches,
        }
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
        let requested_by = caller(&request);
        let invite =
            parse::parse_invite(request.into_inner(), requested_by).map_err(Error::Invalid)?;
        let record = self.invitations.invite(invite).await?;
        Ok(Response::new(pb::InviteAccountResponse {
            handshake: Some(convert::handshake_to_proto(&record)),
        }))
    }

    #[instrument(skip_all, name = "GetHandshake")]
    async fn get_handshake(
        &self,
        request: Request<pb::GetHandshakeRequest>,
    ) -> Result<Response<pb::Handshake>, Status> {
        let id = parse::parse_id(&request.get_ref().id).map_err(Error::Invalid)?;
        let record = self.invitations.get(&id).await?;
        Ok(Response::new(convert::handshake_to_proto(&record)))
    }

    #[instrument(skip_all, name = "ListHandshakes")]
    async fn list_handshakes(
        &self,
        request: Request<pb::ListHandshakesRequest>,
    ) -> Result<Response<pb::ListHandshakesResponse>, Status> {
        let query = parse::parse_list(request.get_ref()).map_err(Error::Invalid)?;
        let (records, next) = self.invitations.list(&query).await?;
        Ok(Response::new(pb::ListHandshakesResponse {
            handshakes: records.iter().map(convert::handshake_to_proto).collect(),
            next_page_token: next
                .map(|c| parse::encode_token(&c, &query))
                .unwrap_or_default(),
        }))
    }

    #[instrument(skip_all, name = "CancelHandshake")]
    async fn cancel_handshake(
        &self,
        request: Request<pb::CancelHandshakeRequest>,
    ) -> Result<Response<pb::Handshake>, Status> {
        let id = parse::parse_id(&request.get_ref().id).map_err(Error::Invalid)?;
        let record = self.invitations.cancel(&id, caller(&request)).await?;
        Ok(Response::new(convert::handshake_to_proto(&record)))
    }

    type WatchHandshakeStream = ProtoStream;

    #[instrument(skip_all, name = "WatchHandshake")]
    async fn watch_handshake(
        &self,
        request: Request<pb::WatchHandshakeRequest>,
    ) -> Result<Response<ProtoStream>, Status> {
        let id = parse::parse_id(&request.get_ref().id).map_err(Error::Invalid)?;
        // Subscribe before reading, so no change falls between the two.
        let events = self.watches.subscribe_to(&id);
        // No wake-up per stream: the replica asks for faster sweeps once
        // per interval while anyone watches (startup's background tasks).
        let record = self.invitations.get(&id).await?;
        Ok(Response::new(watch::one(self.watches.one(events, record))))
    }

    #[instrument(skip_all, name = "GetInvitationQuota")]
    async fn get_invitation_quota(
        &self,
        _request: Request<pb::GetInvitationQuotaRequest>,
    ) -> Result<Response<pb::InvitationQuota>, Status> {
        Ok(Response::new(self.quota().await?))
    }

    type WatchHandshakesStream = ProtoStream;

    #[instrument(skip_all, name = "WatchHandshakes")]
    async fn watch_handshakes(
        &self,
        request: Request<pb::WatchHandshakesRequest>,
    ) -> Result<Response<ProtoStream>, Status> {
        let req = request.into_inner();
        let mut v = Violations::default();
        let states = parse::parse_states(&req.states, &mut v);
        let after = if req.resume_token.is_empty() {
            None
        } else {
            v.take(decode_resume_token(&req.resume_token))
        };
        if !v.is_empty() {
            return Err(Error::Invalid(v).into());
        }
        if let Some(after) = after {
            self.invitations.check_resume_point(after).await?;
        }
        let events = self
            .watches
            .all(after, states, WatchMethod::WatchHandshakes)
            .await
            .map_err(Error::from)?;
        Ok(Response::new(watch::all(events)))
    }

    async fn create_campaign(
        &self,
        _request: Request<pb::CreateCampaignRequest>,
    ) -> Result<Response<pb::Campaign>, Status> {
        Err(Status::unimplemented("campaigns are being built"))
    }

    async fn get_campaign(
        &self,
        _request: Request<pb::GetCampaignRequest>,
    ) -> Result<Response<pb::Campaign>, Status> {
        Err(Status::unimplemented("campaigns are being built"))
    }

    async fn list_campaigns(
        &self,
        _request: Request<pb::ListCampaignsRequest>,
    ) -> Result<Response<pb::ListCampaignsResponse>, Status> {
        Err(Status::unimplemented("campaigns are being built"))
    }

    async fn list_campaign_targets(
        &self,
        _request: Request<pb::ListCampaignTargetsRequest>,
    ) -> Result<Response<pb::ListCampaignTargetsResponse>, Status> {
        Err(Status::unimplemented("campaigns are being built"))
    }

    async fn pause_campaign(
        &self,
        _request: Request<pb::PauseCampaignRequest>,
    ) -> Result<Response<pb::Campaign>, Status> {
        Err(Status::unimplemented("campaigns are being built"))
    }

    async fn resume_campaign(
        &self,
        _request: Request<pb::ResumeCampaignRequest>,
    ) -> Result<Response<pb::Campaign>, Status> {
        Err(Status::unimplemented("campaigns are being built"))
    }

    async fn cancel_campaign(
        &self,
        _request: Request<pb::CancelCampaignRequest>,
    ) -> Result<Response<pb::Campaign>, Status> {
        Err(Status::unimplemented("campaigns are being built"))
    }

    type WatchCampaignStream = std::pin::Pin<
        Box<dyn tokio_stream::Stream<Item = Result<pb::Campaign, Status>> + Send + 'static>,
    >;

    async fn watch_campaign(
        &self,
        _request: Request<pb::WatchCampaignRequest>,
    ) -> Result<Response<Self::WatchCampaignStream>, Status> {
        Err(Status::unimplemented("campaigns are being built"))
    }
}

/// The authenticated caller's name; None when authentication is off.
fn caller<T>(request: &Request<T>) -> Option<String> {
    request
        .extensions()
        .get::<Identity>()
        .map(|i| i.name.clone())
}

impl InvitationApi {
    /// GetInvitationQuota, here because the trait method delegates.
    async fn quota(&self) -> Result<pb::InvitationQuota, Status> {
        let report = self.invitations.quota().await?;
        let q = &report.quota;
        let int = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
        Ok(pb::InvitationQuota {
            limit: i32::try_from(q.limit).unwrap_or(i32::MAX),
            used: i32::try_from(q.used).unwrap_or(i32::MAX),
            remaining: i32::try_from(q.remaining()).unwrap_or(i32::MAX),
            window: prost_types::Duration::try_from(q.window).ok(),
            next_slot_time: q.next_slot_time.map(convert::timestamp),
            pending_invitations: int(report.pending_invitations),
            member_accounts: report.member_accounts.map_or(-1, |m| int(m.accounts)),
            member_accounts_time: report
                .member_accounts
                .map(|m| convert::timestamp(m.counted)),
        })
    }
}
