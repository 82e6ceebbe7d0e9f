//! Connections to the gRPC port: accepted plainly or over TLS (reloaded
//! without dropping streams), each counting its calls in flight so an idle
//! one can be closed, and the limits that bound them.
mod conn;
mod limits;
mod tls;

pub use conn::{incoming, CallGuard, Conn, ConnInfo};
pub use limits::Limits;
pub use tls::{Tls, TlsSettings};
