//! TLS on the gRPC port: server certificate, client certificates (mTLS)
//! mapped to identities, and reload without dropping open streams.
use std::{path::Path, path::PathBuf, time::Duration};

use org_invites::{
    auth::{token_line, AuthSettings, Role},
    proto::v1::{self as pb, invitation_service_client::InvitationServiceClient},
    transport::TlsSettings,
};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use tonic::{
    transport::{Certificate, Channel, ClientTlsConfig, Identity},
    Code,
};
use tonic_health::pb::{health_client::HealthClient, HealthCheckRequest};

use crate::{
    auth::{invite_as, Token},
    helpers::*,
};

/// A CA that signs a server certificate for 127.0.0.1 and client certificates.
pub(crate) struct Pki {
    dir: PathBuf,
    ca: rcgen::Certificate,
    ca_key: KeyPair,
}

impl Pki {
    fn new(dir: &Path, name: &str) -> Self {
        let ca_key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} test CA"));
        let ca = params.self_signed(&ca_key).unwrap();
        std::fs::write(dir.join(format!("{name}-ca.pem")), ca.pem()).unwrap();
        Self {
            dir: dir.to_path_buf(),
            ca,
            ca_key,
        }
    }

    fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// Writes `<file>.pem` and `<file>.key` for a leaf with these names.
    fn leaf(&self, file: &str, cn: &str, sans: &[&str]) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        let cert = params.signed_by(&key, &self.ca, &self.ca_key).unwrap();
        let (c, k) = (
            self.dir.join(format!("{file}.pem")),
            self.dir.join(format!("{file}.key")),
        );
        std::fs::write(&c, cert.pem()).unwrap();
        std::fs::write(&k, key.serialize_pem()).unwrap();
        (c, k)
    }
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A TLS server with a server CA and a client CA in a fresh directory,
/// migrated and SERVING.
pub(crate) struct TlsStack {
    pub dir: PathBuf,
    pub servers: Pki,
    pub clients: Pki,
    pub app: TestApp,
}

impl TlsStack {
    pub async fn start(require_client_cert: bool) -> Self {
        let dir = temp_dir();
        let (servers, clients) = (Pki::new(&dir, "servers"), Pki::new(&dir, "clients"));
        let app = spawn_tls(&dir, &servers, require_client_cert).await;
        // With a client certificate, so a server that requires one answers too.
        let (cert, key) = clients.leaf("ready-check", "ready-check", &[]);
        let ch = channel(&app, &servers.ca_pem(), Some((&cert, &key)))
            .await
            .expect("a TLS connection");
        wait_serving(ch).await;
        Self {
            dir,
            servers,
            clients,
            app,
        }
    }
}

async fn spawn_tls(dir: &Path, pki: &Pki, require_client_cert: bool) -> TestApp {
    spawn_tls_with(dir, pki, require_client_cert, false).await
}

async fn spawn_tls_with(
    dir: &Path,
    pki: &Pki,
    require_client_cert: bool,
    health_listen: bool,
) -> TestApp {
    let (cert_file, key_file) = pki.leaf("server", "org-invites", &["localhost", "127.0.0.1"]);
    let identities = dir.join("identities");
    std::fs::write(
        &identities,
        format!(
            "{}\ninviter deployer cn:deployer.example\nreader dashboard san:spiffe://example/dashboard\n",
            token_line(Role::Reader, "dashboards", "reader-token")
        ),
    )
    .unwrap();
    spawn_app_with(
        fresh_database().await,
        AppOptions {
            auth: AuthSettings {
                identities_file: Some(identities),
                insecure_no_auth: false,
            },
            tls: Some(TlsSettings {
                cert_file,
                key_file,
                client_ca_file: Some(dir.join("clients-ca.pem")),
                require_client_cert,
            }),
            wait_serving: false,
            health_listen,
            ..AppOptions::default()
        },
    )
    .await
}

/// Waits until the server reports SERVING (migrations ran), over TLS.
async fn wait_serving(ch: Channel) {
    let mut stream = HealthClient::new(ch)
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health watch over TLS")
        .into_inner();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(msg) = stream.message().await.expect("health stream") {
            if msg.status == 1 {
                return;
            }
        }
    })
    .await
    .expect("SERVING within 30 s");
}

