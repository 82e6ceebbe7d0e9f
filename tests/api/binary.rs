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
        "--auth-tokens-file",
        "ORG_INVITES_AUTH_TOKENS_FILE",
        "--insecure-no-auth",
        "--tls-cert-file",
        "--tls-key-file",
        "--tls-client-ca-file",
        "--tls-require-client-cert",
        "--aws-rate",
        "--aws-max-wait",
        "--invite-quota",
        "--invite-quota-window",
        "--max-request-bytes",
        "--max-streams-per-connection",
        "--max-streams-per-identity",
        "--keepalive-interval",
        "--keepalive-timeout",
        "--idle-timeout",
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

#[test]
fn client_help_never_shows_the_token() {
    let out = Command::new(BIN)
        .args(["invite", "--help"])
        .env("ORG_INVITES_TOKEN", "s3cret-token")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("ORG_INVITES_TOKEN"), "{help}");
    assert!(!help.contains("s3cret-token"), "{help}");
}

/// Runs the server binary at debug level with authentication on, makes
/// refused and accepted calls carrying a token, notes and an account id,
/// and reads every log line: none of the three may appear.
#[tokio::test]
async fn server_logs_never_show_tokens_notes_or_party_ids() {
    use org_invites::{
        auth::{token_line, Role},
        proto::v1::invitation_service_client::InvitationServiceClient,
    };
    let db = fresh_database().await;
    let fakecloud = Fakecloud::start().await;
    let identities = std::env::temp_dir().join(format!("ids-{}", uuid::Uuid::new_v4()));
    std::fs::write(
        &identities,
        token_line(Role::Inviter, "factory", "tok-secret-123"),
    )
    .unwrap();
    let url = format!(
        "postgres://{}@127.0.0.1:{}/{}",
        db.get_username(),
        db.get_port(),
        db.get_database().unwrap()
    );
    let mut child = tokio::process::Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .arg("--auth-tokens-file")
        .arg(&identities)
        .env("RUST_LOG", "debug")
        .env("DATABASE_URL", url)
        .env("AWS_ENDPOINT_URL", &fakecloud.endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut log = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let v: serde_json::Value = serde_json::from_str(&line).expect("JSON log line");
            log.push(line.clone());
            if v["message"] == "database reachable and migrated: SERVING" {
                return;
            }
        }
        panic!("exited before serving")
    })
    .await
    .expect("serving line");
    let listening = log
        .iter()
        .find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            (v["message"] == "org-invites listening")
                .then(|| v["addr"].as_str().unwrap().to_string())
        })
        .expect("listening line");
    let channel = tonic::transport::Channel::from_shared(format!("http://{listening}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let account = random_account_id();
    let mut req = tonic::Request::new(org_invites::proto::v1::InviteAccountRequest {
        notes: "notes-secret-xyz".into(),
        ..invite_account(&account)
    });
    req.metadata_mut()
        .insert("authorization", "Bearer wrong-secret-456".parse().unwrap());
    let mut client = InvitationServiceClient::new(channel);
    assert!(client.invite_account(req).await.is_err());
    let mut req = tonic::Request::new(org_invites::proto::v1::InviteAccountRequest {
        notes: "notes-secret-xyz".into(),
        ..invite_account(&account)
    });
    req.metadata_mut()
        .insert("authorization", "Bearer tok-secret-123".parse().unwrap());
    client
        .invite_account(req)
        .await
        .expect("the inviter invites");

    child.start_kill().unwrap();
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(10), lines.next_line()).await
    {
        log.push(line);
    }
    let all = log.join("\n");
    assert!(
        all.contains("invitation recorded"),
        "the log is read to its end"
    );
    for secret in [
        "tok-secret-123",
        "wrong-secret-456",
        "notes-secret-xyz",
        account.as_str(),
    ] {
        assert!(!all.contains(secret), "{secret} is in the log");
    }
}
