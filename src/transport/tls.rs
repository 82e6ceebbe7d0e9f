//! TLS for the gRPC port: rustls with the certificate and key from files,
//! optionally verifying client certificates against a CA (mTLS). The files
//! are re-read on SIGHUP and whenever they change; new connections get the
//! new configuration, open connections and their streams carry on.
use std::{
    io,
    path::PathBuf,
    sync::{Arc, RwLock},
    time::Duration,
};

use rustls::{
    crypto::aws_lc_rs,
    server::{ServerConfig, WebPkiClientVerifier},
    RootCertStore,
};
use rustls_pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{server::TlsStream, TlsAcceptor};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;
use tracing::{debug, error, info};

use super::conn::{self, Conn};

/// How often the files are compared with what is loaded.
const RELOAD_EVERY: Duration = Duration::from_secs(1);
/// A client that has not finished its handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct TlsSettings {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    /// Verify client certificates against these CAs (mTLS).
    pub client_ca_file: Option<PathBuf>,
    /// Refuse the TLS handshake without a valid client certificate; without
    /// this a client may still authenticate with a bearer token.
    pub require_client_cert: bool,
}

/// The configuration in force, swapped whole on reload.
#[derive(Clone)]
pub struct Tls {
    settings: TlsSettings,
    current: Arc<RwLock<Arc<ServerConfig>>>,
}

impl Tls {
    /// Loads the files once; a missing or bad file stops start-up.
    pub fn load(settings: TlsSettings) -> Result<Self, String> {
        let config = build(&settings)?;
        Ok(Self {
            settings,
            current: Arc::new(RwLock::new(Arc::new(config))),
        })
    }

    fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.current.read().expect("tls lock").clone())
    }

    fn files(&self) -> Vec<Option<Vec<u8>>> {
        let s = &self.settings;
        [
            Some(&s.cert_file),
            Some(&s.key_file),
            s.client_ca_file.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(|p| std::fs::read(p).ok())
        .collect()
    }

    fn reload(&self, why: &str) {
        match build(&self.settings) {
            Ok(config) => {
                *self.current.write().expect("tls lock") = Arc::new(config);
                info!(why, "TLS certificate reloaded");
            }
            Err(e) => {
                error!(why, error = %e, "TLS certificate not reloaded; keeping the previous one")
            }
        }
    }

    /// Reloads on SIGHUP and when any of the files changes.
    pub async fn watch(self, stop: CancellationToken) {
        #[cfg(unix)]
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        let mut last = self.files();
        loop {
            #[cfg(unix)]
            let hangup = async {
                match hup.as_mut() {
                    Some(s) => s.recv().await,
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let hangup = std::future::pending::<Option<()>>();
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = hangup => {
                    last = self.files();
                    self.reload("SIGHUP");
                }
                _ = tokio::time::sleep(RELOAD_EVERY) => {
                    let now = self.files();
                    if now != last {
                        last = now;
                        self.reload("files changed");
                    }
                }
            }
        }
    }

    /// TLS connections accepted on `listener`. Handshakes run concurrently
    /// so a slow client delays nobody; failed ones are logged and dropped.
    pub fn incoming(
        self,
        listener: TcpListener,
        idle_timeout: Option<Duration>,
        stop: CancellationToken,
    ) -> ReceiverStream<io::Result<TlsStream<Conn<TcpStream>>>> {
        conn::incoming(listener, idle_timeout, stop, move |tcp| {
            let acceptor = self.acceptor();
            async move {
                let peer = tcp.connect_info().remote_addr;
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => Some(stream),
                    Ok(Err(e)) => {
                        debug!(?peer, error = %e, "TLS handshake failed");
                        None
                    }
                    Err(_) => {
                        debug!(?peer, "TLS handshake timed out");
                        None
                    }
                }
            }
        })
    }
}

fn build(s: &TlsSettings) -> Result<ServerConfig, String> {
    let provider = Arc::new(aws_lc_rs::default_provider());
    let certs = CertificateDer::pem_file_iter(&s.cert_file)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("TLS certificate {}: {e}", s.cert_file.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "TLS certificate {}: no certificate in it",
            s.cert_file.display()
        ));
    }
    // The key's path is named, never its contents.
    let key = PrivateKeyDer::from_pem_file(&s.key_file)
        .map_err(|e| format!("TLS key {}: {e}", s.key_file.display()))?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = match &s.client_ca_file {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(ca)
                .and_then(|i| i.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("client CA {}: {e}", ca.display()))?
            {
                roots
                    .add(cert)
                    .map_err(|e| format!("client CA {}: {e}", ca.display()))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = if s.require_client_cert {
                verifier
            } else {
                verifier.allow_unauthenticated()
            };
            builder.with_client_cert_verifier(verifier.build().map_err(|e| e.to_string())?)
        }
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| format!("TLS certificate and key: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}
