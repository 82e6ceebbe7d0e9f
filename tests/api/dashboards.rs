//! For dashboards: Prometheus metrics after a real invite/accept cycle,
//! gRPC-Web with CORS, the status page's event stream, and the page itself
//! in headless Chromium.
use std::{process::Stdio, time::Duration};

use org_invites::proto::v1 as pb;
use prost::Message;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};

use crate::helpers::*;

/// With a subscription (to a port nobody listens on), so the delivery
/// series show too.
async fn spawn_dashboard_app(cors_origins: Vec<String>) -> TestApp {
    let file = crate::delivery::SubscriptionsFile::webhook("http://127.0.0.1:9/hook", "");
    spawn_app_with(
        fresh_database().await,
        AppOptions {
            http: true,
            cors_origins,
            delivery: file.options(&[100]),
            ..AppOptions::default()
        },
    )
    .await
}

#[tokio::test]
async fn metrics_follow_an_invite_and_accept_cycle_and_cover_the_dashboard() {
    let app = spawn_dashboard_app(Vec::new()).await;
    let account = random_account_id();
    let h = app.invite(invite_account(&account)).await.unwrap();
    let bad = app
        .invite(invite_account("not-an-account"))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    let mut events = app.watch(&h.id).await;
    next_event(&mut events).await.unwrap();
    app.aws.accept(&account, &h.id).await;
    let accepted = next_event(&mut events).await.unwrap();
    assert_eq!(state_of(&accepted), pb::HandshakeState::Accepted);
    assert!(next_event(&mut events).await.is_none(), "the stream ends");
    drop(events);

    // The poller records a change as soon as its page arrives (the watch
    // saw it); the sweep it belongs to is counted when it ends, a moment on.
    let text = eventually(Duration::from_secs(30), "a sweep that ended", || async {
        let text = scrape(&app).await;
        let swept = metric_value(&text, "org_invites_sweeps_total{outcome=\"ok\"}");
        swept.filter(|n| *n >= 1.0).map(|_| text)
    })
    .await;
    let expect = [
        ("org_invites_handshakes{state=\"ACCEPTED\"}", 1.0),
        ("org_invites_handshakes{state=\"OPEN\"}", 0.0),
        ("org_invites_invitations_total{outcome=\"sent\"}", 1.0),
        (
            "org_invites_aws_calls_total{operation=\"InviteAccountToOrganization\",outcome=\"ok\"}",
            1.0,
        ),
        (
            "org_invites_aws_call_duration_seconds_count{operation=\"InviteAccountToOrganization\"}",
            1.0,
        ),
        ("org_invites_rpcs_total{method=\"InviteAccount\",code=\"OK\"}", 1.0),
        ("org_invites_rpcs_total{method=\"InviteAccount\",code=\"INVALID_ARGUMENT\"}", 1.0),
        ("org_invites_rpcs_total{method=\"WatchHandshake\",code=\"OK\"}", 1.0),
        ("org_invites_watch_streams{method=\"WatchHandshake\"}", 0.0),
        ("org_invites_event_delivery_seconds_count", 1.0),
        ("org_invites_poller_leader", 1.0),
    ];
    for (series, want) in expect {
        assert_eq!(
            metric_value(&text, series),
            Some(want),
            "{series} in:\n{text}"
        );
    }
    assert!(
        metric_value(
            &text,
            "org_invites_aws_calls_total{operation=\"ListHandshakesForOrganization\",outcome=\"ok\"}"
        )
        .unwrap()
            >= 1.0
    );

    // Every metric the shipped Grafana dashboard queries is exported.
    let dashboard = include_str!("../../deploy/grafana-dashboard.json");
    let names = regex::Regex::new(r"org_invites_[a-z_]+").unwrap();
    for name in names.find_iter(dashboard).map(|m| m.as_str()) {
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(name);
        assert!(
            text.contains(&format!("# TYPE {base} "))
                || text.contains(&format!("# TYPE {} ", base.trim_end_matches("_total"))),
            "the dashboard uses {name}, which /metrics lacks"
        );
    }
}

fn grpc_web_frame(msg: &impl Message) -> Vec<u8> {
    let body = msg.encode_to_vec();
    let mut out = vec![0u8];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend(body);
    out
}

