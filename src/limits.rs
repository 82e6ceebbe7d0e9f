//! Limits that keep one caller from exhausting the server: request size,
//! streams per connection and per identity, keep-alive and idle timeouts.
//! The per-identity count and the per-connection call count live in this
//! tower layer, which sits inside the auth layer (it needs the identity).
use std::{
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use http::{Request, Response};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tonic::{body::Body, transport::server::TlsConnectInfo, Status};
use tower::{Layer, Service};

use crate::{
    auth::Identity,
    conn::{CallGuard, ConnInfo},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request message accepted, in bytes.
    pub max_request_bytes: usize,
    /// HTTP/2 streams (calls) one connection may have open at once.
    pub max_streams_per_connection: u32,
    /// Watch streams one authenticated identity may have open at once.
    pub max_streams_per_identity: usize,
    /// How often an HTTP/2 PING checks that a quiet peer is still there.
    pub keepalive_interval: Duration,
    /// How long a PING may go unanswered before the connection is closed.
    pub keepalive_timeout: Duration,
    /// A connection with no call in flight for this long is closed.
    pub idle_timeout: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // The largest valid InviteAccount (1024 notes characters, 50
            // tags of 128 + 256 characters, 4 UTF-8 bytes each) is ~80 KiB.
            max_request_bytes: 256 * 1024,
            max_streams_per_connection: 1000,
            max_streams_per_identity: 100,
            keepalive_interval: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(10),
            idle_timeout: Some(Duration::from_secs(300)),
        }
    }
}

/// Open watch streams per identity.
#[derive(Debug, Default)]
struct StreamCounts(Mutex<HashMap<String, usize>>);

struct StreamPermit {
    counts: Arc<StreamCounts>,
    name: String,
}

impl StreamCounts {
    fn try_acquire(self: &Arc<Self>, name: &str, max: usize) -> Option<StreamPermit> {
        let mut map = self.0.lock().expect("stream counts lock");
        let n = map.entry(name.to_string()).or_default();
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(StreamPermit {
            counts: self.clone(),
            name: name.to_string(),
        })
    }
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut map = self.counts.0.lock().expect("stream counts lock");
        if let Some(n) = map.get_mut(&self.name) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.name);
            }
        }
    }
}

fn is_watch(path: &str) -> bool {
    matches!(
        path,
        "/orginvites.v1.InvitationService/WatchHandshake"
            | "/orginvites.v1.InvitationService/WatchHandshakes"
    )
}

#[derive(Clone)]
pub struct LimitsLayer {
    max_streams_per_identity: usize,
    counts: Arc<StreamCounts>,
}

impl LimitsLayer {
    pub fn new(limits: Limits) -> Self {
        Self {
            max_streams_per_identity: limits.max_streams_per_identity,
            counts: Arc::default(),
        }
    }
}

impl<S> Layer<S> for LimitsLayer {
    type Service = LimitsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        LimitsService {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Clone)]
pub struct LimitsService<S> {
    inner: S,
    layer: LimitsLayer,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S> Service<Request<Body>> for LimitsService<S>
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
        let ext = req.extensions();
        let conn = ext
            .get::<ConnInfo>()
            .or_else(|| ext.get::<TlsConnectInfo<ConnInfo>>().map(|t| t.get_ref()));
        let call = conn.map(ConnInfo::begin_call);
        let mut permit = None;
        if is_watch(req.uri().path()) {
            // Anonymous callers (--insecure-no-auth) have no identity to count.
            if let Some(identity) = ext.get::<Identity>() {
                let max = self.layer.max_streams_per_identity;
                match self.layer.counts.try_acquire(&identity.name, max) {
                    Some(p) => permit = Some(p),
                    None => {
                        let status = Status::resource_exhausted(format!(
                            "{} already has {max} watch streams open (--max-streams-per-identity); \
                             close one or share a WatchHandshakes stream",
                            identity.name
                        ));
                        return Box::pin(async move { Ok(status.into_http()) });
                    }
                }
            }
        }
        let fut = self.inner.call(req);
        Box::pin(async move {
            let resp = fut.await?;
            Ok(resp.map(|inner| {
                Body::new(Guarded {
                    inner,
                    _call: call,
                    _permit: permit,
                })
            }))
        })
    }
}

/// A response body that holds the call's guards until it is dropped: when
/// the stream ends or the client goes away.
struct Guarded {
    inner: Body,
    _call: Option<CallGuard>,
    _permit: Option<StreamPermit>,
}

impl HttpBody for Guarded {
    type Data = bytes::Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_count_per_identity_and_free_on_drop() {
        let counts = Arc::new(StreamCounts::default());
        let a1 = counts.try_acquire("a", 2).unwrap();
        let _a2 = counts.try_acquire("a", 2).unwrap();
        assert!(counts.try_acquire("a", 2).is_none());
        let _b = counts
            .try_acquire("b", 2)
            .expect("another identity has its own count");
        drop(a1);
        assert!(counts.try_acquire("a", 2).is_some());
    }
}
