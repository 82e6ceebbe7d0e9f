//! The `org-invites` binary itself: its help, and a clean exit on SIGTERM.
use std::{
    process::{Command, Stdio},
    time::Duration,
};

use tokio::io::{AsyncBufReadExt, BufReader};
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};

use crate::{helpers::*, logs::LogLines};

pub const BIN: &str = env!("CARGO_BIN_EXE_org-invites");

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
    let mut server = ServerProcess::start(&[], &[]).await;
    let (mut watch, health) = server.serving().await;
    let child = &mut server.child;
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
    let identities = std::env::temp_dir().join(format!("ids-{}", uuid::Uuid::new_v4()));
    std::fs::write(
        &identities,
        token_line(Role::Inviter, "factory", "tok-secret-123"),
    )
    .unwrap();
    let path = identities.display().to_string();
    let server =
        ServerProcess::start(&["--auth-tokens-file", &path], &[("RUST_LOG", "debug")]).await;
    let _health = server.serving().await;
    let channel = server.channel().await;
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

    let all = server.stop_and_read_log().await;
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

/// An onboarding whose role cannot be assumed fails with AWS's AccessDenied,
/// whose message names the invited account's role: the log names the error,
/// never the account id or the external id.
#[tokio::test]
async fn onboarding_failures_log_no_party_ids_or_external_ids() {
    use org_invites::proto::v1::{self as pb, invitation_service_client::InvitationServiceClient};
    let server = ServerProcess::start(&["--insecure-no-auth"], &[("RUST_LOG", "debug")]).await;
    let _health = server.serving().await;
    let mut client = InvitationServiceClient::new(server.channel().await);
    let account = random_account_id();
    let root = server._fakecloud.root_id().await;
    let h = client
        .invite_account(pb::InviteAccountRequest {
            onboarding: Some(pb::OnboardingSpec {
                destination_parent_id: root,
                accept_role: "NoSuchRole".into(),
                external_id: "ext-secret-789".into(),
                on_accept_failure: pb::OnAcceptFailure::LeaveOpen as i32,
                leave_previous_organization: false,
            }),
            ..invite_account(&account)
        })
        .await
        .expect("the invitation is sent")
        .into_inner()
        .handshake
        .unwrap();
    // Waits for the onboarding to fail: the handshake stays OPEN, so the
    // org-wide stream is read until this handshake's FAILED arrives.
    let mut all = client
        .watch_handshakes(pb::WatchHandshakesRequest {
            resume_token: org_invites::watch::encode_resume_token(0),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    loop {
        let e = next_event(&mut all).await.expect("events go on");
        let o = e.handshake.as_ref().and_then(|x| x.onboarding.clone());
        if e.handshake.as_ref().map(|x| x.id.as_str()) == Some(h.id.as_str())
            && o.is_some_and(|o| o.status == pb::OnboardingStatus::Failed as i32)
        {
            break;
        }
    }
    let all = server.stop_and_read_log().await;
    assert!(
        all.contains("onboarding failed"),
        "the log is read to its end"
    );
    assert!(all.contains("AccessDenied"), "the log names the error");
    for secret in [account.as_str(), "ext-secret-789"] {
        assert!(!all.contains(secret), "{secret} is in the log");
    }
}

/// `serve` on the real binary until it logs a line containing `needle`
/// (or exits); the output so far, and the exit code if it ended.
async fn serve_until(args: &[&str], database_url: &str, needle: &str) -> (String, Option<i32>) {
    let mut child = tokio::process::Command::new(BIN)
        .arg("serve")
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_REGION", "us-east-1")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut out = String::new();
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            out.push_str(&line);
            out.push('\n');
            if line.contains(needle) {
                return true;
            }
        }
        false
    })
    .await;
    assert!(
        matches!(found, Ok(true)),
        "no line with {needle:?} in:\n{out}"
    );
    let code = match tokio::time::timeout(Duration::from_secs(10), child.wait()).await {
        Ok(status) => status.unwrap().code(),
        Err(_) => {
            child.kill().await.unwrap();
            None
        }
    };
    (out, code)
}

fn local_url(database: &str) -> String {
    let admin: sqlx::postgres::PgConnectOptions = database_url().parse().unwrap();
    format!(
        "postgres://{}@127.0.0.1:{}/{database}",
        admin.get_username(),
        admin.get_port()
    )
}

#[tokio::test]
async fn a_listen_address_in_use_is_named_with_its_flag_and_the_server_exits() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let url = local_url("postgres");
    let (out, code) = serve_until(
        &["--insecure-no-auth", "--listen", &addr],
        &url,
        "org-invites failed",
    )
    .await;
    assert!(
        out.contains(&format!(
            "cannot listen on {addr} (--listen / ORG_INVITES_LISTEN): address already in use"
        )),
        "{out}"
    );
    assert_eq!(code, Some(1), "{out}");

    let (out, code) = serve_until(
        &[
            "--insecure-no-auth",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            &addr,
        ],
        &url,
        "org-invites failed",
    )
    .await;
    assert!(
        out.contains(&format!(
            "cannot listen on {addr} (--metrics-listen / ORG_INVITES_METRICS_LISTEN): \
             address already in use"
        )),
        "{out}"
    );
    assert_eq!(code, Some(1), "{out}");
}

