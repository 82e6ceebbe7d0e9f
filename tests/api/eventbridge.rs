//! Event delivery to EventBridge: through fakecloud's bus to an SQS queue
//! (the real SDK path), and through the in-process fake bus for what
//! fakecloud cannot do (fail single entries, hold calls).
use std::{path::PathBuf, sync::Arc, time::Duration};

use org_invites::{
    aws::fake::FakeEventBus,
    proto::v1::{self as pb},
    reconcile::delivery::DeliveryOptions,
};
use serde_json::Value;

use crate::helpers::*;

const SUBSCRIPTION: &str = "org-bus";
const STATE_CHANGE: &str = "orginvites.handshake.v1.state_change";

/// A subscriptions file with one EventBridge subscription to `bus`.
fn subscriptions_file(bus: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("subscriptions-{}.yaml", uuid::Uuid::new_v4()));
    let text =
        format!("subscriptions:\n  - id: {SUBSCRIPTION}\n    eventbridge: {{event_bus: {bus}}}\n");
    std::fs::write(&path, text).unwrap();
    path
}

fn delivering_to(bus: &str) -> DeliveryOptions {
    DeliveryOptions {
        subscriptions_file: Some(subscriptions_file(bus)),
        retry_schedule: vec![Duration::from_millis(300), Duration::from_millis(300)],
        ..Default::default()
    }
}