async fn channel(
    app: &TestApp,
    ca_pem: &str,
    client: Option<(&Path, &Path)>,
) -> Result<Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca_pem))
        .domain_name("localhost");
    if let Some((cert, key)) = client {
        tls = tls.identity(Identity::from_pem(
            std::fs::read(cert).unwrap(),
            std::fs::read(key).unwrap(),
        ));
    }
    Channel::from_shared(format!("https://127.0.0.1:{}", app.addr.port()))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
}

/// True when no call gets through: the connection or the first call fails.
async fn refused(ch: Result<Channel, tonic::transport::Error>) -> bool {
    match ch {
        Err(_) => true,
        Ok(ch) => HealthClient::new(ch)
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .is_err(),
    }
}

fn client(ch: Channel, token: Option<&str>) -> crate::auth::AuthedClient {
    InvitationServiceClient::with_interceptor(ch, Token(token.map(str::to_string)))
}

#[tokio::test]
async fn tls_serves_tokens_and_client_certificates_and_refuses_plaintext() {
    let TlsStack {
        servers,
        clients,
        app,
        ..
    } = TlsStack::start(false).await;
    let ch = channel(&app, &servers.ca_pem(), None)
        .await
        .expect("TLS handshake without a client cert");
    let status = HealthClient::new(ch.clone())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health over TLS");
    assert!(status.into_inner().status >= 1);
    client(ch.clone(), Some("reader-token"))
        .list_handshakes(pb::ListHandshakesRequest::default())
        .await
        .expect("a token over TLS");
    let err = client(ch, None)
        .list_handshakes(pb::ListHandshakesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);

    // A client certificate whose CN is on the allow-list is that identity.
    let (cert, key) = clients.leaf("deployer", "deployer.example", &[]);
    let ch = channel(&app, &servers.ca_pem(), Some((&cert, &key)))
        .await
        .expect("mTLS handshake");
    let h = invite_as(&mut client(ch, None)).await;
    assert_eq!(h.requested_by, "deployer");
    // By SAN, with the reader role.
    let (cert, key) = clients.leaf("dash", "someone", &["spiffe://example/dashboard"]);
    let mut dash = client(
        channel(&app, &servers.ca_pem(), Some((&cert, &key)))
            .await
            .unwrap(),
        None,
    );
    dash.list_handshakes(pb::ListHandshakesRequest::default())
        .await
        .expect("the SAN identity reads");
    let err = dash
        .invite_account(invite_account(&random_account_id()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    // Signed by the CA but not on the list.
    let (cert, key) = clients.leaf("stranger", "stranger.example", &[]);
    let err = client(
        channel(&app, &servers.ca_pem(), Some((&cert, &key)))
            .await
            .unwrap(),
        None,
    )
    .list_handshakes(pb::ListHandshakesRequest::default())
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);

    // Plaintext gRPC to a TLS port fails.
    let plain = Channel::from_shared(format!("http://{}", app.addr))
        .unwrap()
        .connect()
        .await;
    let refused = refused(plain).await;
    assert!(refused, "a plaintext call must not succeed");
}

#[tokio::test]
async fn a_required_client_certificate_is_checked_in_the_tls_handshake() {
    let TlsStack {
        dir,
        servers,
        clients,
        app,
    } = TlsStack::start(true).await;
    let without = refused(channel(&app, &servers.ca_pem(), None).await).await;
    assert!(without, "no client certificate, no connection");
    let rogue = Pki::new(&dir, "rogue");
    let (cert, key) = rogue.leaf("rogue-deployer", "deployer.example", &[]);
    let rogue_refused = refused(channel(&app, &servers.ca_pem(), Some((&cert, &key))).await).await;
    assert!(rogue_refused, "a certificate from another CA is refused");
    let (cert, key) = clients.leaf("deployer", "deployer.example", &[]);
    let ch = channel(&app, &servers.ca_pem(), Some((&cert, &key)))
        .await
        .expect("with the client certificate");
    client(ch, None)
        .list_handshakes(pb::ListHandshakesRequest::default())
        .await
        .expect("mTLS identity");
}

#[tokio::test]
async fn a_new_certificate_is_served_without_dropping_open_streams() {
    let TlsStack {
        dir,
        servers,
        clients,
        app,
    } = TlsStack::start(false).await;
    let old = channel(&app, &servers.ca_pem(), None).await.unwrap();
    let mut reader = client(old.clone(), Some("reader-token"));
    // Open a stream on the old certificate's connection.
    let (cert, key) = clients.leaf("deployer", "deployer.example", &[]);
    let mut deployer = client(
        channel(&app, &servers.ca_pem(), Some((&cert, &key)))
            .await
            .unwrap(),
        None,
    );
    let h = invite_as(&mut deployer).await;
    let mut events = reader
        .watch_handshake(pb::WatchHandshakeRequest { id: h.id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        state_of(&next_event(&mut events).await.unwrap()),
        pb::HandshakeState::Open
    );

    // Rotate to a certificate from a new CA: files change, the server reloads.
    let renewed = Pki::new(&dir, "renewed");
    let (c, k) = renewed.leaf("server-next", "org-invites", &["localhost", "127.0.0.1"]);
    std::fs::copy(&k, dir.join("server.key")).unwrap();
    std::fs::copy(&c, dir.join("server.pem")).unwrap();
    let fresh = eventually(
        Duration::from_secs(15),
        "the new certificate to be served",
        || async {
            let ch = channel(&app, &renewed.ca_pem(), None)
                .await
                .map_err(|e| format!("{e:?}"))?;
            HealthClient::new(ch.clone())
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .map_err(|e| format!("{e:?}"))?;
            Ok::<_, String>(ch)
        },
    )
    .await;
    // The stream opened before the reload still delivers.
    deployer
        .cancel_handshake(pb::CancelHandshakeRequest { id: h.id.clone() })
        .await
        .expect("cancel");
    let last = next_event(&mut events)
        .await
        .expect("the old stream is still open");
    assert_eq!(state_of(&last), pb::HandshakeState::Canceled);
    client(fresh, Some("reader-token"))
        .get_handshake(pb::GetHandshakeRequest { id: h.id })
        .await
        .expect("the new connection works");
}

#[tokio::test]
async fn the_cli_speaks_https_with_a_ca_file_a_token_and_a_client_certificate() {
    let TlsStack {
        dir,
        servers: _,
        clients,
        app,
    } = TlsStack::start(false).await;
    let endpoint = format!("https://localhost:{}", app.addr.port());
    let ca = dir.join("servers-ca.pem");
    let run = |args: Vec<String>| async move {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_org-invites"))
            .args(&args)
            .env_remove("ORG_INVITES_TOKEN")
            .output()
            .await
            .unwrap()
    };
    let base = |cmd: &str| {
        vec![
            cmd.to_string(),
            "--endpoint".into(),
            endpoint.clone(),
            "--ca-file".into(),
            ca.display().to_string(),
        ]
    };

    let mut args = base("list");
    args.extend(["--token".into(), "reader-token".into()]);
    let out = run(args).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Handshakes"));

    let (cert, key) = clients.leaf("deployer", "deployer.example", &[]);
    let mut args = base("invite");
    args.extend([
        "--target".into(),
        format!("Id={},Type=ACCOUNT", random_account_id()),
        "--client-cert".into(),
        cert.display().to_string(),
        "--client-key".into(),
        key.display().to_string(),
    ]);
    let out = run(args).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"State\": \"OPEN\""));

    // Without the CA the server's certificate is not trusted.
    let out = run(vec![
        "list".into(),
        "--endpoint".into(),
        endpoint.clone(),
        "--token".into(),
        "reader-token".into(),
    ])
    .await;
    assert_ne!(out.status.code(), Some(0));
}