/// Postgres unreachable: the server keeps trying (NOT_SERVING) and says
/// where it connects and why it cannot, never the password.
#[tokio::test]
async fn an_unreachable_database_is_named_with_the_cause_and_no_password() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("postgres://someone:pw-secret-1@127.0.0.1:{port}/somedb");
    let (out, code) = serve_until(
        &["--insecure-no-auth", "--listen", "127.0.0.1:0"],
        &url,
        "database unavailable",
    )
    .await;
    assert_eq!(code, None, "it keeps running: {out}");
    let line = out
        .lines()
        .find(|l| l.contains("database unavailable"))
        .unwrap();
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
    assert!(line.contains("somedb"), "{line}");
    assert!(line.contains("connection refused"), "{line}");
    assert!(!out.contains("pw-secret-1"), "{out}");

    let missing = format!("nope_{}", uuid::Uuid::new_v4().simple());
    let (out, _) = serve_until(
        &["--insecure-no-auth", "--listen", "127.0.0.1:0"],
        &local_url(&missing),
        "database unavailable",
    )
    .await;
    let line = out
        .lines()
        .find(|l| l.contains("database unavailable"))
        .unwrap();
    assert!(line.contains("no such database"), "{line}");
    assert!(line.contains(&missing), "{line}");
}

/// The built binary, serving on a fresh database with its own fakecloud;
/// its JSON log lines are kept as they come.
pub struct ServerProcess {
    child: tokio::process::Child,
    addr: String,
    log: LogLines,
    reader: tokio::task::JoinHandle<()>,
    _fakecloud: std::sync::Arc<Fakecloud>,
}

impl ServerProcess {
    pub async fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
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
            .args(args)
            .envs(env.iter().copied())
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
        let mut seen = Vec::new();
        let addr = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                let v: serde_json::Value = serde_json::from_str(&line).expect("JSON log line");
                seen.push(line.clone());
                if v["message"] == "org-invites listening" {
                    return v["addr"].as_str().unwrap().to_string();
                }
            }
            panic!("exited before listening")
        })
        .await
        .expect("listening line");
        let (log, reader) = LogLines::follow(lines.into_inner(), seen);
        Self {
            child,
            addr,
            log,
            reader,
            _fakecloud: fakecloud,
        }
    }

    pub async fn channel(&self) -> tonic::transport::Channel {
        tonic::transport::Channel::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    /// Waits for health SERVING; the health Watch stream stays open.
    pub async fn serving(
        &self,
    ) -> (
        tonic::Streaming<tonic_health::pb::HealthCheckResponse>,
        HealthClient<tonic::transport::Channel>,
    ) {
        let mut health = HealthClient::new(self.channel().await);
        let mut watch = health
            .watch(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let msg = watch.message().await.unwrap().expect("health update");
                if msg.status == ServingStatus::Serving as i32 {
                    return;
                }
            }
        })
        .await
        .expect("SERVING within 30 s");
        (watch, health)
    }

    /// Waits (up to 10 s) for a log line containing every one of `words`.
    async fn wait_for_log(&self, words: &[&str]) {
        let found = self
            .log
            .wait_for(self.log.started(), Duration::from_secs(10), |l| {
                words.iter().all(|w| l.contains(w))
            })
            .await;
        assert!(found.is_some(), "no log line with {words:?}");
    }

    /// Kills the process and returns every log line it wrote.
    pub async fn stop_and_read_log(mut self) -> String {
        self.child.start_kill().unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.reader)
            .await
            .expect("the log ends with the process")
            .unwrap();
        self.log.text()
    }
}

/// SIGHUP reloads the TLS certificate (the files did not change, so only
/// the signal can have caused it) and the server keeps serving.
#[tokio::test]
async fn sighup_reloads_the_tls_certificate_and_the_server_keeps_serving() {
    let dir = std::env::temp_dir().join(format!("hup-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert_file, key_file) = (dir.join("server.pem"), dir.join("server.key"));
    std::fs::write(&cert_file, cert.cert.pem()).unwrap();
    std::fs::write(&key_file, cert.key_pair.serialize_pem()).unwrap();
    let (c, k) = (
        cert_file.display().to_string(),
        key_file.display().to_string(),
    );
    let server = ServerProcess::start(
        &[
            "--tls-cert-file",
            &c,
            "--tls-key-file",
            &k,
            "--insecure-no-auth",
        ],
        &[],
    )
    .await;
    let port = server.addr.rsplit(':').next().unwrap().to_string();
    let health = || async {
        let tls = tonic::transport::ClientTlsConfig::new()
            .ca_certificate(tonic::transport::Certificate::from_pem(cert.cert.pem()))
            .domain_name("localhost");
        let ch = tonic::transport::Channel::from_shared(format!("https://127.0.0.1:{port}"))
            .unwrap()
            .tls_config(tls)
            .unwrap()
            .connect()
            .await
            .expect("a TLS connection");
        HealthClient::new(ch)
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .expect("health over TLS")
    };
    health().await;
    let pid = server.child.id().unwrap().to_string();
    assert!(Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap()
        .success());
    server
        .wait_for_log(&["TLS certificate reloaded", "SIGHUP"])
        .await;
    // Still there, still serving.
    health().await;
}
