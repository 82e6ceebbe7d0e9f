//! `subscriptions` and `deliveries` through the client, against a server
//! whose subscriptions file names one webhook: a local receiver answering
//! as each test needs (500, 410, 204), with a retry schedule of one short
//! retry so failing deliveries go DEAD at once.
use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicU16, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use axum::{extract::State, http::HeaderMap, http::StatusCode, routing::post, Router};
use base64::{engine::general_purpose::STANDARD, Engine};
use org_invites::reconcile::delivery::DeliveryOptions;
use serde_json::Value;

use super::*;
use crate::helpers::*;

/// A webhook receiver on 127.0.0.1:0 answering every POST to /hook with
/// the status it is set to, keeping each webhook-id header it got.
#[derive(Clone)]
struct Receiver {
    status: Arc<AtomicU16>,
    ids: Arc<Mutex<Vec<String>>>,
    url: String,
}

impl Receiver {
    async fn start(status: StatusCode) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let me = Self {
            status: Arc::new(AtomicU16::new(status.as_u16())),
            ids: Arc::default(),
            url,
        };
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(me.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        me
    }

    fn answer(&self, status: StatusCode) {
        self.status.store(status.as_u16(), Ordering::SeqCst);
    }

    fn webhook_ids(&self) -> Vec<String> {
        self.ids.lock().unwrap().clone()
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap) -> StatusCode {
    if let Some(id) = headers.get("webhook-id").and_then(|v| v.to_str().ok()) {
        r.ids.lock().unwrap().push(id.to_string());
    }
    StatusCode::from_u16(r.status.load(Ordering::SeqCst)).unwrap()
}

/// A directory of this test's own.
fn test_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cli-delivery-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A server whose one subscription, `hooks`, posts to `receiver`.
async fn spawn_with_webhook(receiver: &Receiver) -> TestApp {
    let dir = test_dir();
    let secret = dir.join("hooks.secret");
    let key = format!("whsec_{}\n", STANDARD.encode(b"a test signing key"));
    std::fs::write(&secret, key).unwrap();
    let file = dir.join("subscriptions.yaml");
    let yaml = format!(
        "subscriptions:\n  - id: hooks\n    webhook: {{url: \"{}\", secret_file: \"{}\", \
         allow_plain_http: true}}\n",
        receiver.url,
        secret.display()
    );
    std::fs::write(&file, yaml).unwrap();
    spawn_app_with(
        fresh_database().await,
        AppOptions {
            delivery: DeliveryOptions {
                subscriptions_file: Some(file),
                retry_schedule: vec![Duration::from_millis(200)],
                ..Default::default()
            },
            ..AppOptions::default()
        },
    )
    .await
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("JSON on stdout ({e}):\n{stdout}"))
}

/// `deliveries list --subscription hooks ARGS...`'s Deliveries.
async fn deliveries(app: &TestApp, args: &[&str]) -> Vec<Value> {
    let argv = [&["deliveries", "list", "--subscription", "hooks"], args].concat();
    let out = json(&ok(cli(app, &argv).await));
    out["Deliveries"].as_array().cloned().unwrap_or_default()
}

/// The deliveries in `state`, once there are at least `n`.
async fn at_least(app: &TestApp, state: &str, n: usize) -> Vec<Value> {
    let what = format!("{n} {state} deliveries");
    eventually(Duration::from_secs(30), &what, || async {
        let ds = deliveries(app, &["--state", state]).await;
        if ds.len() >= n {
            Ok(ds)
        } else {
            Err(ds)
        }
    })
    .await
}

