//! `orginvites.v1.InvitationService`.
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use tracing::instrument;

use super::{
    convert,
    watch::{self, EventStream},
};
use crate::{
    auth::Identity,
    domain::{FieldViolation, Violations},
    metrics::StreamGauge,
    proto::v1::{self as pb, invitation_service_server::InvitationService},
    service::{Error, Invitations},
    watch::Hub,
};

pub struct InvitationApi {
    invitations: Invitations,
    hub: Hub,
    /// Cancelled at shutdown: open streams end with UNAVAILABLE.
    stop: CancellationToken,
}

impl InvitationApi {
    pub fn new(invitations: Invitations, hub: Hub, stop: CancellationToken) -> Self {
        Self {
            invitations,
            hub,
            stop,
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
        let (request_id, mut invitation) =
            convert::parse_invite(request.into_inner()).map_err(Error::Invalid)?;
        invitation.requested_by = requested_by;
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
        let record = self.invitations.cancel(&id, caller(&request)).await?;
        Ok(Response::new(convert::handshake_to_proto(&record)))
    }

    type WatchHandshakeStream = EventStream;

    #[instrument(skip_all, name = "WatchHandshake")]
    async fn watch_handshake(
        &self,
        request: Request<pb::WatchHandshakeRequest>,
    ) -> Result<Response<EventStream>, Status> {
        let id = convert::parse_id(&request.get_ref().id).map_err(Error::Invalid)?;
        // Subscribe before reading, so no change falls between the two.
        let events = self.hub.subscribe_to(&id);
        // No wake-up per stream: the replica asks for faster sweeps once
        // per interval while anyone watches (startup::wake_while_watched).
        let record = self.invitations.get(&id).await?;
        let metrics = self.invitations.metrics();
        let stream = watch::watch_one(
            self.invitations.store().clone(),
            events,
            record,
            self.stop.clone(),
            metrics.event_delivery_seconds.clone(),
        );
        Ok(Response::new(counted(
            stream,
            metrics.watch_stream("WatchHandshake"),
        )))
    }

    #[instrument(skip_all, name = "GetInvitationQuota")]
    async fn get_invitation_quota(
        &self,
        _request: Request<pb::GetInvitationQuotaRequest>,
    ) -> Result<Response<pb::InvitationQuota>, Status> {
        Ok(Response::new(self.quota().await?))
    }

    type WatchHandshakesStream = EventStream;

    #[instrument(skip_all, name = "WatchHandshakes")]
    async fn watch_handshakes(
        &self,
        request: Request<pb::WatchHandshakesRequest>,
    ) -> Result<Response<EventStream>, Status> {
        let req = request.into_inner();
        let mut v = Violations::default();
        let states = convert::parse_states(&req.states, &mut v);
        let after = if req.resume_token.is_empty() {
            None
        } else {
            v.take(watch::decode_resume_token(&req.resume_token))
        };
        if !v.is_empty() {
            return Err(Error::Invalid(v).into());
        }
        if let Some(after) = after {
            self.check_resume_point(after).await?;
        }
        let metrics = self.invitations.metrics();
        let stream = watch::watch_all(
            self.invitations.store().clone(),
            self.hub.clone(),
            after,
            states,
            self.stop.clone(),
            metrics.event_delivery_seconds.clone(),
        );
        Ok(Response::new(counted(
            stream,
            metrics.watch_stream("WatchHandshakes"),
        )))
    }
}

/// The stream, counted in `org_invites_watch_streams` until it is dropped.
fn counted(stream: EventStream, gauge: StreamGauge) -> EventStream {
    Box::pin(tokio_stream::StreamExt::map(stream, move |item| {
        let _open = &gauge;
        item
    }))
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
        let q = self.invitations.quota().await?;
        Ok(pb::InvitationQuota {
            limit: i32::try_from(q.limit).unwrap_or(i32::MAX),
            used: i32::try_from(q.used).unwrap_or(i32::MAX),
            remaining: i32::try_from(q.remaining()).unwrap_or(i32::MAX),
            window: prost_types::Duration::try_from(q.window).ok(),
            next_slot_time: q.next_slot_time.map(convert::timestamp),
        })
    }

    /// A resume token must point into the events this database still keeps.
    async fn check_resume_point(&self, after: i64) -> Result<(), Status> {
        let store = self.invitations.store();
        let latest = store.latest_event_id().await.map_err(Error::from)?;
        if after > latest {
            let v = FieldViolation::new(
                "resume_token",
                "resume_token is ahead of every event here (issued by another database?)",
            );
            return Err(Error::Invalid(Violations(vec![v])).into());
        }
        let oldest = store.oldest_event_id().await.map_err(Error::from)?;
        if oldest.is_some_and(|o| after < o - 1) {
            return Err(Status::out_of_range(
                "resume_token is older than the events kept; watch from now with an empty resume_token \
                 and read the current state with ListHandshakes",
            ));
        }
        Ok(())
    }
}
