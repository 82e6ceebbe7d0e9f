//! A span per RPC when traces are exported: it continues the caller's trace
//! (W3C `traceparent` in the gRPC metadata), names the method, and ends,
//! with the gRPC code, when the response body does. Handlers' and AWS
//! calls' spans are its children. Only names, never request values.
use http::{HeaderMap, Request};
use opentelemetry::propagation::Extractor;
use tonic::{body::Body, Status};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{Held, Policy};
use crate::grpc::methods;

#[derive(Clone)]
pub struct TracePolicy;

pub struct Traced(Span);

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

impl Policy for TracePolicy {
    type Hold = Traced;

    fn before(&self, req: &mut Request<Body>) -> Result<Option<Traced>, Status> {
        let path = req.uri().path();
        let (service, method) = path
            .trim_start_matches('/')
            .split_once('/')
            .unwrap_or(("", ""));
        let span = tracing::info_span!(
            "rpc",
            otel.name = methods::label(path),
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = service,
            rpc.method = method,
            rpc.grpc.status_code = tracing::field::Empty,
        );
        let parent =
            opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(req.headers())));
        let _ = span.set_parent(parent);
        Ok(Some(Traced(span)))
    }

    fn span(hold: &Traced) -> Option<&Span> {
        Some(&hold.0)
    }
}

impl Held for Traced {
    fn ended(&mut self, code: &'static str) {
        // The conventions' attribute is the code's number.
        if let Some(n) = super::CODES.iter().position(|c| *c == code) {
            self.0.record("rpc.grpc.status_code", n as i64);
        }
    }
}
