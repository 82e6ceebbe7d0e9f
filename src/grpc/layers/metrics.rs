//! Counts every RPC by method and gRPC code and times it, from the request
//! to the end of its response body (so a stream counts when it ends).
use std::time::Instant;

use http::Request;
use tonic::{body::Body, Status};

use super::{Held, Policy};
use crate::{grpc::methods, metrics::Metrics};

#[derive(Clone)]
pub struct RpcMetricsPolicy(pub Metrics);

pub struct Timing {
    metrics: Metrics,
    method: String,
    started: Instant,
}

impl Policy for RpcMetricsPolicy {
    type Hold = Timing;

    fn before(&self, req: &mut Request<Body>) -> Result<Option<Timing>, Status> {
        Ok(Some(Timing {
            metrics: self.0.clone(),
            method: methods::label(req.uri().path()).to_string(),
            started: Instant::now(),
        }))
    }
}

impl Held for Timing {
    fn ended(&mut self, code: &'static str) {
        self.metrics.rpc(&self.method, code, self.started.elapsed());
    }
}
