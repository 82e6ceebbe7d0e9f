//! `orginvites.v1.InvitationService`.
use chrono::Utc;
use tonic::{Request, Response, Status};
use tracing::instrument;

use super::{
    campaigns, convert, deliveries, parse, transfers,
    watch::{self, ProtoStream},
};
use crate::{
    auth::Identity,
    domain::{FieldViolation, Subscription, Violations},
    metrics::WatchMethod,
    proto::v1::{self as pb, invitation_service_server::InvitationService},
    reconcile::delivery::SubscriptionSet,
    service::{Error, Invitations},
    watch::{decode_resume_token, decode_transfer_token, Watches},
};

pub struct InvitationApi {
    invitations: Invitations,
    watches: Watches,
    /// The subscriptions in force; none without a subscriptions file.
    subscriptions: Option<SubscriptionSet>,
}

impl InvitationApi {
    pub fn new(invitations: Invitations, watches: Watches) -> Self {
        Self {
            invitations,
            watches,
            subscriptions: None,
        }
    }

    pub fn with_subscriptions(self, subscriptions: Option<SubscriptionSet>) -> Self {
        Self {
            subscriptions,
            ..self
        }
    }

    fn configured(&self) -> std::sync::Arc<Vec<Subscription>> {
        self.subscriptions
            .as_ref()
            .map(SubscriptionSet::current)
            .unwrap_or_default()
    }

