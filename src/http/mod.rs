//! The HTTP port for dashboards: `/metrics` for Prometheus, `/` a status
//! page, and the JSON and server-sent events it reads. Nothing here can
//! change anything; bind it to an internal address (it has no auth).
mod rows;

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::{Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{
        sse::{Event, KeepAlive, Sse},
        Html, IntoResponse, Response,
    },
    routing::get,
    Json, Router,
};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::{
    domain::HandshakeState,
    metrics::{Metrics, WatchMethod},
    reconcile::delivery::SubscriptionSet,
    service::{Error, Invitations},
    store::TransferQuery,
    watch::{decode_resume_token, encode_resume_token, Watches},
};

const PAGE: &str = include_str!("status.html");
/// Rows the status page starts with, unless it asks for up to MAX_RECENT.
const RECENT: i64 = 100;
const MAX_RECENT: i64 = 200;
/// Campaigns the status page shows.
const CAMPAIGNS: i64 = 20;
/// A scrape never waits longer than this for Postgres.
const COUNT_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct HttpState {
    /// What the page and the scrape read, as the RPCs read it.
    pub invitations: Invitations,
    pub watches: Watches,
    pub metrics: Metrics,
    /// Cancelled at shutdown: the server stops and event streams end.
    pub stop: CancellationToken,
    /// The subscriptions in force, when events are delivered.
    pub subscriptions: Option<SubscriptionSet>,
}

pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/metrics", get(metrics))
        .route("/api/summary", get(summary))
        .route("/api/events", get(events))
        .route("/api/campaigns", get(campaigns))
        .route("/api/subscriptions", get(subscriptions))
        .route("/api/transfers", get(transfers))
        .with_state(state)
}

/// Serves until `stop`; open event streams end then too.
pub async fn serve(listener: TcpListener, state: HttpState) {
    let stop = state.stop.clone();
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "status page and /metrics listening");
    }
    if let Err(e) = axum::serve(listener, router(state))
        .with_graceful_shutdown(stop.cancelled_owned())
        .await
    {
        warn!(error = %e, "the HTTP server failed");
    }
}

async fn counts(invitations: &Invitations) -> Option<Vec<(HandshakeState, i64)>> {
    match tokio::time::timeout(COUNT_TIMEOUT, invitations.count_by_state()).await {
        Ok(Ok(c)) => Some(c),
        Ok(Err(e)) => {
            warn!(error = %e, "could not count handshakes");
            None
        }
        Err(_) => None,
    }
}

async fn metrics(State(s): State<HttpState>) -> Response {
    // Counted at scrape time, so every replica reports the same truth.
    if let Some(counts) = counts(&s.invitations).await {
        s.metrics.set_handshake_counts(&counts);
    }
    match tokio::time::timeout(COUNT_TIMEOUT, s.invitations.expiring_invitations()).await {
        Ok(Ok(n)) => s.metrics.set_expiring(n),
        Ok(Err(e)) => warn!(error = %e, "could not count expiring invitations"),
        Err(_) => {}
    }
    for (id, backlog, disabled) in subscription_rows(&s).await {
        s.metrics.set_subscription(&id, backlog, disabled);
    }
    match tokio::time::timeout(COUNT_TIMEOUT, s.invitations.transfer_counts()).await {
        Ok(Ok(counts)) => s.metrics.set_transfers(&counts),
        Ok(Err(e)) => warn!(error = %e, "could not count transfers"),
        Err(_) => {}
    }
    let targets = s.invitations.campaign_target_counts();
    match tokio::time::timeout(COUNT_TIMEOUT, targets).await {
        Ok(Ok(counts)) => s.metrics.set_campaign_targets(&counts),
        Ok(Err(e)) => warn!(error = %e, "could not count campaign targets"),
        Err(_) => {}
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.encode(),
    )
        .into_response()
}

#[derive(Deserialize)]
struct SummaryQuery {
    limit: Option<i64>,
}

