//! The two watch streams. Each is a stream polled by tonic itself (no task
//! and no channel per watcher, which keeps an idle stream small); it ends
//! when the client goes away, after a terminal state, or at shutdown (then
//! with UNAVAILABLE, so clients know to reconnect).
use std::{pin::Pin, sync::Arc};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use prometheus_client::metrics::histogram::Histogram;
use tokio::sync::broadcast::error::RecvError;
use tokio_stream::Stream;
use tokio_util::sync::CancellationToken;
use tonic::Status;

use super::convert::{handshake_to_proto, state_to_proto, timestamp};
use crate::{
    domain::{FieldViolation, HandshakeEvent, HandshakeRecord, HandshakeState},
    proto::v1 as pb,
    service::Error,
    store::Store,
    watch::{Events, Hub},
};

pub type EventStream = Pin<Box<dyn Stream<Item = Result<pb::HandshakeEvent, Status>> + Send>>;

const REPLAY_BATCH: i64 = 500;
const TOKEN_PREFIX: &str = "e1:";

/// What woke a watch stream.
enum Next {
    Stop,
    Event(Result<Arc<HandshakeEvent>, RecvError>),
}

async fn next(stop: &CancellationToken, events: &mut Events) -> Next {
    tokio::select! {
        _ = stop.cancelled() => Next::Stop,
        r = events.recv() => Next::Event(r),
    }
}

pub fn encode_resume_token(event_id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{event_id}"))
}

pub fn decode_resume_token(token: &str) -> Result<i64, FieldViolation> {
    let bad = || {
        FieldViolation::new(
            "resume_token",
            "resume_token is not one this service issued",
        )
    };
    let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    raw.strip_prefix(TOKEN_PREFIX)
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .ok_or_else(bad)
}

fn event_to_proto(e: &HandshakeEvent) -> pb::HandshakeEvent {
    pb::HandshakeEvent {
        handshake: Some(handshake_to_proto(&e.record)),
        previous_state: state_to_proto(e.previous_state) as i32,
        event_id: e.event_id,
        resume_token: encode_resume_token(e.event_id),
        observe_time: Some(timestamp(e.observe_time)),
    }
}

fn snapshot_to_proto(r: &HandshakeRecord, previous: HandshakeState) -> pb::HandshakeEvent {
    pb::HandshakeEvent {
        handshake: Some(handshake_to_proto(r)),
        previous_state: state_to_proto(previous) as i32,
        event_id: 0,
        resume_token: String::new(),
        observe_time: Some(timestamp(r.update_time)),
    }
}

/// Live deliveries only: a replayed event is history, not latency.
fn observe_delivery(delivery: &Histogram, e: &HandshakeEvent) {
    let since = chrono::Utc::now() - e.observe_time;
    delivery.observe(since.num_microseconds().unwrap_or(0).max(0) as f64 / 1e6);
}

fn shutting_down() -> Status {
    Status::unavailable("server shutting down; reconnect to continue watching")
}

/// WatchHandshake for a record the caller already read *after* subscribing
/// to `events`, so no change between the two is lost.
pub fn watch_one(
    store: Store,
    mut events: Events,
    first: HandshakeRecord,
    stop: CancellationToken,
    delivery: Histogram,
) -> EventStream {
    Box::pin(async_stream::stream! {
        let id = first.handshake.id.clone();
        let mut version = first.version;
        let mut state = first.handshake.state;
        yield Ok(snapshot_to_proto(&first, HandshakeState::Unspecified));
        drop(first);
        while !state.is_terminal() {
            match next(&stop, &mut events).await {
                Next::Stop | Next::Event(Err(RecvError::Closed)) => {
                    yield Err(shutting_down());
                    return;
                }
                Next::Event(Ok(e)) => {
                    if e.record.handshake.id == id && e.record.version > version {
                        version = e.record.version;
                        state = e.record.handshake.state;
                        observe_delivery(&delivery, &e);
                        yield Ok(event_to_proto(&e));
                    }
                }
                // Too slow for the hub: the latest state from Postgres.
                Next::Event(Err(RecvError::Lagged(_))) => match store.get(&id).await {
                    Ok(Some(r)) if r.version > version && r.handshake.state != state => {
                        let previous = state;
                        version = r.version;
                        state = r.handshake.state;
                        yield Ok(snapshot_to_proto(&r, previous));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        yield Err(Error::from(e).into());
                        return;
                    }
                },
            }
        }
    })
}

/// WatchHandshakes from just after `after` (from now when None): replay
/// from Postgres, then live, in commit order, keeping only changes into
/// `states` (all when empty).
pub fn watch_all(
    store: Store,
    hub: Hub,
    after: Option<i64>,
    states: Vec<HandshakeState>,
    stop: CancellationToken,
    delivery: Histogram,
) -> EventStream {
    let mut events = hub.subscribe();
    // Everything up to the hub's last broadcast happened before subscribing.
    let now = hub.last();
    Box::pin(async_stream::stream! {
        let wanted =
            |e: &HandshakeEvent| states.is_empty() || states.contains(&e.record.handshake.state);
        let mut last = match after {
            Some(id) => id,
            None if now >= 0 => now,
            None => match store.latest_event_id().await {
                Ok(id) => id,
                Err(e) => {
                    yield Err(Error::from(e).into());
                    return;
                }
            },
        };
        // `catching_up`: replay from Postgres (at the start, and after lagging).
        let mut catching_up = true;
        loop {
            if catching_up {
                match store.events_after(last, REPLAY_BATCH).await {
                    Ok(batch) => {
                        catching_up = batch.len() as i64 == REPLAY_BATCH;
                        for e in batch {
                            last = e.event_id;
                            if wanted(&e) {
                                yield Ok(event_to_proto(&e));
                            }
                        }
                    }
                    Err(e) => {
                        yield Err(Error::from(e).into());
                        return;
                    }
                }
                continue;
            }
            match next(&stop, &mut events).await {
                Next::Stop | Next::Event(Err(RecvError::Closed)) => {
                    yield Err(shutting_down());
                    return;
                }
                Next::Event(Ok(e)) => {
                    if e.event_id > last {
                        last = e.event_id;
                        if wanted(&e) {
                            observe_delivery(&delivery, &e);
                            yield Ok(event_to_proto(&e));
                        }
                    }
                }
                Next::Event(Err(RecvError::Lagged(_))) => catching_up = true,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_tokens_round_trip() {
        for id in [0, 1, 42, i64::MAX] {
            assert_eq!(decode_resume_token(&encode_resume_token(id)), Ok(id));
        }
    }

    #[test]
    fn malformed_resume_tokens_are_rejected() {
        for bad in [
            "",
            "!!",
            "e1:5",
            &URL_SAFE_NO_PAD.encode("e1:-3"),
            &URL_SAFE_NO_PAD.encode("x:5"),
        ] {
            assert!(decode_resume_token(bad).is_err(), "{bad:?}");
        }
    }
}
