//! Limits that keep one caller from exhausting the server, in front of
//! every call: watch streams per identity (the method table says which
//! methods stream), and the count of calls in flight on each connection
//! that the idle timeout reads. Sits inside the auth layer: it needs the
//! identity.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use http::Request;
use tonic::{body::Body, transport::server::TlsConnectInfo, Status};

use super::{Held, Policy};
use crate::{
    auth::Identity,
    grpc::methods::{self, Access},
    transport::{CallGuard, ConnInfo, Limits},
};

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

#[derive(Clone)]
pub struct LimitsPolicy {
    max_streams_per_identity: usize,
    counts: Arc<StreamCounts>,
}

impl LimitsPolicy {
    pub fn new(limits: &Limits) -> Self {
        Self {
            max_streams_per_identity: limits.max_streams_per_identity,
            counts: Arc::default(),
        }
    }
}

/// What a call holds while its response body is open.
pub struct Guards {
    _call: Option<CallGuard>,
    _permit: Option<StreamPermit>,
}

impl Held for Guards {}

impl Policy for LimitsPolicy {
    type Hold = Guards;

    fn before(&self, req: &mut Request<Body>) -> Result<Option<Guards>, Status> {
        let ext = req.extensions();
        let conn = ext
            .get::<ConnInfo>()
            .or_else(|| ext.get::<TlsConnectInfo<ConnInfo>>().map(|t| t.get_ref()));
        let call = conn.map(ConnInfo::begin_call);
        let streams = matches!(methods::access(req.uri().path()), Access::Method(m) if m.streams);
        let mut permit = None;
        // Anonymous callers (--insecure-no-auth) have no identity to count.
        if let (true, Some(identity)) = (streams, ext.get::<Identity>()) {
            let max = self.max_streams_per_identity;
            match self.counts.try_acquire(&identity.name, max) {
                Some(p) => permit = Some(p),
                None => {
                    return Err(Status::resource_exhausted(format!(
                        "{} already has {max} watch streams open (--max-streams-per-identity); \
                         close one or share a WatchHandshakes stream",
                        identity.name
                    )))
                }
            }
        }
        Ok(Some(Guards {
            _call: call,
            _permit: permit,
        }))
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
