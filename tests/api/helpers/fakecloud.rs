//! A fakecloud per test: started, organized, and driven as an invited account would.
use std::{path::PathBuf, sync::Arc, time::Duration};

use aws_sdk_organizations::{config::Credentials, Client as AwsClient};
use org_invites::aws::{EventBus, Organizations, SdkEventBus, SdkOrganizations};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};

pub const MANAGEMENT_ACCOUNT: &str = "123456789012";

/// One fakecloud process per test (or per group of replicas), so tests
/// never see each other's handshakes. Killed when dropped.
pub struct Fakecloud {
    pub endpoint: String,
    _child: tokio::process::Child,
}

impl Fakecloud {
    pub async fn start() -> Arc<Self> {
        Self::start_with_env(&[]).await
    }

    /// Starts fakecloud with extra environment (libfaketime, in expiry
    /// tests), waits until it answers, and creates the organization.
    pub async fn start_with_env(env: &[(&str, &str)]) -> Arc<Self> {
        let bin = std::env::var("ORG_INVITES_TEST_FAKECLOUD_BIN")
            .expect("ORG_INVITES_TEST_FAKECLOUD_BIN is unset: run the tests with scripts/test.sh");
        let mut child = tokio::process::Command::new(bin)
            .args(["--addr", "127.0.0.1:0", "--log-level", "warn"])
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("fakecloud starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let port = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(port) = line.strip_prefix("FAKECLOUD_PORT=") {
                    return port.trim().to_string();
                }
            }
            panic!("fakecloud exited before printing its port")
        })
        .await
        .expect("fakecloud prints its port");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let fc = Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            _child: child,
        };
        // Connections made while it finishes starting wait rather than fail.
        let health = fc.http("GET", "/_fakecloud/health", "").await;
        assert!(health.contains("ok"), "{health}");
        fc.management_client()
            .create_organization()
            .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
            .send()
            .await
            .expect("CreateOrganization");
        Arc::new(fc)
    }

    /// The AWS settings of a client of this fakecloud signing as `key`.
    pub fn sdk_config(&self, key: &str, secret: &str) -> aws_config::SdkConfig {
        sdk_config(&self.endpoint, key, secret)
    }

    /// A fakecloud whose clock `FakeClock` moves (libfaketime): it expires
    /// invitations 15 days after they are sent, by that clock.
    pub async fn start_with_clock() -> (Arc<Self>, FakeClock) {
        let path = std::env::temp_dir().join(format!("faketime-{}.rc", uuid::Uuid::new_v4()));
        let clock = FakeClock { path };
        clock.set("+0d");
        let env = clock.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let fakecloud = Self::start_with_env(&env).await;
        (fakecloud, clock)
    }

    /// An SDK client signing as `key` (fakecloud maps `test` to the management account).
    pub fn client(&self, key: &str, secret: &str) -> AwsClient {
        let conf = aws_sdk_organizations::Config::builder()
            .behavior_version(aws_sdk_organizations::config::BehaviorVersion::latest())
            .region(aws_sdk_organizations::config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new(key, secret, None, None, "tests"))
            .timeout_config(org_invites::aws::timeouts())
            .build();
        AwsClient::from_conf(conf)
    }

    pub fn management_client(&self) -> AwsClient {
        self.client("test", "test")
    }

    pub fn organizations(&self) -> Arc<dyn Organizations> {
        Arc::new(SdkOrganizations::from_config(
            &self.sdk_config("test", "test"),
            None,
        ))
    }

    /// EventBridge in the management account, through the service's SDK client.
    pub fn event_bus(&self) -> Arc<dyn EventBus> {
        Arc::new(SdkEventBus::from_config(
            &self.sdk_config("test", "test"),
            None,
        ))
    }

    /// Keys that act as `account_id`, to accept or decline.
    pub async fn member_client(&self, account_id: &str) -> AwsClient {
        let (key, secret) = self.member_keys(account_id).await;
        self.client(&key, &secret)
    }

    /// An access key and secret of an administrator of `account_id`.
    pub async fn member_keys(&self, account_id: &str) -> (String, String) {
        let body = format!(r#"{{"accountId":"{account_id}","userName":"admin"}}"#);
        let reply = self
            .http("POST", "/_fakecloud/iam/create-admin", &body)
            .await;
        let v: serde_json::Value = serde_json::from_str(&reply).expect("create-admin JSON");
        (
            v["accessKeyId"].as_str().expect("accessKeyId").to_string(),
            v["secretAccessKey"]
                .as_str()
                .expect("secretAccessKey")
                .to_string(),
        )
    }

    /// The invited account accepts `handshake_id`.
    pub async fn accept(&self, account_id: &str, handshake_id: &str) {
        self.member_client(account_id)
            .await
            .accept_handshake()
            .handshake_id(handshake_id)
            .send()
            .await
            .expect("the invited account accepts");
    }

    /// The invited account declines `handshake_id`.
    pub async fn decline(&self, account_id: &str, handshake_id: &str) {
        self.member_client(account_id)
            .await
            .decline_handshake()
            .handshake_id(handshake_id)
            .send()
            .await
            .expect("the invited account declines");
    }

    /// The INVITE handshakes AWS lists for `target_id`.
    pub async fn handshakes_for(
        &self,
        target_id: &str,
    ) -> Vec<aws_sdk_organizations::types::Handshake> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .management_client()
                .list_handshakes_for_organization()
                .set_next_token(token)
                .send()
                .await
                .expect("ListHandshakesForOrganization");
            out.extend(
                page.handshakes()
                    .iter()
                    .filter(|h| h.parties().iter().any(|p| p.id() == target_id))
                    .cloned(),
            );
            match page.next_token() {
                Some(t) => token = Some(t.to_string()),
                None => return out,
            }
        }
    }

    async fn http(&self, method: &str, path: &str, body: &str) -> String {
        self.http_with(method, path, &[("Content-Type", "application/json")], body)
            .await
    }

    /// One HTTP request to fakecloud, which must answer 200; its body.
    pub async fn http_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> String {
        let host = self.endpoint.trim_start_matches("http://").to_string();
        let mut stream = TcpStream::connect(&host)
            .await
            .expect("fakecloud reachable");
        let headers: String = headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{headers}\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).await.unwrap();
        let (head, body) = out.split_once("\r\n\r\n").expect("HTTP response");
        assert!(head.starts_with("HTTP/1.1 200"), "{path}: {head}");
        body.to_string()
    }
}

/// The clock of a fakecloud started with `start_with_clock`.
pub struct FakeClock {
    path: PathBuf,
}

impl FakeClock {
    /// What puts another process on this clock (libfaketime).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let lib = std::env::var("ORG_INVITES_TEST_FAKETIME_LIB")
            .expect("ORG_INVITES_TEST_FAKETIME_LIB is unset: run the tests with scripts/test.sh");
        vec![
            ("LD_PRELOAD", lib),
            ("FAKETIME_TIMESTAMP_FILE", self.path.display().to_string()),
            ("FAKETIME_NO_CACHE", "1".into()),
            ("FAKETIME_DONT_FAKE_MONOTONIC", "1".into()),
        ]
    }

    /// `+16d`: fakecloud's clock runs that far ahead of the real one.
    pub fn set(&self, offset: &str) {
        std::fs::write(&self.path, format!("{offset}\n")).unwrap();
    }
}

impl Drop for FakeClock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// AWS settings for `endpoint`, signing as `key`, in us-east-1.
pub fn sdk_config(endpoint: &str, key: &str, secret: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                key, secret, None, None, "tests",
            )),
        )
        .build()
}
