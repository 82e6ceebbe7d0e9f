//! `--no-verify-ssl`: TLS to the server without checking its certificate,
//! as the AWS CLI's option does. tonic's TLS settings always verify, so
//! this connection brings its own rustls connector.
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use rustls::{
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::{aws_lc_rs, verify_tls12_signature, verify_tls13_signature, CryptoProvider},
    pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer, ServerName, UnixTime},
    ClientConfig, DigitallySignedStruct, SignatureScheme,
};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tonic::transport::{Channel, Endpoint, Uri};

use super::{conn::unreachable_endpoint, exit::CliError, flags::ClientOptions};

/// What the AWS CLI's urllib3 warns, in our words: once per connection.
pub fn warning(endpoint: &str) -> String {
    format!(
        "warning: --no-verify-ssl: the certificate of {endpoint} is not verified; anyone \
         on the path can read and change this traffic. Use --ca-bundle instead."
    )
}

/// Accepts any certificate, but still checks that the server holds the
/// key of the one it showed (the handshake's signatures), so the session
/// is at least with whoever presented it.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn config(opts: &ClientOptions) -> Result<ClientConfig, CliError> {
    let provider = Arc::new(aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| CliError::Config(format!("TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)));
    let mut config = match (&opts.client_cert, &opts.client_key) {
        (Some(cert), Some(key)) => {
            let bad = |path: &std::path::Path, e: &dyn std::fmt::Display| {
                CliError::Config(format!("cannot read {}: {e}", path.display()))
            };
            let certs = CertificateDer::pem_file_iter(cert)
                .and_then(|i| i.collect::<Result<Vec<_>, _>>())
                .map_err(|e| bad(cert, &e))?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, &e))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| CliError::Config(format!("client certificate: {e}")))?
        }
        _ => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

/// An https:// `endpoint` made ready for `connect`: tonic refuses an
/// https:// URI without its own TLS, so the connector is handed the same
/// host and port as http://, while requests still name the https:// origin.
pub fn endpoint(e: Endpoint) -> Result<Endpoint, String> {
    let origin = e.uri().clone();
    let host = origin.host().unwrap_or_default();
    let port = origin.port_u16().unwrap_or(443);
    Ok(Endpoint::from_shared(format!("http://{host}:{port}"))
        .map_err(|e| e.to_string())?
        .origin(origin))
}

/// Connects to an `endpoint` (one made by `endpoint` above) through TLS
/// that takes any certificate.
pub async fn connect(e: Endpoint, opts: &ClientOptions) -> Result<Channel, CliError> {
    let origin = e.uri().clone();
    let host = origin.host().unwrap_or_default();
    // An IPv6 literal keeps its brackets in a URI, not in a server name.
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let server_name = ServerName::try_from(host.clone())
        .map_err(|err| CliError::Config(format!("Bad endpoint {:?}: {err}", opts.endpoint)))?;
    let tls = TlsConnector::from(Arc::new(config(opts)?));
    let connector = tower::service_fn(move |uri: Uri| {
        let (tls, server_name, host) = (tls.clone(), server_name.clone(), host.clone());
        async move {
            let port = uri.port_u16().unwrap_or(443);
            let tcp = TcpStream::connect((host.as_str(), port)).await?;
            let stream = tls.connect(server_name, tcp).await?;
            Ok::<_, std::io::Error>(TokioIo::new(stream))
        }
    });
    e.connect_with_connector(connector)
        .await
        .map_err(|err| unreachable_endpoint(&opts.endpoint, &err))
}
