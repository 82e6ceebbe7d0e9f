//! Event delivery to a webhook receiver on 127.0.0.1: every event, signed
//! (checked with `standardwebhooks`), in commit order, retried on the
//! schedule, Retry-After honoured, 410 disabling, rotation, filters,
//! several replicas, and the file's refusals.
use std::{path::PathBuf, time::Duration};

use org_invites::{proto::v1 as pb, reconcile::delivery::DeliveryOptions};

use crate::helpers::*;

const WAIT: Duration = Duration::from_secs(60);

/// A subscriptions file (and its secret file) in a fresh temp dir.
pub struct SubscriptionsFile {
    pub path: PathBuf,
    pub secret: String,
}

impl SubscriptionsFile {
    /// One webhook subscription `hooks` to `url`, with `extra` YAML under it
    /// (e.g. a filter), signed with one fresh secret.
    pub fn webhook(url: &str, extra: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("subs-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let secret = new_secret();
        let secret_path = dir.join("hooks.secret");
        std::fs::write(&secret_path, format!("{secret}\n")).unwrap();
        let path = dir.join("subscriptions.yaml");
        std::fs::write(
            &path,
            format!(
                "subscriptions:\n  - id: hooks\n    webhook:\n      url: {url}\n      secret_file: {}\n      allow_plain_http: true\n{extra}",
                secret_path.display()
            ),
        )
        .unwrap();
        Self { path, secret }
    }

    pub fn options(&self, schedule: &[u64]) -> DeliveryOptions {
        DeliveryOptions {
            subscriptions_file: Some(self.path.clone()),
            events_source: None,
            retry_schedule: schedule
                .iter()
                .map(|ms| Duration::from_millis(*ms))
                .collect(),
        }
    }
}

/// An app delivering as `options` say, once its subscriptions are recorded
/// (they take the events recorded after that).
pub async fn app_delivering(options: DeliveryOptions) -> TestApp {
    let app = spawn_app_with(
        fresh_database().await,
        AppOptions {
            delivery: options,
            ..AppOptions::default()
        },
    )
    .await;
    recorded(&app).await;
    app
}

async fn recorded(app: &TestApp) {
    recorded_in(&app.db).await;
}

/// Waits until the database holds a subscription (the service recorded
/// the file's).
async fn recorded_in(db: &sqlx::PgPool) {
    eventually(WAIT, "the subscriptions recorded", || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM subscriptions")
            .fetch_one(db)
            .await
            .ok()?;
        (n > 0).then_some(())
    })
    .await;
}

async fn deliveries(app: &TestApp, states: &[pb::DeliveryState]) -> Vec<pb::Delivery> {
    app.client
        .clone()
        .list_deliveries(pb::ListDeliveriesRequest {
            subscription_id: "hooks".into(),
            states: states.iter().map(|s| *s as i32).collect(),
            ..Default::default()
        })
        .await
        .expect("ListDeliveries")
        .into_inner()
        .deliveries
}

async fn subscription(app: &TestApp) -> pb::Subscription {
    app.client
        .clone()
        .list_subscriptions(pb::ListSubscriptionsRequest {})
        .await
        .expect("ListSubscriptions")
        .into_inner()
        .subscriptions
        .remove(0)
}