    /// `id` when the subscriptions file names it.
    fn subscription(&self, id: &str) -> Result<String, Status> {
        if self.configured().iter().any(|s| s.id == id) {
            Ok(id.to_string())
        } else {
            Err(Error::SubscriptionNotFound(id.to_string()).into())
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

    #[instrument(skip_all, name = "CreateCampaign")]
    async fn create_campaign(
        &self,
        request: Request<pb::CreateCampaignRequest>,
    ) -> Result<Response<pb::Campaign>, Status> {
        let requested_by = caller(&request);
        let new =
            campaigns::parse_create(request.into_inner(), requested_by).map_err(Error::Invalid)?;
        let campaign = self.invitations.create_campaign(new).await?;
        Ok(Response::new(campaigns::campaign_to_proto(&campaign)))
    }

    #[instrument(skip_all, name = "GetCampaign")]
    async fn get_campaign(
        &self,
        request: Request<pb::GetCampaignRequest>,
    ) -> Result<Response<pb::Campaign>, Status> {
        let id = campaigns::parse_campaign_id(&request.get_ref().id).map_err(Error::Invalid)?;
        let campaign = self.invitations.get_campaign(&id).await?;
        Ok(Response::new(campaigns::campaign_to_proto(&campaign)))
    }

    #[instrument(skip_all, name = "ListCampaigns")]
    async fn list_campaigns(
        &self,
        request: Request<pb::ListCampaignsRequest>,
    ) -> Result<Response<pb::ListCampaignsResponse>, Status> {
        let req = request.get_ref();
        let limit = campaigns::page_size(req.page_size, 50).map_err(Error::Invalid)?;
        let before = campaigns::decode_page(&req.page_token, "").map_err(Error::Invalid)?;
        let (page, next) = self.invitations.list_campaigns(before, limit).await?;
        Ok(Response::new(pb::ListCampaignsResponse {
            campaigns: page.iter().map(campaigns::campaign_to_proto).collect(),
            next_page_token: next
                .map(|p| campaigns::encode_page(p, ""))
                .unwrap_or_default(),
        }))
    }

    #[instrument(skip_all, name = "ListCampaignTargets")]
    async fn list_campaign_targets(
        &self,
        request: Request<pb::ListCampaignTargetsRequest>,
    ) -> Result<Response<pb::ListCampaignTargetsResponse>, Status> {
        let req = request.get_ref();
        let id = campaigns::parse_campaign_id(&req.campaign_id).map_err(|v| {
            Error::Invalid(Violations(
                v.0.into_iter().map(|f| f.under("campaign")).collect(),
            ))
        })?;
        let states = campaigns::parse_target_states(&req.states).map_err(Error::Invalid)?;
        let filter = campaigns::states_key(&states);
        let limit = campaigns::page_size(req.page_size, 100).map_err(Error::Invalid)?;
        let after = campaigns::decode_page(&req.page_token, &filter).map_err(Error::Invalid)?;
        let after = after.and_then(|a| u32::try_from(a).ok());
        let (page, next) = self
            .invitations
            .list_campaign_targets(&id, &states, after, limit)
            .await?;
        Ok(Response::new(pb::ListCampaignTargetsResponse {
            targets: page.iter().map(campaigns::target_to_proto).collect(),
            next_page_token: next
                .map(|i| campaigns::encode_page(i64::from(i), &filter))
                .unwrap_or_default(),
        }))
    }

    #[instrument(skip_all, name = "PauseCampaign")]
    async fn pause_campaign(
        &self,
        request: Request<pb::PauseCampaignRequest>,
    ) -> Result<Response<pb::Campaign>, Status> {
        let id = campaigns::parse_campaign_id(&request.get_ref().id).map_err(Error::Invalid)?;
        let campaign = self.invitations.pause_campaign(&id).await?;
        Ok(Response::new(campaigns::campaign_to_proto(&campaign)))
    }

    #[instrument(skip_all, name = "ResumeCampaign")]
    async fn resume_campaign(
        &self,
        request: Request<pb::ResumeCampaignRequest>,
    ) -> Result<Response<pb::Campaign>, Status> {
        let id = campaigns::parse_campaign_id(&request.get_ref().id).map_err(Error::Invalid)?;
        let campaign = self.invitations.resume_campaign(&id).await?;
        Ok(Response::new(campaigns::campaign_to_proto(&campaign)))
    }

    #[instrument(skip_all, name = "CancelCampaign")]
    async fn cancel_campaign(
        &self,
        request: Request<pb::CancelCampaignRequest>,
    ) -> Result<Response<pb::Campaign>, Status> {
        let id = campaigns::parse_campaign_id(&request.get_ref().id).map_err(Error::Invalid)?;
        let cancel_open = request.get_ref().cancel_open_invitations;
        let campaign = self
            .invitations
            .cancel_campaign(&id, cancel_open, caller(&request))
            .await?;
        Ok(Response::new(campaigns::campaign_to_proto(&campaign)))
    }

    #[instrument(skip_all, name = "ListSubscriptions")]
    async fn list_subscriptions(
        &self,
        _request: Request<pb::ListSubscriptionsRequest>,
    ) -> Result<Response<pb::ListSubscriptionsResponse>, Status> {
        let subs = self.configured();
        let ids: Vec<String> = subs.iter().map(|s| s.id.clone()).collect();
        let rows = self.invitations.subscriptions(&ids).await?;
        Ok(Response::new(pb::ListSubscriptionsResponse {
            subscriptions: subs
                .iter()
                .map(|s| {
                    let row = rows.iter().find(|r| r.id == s.id);
                    deliveries::subscription_to_proto(s, row)
                })
                .collect(),
        }))
    }

    #[instrument(skip_all, name = "ListDeliveries")]
    async fn list_deliveries(
        &self,
        request: Request<pb::ListDeliveriesRequest>,
    ) -> Result<Response<pb::ListDeliveriesResponse>, Status> {
        let req = request.get_ref();
        let id = self.subscription(&req.subscription_id)?;
        let q = deliveries::parse_list(req).map_err(Error::Invalid)?;
        let (rows, next) = self
            .invitations
            .deliveries(&id, &q.states, q.before, q.limit)
            .await?;
        Ok(Response::new(pb::ListDeliveriesResponse {
            deliveries: rows.iter().map(deliveries::delivery_to_proto).collect(),
            next_page_token: deliveries::next_token(next, &q),
        }))
    }

    #[instrument(skip_all, name = "RedeliverEvents")]
    async fn redeliver_events(
        &self,
        request: Request<pb::RedeliverEventsRequest>,
    ) -> Result<Response<pb::RedeliverEventsResponse>, Status> {
        let req = request.get_ref();
        let id = self.subscription(&req.subscription_id)?;
        if req.event_ids.is_empty() {
            let v = FieldViolation::new("event_ids", "name at least one event");
            return Err(Error::Invalid(Violations(vec![v])).into());
        }
        let rows = self.invitations.redeliver(&id, &req.event_ids).await?;
        Ok(Response::new(pb::RedeliverEventsResponse {
            deliveries: rows.iter().map(deliveries::delivery_to_proto).collect(),
        }))
    }

    #[instrument(skip_all, name = "EnableSubscription")]
    async fn enable_subscription(
        &self,
        request: Request<pb::EnableSubscriptionRequest>,
    ) -> Result<Response<pb::Subscription>, Status> {
        let id = self.subscription(&request.get_ref().id)?;
        self.invitations.enable_subscription(&id).await?;
        let subs = self.configured();
        let sub = subs.iter().find(|s| s.id == id).expect("checked above");
        let rows = self
            .invitations
            .subscriptions(std::slice::from_ref(&id))
            .await?;
        Ok(Response::new(deliveries::subscription_to_proto(
            sub,
            rows.first(),
        )))
    }

    type WatchCampaignStream = watch::CampaignProtoStream;

    #[instrument(skip_all, name = "WatchCampaign")]
    async fn watch_campaign(
        &self,
        request: Request<pb::WatchCampaignRequest>,
    ) -> Result<Response<Self::WatchCampaignStream>, Status> {
        let id = campaigns::parse_campaign_id(&request.get_ref().id).map_err(Error::Invalid)?;
        // Subscribe before reading, so no change falls between the two.
        let start = self.watches.campaign();
        let first = self.invitations.get_campaign(&id).await?;
        Ok(Response::new(watch::campaign(start(first))))
    }

    // Notes and party ids are never logged: fields are skipped.
    #[instrument(skip_all, name = "InviteTransfer")]
    async fn invite_transfer(
        &self,
        request: Request<pb::InviteTransferRequest>,
    ) -> Result<Response<pb::InviteTransferResponse>, Status> {
        let requested_by = caller(&request);
        let invite =
            transfers::parse_invite_transfer(request.into_inner(), requested_by, Utc::now())
                .map_err(Error::Invalid)?;
        let sent = self.invitations.invite_transfer(invite).await?;
        Ok(Response::new(pb::InviteTransferResponse {
            handshake: sent.handshake.as_ref().map(convert::handshake_to_proto),
            transfer: Some(transfers::transfer_to_proto(&sent.transfer)),
        }))
    }

    #[instrument(skip_all, name = "GetTransfer")]
    async fn get_transfer(
        &self,
        request: Request<pb::GetTransferRequest>,
    ) -> Result<Response<pb::ResponsibilityTransfer>, Status> {
        let id = transfers::parse_transfer_id(&request.get_ref().id).map_err(Error::Invalid)?;
        let record = self.invitations.get_transfer(&id).await?;
        Ok(Response::new(transfers::transfer_to_proto(&record)))
    }

    #[instrument(skip_all, name = "ListTransfers")]
    async fn list_transfers(
        &self,
        request: Request<pb::ListTransfersRequest>,
    ) -> Result<Response<pb::ListTransfersResponse>, Status> {
        let (query, filter) = transfers::parse_list(request.get_ref()).map_err(Error::Invalid)?;
        let rows = self.invitations.list_transfers(&query).await?;
        let full = rows.len() as i64 == query.limit;
        Ok(Response::new(pb::ListTransfersResponse {
            transfers: rows.iter().map(transfers::transfer_to_proto).collect(),
            next_page_token: transfers::next_page(rows.last(), full, &filter),
        }))
    }

    #[instrument(skip_all, name = "WithdrawTransfer")]
    async fn withdraw_transfer(
        &self,
        request: Request<pb::WithdrawTransferRequest>,
    ) -> Result<Response<pb::ResponsibilityTransfer>, Status> {
        let req = request.get_ref();
        let id = transfers::parse_transfer_id(&req.id);
        let end = transfers::parse_end(req.end_time.as_ref());
        let (id, end) = both(id, end)?;
        let record = self.invitations.withdraw_transfer(&id, end).await?;
        Ok(Response::new(transfers::transfer_to_proto(&record)))
    }

    #[instrument(skip_all, name = "RenameTransfer")]
    async fn rename_transfer(
        &self,
        request: Request<pb::RenameTransferRequest>,
    ) -> Result<Response<pb::ResponsibilityTransfer>, Status> {
        let req = request.get_ref();
        let (id, name) = both(
            transfers::parse_transfer_id(&req.id),
            transfers::parse_name(&req.name),
        )?;
        let record = self.invitations.rename_transfer(&id, &name).await?;
        Ok(Response::new(transfers::transfer_to_proto(&record)))
    }

    #[instrument(skip_all, name = "AcceptTransfer")]
    async fn accept_transfer(
        &self,
        request: Request<pb::AcceptTransferRequest>,
    ) -> Result<Response<pb::ResponsibilityTransfer>, Status> {
        let id = handshake_id(&request.get_ref().handshake_id)?;
        let record = self.invitations.answer_transfer(&id, true).await?;
        Ok(Response::new(transfers::transfer_to_proto(&record)))
    }

    #[instrument(skip_all, name = "DeclineTransfer")]
    async fn decline_transfer(
        &self,
        request: Request<pb::DeclineTransferRequest>,
    ) -> Result<Response<pb::ResponsibilityTransfer>, Status> {
        let id = handshake_id(&request.get_ref().handshake_id)?;
        let record = self.invitations.answer_transfer(&id, false).await?;
        Ok(Response::new(transfers::transfer_to_proto(&record)))
    }

    type WatchTransfersStream = watch::TransferProtoStream;

    #[instrument(skip_all, name = "WatchTransfers")]
    async fn watch_transfers(
        &self,
        request: Request<pb::WatchTransfersRequest>,
    ) -> Result<Response<Self::WatchTransfersStream>, Status> {
        let req = request.get_ref();
        let mut v = Violations::default();
        let after = if req.resume_token.is_empty() {
            None
        } else {
            v.take(decode_transfer_token(&req.resume_token))
        };
        let mut directions = Vec::new();
        for (i, raw) in req.directions.iter().enumerate() {
            match transfers::direction_from_proto(*raw) {
                Some(Some(d)) => directions.push(d),
                _ => v.push(FieldViolation::new(
                    format!("directions[{i}]"),
                    "must be INBOUND or OUTBOUND",
                )),
            }
        }
        if !v.is_empty() {
            return Err(Error::Invalid(v).into());
        }
        let events = self.watches.transfers(after, directions).await?;
        Ok(Response::new(watch::transfers(events)))
    }
}

/// Both parsed, or every violation of either.
fn both<A, B>(a: Result<A, Violations>, b: Result<B, Violations>) -> Result<(A, B), Status> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => {
            let mut v = Violations::default();
            v.0.extend(a.err().into_iter().flat_map(|e| e.0));
            v.0.extend(b.err().into_iter().flat_map(|e| e.0));
            Err(Error::Invalid(v).into())
        }
    }
}

/// An answer's handshake id, `h-...`.
fn handshake_id(id: &str) -> Result<crate::domain::HandshakeId, Status> {
    crate::domain::HandshakeId::parse(id).map_err(|e| {
        let v = FieldViolation::new("handshake_id", e.description);
        Error::Invalid(Violations(vec![v])).into()
    })
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