#[tokio::test]
async fn subscriptions_list_shows_the_webhook_and_its_last_error() {
    let receiver = Receiver::start(StatusCode::INTERNAL_SERVER_ERROR).await;
    let app = spawn_with_webhook(&receiver).await;
    app.invite(invite_account(&random_account_id()))
        .await
        .unwrap();

    let sub = eventually(Duration::from_secs(30), "a failed attempt", || async {
        let out = json(&ok(cli(&app, &["subscriptions", "list"]).await));
        let sub = out["Subscriptions"][0].clone();
        if sub.get("LastError").is_some() {
            Ok(sub)
        } else {
            Err(out)
        }
    })
    .await;
    assert_eq!(sub["Id"], "hooks");
    assert_eq!(sub["Kind"], "WEBHOOK");
    assert_eq!(sub["Target"], receiver.url.as_str());
    assert_eq!(sub["State"], "ACTIVE");
    assert!(sub["Backlog"].is_i64(), "{sub}");
    assert!(sub["LastError"].as_str().unwrap().contains("500"), "{sub}");
    assert!(sub.get("LastSuccessTime").is_none(), "{sub}");

    let text = ok(cli(
        &app,
        &[
            "subscriptions",
            "list",
            "--query",
            "Subscriptions[].[Id,Kind,State]",
            "--output",
            "text",
        ],
    )
    .await);
    assert_eq!(text, "hooks\tWEBHOOK\tACTIVE\n");
    let table = ok(cli(&app, &["subscriptions", "list", "--output", "table"]).await);
    assert!(table.contains("ListSubscriptions"), "{table}");
}

