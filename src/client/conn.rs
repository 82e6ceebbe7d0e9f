//! The gRPC connection: `--endpoint`, TLS (`insecure` for `--no-verify-ssl`),
//! the connect and read timeouts, and the `--debug` trace of each call on
//! stderr, with notes masked (`mask`).
use std::{fmt::Debug, future::Future, time::Duration};

use tonic::{
    metadata::AsciiMetadataValue,
    service::{interceptor::InterceptedService, Interceptor},
    transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity},
    Request, Response, Status,
};

use super::{exit::CliError, flags::ClientOptions, insecure, mask::Mask};
use crate::proto::v1::invitation_service_client::InvitationServiceClient;

pub type Client = InvitationServiceClient<InterceptedService<Channel, Bearer>>;

/// Adds `authorization: Bearer ...` to every call when a token is set.
#[derive(Clone)]
pub struct Bearer(Option<AsciiMetadataValue>);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

fn bearer(opts: &ClientOptions) -> Result<Bearer, CliError> {
    let Some(token) = &opts.token else {
        return Ok(Bearer(None));
    };
    let mut value: AsciiMetadataValue =
        format!("Bearer {}", token.trim()).parse().map_err(|_| {
            CliError::Config(
                "the token (--token or ORG_INVITES_TOKEN) must be printable ASCII".into(),
            )
        })?;
    value.set_sensitive(true);
    Ok(Bearer(Some(value)))
}

/// TLS settings for an https:// endpoint: the CA to trust and, for mTLS,
/// this client's certificate.
fn tls(opts: &ClientOptions) -> Result<ClientTlsConfig, CliError> {
    let read = |path: &std::path::Path| {
        std::fs::read(path)
            .map_err(|e| CliError::Config(format!("cannot read {}: {e}", path.display())))
    };
    let mut tls = ClientTlsConfig::new();
    if let Some(ca) = &opts.ca_file {
        tls = tls.ca_certificate(Certificate::from_pem(read(ca)?));
    }
    if let (Some(cert), Some(key)) = (&opts.client_cert, &opts.client_key) {
        tls = tls.identity(Identity::from_pem(read(cert)?, read(key)?));
    }
    Ok(tls)
}

pub struct Conn {
    client: Client,
    endpoint: String,
    read_timeout: Option<Duration>,
    pub debug: bool,
}

fn seconds(n: u64) -> Option<Duration> {
    (n > 0).then(|| Duration::from_secs(n))
}

/// Where to connect, checked before anything is sent: a bad endpoint is a
/// configuration error (253).
pub fn endpoint(opts: &ClientOptions) -> Result<Endpoint, CliError> {
    let bad = |why: String| {
        CliError::Config(format!(
            "Bad endpoint {:?} (--endpoint or ORG_INVITES_ENDPOINT): {why}",
            opts.endpoint
        ))
    };
    let e = Endpoint::from_shared(opts.endpoint.clone()).map_err(|e| bad(e.to_string()))?;
    let e = match e.uri().scheme_str() {
        Some("http") => e,
        Some("https") if opts.no_verify_ssl => insecure::endpoint(e).map_err(bad)?,
        Some("https") => e
            .tls_config(tls(opts)?)
            .map_err(|err| bad(err.to_string()))?,
        _ => return Err(bad("it must start with http:// or https://".into())),
    };
    Ok(match seconds(opts.cli_connect_timeout) {
        Some(t) => e.connect_timeout(t),
        None => e,
    })
}

pub async fn connect(opts: &ClientOptions) -> Result<Conn, CliError> {
    let e = endpoint(opts)?;
    trace(opts.debug, format_args!("connecting to {}", opts.endpoint));
    let channel = if opts.no_verify_ssl && is_https(opts) {
        eprintln!("{}", insecure::warning(&opts.endpoint));
        insecure::connect(e, opts).await?
    } else {
        e.connect()
            .await
            .map_err(|err| unreachable_endpoint(&opts.endpoint, &err))?
    };
    trace(opts.debug, format_args!("connected to {}", opts.endpoint));
    Ok(Conn {
        client: InvitationServiceClient::with_interceptor(channel, bearer(opts)?),
        endpoint: opts.endpoint.clone(),
        read_timeout: seconds(opts.cli_read_timeout),
        debug: opts.debug,
    })
}

fn is_https(opts: &ClientOptions) -> bool {
    opts.endpoint
        .parse::<tonic::transport::Uri>()
        .is_ok_and(|u| u.scheme_str() == Some("https"))
}