#[tokio::test]
async fn a_browser_origin_on_the_list_calls_the_api_with_grpc_web() {
    let app = spawn_dashboard_app(vec!["https://dash.example.com".into()]).await;
    let h = app
        .invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let path = "/orginvites.v1.InvitationService/GetHandshake";

    // The preflight a browser sends first.
    let preflight = |origin: &'static str| {
        let addr = app.addr;
        async move {
            http_request(
                addr,
                "OPTIONS",
                path,
                &[
                    ("Origin", origin),
                    ("Access-Control-Request-Method", "POST"),
                    (
                        "Access-Control-Request-Headers",
                        "content-type,x-grpc-web,authorization",
                    ),
                ],
                b"",
            )
            .await
        }
    };
    let (status, headers, _) = preflight("https://dash.example.com").await;
    assert!(status.contains("200"), "{status}");
    assert!(
        headers.contains("access-control-allow-origin: https://dash.example.com"),
        "{headers}"
    );
    assert!(headers.contains("authorization"), "{headers}");
    let (_, headers, _) = preflight("https://evil.example.com").await;
    assert!(
        !headers.contains("access-control-allow-origin"),
        "{headers}"
    );

    // The call itself, over HTTP/1.1.
    let body = grpc_web_frame(&pb::GetHandshakeRequest { id: h.id.clone() });
    let (status, headers, body) = http_request(
        app.addr,
        "POST",
        path,
        &[
            ("Origin", "https://dash.example.com"),
            ("Content-Type", "application/grpc-web+proto"),
            ("X-Grpc-Web", "1"),
        ],
        &body,
    )
    .await;
    assert!(status.contains("200"), "{status}");
    assert!(
        headers.contains("access-control-allow-origin: https://dash.example.com"),
        "{headers}"
    );
    assert!(
        headers.contains("access-control-expose-headers"),
        "{headers}"
    );
    assert_eq!(body[0], 0, "a data frame first");
    let len = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
    let got = pb::Handshake::decode(&body[5..5 + len]).unwrap();
    assert_eq!(got.id, h.id);
    let trailers = String::from_utf8_lossy(&body[5 + len + 5..]).to_lowercase();
    assert!(trailers.contains("grpc-status:0"), "{trailers}");
}

/// Reads server-sent events until one with `event: handshake`; (id, data).
async fn next_sse<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut tokio::io::Lines<R>,
) -> (String, serde_json::Value) {
    let (mut id, mut data) = (String::new(), String::new());
    let mut is_handshake = false;
    loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("an event within 30 s")
            .unwrap()
            .expect("the stream stays open");
        if line.is_empty() {
            if is_handshake {
                return (id, serde_json::from_str(&data).unwrap());
            }
            continue;
        }
        if let Some(v) = line.strip_prefix("id: ") {
            id = v.to_string();
        } else if let Some(v) = line.strip_prefix("data: ") {
            data = v.to_string();
        } else if line == "event: handshake" {
            is_handshake = true;
        }
    }
}

async fn invite_within_30s(app: &TestApp) -> pb::Handshake {
    tokio::time::timeout(
        Duration::from_secs(30),
        app.invite(invite_account(&random_account_id())),
    )
    .await
    .expect("InviteAccount answers within 30 s")
    .unwrap()
}

