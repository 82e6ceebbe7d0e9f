//! The two watch streams. Each is a task feeding an mpsc channel; it stops
//! when the client goes away, after a terminal state, or at shutdown (then
//! with UNAVAILABLE, so clients know to reconnect).
use std::sync::Arc;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use tokio::sync::{broadcast::error::RecvError, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::Status;

use super::convert::{handshake_to_proto, state_to_proto, timestamp};
use crate::{
    domain::{FieldViolation, HandshakeEvent, HandshakeRecord, HandshakeState},
    proto::v1 as pb,
    service::Error,
    store::Store,
    watch::Hub,
};

pub type EventStream = ReceiverStream<Result<pb::HandshakeEvent, Status>>;
type Tx = mpsc::Sender<Result<pb::HandshakeEvent, Status>>;

/// Messages buffered per stream; beyond it the stream's task waits for the
/// client, lags behind the hub, and catches up from Postgres.
const STREAM_BUFFER: usize = 8;
const REPLAY_BATCH: i64 = 500;
const TOKEN_PREFIX: &str = "e1:";

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

fn shutting_down() -> Status {
    Status::unavailable("server shutting down; reconnect to continue watching")
}

/// WatchHandshake for a record the caller already read *after* subscribing
/// to `events`, so no change between the two is lost.
pub fn watch_one(
    store: Store,
    mut events: tokio::sync::broadcast::Receiver<Arc<HandshakeEvent>>,
    first: HandshakeRecord,
    stop: CancellationToken,
) -> EventStream {
    let (tx, rx) = mpsc::channel(STREAM_BUFFER);
    tokio::spawn(async move {
        let id = first.handshake.id.clone();
        let mut version = first.version;
        let mut state = first.handshake.state;
        if tx
            .send(Ok(snapshot_to_proto(&first, HandshakeState::Unspecified)))
            .await
            .is_err()
        {
            return;
        }
        while !state.is_terminal() {
            let next = tokio::select! {
                _ = stop.cancelled() => { let _ = tx.send(Err(shutting_down())).await; return; }
                _ = tx.closed() => return,
                r = events.recv() => r,
            };
            let msg = match next {
                Ok(e) if e.record.handshake.id == id && e.record.version > version => {
                    version = e.record.version;
                    state = e.record.handshake.state;
                    event_to_proto(&e)
                }
                Ok(_) => continue,
                Err(RecvError::Lagged(_)) => match store.get(&id).await {
                    // Too slow for the hub: the latest state from Postgres.
                    Ok(Some(r)) if r.version > version && r.handshake.state != state => {
                        let previous = state;
                        version = r.version;
                        state = r.handshake.state;
                        snapshot_to_proto(&r, previous)
                    }
                    Ok(_) => continue,
                    Err(e) => {
                        let _ = tx.send(Err(Error::from(e).into())).await;
                        return;
                    }
                },
                Err(RecvError::Closed) => {
                    let _ = tx.send(Err(shutting_down())).await;
                    return;
                }
            };
            if tx.send(Ok(msg)).await.is_err() {
                return;
            }
        }
    });
    ReceiverStream::new(rx)
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
) -> EventStream {
    let (tx, rx) = mpsc::channel(STREAM_BUFFER);
    let mut events = hub.subscribe();
    // Everything up to the hub's last broadcast happened before subscribing.
    let now = hub.last();
    tokio::spawn(async move {
        let wanted =
            |e: &HandshakeEvent| states.is_empty() || states.contains(&e.record.handshake.state);
        let mut last = match after {
            Some(id) => id,
            None if now >= 0 => now,
            None => match store.latest_event_id().await {
                Ok(id) => id,
                Err(e) => {
                    let _ = tx.send(Err(Error::from(e).into())).await;
                    return;
                }
            },
        };
        if !replay(&store, &tx, &mut last, &wanted).await {
            return;
        }
        loop {
            let next = tokio::select! {
                _ = stop.cancelled() => { let _ = tx.send(Err(shutting_down())).await; return; }
                _ = tx.closed() => return,
                r = events.recv() => r,
            };
            match next {
                Ok(e) if e.event_id <= last => {}
                Ok(e) => {
                    last = e.event_id;
                    if wanted(&e) && tx.send(Ok(event_to_proto(&e))).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    if !replay(&store, &tx, &mut last, &wanted).await {
                        return;
                    }
                }
                Err(RecvError::Closed) => {
                    let _ = tx.send(Err(shutting_down())).await;
                    return;
                }
            }
        }
    });
    ReceiverStream::new(rx)
}

/// Sends every stored event after `last`; false when the stream is over.
async fn replay(
    store: &Store,
    tx: &Tx,
    last: &mut i64,
    wanted: &impl Fn(&HandshakeEvent) -> bool,
) -> bool {
    loop {
        let batch = match store.events_after(*last, REPLAY_BATCH).await {
            Ok(b) => b,
            Err(e) => {
                let _ = tx.send(Err(Error::from(e).into())).await;
                return false;
            }
        };
        let done = (batch.len() as i64) < REPLAY_BATCH;
        for e in batch {
            *last = e.event_id;
            if wanted(&e) && tx.send(Ok(event_to_proto(&e))).await.is_err() {
                return false;
            }
        }
        if done {
            return true;
        }
    }
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