/// The error when nothing answers at `endpoint`, with its causes.
pub fn unreachable_endpoint(endpoint: &str, err: &dyn std::error::Error) -> CliError {
    CliError::Other(format!(
        "Could not connect to the endpoint URL: \"{endpoint}\" ({})",
        chain(err)
    ))
}

/// A connection made only when first used (tests of what a command does
/// with the server's answers).
#[cfg(test)]
pub fn unconnected(endpoint: &'static str) -> Conn {
    let channel = Endpoint::from_static(endpoint).connect_lazy();
    Conn {
        client: InvitationServiceClient::with_interceptor(channel, Bearer(None)),
        endpoint: endpoint.to_string(),
        read_timeout: None,
        debug: false,
    }
}

/// An error and its causes, `a: b: c`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        // hyper and tonic often repeat their cause's words.
        if !parts.last().is_some_and(|p| p.ends_with(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// One line on stderr when `--debug` is on.
pub fn trace(debug: bool, message: std::fmt::Arguments<'_>) {
    if debug {
        let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ");
        eprintln!("{now} DEBUG org_invites::client: {message}");
    }
}

impl Conn {
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// A unary call, with the read timeout and the debug trace.
    pub async fn call<Req, Resp, F, Fut>(
        &self,
        operation: &'static str,
        request: Req,
        f: F,
    ) -> Result<Resp, CliError>
    where
        Req: Debug + Mask + Clone,
        Resp: Debug + Mask + Clone,
        F: FnOnce(Client, Req) -> Fut,
        Fut: Future<Output = Result<Response<Resp>, Status>>,
    {
        trace(
            self.debug,
            format_args!("{operation} request: {:?}", request.masked()),
        );
        let started = std::time::Instant::now();
        let result = self.with_read_timeout(f(self.client(), request)).await?;
        let elapsed = started.elapsed();
        match result {
            Ok(resp) => {
                trace(
                    self.debug,
                    format_args!(
                        "{operation} response after {elapsed:?}: headers {:?}, body {:?}",
                        resp.metadata(),
                        resp.get_ref().masked()
                    ),
                );
                Ok(resp.into_inner())
            }
            Err(status) => {
                self.trace_status(operation, &status);
                Err(CliError::service(operation, status))
            }
        }
    }

    pub fn trace_status(&self, operation: &str, status: &Status) {
        trace(
            self.debug,
            format_args!(
                "{operation} failed: code {:?}, message {:?}, metadata {:?}, {} bytes of details",
                status.code(),
                status.message(),
                status.metadata(),
                status.details().len()
            ),
        );
    }

    pub async fn with_read_timeout<T>(&self, fut: impl Future<Output = T>) -> Result<T, CliError> {
        match self.read_timeout {
            None => Ok(fut.await),
            Some(t) => tokio::time::timeout(t, fut).await.map_err(|_| {
                CliError::Other(format!(
                    "Read timeout on endpoint URL: \"{}\" (no answer in {}s; see --cli-read-timeout)",
                    self.endpoint,
                    t.as_secs()
                ))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::output::Color;

    fn client_options() -> ClientOptions {
        ClientOptions {
            endpoint: "http://127.0.0.1:50051".into(),
            output: None,
            query: None,
            color: Color::Off,
            no_cli_pager: true,
            debug: false,
            cli_connect_timeout: 60,
            cli_read_timeout: 60,
            token: None,
            ca_file: None,
            client_cert: None,
            client_key: None,
            no_verify_ssl: false,
            no_paginate: false,
            prompt: crate::client::flags::PromptOptions {
                cli_auto_prompt: false,
                no_cli_auto_prompt: false,
            },
            ignored: crate::client::flags::IgnoredOptions {
                profile: None,
                region: None,
                no_sign_request: false,
                cli_binary_format: None,
            },
        }
    }

    #[test]
    fn an_endpoint_without_a_scheme_is_a_config_error() {
        let mut opts = client_options();
        opts.endpoint = "127.0.0.1:50051".into();
        assert!(matches!(endpoint(&opts), Err(CliError::Config(_))));
        opts.endpoint = "http://[::1".into();
        assert!(matches!(endpoint(&opts), Err(CliError::Config(_))));
        opts.endpoint = "http://127.0.0.1:50051".into();
        assert!(endpoint(&opts).is_ok());
    }
}
