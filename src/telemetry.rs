//! Logging, and traces over OTLP. Handlers log ids and outcomes only; notes
//! and party ids are never passed to a log macro or a span field (their
//! Debug impls redact them too), so neither logs nor traces carry them.
//!
//! Traces are configured by OpenTelemetry's standard variables only
//! (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
//! `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`, `OTEL_EXPORTER_OTLP_CERTIFICATE`,
//! ...): off when no endpoint is set, exported over gRPC (TLS unless the
//! endpoint is `http://`) in batches, flushed at shutdown.
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithTonicConfig as _;
use opentelemetry_sdk::{propagation::TraceContextPropagator, trace::SdkTracerProvider, Resource};
use tonic::transport::{Certificate, ClientTlsConfig, Identity};
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Whether spans are exported: the gRPC edge adds its per-RPC spans only
/// then (they cost a body wrapper per call).
static EXPORTING: AtomicBool = AtomicBool::new(false);

pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// Flushes what traces are buffered when the process ends.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            if let Err(e) = provider.shutdown() {
                tracing::warn!(error = %e, "could not flush the last traces");
            }
        }
    }
}

/// Installs the global logger (and, when an OTLP endpoint is set, the
/// trace exporter). Call once, inside the tokio runtime.
pub fn init(format: LogFormat) -> Telemetry {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = fmt::layer().with_writer(std::io::stderr);
    let logs: Box<dyn Layer<_> + Send + Sync> = match format {
        LogFormat::Text => Box::new(logs),
        LogFormat::Json => Box::new(logs.json().flatten_event(true)),
    };
    let provider = otlp_endpoint_set().then(tracer_provider).flatten();
    let traces = provider
        .as_ref()
        .map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("org-invites")));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(logs)
        .with(traces)
        .try_init();
    if provider.is_some() {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        EXPORTING.store(true, Ordering::Relaxed);
        tracing::info!("exporting traces over OTLP");
    }
    Telemetry { provider }
}

fn otlp_endpoint_set() -> bool {
    otlp_setting("ENDPOINT").is_some()
        && std::env::var("OTEL_TRACES_EXPORTER").map_or(true, |e| e != "none")
}

fn tracer_provider() -> Option<SdkTracerProvider> {
    let tls = match otlp_tls(otlp_setting) {
        Ok(tls) => tls,
        Err(e) => {
            eprintln!("org-invites: traces not exported: {e}");
            return None;
        }
    };
    let mut builder = opentelemetry_otlp::SpanExporter::builder().with_tonic();
    if let Some(tls) = tls {
        builder = builder.with_tls_config(tls);
    }
    let exporter = match builder.build() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("org-invites: traces not exported: {e}");
            return None;
        }
    };
    let mut resource = Resource::builder();
    if std::env::var("OTEL_SERVICE_NAME").is_err() {
        resource = resource.with_service_name("org-invites");
    }
    Some(
        SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource.build())
            .build(),
    )
}

/// A traces exporter setting: its `OTEL_EXPORTER_OTLP_TRACES_` form, else
/// the general `OTEL_EXPORTER_OTLP_` one, as the OTLP exporter spec orders.
fn otlp_setting(name: &str) -> Option<String> {
    [
        format!("OTEL_EXPORTER_OTLP_TRACES_{name}"),
        format!("OTEL_EXPORTER_OTLP_{name}"),
    ]
    .iter()
    .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
}

/// TLS for the collector, unless its endpoint is plaintext (`http://`, or
/// no scheme with `..._INSECURE=true`): trusting the CA in `..._CERTIFICATE`
/// (PEM), else the system's roots; presenting `..._CLIENT_CERTIFICATE` and
/// `..._CLIENT_KEY` when a collector asks for a client certificate.
fn otlp_tls(
    otlp_setting: impl Fn(&str) -> Option<String>,
) -> Result<Option<ClientTlsConfig>, String> {
    let endpoint = otlp_setting("ENDPOINT").unwrap_or_default();
    let plaintext = match endpoint.trim().split_once("://") {
        Some((scheme, _)) => !scheme.eq_ignore_ascii_case("https"),
        None => otlp_setting("INSECURE").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
    };
    if plaintext {
        return Ok(None);
    }
    let client = match (
        otlp_setting("CLIENT_CERTIFICATE"),
        otlp_setting("CLIENT_KEY"),
    ) {
        (Some(cert), Some(key)) => Some((cert, key)),
        (None, None) => None,
        _ => {
            return Err("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and _CLIENT_KEY go together".into())
        }
    };
    let read = |path: &str| std::fs::read(path).map_err(|e| format!("{path}: {e}"));
    let mut tls = match otlp_setting("CERTIFICATE") {
        Some(ca) => ClientTlsConfig::new().ca_certificate(Certificate::from_pem(read(&ca)?)),
        None => ClientTlsConfig::new().with_native_roots(),
    };
    if let Some((cert, key)) = client {
        tls = tls.identity(Identity::from_pem(read(&cert)?, read(&key)?));
    }
    Ok(Some(tls))
}

#[cfg(test)]
mod tests {
    use super::otlp_tls;

    fn tls_for(settings: &[(&str, &str)]) -> Result<bool, String> {
        otlp_tls(|name: &str| {
            settings
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
        .map(|tls| tls.is_some())
    }

    #[test]
    fn tls_unless_the_endpoint_is_plaintext() {
        assert_eq!(tls_for(&[("ENDPOINT", "http://collector:4317")]), Ok(false));
        assert_eq!(tls_for(&[("ENDPOINT", "https://collector:4317")]), Ok(true));
        // No scheme: TLS, as the OTLP spec says, unless INSECURE.
        assert_eq!(tls_for(&[("ENDPOINT", "collector:4317")]), Ok(true));
        let insecure = [("ENDPOINT", "collector:4317"), ("INSECURE", "true")];
        assert_eq!(tls_for(&insecure), Ok(false));
    }

    #[test]
    fn a_client_certificate_needs_its_key_and_files_must_read() {
        let half = [
            ("ENDPOINT", "https://c:4317"),
            ("CLIENT_CERTIFICATE", "/c.pem"),
        ];
        assert!(tls_for(&half).unwrap_err().contains("go together"));
        let missing = [
            ("ENDPOINT", "https://c:4317"),
            ("CERTIFICATE", "/nonexistent/ca.pem"),
        ];
        assert!(tls_for(&missing)
            .unwrap_err()
            .contains("/nonexistent/ca.pem"));
    }
}
