//! The gRPC edge: parse requests, call the service, map errors once.
pub mod convert;
mod router;
mod server;
pub mod status;
pub mod watch;

pub use router::InvitationRouter;
pub use watch::{decode_resume_token, decoded, encode_resume_token, watch_one, Watching};

pub use server::InvitationApi;