#[tokio::test]
async fn dead_deliveries_are_listed_paged_and_redelivered_with_their_cloud_event_id() {
    let receiver = Receiver::start(StatusCode::INTERNAL_SERVER_ERROR).await;
    let app = spawn_with_webhook(&receiver).await;
    for _ in 0..2 {
        app.invite(invite_account(&random_account_id()))
            .await
            .unwrap();
    }

    let dead = at_least(&app, "dead", 2).await;
    let d = &dead[0];
    assert_eq!(d["State"], "DEAD", "{d}");
    assert_eq!(d["SubscriptionId"], "hooks", "{d}");
    assert_eq!(
        d["Attempts"], 2,
        "one attempt and the schedule's one retry: {d}"
    );
    assert_eq!(d["LastStatus"], "500", "{d}");
    assert!(d["EventId"].is_i64(), "{d}");
    assert!(d["HandshakeId"].as_str().unwrap().starts_with("h-"), "{d}");
    assert!(!d["Type"].as_str().unwrap().is_empty(), "{d}");
    assert!(d.get("LastAttemptTime").is_some(), "{d}");
    // States in any case, repeated or as a comma list.
    let all = deliveries(&app, &["--state", "Pending,DEAD", "--state", "delivered"]).await;
    assert_eq!(all, dead, "nothing else is left");
    assert!(deliveries(&app, &["--state", "delivered"]).await.is_empty());

    // Paged as the other lists are: --max-items, then --starting-token.
    let argv = [
        "deliveries",
        "list",
        "--subscription",
        "hooks",
        "--max-items",
        "1",
    ];
    let first = json(&ok(cli(&app, &argv).await));
    assert_eq!(first["Deliveries"].as_array().unwrap().len(), 1, "{first}");
    let token = first["NextToken"]
        .as_str()
        .expect("a NextToken")
        .to_string();
    let rest = deliveries(&app, &["--starting-token", &token, "--page-size", "1"]).await;
    let mut paged = first["Deliveries"].as_array().unwrap().clone();
    paged.extend(rest);
    assert_eq!(paged, dead);

    // Redelivered: PENDING again with no attempts, then delivered with the
    // same CloudEvent id.
    receiver.answer(StatusCode::NO_CONTENT);
    let event_id = d["EventId"].to_string();
    let out = json(&ok(cli(
        &app,
        &[
            "deliveries",
            "redeliver",
            "--subscription",
            "hooks",
            "--event-id",
            &event_id,
        ],
    )
    .await));
    let again = &out["Deliveries"][0];
    assert_eq!(out["Deliveries"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(again["EventId"], d["EventId"], "{out}");
    assert_eq!(again["State"], "PENDING", "{out}");
    assert_eq!(again["Attempts"], 0, "{out}");
    assert_eq!(again["CloudEventId"], d["CloudEventId"], "{out}");

    let delivered = at_least(&app, "delivered", 1).await;
    assert_eq!(
        delivered.len(),
        1,
        "only the one redelivered: {delivered:?}"
    );
    assert_eq!(delivered[0]["EventId"], d["EventId"]);
    let cloud_id = d["CloudEventId"].as_str().unwrap();
    let sent = receiver.webhook_ids();
    assert_eq!(
        sent.iter().filter(|id| *id == cloud_id).count(),
        3,
        "two failed attempts and the redelivery, one id: {sent:?}"
    );
}

#[tokio::test]
async fn a_subscription_a_410_disabled_is_enabled_again_and_delivers_its_backlog() {
    let receiver = Receiver::start(StatusCode::GONE).await;
    let app = spawn_with_webhook(&receiver).await;
    app.invite(invite_account(&random_account_id()))
        .await
        .unwrap();

    let sub = eventually(
        Duration::from_secs(30),
        "the subscription disabled",
        || async {
            let out = json(&ok(cli(&app, &["subscriptions", "list"]).await));
            let sub = out["Subscriptions"][0].clone();
            if sub["State"] == "DISABLED" {
                Ok(sub)
            } else {
                Err(out)
            }
        },
    )
    .await;
    assert!(sub.get("DisabledReason").is_some(), "{sub}");

    receiver.answer(StatusCode::NO_CONTENT);
    let out = json(&ok(cli(&app, &["subscriptions", "enable", "hooks"]).await));
    assert_eq!(out["Subscription"]["Id"], "hooks", "{out}");
    assert_eq!(out["Subscription"]["State"], "ACTIVE", "{out}");
    assert!(out["Subscription"].get("DisabledReason").is_none(), "{out}");
    at_least(&app, "delivered", 1).await;
    // --id works too, on a subscription already active.
    let again = ok(cli(
        &app,
        &[
            "subscriptions",
            "enable",
            "--id",
            "hooks",
            "--query",
            "Subscription.State",
            "--output",
            "text",
        ],
    )
    .await);
    assert_eq!(again, "ACTIVE\n");
}

#[tokio::test]
async fn bad_parameters_send_nothing_and_an_unknown_subscription_is_the_services_error() {
    let receiver = Receiver::start(StatusCode::NO_CONTENT).await;
    let app = spawn_with_webhook(&receiver).await;

    let run = cli(
        &app,
        &[
            "deliveries",
            "list",
            "--subscription",
            "hooks",
            "--state",
            "failed",
        ],
    )
    .await;
    assert_eq!(run.code, 252, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("valid values: PENDING, DELIVERED, DEAD"),
        "{}",
        run.stderr
    );
    let run = cli(
        &app,
        &[
            "deliveries",
            "redeliver",
            "--subscription",
            "hooks",
            "--event-id",
            "7",
            "x",
        ],
    )
    .await;
    assert_eq!(run.code, 252, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("invalid literal for int() with base 10: 'x'"),
        "{}",
        run.stderr
    );

    let run = cli(&app, &["deliveries", "list", "--subscription", "nope"]).await;
    assert_eq!(run.code, 254, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "An error occurred (SUBSCRIPTION_NOT_FOUND) when calling the ListDeliveries operation"
        ),
        "{}",
        run.stderr
    );

    // The skeletons, and the input they describe.
    let skeleton = json(&ok(cli(
        &app,
        &["deliveries", "redeliver", "--generate-cli-skeleton"],
    )
    .await));
    assert_eq!(
        skeleton,
        serde_json::json!({"SubscriptionId": "", "EventIds": [0]})
    );
    let input = r#"{"SubscriptionId": "hooks", "States": ["DEAD"]}"#;
    let out = json(&ok(cli(
        &app,
        &["deliveries", "list", "--cli-input-json", input],
    )
    .await));
    assert_eq!(out, serde_json::json!({"Deliveries": []}));
    let sample = json(&ok(cli(
        &app,
        &["subscriptions", "list", "--generate-cli-skeleton", "output"],
    )
    .await));
    assert!(sample["Subscriptions"][0]
        .get("OldestUndeliveredTime")
        .is_some());
}
