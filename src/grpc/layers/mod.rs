//! The tower layers in front of every service, outermost first: RPC
//! metrics, authentication, limits. Each is a `Policy`: it looks at a
//! request before any service does, may answer it at once with a status,
//! and may keep something (a guard, a timer) alive until the response body
//! ends, told the call's gRPC code when it does. The Layer/Service and body
//! plumbing is written once, here.
mod auth;
mod limits;
mod metrics;
mod trace;

pub use auth::AuthPolicy;
pub use limits::LimitsPolicy;
pub use metrics::RpcMetricsPolicy;
pub use trace::TracePolicy;

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use http::{HeaderMap, Request, Response};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tonic::{body::Body, Status};
use tower::{Layer, Service};
use tracing::{Instrument, Span};

/// What a layer does around each call.
pub trait Policy: Clone + Send + Sync + 'static {
    /// Kept until the response body is dropped.
    type Hold: Held;

    /// Before the call: `Err` answers it with that status and nothing
    /// further runs; `Ok(Some(hold))` keeps `hold` for the call's life.
    fn before(&self, req: &mut Request<Body>) -> Result<Option<Self::Hold>, Status>;

    /// A span the call runs in, if the hold has one.
    fn span(_hold: &Self::Hold) -> Option<&Span> {
        None
    }
}

/// Something kept for the life of one call.
pub trait Held: Send + Unpin + 'static {
    /// The call ended with this gRPC code (by name); called at most once.
    fn ended(&mut self, _code: &'static str) {}
}

impl Held for () {}

/// Any `Policy` as a tower layer.
#[derive(Clone)]
pub struct PolicyLayer<P>(pub P);

impl<S, P: Clone> Layer<S> for PolicyLayer<P> {
    type Service = PolicyService<S, P>;

    fn layer(&self, inner: S) -> Self::Service {
        PolicyService {
            inner,
            policy: self.0.clone(),
        }
    }
}

#[derive(Clone)]
pub struct PolicyService<S, P> {
    inner: S,
    policy: P,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, P> Service<Request<Body>> for PolicyService<S, P>
where
    S: Service<Request<Body>, Response = Response<Body>>,
    S::Future: Send + 'static,
    P: Policy,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<Body>) -> Self::Future {
        let hold = match self.policy.before(&mut req) {
            Ok(hold) => hold,
            Err(status) => return Box::pin(async move { Ok(status.into_http()) }),
        };
        let span = hold.as_ref().and_then(P::span).cloned();
        let fut = match &span {
            Some(span) => span.in_scope(|| self.inner.call(req)),
            None => self.inner.call(req),
        };
        let Some(hold) = hold else {
            return Box::pin(fut);
        };
        let answered = async move {
            let resp = fut.await?;
            // Trailers-only responses (most errors) carry the code in the headers.
            let code = code_in(resp.headers());
            Ok(resp.map(|inner| {
                let mut body = Holding {
                    inner,
                    hold,
                    ended: false,
                };
                if let Some(code) = code {
                    body.end(code);
                }
                Body::new(body)
            }))
        };
        match span {
            Some(span) => Box::pin(answered.instrument(span)),
            None => Box::pin(answered),
        }
    }
}

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

/// A response body that keeps its call's `Hold` until it is dropped: when
/// the stream ends or the client goes away.
struct Holding<H: Held> {
    inner: Body,
    hold: H,
    ended: bool,
}

impl<H: Held> Holding<H> {
    fn end(&mut self, code: &'static str) {
        if !self.ended {
            self.ended = true;
            self.hold.ended(code);
        }
    }
}

impl<H: Held> Drop for Holding<H> {
    fn drop(&mut self) {
        // The client went away before the call ended.
        self.end("CANCELLED");
    }
}

impl<H: Held> HttpBody for Holding<H> {
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
                    this.end(code);
                }
            }
            Poll::Ready(Some(Err(_))) => this.end("INTERNAL"),
            Poll::Ready(None) => this.end("OK"),
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
