//! Limits: request size, streams per connection and per identity,
//! keep-alive and idle timeouts, each tested once.
use std::time::Duration;

use org_invites::{auth::AuthSettings, proto::v1 as pb, transport::Limits};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tonic::Code;

use crate::{
    auth::{client_with, invite_as},
    helpers::*,
};

async fn spawn_limited(limits: Limits, secured: bool) -> TestApp {
    let auth = if secured {
        AuthSettings {
            identities_file: Some(identities_file()),
            insecure_no_auth: false,
        }
    } else {
        AppOptions::default().auth
    };
    spawn_app_with(
        fresh_database().await,
        AppOptions {
            limits,
            auth,
            ..AppOptions::default()
        },
    )
    .await
}

const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;

/// A bare HTTP/2 client that never answers anything: it reads frames as
/// (type, flags, payload) until the server closes the connection.
struct RawH2(TcpStream);

impl RawH2 {
    async fn connect(app: &TestApp) -> Self {
        let mut s = TcpStream::connect(app.addr).await.unwrap();
        s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            .await
            .unwrap();
        s.write_all(&[0, 0, 0, SETTINGS, 0, 0, 0, 0, 0])
            .await
            .unwrap();
        Self(s)
    }

    /// The next frame, or None once the server has closed the connection.
    async fn frame(&mut self) -> Option<(u8, u8, Vec<u8>)> {
        let mut head = [0u8; 9];
        let read = tokio::time::timeout(Duration::from_secs(30), self.0.read_exact(&mut head))
            .await
            .expect("a frame or the end within 30 s");
        read.ok()?;
        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let mut payload = vec![0u8; len];
        self.0.read_exact(&mut payload).await.ok()?;
        Some((head[3], head[4], payload))
    }
}

#[tokio::test]
async fn an_oversized_request_is_refused_and_changes_nothing() {
    let app = spawn_limited(
        Limits {
            max_request_bytes: 64 * 1024,
            ..serve_defaults().limits
        },
        false,
    )
    .await;
    let mut req = invite_account(&random_account_id());
    req.notes = "x".repeat(100 * 1024);
    let err = app.invite(req).await.unwrap_err();
    assert_eq!(err.code(), Code::OutOfRange, "{err:?}");
    assert!(err.message().contains("too large"), "{}", err.message());
    assert_eq!(app.intent_rows().await, 0);
}

#[tokio::test]
async fn the_server_announces_its_stream_limit_and_pings_quiet_clients_until_it_hangs_up() {
    let app = spawn_limited(
        Limits {
            max_streams_per_connection: 7,
            keepalive_interval: Duration::from_millis(200),
            keepalive_timeout: Duration::from_millis(200),
            idle_timeout: None,
            ..serve_defaults().limits
        },
        false,
    )
    .await;
    let mut raw = RawH2::connect(&app).await;
    let (kind, _, payload) = raw.frame().await.expect("the server's SETTINGS");
    assert_eq!(kind, SETTINGS);
    let max_streams = payload
        .chunks(6)
        .find(|p| u16::from_be_bytes([p[0], p[1]]) == 0x3)
        .map(|p| u32::from_be_bytes([p[2], p[3], p[4], p[5]]));
    assert_eq!(max_streams, Some(7), "SETTINGS_MAX_CONCURRENT_STREAMS");
    let mut pinged = false;
    while let Some((kind, flags, _)) = raw.frame().await {
        pinged |= kind == PING && flags & 0x1 == 0;
    }
    assert!(
        pinged,
        "a PING came before the server hung up on a client that never answers"
    );
}

#[tokio::test]
async fn an_idle_connection_is_closed_but_one_with_an_open_stream_is_not() {
    let app = spawn_limited(
        Limits {
            idle_timeout: Some(Duration::from_millis(300)),
            ..serve_defaults().limits
        },
        false,
    )
    .await;
    let h = app
        .invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let mut events = app.watch(&h.id).await;
    assert_eq!(
        state_of(&next_event(&mut events).await.unwrap()),
        pb::HandshakeState::Open
    );

    // A connection that makes no call is closed once the timeout passes.
    let mut raw = RawH2::connect(&app).await;
    while raw.frame().await.is_some() {}

    // By then the watcher's connection has been idle as long, but its
    // stream is a call in flight: it still delivers.
    app.cancel(&h.id).await;
    let last = next_event(&mut events)
        .await
        .expect("the stream is still open");
    assert_eq!(state_of(&last), pb::HandshakeState::Canceled);
}

#[tokio::test]
async fn one_identity_cannot_hold_more_watch_streams_than_its_share() {
    let app = spawn_limited(
        Limits {
            max_streams_per_identity: 2,
            ..serve_defaults().limits
        },
        true,
    )
    .await;
    let mut inviter = client_with(&app, Some("inviter-token")).await;
    let h = invite_as(&mut inviter).await;
    let mut reader = client_with(&app, Some("reader-token")).await;
    let watch = pb::WatchHandshakeRequest { id: h.id.clone() };
    let first = reader
        .watch_handshake(watch.clone())
        .await
        .expect("first stream");
    let _second = reader
        .watch_handshake(watch.clone())
        .await
        .expect("second stream");
    let err = reader.watch_handshake(watch.clone()).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    assert!(
        err.message().contains("dashboards already has 2"),
        "{}",
        err.message()
    );
    inviter
        .watch_handshake(watch.clone())
        .await
        .expect("another identity has its own share");

    // Closing a stream gives the share back once the server sees it end.
    drop(first);
    eventually(
        Duration::from_secs(10),
        "the freed share to come back",
        || {
            let (mut reader, watch) = (reader.clone(), watch.clone());
            async move {
                match reader.watch_handshake(watch).await {
                    Ok(_) => Ok(()),
                    Err(e) if e.code() == Code::ResourceExhausted => Err(e),
                    Err(e) => panic!("the freed share never came back: {e:?}"),
                }
            }
        },
    )
    .await;
}