/// The subscription's deliveries, oldest first.
async fn deliveries(app: &TestApp) -> Vec<pb::Delivery> {
    let mut list = app
        .client
        .clone()
        .list_deliveries(pb::ListDeliveriesRequest {
            subscription_id: SUBSCRIPTION.into(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("ListDeliveries")
        .into_inner()
        .deliveries;
    list.reverse();
    list
}

fn state(d: &pb::Delivery) -> pb::DeliveryState {
    pb::DeliveryState::try_from(d.state).unwrap()
}

impl Fakecloud {
    /// One awsJson call to fakecloud as the management account (it reads
    /// the key from the credential scope and checks no signature).
    async fn aws_json(&self, service: &str, target: &str, version: &str, body: Value) -> Value {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, \
             SignedHeaders=host, Signature=0"
        );
        let reply = self
            .http_with(
                "POST",
                "/",
                &[
                    ("Content-Type", &format!("application/x-amz-json-{version}")),
                    ("X-Amz-Target", target),
                    ("Authorization", &auth),
                ],
                &body.to_string(),
            )
            .await;
        serde_json::from_str(&reply).unwrap_or(Value::Null)
    }

    async fn sqs(&self, operation: &str, body: Value) -> Value {
        let target = format!("AmazonSQS.{operation}");
        self.aws_json("sqs", &target, "1.0", body).await
    }

    async fn events(&self, operation: &str, body: Value) -> Value {
        let target = format!("AWSEvents.{operation}");
        self.aws_json("events", &target, "1.1", body).await
    }

    /// Event bus `bus` with a rule for source org-invites whose target is
    /// a new SQS queue; the queue's URL.
    async fn bus_to_queue(&self, bus: &str) -> String {
        let sqs = |operation, body| self.sqs(operation, body);
        let events = |operation, body| self.events(operation, body);
        let queue = sqs("CreateQueue", serde_json::json!({"QueueName": bus})).await;
        let url = queue["QueueUrl"].as_str().expect("QueueUrl").to_string();
        let attrs = sqs(
            "GetQueueAttributes",
            serde_json::json!({"QueueUrl": url, "AttributeNames": ["QueueArn"]}),
        )
        .await;
        let arn = attrs["Attributes"]["QueueArn"].as_str().expect("QueueArn");
        events("CreateEventBus", serde_json::json!({"Name": bus})).await;
        let pattern = serde_json::json!({"source": ["org-invites"]}).to_string();
        events(
            "PutRule",
            serde_json::json!({"Name": "to-queue", "EventBusName": bus, "EventPattern": pattern}),
        )
        .await;
        events(
            "PutTargets",
            serde_json::json!({"Rule": "to-queue", "EventBusName": bus,
                               "Targets": [{"Id": "queue", "Arn": arn}]}),
        )
        .await;
        url
    }

    /// The messages waiting in the queue at `url` (each an EventBridge
    /// event, as JSON), removed from it.
    async fn receive(&self, url: &str) -> Vec<Value> {
        let sqs = |operation, body| self.sqs(operation, body);
        let got = sqs(
            "ReceiveMessage",
            serde_json::json!({"QueueUrl": url, "MaxNumberOfMessages": 10}),
        )
        .await;
        let mut out = Vec::new();
        for m in got["Messages"].as_array().cloned().unwrap_or_default() {
            out.push(serde_json::from_str(m["Body"].as_str().expect("Body")).expect("JSON body"));
            sqs(
                "DeleteMessage",
                serde_json::json!({"QueueUrl": url, "ReceiptHandle": m["ReceiptHandle"]}),
            )
            .await;
        }
        out
    }
}

#[tokio::test]
async fn an_invitation_and_its_acceptance_reach_an_eventbridge_rules_queue_in_order() {
    let fakecloud = Fakecloud::start().await;
    let queue = fakecloud.bus_to_queue("invites").await;
    let app = spawn_app_with(
        fresh_database().await,
        AppOptions {
            fakecloud: Some(fakecloud),
            delivery: delivering_to("invites"),
            ..AppOptions::default()
        },
    )
    .await;
    let account = random_account_id();
    let h = app.invite(invite_account(&account)).await.unwrap();
    app.aws.accept(&account, &h.id).await;

    let received = std::sync::Mutex::new(Vec::<Value>::new());
    eventually(
        Duration::from_secs(30),
        "two events in the queue",
        || async {
            let got = app.aws.receive(&queue).await;
            let mut all = received.lock().unwrap();
            all.extend(got);
            (all.len() >= 2).then_some(()).ok_or(all.len())
        },
    )
    .await;
    let events = received.into_inner().unwrap();
    assert_eq!(events.len(), 2, "{events:#?}");
    let states: Vec<&str> = events
        .iter()
        .map(|e| e["detail"]["data"]["handshake"]["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        ["HANDSHAKE_STATE_OPEN", "HANDSHAKE_STATE_ACCEPTED"],
        "in commit order"
    );
    for e in &events {
        assert_eq!(e["source"], "org-invites");
        assert_eq!(e["detail-type"], STATE_CHANGE);
        assert_eq!(
            e["detail"]["type"], STATE_CHANGE,
            "Detail is the CloudEvent"
        );
        assert_eq!(e["detail"]["specversion"], "1.0");
        assert_eq!(e["detail"]["data"]["handshake"]["id"], h.id.as_str());
        assert_eq!(e["resources"], serde_json::json!([h.arn]));
    }

    let listed = eventually(Duration::from_secs(10), "both DELIVERED", || async {
        let list = deliveries(&app).await;
        let done = list.len() == 2
            && list
                .iter()
                .all(|d| state(d) == pb::DeliveryState::Delivered);
        if done {
            Ok(list)
        } else {
            Err(list)
        }
    })
    .await;
    let ids: Vec<&Value> = events.iter().map(|e| &e["detail"]["id"]).collect();
    let listed_ids: Vec<Value> = listed
        .iter()
        .map(|d| Value::from(d.cloud_event_id.as_str()))
        .collect();
    assert_eq!(ids, listed_ids.iter().collect::<Vec<_>>());
    assert!(listed
        .iter()
        .all(|d| d.attempts == 1 && d.handshake_id == h.id));
}

async fn spawn_with_fake_bus() -> (TestApp, Arc<FakeEventBus>) {
    let bus = Arc::new(FakeEventBus::new());
    let app = spawn_app_with(
        fresh_database().await,
        AppOptions {
            bus: Some(bus.clone()),
            delivery: delivering_to("arn:aws:events:us-east-1:123456789012:event-bus/invites"),
            ..AppOptions::default()
        },
    )
    .await;
    (app, bus)
}

/// `handshake`'s delivery once it is no longer PENDING.
async fn settled(app: &TestApp, handshake: &str) -> pb::Delivery {
    eventually(Duration::from_secs(20), "the delivery settles", || async {
        let list = deliveries(app).await;
        list.into_iter()
            .find(|d| d.handshake_id == handshake && state(d) != pb::DeliveryState::Pending)
    })
    .await
}

#[tokio::test]
async fn a_throttled_entry_is_sent_again_and_one_refused_otherwise_is_dead_at_once() {
    let (app, bus) = spawn_with_fake_bus().await;

    bus.fail_next_entries(&["ThrottlingException"]);
    let throttled = app
        .invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let d = settled(&app, &throttled.id).await;
    assert_eq!(state(&d), pb::DeliveryState::Delivered, "{d:?}");
    assert_eq!(d.attempts, 2);
    let sent = bus.accepted();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].resources, std::slice::from_ref(&throttled.arn));
    assert_eq!(sent[0].detail_type, STATE_CHANGE);
    assert!(sent[0].event_bus.ends_with("event-bus/invites"));
    let detail: Value = serde_json::from_str(&sent[0].detail).unwrap();
    assert_eq!(detail["data"]["handshake"]["id"], throttled.id.as_str());

    bus.fail_next_entries(&["MalformedDetail"]);
    let refused = app
        .invite(invite_account(&random_account_id()))
        .await
        .unwrap();
    let d = settled(&app, &refused.id).await;
    assert_eq!(state(&d), pb::DeliveryState::Dead, "{d:?}");
    assert_eq!(d.attempts, 1, "not retried");
    assert_eq!(d.last_status, "MalformedDetail");
    assert!(d.last_error.contains("MalformedDetail"), "{}", d.last_error);
}

#[tokio::test]
async fn more_than_ten_due_deliveries_go_out_ten_to_a_call() {
    let (app, bus) = spawn_with_fake_bus().await;
    // The first pass's call waits, so the invitations after it pile up:
    // at most the first five (AWS's invitation burst) can be in that call.
    bus.hold();
    let mut handshakes = Vec::new();
    for _ in 0..20 {
        let h = app
            .invite(invite_account(&random_account_id()))
            .await
            .unwrap();
        handshakes.push(h.id);
    }
    bus.release();
    eventually(Duration::from_secs(30), "all 20 DELIVERED", || async {
        let list = deliveries(&app).await;
        let n = list
            .iter()
            .filter(|d| state(d) == pb::DeliveryState::Delivered)
            .count();
        (n == 20).then_some(()).ok_or(n)
    })
    .await;
    let sizes: Vec<usize> = bus.calls().iter().map(Vec::len).collect();
    assert!(sizes.iter().all(|n| *n <= 10), "{sizes:?}");
    assert!(
        sizes.contains(&10),
        "the pile-up went ten to a call: {sizes:?}"
    );
    assert_eq!(sizes.iter().sum::<usize>(), 20, "each sent once: {sizes:?}");
    let mut sent: Vec<String> = bus
        .accepted()
        .iter()
        .map(|e| e.resources[0].rsplit('/').next().unwrap().to_string())
        .collect();
    sent.sort();
    handshakes.sort();
    assert_eq!(sent, handshakes);
}

/// A billing transfer's events reach the bus too, with the transfer as the
/// subject and its ARN as the resource.
#[tokio::test]
async fn a_transfers_events_reach_an_eventbridge_rules_queue() {
    let fakecloud = Fakecloud::start().await;
    let queue = fakecloud.bus_to_queue("transfers").await;
    let app = spawn_app_with(
        fresh_database().await,
        AppOptions {
            fakecloud: Some(fakecloud),
            delivery: delivering_to("transfers"),
            ..AppOptions::default()
        },
    )
    .await;
    let (_other, other_id) = crate::transfers::other_org(&app.aws).await;
    let sent = app
        .client
        .clone()
        .invite_transfer(crate::transfers::billing(&other_id))
        .await
        .unwrap()
        .into_inner();
    let t = sent.transfer.unwrap();
    let received = std::sync::Mutex::new(Vec::<Value>::new());
    let transfer_event = eventually(Duration::from_secs(30), "the transfer's event", || async {
        let got = app.aws.receive(&queue).await;
        let mut all = received.lock().unwrap();
        all.extend(got);
        all.iter()
            .find(|e| e["detail-type"] == "orginvites.transfer.v1.status_change")
            .cloned()
    })
    .await;
    assert_eq!(transfer_event["source"], "org-invites");
    assert_eq!(transfer_event["detail"]["subject"], t.id.as_str());
    assert_eq!(
        transfer_event["detail"]["data"]["transfer"]["status"],
        "RESPONSIBILITY_TRANSFER_STATUS_REQUESTED"
    );
    assert_eq!(transfer_event["resources"], serde_json::json!([t.arn]));
}