#[tokio::test]
async fn an_accepted_invitation_reaches_the_webhook_signed_and_in_order() {
    let receiver = Receiver::start().await;
    let file = SubscriptionsFile::webhook(&receiver.url, "");
    let app = app_delivering(file.options(&[200])).await;
    let account = random_account_id();
    let h = app.invite(invite_account(&account)).await.unwrap();
    app.aws.accept(&account, &h.id).await;
    let got = receiver.wait_for(2, WAIT).await;
    for r in &got {
        assert!(
            signed_by(r, &file.secret),
            "a valid signature: {:?}",
            r.headers
        );
        assert_eq!(r.headers["content-type"], "application/cloudevents+json");
        assert_eq!(r.headers["webhook-id"], r.json["id"].as_str().unwrap());
        let e = &r.json;
        assert_eq!(e["specversion"], "1.0");
        assert_eq!(e["type"], "orginvites.handshake.v1.state_change");
        assert_eq!(e["subject"], h.id.as_str());
        assert_eq!(e["datacontenttype"], "application/json");
        assert!(
            e["source"]
                .as_str()
                .unwrap()
                .starts_with("urn:org-invites:o-"),
            "{e}"
        );
        assert_eq!(e["data"]["handshake"]["id"], h.id.as_str());
        assert!(
            e["data"]["eventId"].is_string(),
            "int64 as grpcurl prints it: {e}"
        );
    }
    let states: Vec<&str> = got
        .iter()
        .map(|r| r.json["data"]["handshake"]["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        ["HANDSHAKE_STATE_OPEN", "HANDSHAKE_STATE_ACCEPTED"],
        "commit order"
    );
    assert_eq!(got[1].json["data"]["previousState"], "HANDSHAKE_STATE_OPEN");
    let delivered = eventually(WAIT, "both recorded DELIVERED", || async {
        let d = deliveries(&app, &[pb::DeliveryState::Delivered]).await;
        (d.len() == 2).then_some(d)
    })
    .await;
    assert_eq!(delivered[0].handshake_id, h.id);
    let sub = subscription(&app).await;
    assert_eq!(sub.kind, pb::SubscriptionKind::Webhook as i32);
    assert_eq!(sub.backlog, 0);
    assert!(sub.last_success_time.is_some());
}

#[tokio::test]
async fn failures_are_retried_with_the_same_id_then_delivered_or_dead() {
    let receiver = Receiver::start().await;
    receiver.script(&[Answer::Status(500), Answer::Status(502)], None);
    let file = SubscriptionsFile::webhook(&receiver.url, "");
    let app = app_delivering(file.options(&[200, 200])).await;
    let h = app
        .invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let got = receiver.wait_for(3, WAIT).await;
    let ids: Vec<_> = got
        .iter()
        .map(|r| r.headers["webhook-id"].clone())
        .collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "one id on every retry: {ids:?}"
    );
    let d = eventually(WAIT, "DELIVERED after three attempts", || async {
        let d = deliveries(&app, &[pb::DeliveryState::Delivered]).await;
        d.into_iter().next()
    })
    .await;
    assert_eq!((d.attempts, d.handshake_id.as_str()), (3, h.id.as_str()));

    // Always failing: DEAD after the last of the schedule's attempts.
    receiver.script(&[], Some(Answer::Status(500)));
    let before = receiver.received().len();
    app.invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let dead = eventually(WAIT, "DEAD after three attempts", || async {
        let d = deliveries(&app, &[pb::DeliveryState::Dead]).await;
        d.into_iter().next()
    })
    .await;
    assert_eq!((dead.attempts, dead.last_status.as_str()), (3, "500"));
    assert_eq!(receiver.received().len() - before, 3);
}