async fn summary(State(s): State<HttpState>, Query(q): Query<SummaryQuery>) -> Response {
    let recent = q.limit.unwrap_or(RECENT).clamp(1, MAX_RECENT);
    // One snapshot: the event stream resumes right after its last event, so
    // the page neither misses a change nor counts one twice.
    let snapshot =
        match tokio::time::timeout(COUNT_TIMEOUT, s.invitations.status_snapshot(recent)).await {
            Ok(Ok(snapshot)) => snapshot,
            Ok(Err(e)) => return unavailable(e),
            Err(_) => {
                return (StatusCode::SERVICE_UNAVAILABLE, "database too slow").into_response();
            }
        };
    let counts: serde_json::Map<String, serde_json::Value> = HandshakeState::COUNTED
        .iter()
        .map(|st| {
            let n = snapshot
                .counts
                .iter()
                .find(|(c, _)| c == st)
                .map_or(0, |c| c.1);
            (st.as_str().to_string(), n.into())
        })
        .collect();
    // Counted by the polling replica now and then, not part of the snapshot.
    let members = match s.invitations.member_accounts().await {
        Ok(Some(m)) => serde_json::json!({
            "accounts": m.accounts,
            "counted": m.counted.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }),
        Ok(None) => serde_json::Value::Null,
        Err(e) => return unavailable(e),
    };
    Json(serde_json::json!({
        "counts": counts,
        "handshakes": snapshot.recent.iter().map(rows::row).collect::<Vec<_>>(),
        "resume_token": encode_resume_token(snapshot.last_event_id),
        "member_accounts": members,
    }))
    .into_response()
}

/// Each subscription in force: its id, backlog, and whether it is disabled.
async fn subscription_rows(s: &HttpState) -> Vec<(String, i64, bool)> {
    let Some(set) = &s.subscriptions else {
        return Vec::new();
    };
    let ids: Vec<String> = set.current().iter().map(|s| s.id.clone()).collect();
    match tokio::time::timeout(COUNT_TIMEOUT, s.invitations.subscriptions(&ids)).await {
        Ok(Ok(rows)) => rows
            .into_iter()
            .map(|r| (r.id, r.backlog, r.state == "DISABLED"))
            .collect(),
        Ok(Err(e)) => {
            warn!(error = %e, "could not read the subscriptions");
            Vec::new()
        }
        Err(_) => Vec::new(),
    }
}

/// The subscriptions with their state and backlog (the page polls this).
async fn subscriptions(State(s): State<HttpState>) -> Response {
    let rows: Vec<serde_json::Value> = subscription_rows(&s)
        .await
        .into_iter()
        .map(|(id, backlog, disabled)| {
            serde_json::json!({
                "id": id,
                "state": if disabled { "DISABLED" } else { "ACTIVE" },
                "backlog": backlog,
            })
        })
        .collect();
    Json(serde_json::json!({ "subscriptions": rows })).into_response()
}

/// The newest campaigns with their progress (the page polls this).
async fn campaigns(State(s): State<HttpState>) -> Response {
    match tokio::time::timeout(COUNT_TIMEOUT, s.invitations.recent_campaigns(CAMPAIGNS)).await {
        Ok(Ok(list)) => Json(serde_json::json!({
            "campaigns": list.iter().map(rows::campaign).collect::<Vec<_>>(),
        }))
        .into_response(),
        Ok(Err(e)) => unavailable(e),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database too slow").into_response(),
    }
}

/// The newest billing transfers, with their start and acceptance deadline.
async fn transfers(State(s): State<HttpState>) -> Response {
    let query = TransferQuery {
        limit: CAMPAIGNS,
        ..TransferQuery::default()
    };
    match tokio::time::timeout(COUNT_TIMEOUT, s.invitations.list_transfers(&query)).await {
        Ok(Ok(list)) => Json(serde_json::json!({
            "transfers": list.iter().map(rows::transfer).collect::<Vec<_>>(),
        }))
        .into_response(),
        Ok(Err(e)) => unavailable(e),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database too slow").into_response(),
    }
}

fn unavailable(e: Error) -> Response {
    warn!(error = %e, "status page query failed");
    (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
}

#[derive(Deserialize)]
struct EventsQuery {
    after: Option<String>,
}

/// WatchHandshakes as server-sent events. The browser resends the last
/// event id (the resume token) as Last-Event-ID when it reconnects, which
/// wins over `?after=`, so a drop loses nothing.
async fn events(
    State(s): State<HttpState>,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> Response {
    let token = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(q.after)
        .filter(|t| !t.is_empty());
    let after = match token.map(|t| decode_resume_token(&t)).transpose() {
        Ok(a) => a,
        Err(v) => return (StatusCode::BAD_REQUEST, v.description).into_response(),
    };
    let stream = match s
        .watches
        .all(after, Vec::new(), WatchMethod::StatusPageEvents)
        .await
    {
        Ok(stream) => stream,
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let stream = stream.map_while(|r| r.ok()).map(|e| {
        let data = serde_json::json!({
            "handshake": rows::row(&e.record),
            "previous_state": rows::state_name(e.previous_state),
        });
        Ok::<Event, Infallible>(
            Event::default()
                .event("handshake")
                .id(encode_resume_token(e.event_id))
                .data(data.to_string()),
        )
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