async fn open_events(
    app: &TestApp,
    last_event_id: Option<&str>,
) -> tokio::io::Lines<BufReader<TcpStream>> {
    let mut s = TcpStream::connect(app.http_addr.unwrap()).await.unwrap();
    let mut req =
        String::from("GET /api/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n");
    if let Some(id) = last_event_id {
        req.push_str(&format!("Last-Event-ID: {id}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut lines = BufReader::new(s).lines();
    let status = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the event stream's status line within 30 s")
        .unwrap()
        .unwrap();
    assert!(status.contains("200"), "{status}");
    lines
}

#[tokio::test]
async fn the_status_page_stream_resumes_after_a_drop_from_the_last_event_id() {
    let app = spawn_dashboard_app(Vec::new()).await;
    let (status, headers, page) = http_request(app.http_addr.unwrap(), "GET", "/", &[], b"").await;
    assert!(
        status.contains("200") && headers.contains("text/html"),
        "{status} {headers}"
    );
    let page = String::from_utf8(page).unwrap();
    assert!(
        page.contains("api/events") && !page.contains("https://"),
        "no external resources"
    );

    let mut events = open_events(&app, None).await;
    let first = invite_within_30s(&app).await;
    let (id, data) = next_sse(&mut events).await;
    assert_eq!(data["handshake"]["id"], first.id.as_str());
    assert_eq!(data["handshake"]["state"], "OPEN");
    drop(events);

    // Missed while disconnected, then replayed on reconnect.
    let second = invite_within_30s(&app).await;
    let mut events = open_events(&app, Some(&id)).await;
    let (_, data) = next_sse(&mut events).await;
    assert_eq!(data["handshake"]["id"], second.id.as_str());

    let (_, _, summary) =
        http_request(app.http_addr.unwrap(), "GET", "/api/summary", &[], b"").await;
    let summary: serde_json::Value = serde_json::from_slice(&summary).unwrap();
    assert_eq!(summary["counts"]["OPEN"], 2);
    assert_eq!(
        summary["handshakes"][0]["id"],
        second.id.as_str(),
        "newest first"
    );
}

/// tests/browser/status_page.mjs in headless Chromium, watching handshake
/// `id` on the status page at `path`; its report lines, one per step.
struct StatusPageBrowser {
    child: tokio::process::Child,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl StatusPageBrowser {
    fn open(app: &TestApp, path: &str, id: &str, screenshot: &str, mode: Option<&str>) -> Self {
        Self::open_with(app, path, id, screenshot, mode.as_slice())
    }

    /// `open`, with the script's arguments after the screenshot (a mode,
    /// and for `transfer` the transfer id).
    fn open_with(app: &TestApp, path: &str, id: &str, screenshot: &str, more: &[&str]) -> Self {
        let chromium = std::env::var("ORG_INVITES_TEST_CHROMIUM")
            .expect("ORG_INVITES_TEST_CHROMIUM is unset: run the tests with scripts/test.sh");
        let playwright = std::env::var("ORG_INVITES_TEST_PLAYWRIGHT_CORE").expect(
            "ORG_INVITES_TEST_PLAYWRIGHT_CORE is unset: run the tests with scripts/test.sh",
        );
        let mut child = tokio::process::Command::new("node")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/browser/status_page.mjs"
            ))
            .arg(format!("http://{}{path}", app.http_addr.unwrap()))
            .arg(id)
            .arg(screenshot)
            .args(more)
            .env("CHROMIUM", chromium)
            .env("PLAYWRIGHT_CORE_DIR", playwright)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Self { child, lines }
    }

    async fn says(&mut self) -> String {
        browser_says(&mut self.lines).await
    }

    /// The last steps: the counts as shown, SEEN ACCEPTED, a clean exit.
    async fn ends_seeing_accepted_with(mut self, counts: &str) {
        assert_eq!(self.says().await, format!("COUNTS {counts}"));
        assert_eq!(self.says().await, "SEEN ACCEPTED");
        assert!(self.child.wait().await.unwrap().success());
    }
}

#[tokio::test]
async fn the_status_page_shows_an_invitation_turn_accepted_in_chromium() {
    let app = spawn_dashboard_app(Vec::new()).await;
    let account = random_account_id();
    let h = app.invite(invite_account(&account)).await.unwrap();
    let screenshot = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/browser/status-page.png"
    );
    let mut browser = StatusPageBrowser::open(&app, "/", &h.id, screenshot, None);
    assert_eq!(browser.says().await, "SEEN OPEN");
    app.aws.accept(&account, &h.id).await;
    browser
        .ends_seeing_accepted_with("OPEN=0,ACCEPTED=1,DECLINED=0,CANCELED=0,EXPIRED=0")
        .await;
    let png = std::fs::read(screenshot).expect("the screenshot");
    assert_eq!(&png[..4], b"\x89PNG");
}

/// The page lists billing transfers, with their acceptance deadline, and
/// shows one turn ACCEPTED with its handshake.
#[tokio::test]
async fn the_status_page_shows_a_billing_transfer_turn_accepted_in_chromium() {
    let app = spawn_dashboard_app(Vec::new()).await;
    let (_other, other_id) = crate::transfers::other_org(&app.aws).await;
    let sent = app
        .client
        .clone()
        .invite_transfer(crate::transfers::billing(&other_id))
        .await
        .unwrap()
        .into_inner();
    let (h, t) = (sent.handshake.unwrap(), sent.transfer.unwrap());
    let screenshot = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/browser/status-page-transfer.png"
    );
    let mut browser =
        StatusPageBrowser::open_with(&app, "/", &h.id, screenshot, &["transfer", &t.id]);
    assert_eq!(browser.says().await, "SEEN OPEN");
    assert_eq!(browser.says().await, "SEEN TRANSFER REQUESTED");
    app.aws.accept(&other_id, &h.id).await;
    assert_eq!(browser.says().await, "SEEN TRANSFER ACCEPTED");
    browser
        .ends_seeing_accepted_with("OPEN=0,ACCEPTED=1,DECLINED=0,CANCELED=0,EXPIRED=0")
        .await;
}