#[tokio::test]
async fn retry_after_on_a_429_is_honoured() {
    let receiver = Receiver::start().await;
    receiver.script(&[Answer::RetryAfter(429, 2)], None);
    let file = SubscriptionsFile::webhook(&receiver.url, "");
    let app = app_delivering(file.options(&[100])).await;
    app.invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    receiver.wait_for(2, WAIT).await;
    assert!(
        started.elapsed() >= Duration::from_millis(1900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_410_disables_the_subscription_and_enabling_sends_its_backlog_in_order() {
    let receiver = Receiver::start().await;
    receiver.script(&[Answer::Status(410)], None);
    let file = SubscriptionsFile::webhook(&receiver.url, "");
    let app = app_delivering(file.options(&[100])).await;
    let account = random_account_id();
    let h = app.invite(invite_account(&account)).await.unwrap();
    let disabled = eventually(WAIT, "the subscription DISABLED", || async {
        let s = subscription(&app).await;
        (s.state == pb::SubscriptionState::Disabled as i32).then_some(s)
    })
    .await;
    assert!(disabled.disabled_reason.contains("410"), "{disabled:?}");
    // Meanwhile the backlog grows, and nothing more is sent.
    app.aws.accept(&account, &h.id).await;
    eventually(WAIT, "a backlog of two", || async {
        (subscription(&app).await.backlog == 2).then_some(())
    })
    .await;
    assert_eq!(receiver.received().len(), 1);
    let enabled = app
        .client
        .clone()
        .enable_subscription(pb::EnableSubscriptionRequest { id: "hooks".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(enabled.state, pb::SubscriptionState::Active as i32);
    let got = receiver.wait_for(3, WAIT).await;
    let states: Vec<&str> = got[1..]
        .iter()
        .map(|r| r.json["data"]["handshake"]["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["HANDSHAKE_STATE_OPEN", "HANDSHAKE_STATE_ACCEPTED"]);
}

#[tokio::test]
async fn two_secrets_while_rotating_each_sign() {
    let receiver = Receiver::start().await;
    let file = SubscriptionsFile::webhook(&receiver.url, "");
    let second = new_secret();
    let secret_file = file.path.parent().unwrap().join("hooks.secret");
    std::fs::write(&secret_file, format!("{}\n{second}\n", file.secret)).unwrap();
    let app = app_delivering(file.options(&[100])).await;
    app.invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let got = receiver.wait_for(1, WAIT).await;
    assert!(signed_by(&got[0], &file.secret) && signed_by(&got[0], &second));
    let signature = got[0].headers["webhook-signature"].to_str().unwrap();
    assert_eq!(
        signature
            .split(' ')
            .filter(|s| s.starts_with("v1,"))
            .count(),
        2
    );
    assert!(
        !signed_by(&got[0], &new_secret()),
        "a third secret does not verify"
    );
}

#[tokio::test]
async fn a_filter_delivers_only_the_kinds_and_states_it_names() {
    let receiver = Receiver::start().await;
    let filter = "    filter:\n      kinds: [STATE_CHANGE]\n      states: [ACCEPTED, DECLINED]\n";
    let file = SubscriptionsFile::webhook(&receiver.url, filter);
    let app = app_delivering(file.options(&[100])).await;
    let (a, b) = (random_account_id(), random_account_id());
    let ha = app.invite(invite_account(&a)).await.unwrap();
    let hb = app.invite(invite_account(&b)).await.unwrap();
    app.aws.accept(&a, &ha.id).await;
    app.aws.decline(&b, &hb.id).await;
    let got = receiver.wait_for(2, WAIT).await;
    let mut states: Vec<&str> = got
        .iter()
        .map(|r| r.json["data"]["handshake"]["state"].as_str().unwrap())
        .collect();
    states.sort();
    assert_eq!(
        states,
        ["HANDSHAKE_STATE_ACCEPTED", "HANDSHAKE_STATE_DECLINED"]
    );
    assert_eq!(
        receiver.received().len(),
        2,
        "the OPEN events matched nothing"
    );
}

#[tokio::test]
async fn two_replicas_deliver_each_event_once() {
    let receiver = Receiver::start().await;
    let file = SubscriptionsFile::webhook(&receiver.url, "");
    let db = fresh_database().await;
    let fakecloud = Fakecloud::start().await;
    let mut apps = Vec::new();
    for _ in 0..2 {
        apps.push(
            spawn_app_with(
                db.clone(),
                AppOptions {
                    delivery: file.options(&[100]),
                    fakecloud: Some(fakecloud.clone()),
                    ..AppOptions::default()
                },
            )
            .await,
        );
    }
    recorded(&apps[0]).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let h = apps[i % 2]
            .invite(invite_account(&random_account_id()))
            .await
            .unwrap();
        ids.push(h.id);
    }
    let got = receiver.wait_for(6, WAIT).await;
    // Both replicas had a chance to send again; neither did.
    eventually(WAIT, "all six DELIVERED", || async {
        (deliveries(&apps[0], &[pb::DeliveryState::Delivered])
            .await
            .len()
            == 6)
            .then_some(())
    })
    .await;
    let mut subjects: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| r.json["subject"].as_str().unwrap().to_string())
        .collect();
    subjects.sort();
    ids.sort();
    assert_eq!(subjects, ids, "each event once: {}", got.len());
}

#[tokio::test]
async fn a_bad_subscriptions_file_stops_the_start_naming_the_subscription_and_field() {
    let file = SubscriptionsFile::webhook("http://169.254.169.254/latest", "");
    let mut settings = serve_defaults();
    settings.delivery = file.options(&[100]);
    let fakecloud = Fakecloud::start().await;
    let err = org_invites::startup::Application::build(
        settings,
        fakecloud.organizations(),
        fakecloud.event_bus(),
        org_invites::metrics::Metrics::new(),
    )
    .await
    .err()
    .expect("the start is refused")
    .to_string();
    assert!(err.contains("subscription hooks: webhook.url"), "{err}");
    assert!(!err.contains(&file.secret[6..]), "no secret in {err}");
}

#[tokio::test]
async fn a_receiver_that_cannot_be_reached_is_retried_and_a_reload_keeps_the_last_good_file() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let file = SubscriptionsFile::webhook(&format!("http://{closed}/hook"), "");
    let app = spawn_app_with(
        fresh_database().await,
        AppOptions {
            delivery: file.options(&[100, 100]),
            http: true,
            ..AppOptions::default()
        },
    )
    .await;
    recorded(&app).await;
    app.invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let dead = eventually(WAIT, "DEAD after three refused connections", || async {
        deliveries(&app, &[pb::DeliveryState::Dead])
            .await
            .into_iter()
            .next()
    })
    .await;
    assert_eq!(dead.attempts, 3);
    assert_eq!(dead.last_error, "could not connect");

    // A reload that does not parse is refused and counted; the set stays.
    let good = std::fs::read_to_string(&file.path).unwrap();
    std::fs::write(&file.path, "subscriptions: [").unwrap();
    eventually(WAIT, "the refused reload counted", || async {
        let text = scrape(&app).await;
        (metric_value(
            &text,
            "org_invites_subscriptions_reloads_total{outcome=\"error\"}",
        ) >= Some(1.0))
        .then_some(())
    })
    .await;
    assert_eq!(subscription(&app).await.id, "hooks");
    // A good one with a second subscription: it takes what is recorded after.
    let receiver = Receiver::start().await;
    let second = good
        .replace("subscriptions:\n", "")
        .replace("id: hooks", "id: later")
        .replace(&format!("http://{closed}/hook"), &receiver.url);
    std::fs::write(&file.path, format!("{good}{second}")).unwrap();
    eventually(WAIT, "the reload in force", || async {
        let n = app
            .client
            .clone()
            .list_subscriptions(pb::ListSubscriptionsRequest {})
            .await
            .ok()?
            .into_inner()
            .subscriptions
            .len();
        (n == 2).then_some(())
    })
    .await;
    eventually(WAIT, "the new subscription recorded", || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM subscriptions")
            .fetch_one(&app.db)
            .await
            .ok()?;
        (n == 2).then_some(())
    })
    .await;
    let h = app
        .invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let got = receiver.wait_for(1, WAIT).await;
    assert_eq!(
        got[0].json["subject"],
        h.id.as_str(),
        "only what came after it"
    );
    assert_eq!(receiver.received().len(), 1);
}

/// The replica attempting a delivery is killed with -9 while the receiver
/// holds the request; the other replica sends it again once the lease
/// runs out, with the same webhook-id.
#[tokio::test]
async fn a_delivery_in_flight_on_a_killed_replica_is_sent_again_by_the_other() {
    use crate::{binary::BIN, process::*};
    let receiver = Receiver::start().await;
    receiver.script(&[Answer::Hang], None);
    let file = SubscriptionsFile::webhook(&receiver.url, "");
    let fakecloud = Fakecloud::start().await;
    let db = fresh_database().await;
    let mut spec = ReplicaSpec::new(BIN, &db, &fakecloud.endpoint);
    spec.args = vec![
        "--subscriptions-file".into(),
        file.path.display().to_string(),
        "--delivery-retry-schedule".into(),
        "1s".into(),
    ];
    let a = spec.start("replica-a").await;
    let mut to_a = serving(&a).await;
    let pool = sqlx::PgPool::connect_with(db.clone()).await.unwrap();
    recorded_in(&pool).await;
    to_a.invite_account(invite_account(&random_account_id()))
        .await
        .unwrap();
    let first = receiver.wait_for(1, WAIT).await;
    a.signal("KILL");
    a.exited().await;
    let _b = spec.start("replica-b").await;
    let got = receiver.wait_for(2, WAIT).await;
    assert_eq!(got[1].headers["webhook-id"], first[0].headers["webhook-id"]);
    assert!(signed_by(&got[1], &file.secret));
}

/// Failing deliveries and a refused reload, as the real binary logs them: neither the secret, nor the token in the webhook's query,
/// nor the notes in the CloudEvent reach a log line.
#[tokio::test]
async fn no_secret_token_or_notes_reach_the_logs() {
    use crate::{binary::BIN, process::*};
    let receiver = Receiver::start().await;
    receiver.script(&[], Some(Answer::Status(500)));
    let token = "tok-4f9a1c";
    let file = SubscriptionsFile::webhook(&format!("{}?token={token}", receiver.url), "");
    let fakecloud = Fakecloud::start().await;
    let db = fresh_database().await;
    let mut spec = ReplicaSpec::new(BIN, &db, &fakecloud.endpoint);
    spec.args = vec![
        "--subscriptions-file".into(),
        file.path.display().to_string(),
        "--delivery-retry-schedule".into(),
        "100ms,100ms".into(),
    ];
    let replica = spec.start("replica").await;
    let mut client = serving(&replica).await;
    let pool = sqlx::PgPool::connect_with(db.clone()).await.unwrap();
    recorded_in(&pool).await;
    let notes = "secret-notes-7c2e";
    let mut req = invite_account(&random_account_id());
    req.notes = notes.into();
    client.invite_account(req).await.unwrap();
    receiver.wait_for(3, WAIT).await;
    std::fs::write(&file.path, "subscriptions: [").unwrap();
    let since = tokio::time::Instant::now() - Duration::from_secs(60);
    replica
        .wait_for_log("subscriptions file not reloaded", since, WAIT)
        .await;
    let text = replica.log_text();
    for (what, needle) in [
        ("the secret", &file.secret[6..]),
        ("the token", token),
        ("the notes", notes),
    ] {
        assert!(!text.contains(needle), "{what} is in the logs");
    }
    assert!(
        receiver.received()[0].json.to_string().contains(notes),
        "the notes were sent"
    );
}

/// Rotating a secret in its own file (the subscriptions file untouched)
/// is picked up: the next events are signed with the new secret.
#[tokio::test]
async fn a_secret_rotated_in_its_file_signs_the_next_events() {
    let receiver = Receiver::start().await;
    let file = SubscriptionsFile::webhook(&receiver.url, "");
    let app = app_delivering(file.options(&[100])).await;
    app.invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let first = receiver.wait_for(1, WAIT).await;
    assert!(signed_by(&first[0], &file.secret));
    let rotated = new_secret();
    let secret_file = file.path.parent().unwrap().join("hooks.secret");
    std::fs::write(&secret_file, format!("{rotated}\n")).unwrap();
    let got = eventually(WAIT, "an event signed with the rotated secret", || async {
        app.invite(invite_account(&random_account_id()))
            .await
            .ok()?;
        let got = receiver.received();
        got.last().filter(|r| signed_by(r, &rotated)).cloned()
    })
    .await;
    assert!(
        !signed_by(&got, &file.secret),
        "the old secret no longer signs"
    );
}
