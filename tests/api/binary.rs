//! The `org-invites` binary itself: its help, and a clean exit on SIGTERM.
use std::{
    process::{Command, Stdio},
    time::Duration,
};

use tokio::io::{AsyncBufReadExt, BufReader};
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_org-invites");

#[test]
fn serve_help_documents_every_setting_and_shows_no_secret() {
    let out = Command::new(BIN)
        .args(["serve", "--help"])
        .env("DATABASE_URL", "postgres://user:hunter2@db/x")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for setting in [
        "--listen",
        "ORG_INVITES_LISTEN",
        "--database-url",
        "DATABASE_URL",
        "--poll-interval",
        "ORG_INVITES_POLL_INTERVAL",
        "--invite-grace",
        "ORG_INVITES_INVITE_GRACE",
        "--log-format",
        "ORG_INVITES_LOG_FORMAT",
        "127.0.0.1:50051",
    ] {
        assert!(help.contains(setting), "--help lacks {setting}:\n{help}");
    }
    assert!(
        !help.contains("hunter2"),
        "--help shows the database password"
    );
}

#[test]
fn a_malformed_database_url_fails_without_echoing_it() {
    let out = Command::new(BIN)
        .args(["migrate", "--database-url", "mysql://user:hunter2@db"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[tokio::test]
async fn sigterm_turns_health_not_serving_and_exits_zero() {
    let db = fresh_database().await;
    let fakecloud = Fakecloud::start().await;
    let url = format!(
        "postgres://{}@127.0.0.1:{}/{}",
        db.get_username(),
        db.get_port(),
        db.get_database().unwrap()
    );
    let mut child = tokio::process::Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .env("DATABASE_URL", url)
        .env("AWS_ENDPOINT_URL", &fakecloud.endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // The address is in the JSON "listening" log line.
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let v: serde_json::Value = serde_json::from_str(&line).expect("JSON log line");
            if v["message"] == "org-invites listening" {
                return v["addr"].as_str().unwrap().to_string();
            }
        }
        panic!("exited before listening")
    })
    .await
    .expect("listening line");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = HealthClient::new(channel);
    let mut watch = health
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    loop {
        let msg = watch.message().await.unwrap().expect("health update");
        if msg.status == ServingStatus::Serving as i32 {
            break;
        }
    }
    let pid = child.id().unwrap().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let msg = watch.message().await.unwrap().expect("health update");
    assert_eq!(msg.status, ServingStatus::NotServing as i32);
    drop(watch);
    drop(health);
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert_eq!(status.code(), Some(0));
}