/// With TLS on the API port (and client certificates required), probes
/// that speak only plaintext gRPC reach health on --health-listen, which
/// serves nothing else.
#[tokio::test]
async fn plaintext_health_is_served_on_its_own_port_beside_tls() {
    let dir = std::env::temp_dir().join(format!("tls-health-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let pki = Pki::new(&dir, "servers");
    Pki::new(&dir, "clients");
    let app = spawn_tls_with(&dir, &pki, true, true).await;
    let health = Channel::from_shared(format!("http://{}", app.health_addr.unwrap()))
        .unwrap()
        .connect()
        .await
        .expect("plaintext connects to the health port");
    let mut watch = HealthClient::new(health.clone())
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health over plaintext")
        .into_inner();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(msg) = watch.message().await.unwrap() {
            if msg.status == 1 {
                return;
            }
        }
    })
    .await
    .expect("SERVING on the plaintext health port");
    let err = client(health, None)
        .list_handshakes(pb::ListHandshakesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::Unimplemented,
        "only health there: {err:?}"
    );
    let plain_api = Channel::from_shared(format!("http://{}", app.addr))
        .unwrap()
        .connect()
        .await;
    let refused = match plain_api {
        Err(_) => true,
        Ok(ch) => HealthClient::new(ch)
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .is_err(),
    };
    assert!(refused, "the API port still speaks TLS only");
}