/// A change to a handshake the page does not show still moves the counts.
#[tokio::test]
async fn the_status_page_counts_a_change_to_a_handshake_it_does_not_show() {
    let app = spawn_dashboard_app(Vec::new()).await;
    let (older, newer) = (random_account_id(), random_account_id());
    let h = app.invite(invite_account(&older)).await.unwrap();
    app.invite(invite_account(&newer)).await.unwrap();
    let screenshot = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/browser/status-page-one-row.png"
    );
    // One row: the newer invitation only.
    let mut browser = StatusPageBrowser::open(&app, "/?rows=1", &h.id, screenshot, Some("hidden"));
    assert_eq!(browser.says().await, "SEEN LIVE");
    app.aws.accept(&older, &h.id).await;
    browser
        .ends_seeing_accepted_with("OPEN=1,ACCEPTED=1,DECLINED=0,CANCELED=0,EXPIRED=0")
        .await;
}

/// The page shows each handshake's onboarding as it goes.
#[tokio::test]
async fn the_status_page_shows_onboarding_pending_then_complete_in_chromium() {
    let app = spawn_dashboard_app(Vec::new()).await;
    let account = random_account_id();
    let ou = app.aws.create_ou("Dashboards").await;
    let h = app
        .invite(pb::InviteAccountRequest {
            onboarding: Some(pb::OnboardingSpec {
                destination_parent_id: ou.clone(),
                ..Default::default()
            }),
            ..invite_account(&account)
        })
        .await
        .unwrap();
    let screenshot = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/browser/status-page-onboarding.png"
    );
    let mut browser = StatusPageBrowser::open(&app, "/", &h.id, screenshot, Some("onboarding"));
    assert_eq!(
        browser.says().await,
        "SEEN OPEN",
        "OPEN, onboarding PENDING"
    );
    app.aws.accept(&account, &h.id).await;
    assert_eq!(browser.says().await, "SEEN COMPLETE");
    browser
        .ends_seeing_accepted_with("OPEN=0,ACCEPTED=1,DECLINED=0,CANCELED=0,EXPIRED=0")
        .await;
    assert_eq!(
        app.aws.parent_of(&account).await.as_deref(),
        Some(ou.as_str())
    );
}

async fn browser_says<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut tokio::io::Lines<R>,
) -> String {
    tokio::time::timeout(Duration::from_secs(90), lines.next_line())
        .await
        .expect("the browser reports within 90 s")
        .unwrap()
        .expect("the browser script reports before it exits")
}

/// The status page adds each streamed change to the summary's counts: the
/// summary must count exactly the changes up to its resume token, even while
/// handshakes change under it.
#[tokio::test]
async fn the_summary_counts_exactly_the_changes_up_to_its_resume_token() {
    use org_invites::{
        aws::{fake::FakeOrganizations, Organizations},
        domain::HandshakeState,
        store::{Known, Store},
    };
    use std::collections::BTreeMap;

    let store = Store::connect_lazy(fresh_database().await);
    store.migrate().await.unwrap();
    // A writer adopts handshakes and accepts them while summaries are read.
    let writer = tokio::spawn({
        let store = store.clone();
        async move {
            let fake = FakeOrganizations::new();
            for _ in 0..100 {
                let id = fake.add_open(&random_account_id());
                let mut h = fake.describe_handshake(&id).await.unwrap();
                store.save_handshake(&h, &Known::default()).await.unwrap();
                h.state = HandshakeState::Accepted;
                store.save_handshake(&h, &Known::default()).await.unwrap();
            }
        }
    });
    let mut summaries = 0;
    loop {
        let finished = writer.is_finished();
        let snapshot = store.status_snapshot(10).await.unwrap();
        let counted: BTreeMap<String, i64> = snapshot
            .counts
            .iter()
            .map(|(state, n)| (state.as_str().to_string(), *n))
            .collect();
        // The same counts, from the changes alone.
        let changes: Vec<(Option<String>, String)> = sqlx::query_as(
            "SELECT previous_state, state FROM handshake_events WHERE event_id <= $1",
        )
        .bind(snapshot.last_event_id)
        .fetch_all(store.pool())
        .await
        .unwrap();
        let mut replayed: BTreeMap<String, i64> = BTreeMap::new();
        for (previous, state) in changes {
            *replayed.entry(state).or_default() += 1;
            if let Some(previous) = previous {
                *replayed.entry(previous).or_default() -= 1;
            }
        }
        replayed.retain(|_, n| *n != 0);
        assert_eq!(
            counted, replayed,
            "summary {summaries}, up to event {}",
            snapshot.last_event_id
        );
        summaries += 1;
        if finished && summaries >= 20 {
            break;
        }
    }
    writer.await.unwrap();
    let last = store.status_snapshot(10).await.unwrap();
    assert_eq!(
        last.counts,
        vec![(HandshakeState::Accepted, 100)],
        "all 100 accepted in the end"
    );
    assert_eq!(last.recent.len(), 10);
}
