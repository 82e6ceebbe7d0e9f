//! Traces: the real binary exports over OTLP to a collector inside the
//! test. One InviteAccount sent with a W3C `traceparent` is one trace: the
//! RPC's span continues the caller's, the AWS call is inside it, and no
//! attribute carries notes or the invited account's id.
use std::{collections::HashMap, time::Duration};

use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        trace_service_server::{TraceService, TraceServiceServer},
        ExportTraceServiceRequest, ExportTraceServiceResponse,
    },
    common::v1::{any_value::Value, AnyValue},
    trace::v1::Span,
};
use org_invites::proto::v1::{self as pb, invitation_service_client::InvitationServiceClient};
use tokio::sync::mpsc;
use tonic::transport::{Identity, ServerTlsConfig};

use crate::{binary::ServerProcess, helpers::*};

/// A collector that hands every span it receives to the test.
struct Collector(mpsc::UnboundedSender<Span>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        for resource in request.into_inner().resource_spans {
            for scope in resource.scope_spans {
                for span in scope.spans {
                    let _ = self.0.send(span);
                }
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

/// A collector on a free port; over TLS with `identity` (its certificate and
/// key, PEM), else plaintext. Returns its endpoint URL.
pub async fn start_collector(
    identity: Option<(String, String)>,
) -> (String, mpsc::UnboundedReceiver<Span>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    let mut server = tonic::transport::Server::builder();
    let endpoint = match identity {
        Some((cert, key)) => {
            let tls = ServerTlsConfig::new().identity(Identity::from_pem(cert, key));
            server = server.tls_config(tls).unwrap();
            format!("https://localhost:{port}")
        }
        None => format!("http://127.0.0.1:{port}"),
    };
    tokio::spawn(
        server
            .add_service(TraceServiceServer::new(Collector(tx)))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    (endpoint, rx)
}

fn attr<'a>(span: &'a Span, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v: &AnyValue| v.value.as_ref())
}

fn text(v: &Value) -> String {
    match v {
        Value::StringValue(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

#[tokio::test]
async fn an_invite_with_a_traceparent_is_one_trace_with_its_aws_call_inside() {
    let (endpoint, mut spans) = start_collector(None).await;
    let server = ServerProcess::start(
        &["--insecure-no-auth"],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_SERVICE_NAME", "org-invites-test"),
        ],
    )
    .await;
    let _health = server.serving().await;
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let caller_span = &uuid::Uuid::new_v4().simple().to_string()[..16];
    let account = random_account_id();
    let mut req = tonic::Request::new(pb::InviteAccountRequest {
        notes: "notes-secret-trace".into(),
        ..invite_account(&account)
    });
    req.metadata_mut().insert(
        "traceparent",
        format!("00-{trace_id}-{caller_span}-01").parse().unwrap(),
    );
    InvitationServiceClient::new(server.channel().await)
        .invite_account(req)
        .await
        .expect("the invitation is sent");

    // Spans arrive in batches; gather this trace's until the AWS call's is in.
    let mut ours: Vec<Span> = Vec::new();
    let mut all: Vec<Span> = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(span) = spans.recv().await {
            all.push(span.clone());
            if hex(&span.trace_id) == trace_id {
                ours.push(span);
            }
            let aws_seen = ours.iter().any(|s| {
                attr(s, "rpc.method").map(text).as_deref() == Some("InviteAccountToOrganization")
            });
            let rpc_seen = ours
                .iter()
                .any(|s| attr(s, "rpc.system").map(text).as_deref() == Some("grpc"));
            if aws_seen && rpc_seen {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the trace's spans within 30 s; got {:#?}", ours));

    let by_id: HashMap<String, &Span> = ours.iter().map(|s| (hex(&s.span_id), s)).collect();
    let rpc = ours
        .iter()
        .find(|s| attr(s, "rpc.system").map(text).as_deref() == Some("grpc"))
        .unwrap();
    assert_eq!(rpc.name, "InviteAccount");
    assert_eq!(
        hex(&rpc.parent_span_id),
        caller_span,
        "continues the caller's span"
    );
    let aws = ours
        .iter()
        .find(|s| attr(s, "rpc.method").map(text).as_deref() == Some("InviteAccountToOrganization"))
        .unwrap();
    // Up the parents from the AWS call, within this trace, to the RPC.
    let mut at: &Span = aws;
    let mut inside = false;
    for _ in 0..10 {
        let parent = hex(&at.parent_span_id);
        if parent == hex(&rpc.span_id) {
            inside = true;
            break;
        }
        match by_id.get(&parent) {
            Some(p) => at = p,
            None => break,
        }
    }
    assert!(inside, "the AWS call is inside the RPC's span: {ours:#?}");

    // Nothing of the request's values in any attribute of any span.
    for span in &all {
        for kv in &span.attributes {
            let value = kv
                .value
                .as_ref()
                .and_then(|v| v.value.as_ref())
                .map(text)
                .unwrap_or_default();
            for secret in ["notes-secret-trace", account.as_str()] {
                assert!(
                    !value.contains(secret),
                    "{} = {value} in span {}",
                    kv.key,
                    span.name
                );
            }
        }
        for event in &span.events {
            for kv in &event.attributes {
                let value = kv
                    .value
                    .as_ref()
                    .and_then(|v| v.value.as_ref())
                    .map(text)
                    .unwrap_or_default();
                assert!(
                    !value.contains(account.as_str()),
                    "{value} in an event of {}",
                    span.name
                );
            }
        }
    }
    server.stop_and_read_log().await;
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn traces_reach_a_collector_over_tls_that_trusts_the_configured_ca() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (endpoint, mut spans) =
        start_collector(Some((cert.cert.pem(), cert.key_pair.serialize_pem()))).await;
    assert!(endpoint.starts_with("https://"), "{endpoint}");
    let ca = std::env::temp_dir().join(format!("otlp-ca-{}.pem", uuid::Uuid::new_v4()));
    std::fs::write(&ca, cert.cert.pem()).unwrap();
    let server = ServerProcess::start(
        &["--insecure-no-auth"],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.to_str().unwrap()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    )
    .await;
    let _health = server.serving().await;
    // The poller's sweeps are traces of their own: the first one's spans
    // arrive without any call from here.
    let span = tokio::time::timeout(Duration::from_secs(30), spans.recv())
        .await
        .expect("a span within 30 s over TLS")
        .expect("the collector runs");
    assert!(!span.name.is_empty());
    let log = server.stop_and_read_log().await;
    assert!(!log.contains("traces not exported"), "{log}");
    std::fs::remove_file(ca).ok();
}
