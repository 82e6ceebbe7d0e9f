//! The limits that keep one caller from exhausting the server. Their
//! defaults are the `serve` flags' (`args`); the gRPC layers and the
//! connection handling enforce them.
use std::time::Duration;

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
