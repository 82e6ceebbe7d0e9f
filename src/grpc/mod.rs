//! The gRPC edge: parse requests, call the service, map errors once.
pub mod convert;
mod server;
pub mod status;
pub mod watch;

pub use watch::{decode_resume_token, encode_resume_token, watch_one};

pub use server::InvitationApi;
