//! CORS for browsers calling the gRPC port with gRPC-Web.
use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::BoxError;

/// CORS for gRPC-Web callers from these origins; None (same-origin only)
/// when the list is empty.
pub fn cors_layer(origins: &[String]) -> Result<Option<CorsLayer>, BoxError> {
    if origins.is_empty() {
        return Ok(None);
    }
    let origins = origins
        .iter()
        .map(|o| {
            HeaderValue::from_str(o.trim())
                .map_err(|_| -> BoxError { format!("{o:?} is not a valid CORS origin").into() })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let headers = [
        "authorization",
        "content-type",
        "x-grpc-web",
        "x-user-agent",
        "grpc-timeout",
    ];
    let exposed = ["grpc-status", "grpc-message", "grpc-status-details-bin"];
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::POST, Method::OPTIONS])
            .allow_headers(headers.map(HeaderName::from_static))
            .expose_headers(exposed.map(HeaderName::from_static))
            .max_age(Duration::from_secs(600)),
    ))
}
