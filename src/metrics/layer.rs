//! Counts every RPC by method and gRPC code and times it, from the request
//! to the end of its response body (so a stream counts when it ends).
use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Instant,
};

use http::{HeaderMap, Request, Response};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tonic::{body::Body, Status};
use tower::{Layer, Service};

use super::{MethodCode, MethodLabel, Metrics};

const CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

fn code_in(headers: &HeaderMap) -> Option<&'static str> {
    let n: usize = headers.get("grpc-status")?.to_str().ok()?.parse().ok()?;
    Some(CODES.get(n).copied().unwrap_or("UNKNOWN"))
}

#[derive(Clone)]
pub struct RpcMetricsLayer {
    metrics: Metrics,
}

impl RpcMetricsLayer {
    pub fn new(metrics: Metrics) -> Self {
        Self { metrics }
    }
}

impl<S> Layer<S> for RpcMetricsLayer {
    type Service = RpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcMetrics {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

#[derive(Clone)]
pub struct RpcMetrics<S> {
    inner: S,
    metrics: Metrics,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S> Service<Request<Body>> for RpcMetrics<S>
where
    S: Service<Request<Body>, Response = Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        // `/package.Service/Method` → `Method` for this service, else `Service/Method`.
        let path = req.uri().path();
        let method = path
            .strip_prefix("/orginvites.v1.InvitationService/")
            .unwrap_or_else(|| path.trim_start_matches('/'))
            .to_string();
        let (metrics, started) = (self.metrics.clone(), Instant::now());
        let fut = self.inner.call(req);
        Box::pin(async move {
            let resp = fut.await?;
            let mut recorder = Recorder {
                metrics,
                method,
                started,
                done: false,
            };
            // Trailers-only responses (most errors) carry the code in the headers.
            if let Some(code) = code_in(resp.headers()) {
                recorder.finish(code);
            }
            Ok(resp.map(|inner| Body::new(Recorded { inner, recorder })))
        })
    }
}

struct Recorder {
    metrics: Metrics,
    method: String,
    started: Instant,
    done: bool,
}

impl Recorder {
    fn finish(&mut self, code: &str) {
        if self.done {
            return;
        }
        self.done = true;
        self.metrics
            .rpcs
            .get_or_create(&MethodCode {
                method: self.method.clone(),
                code: code.into(),
            })
            .inc();
        self.metrics
            .rpc_seconds
            .get_or_create(&MethodLabel {
                method: self.method.clone(),
            })
            .observe(self.started.elapsed().as_secs_f64());
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        // The client went away before the call ended.
        self.finish("CANCELLED");
    }
}

struct Recorded {
    inner: Body,
    recorder: Recorder,
}

impl HttpBody for Recorded {
    type Data = bytes::Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(code_in) {
                    this.recorder.finish(code);
                }
            }
            Poll::Ready(Some(Err(_))) => this.recorder.finish("INTERNAL"),
            Poll::Ready(None) => this.recorder.finish("OK"),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
