//! The gRPC edge: parse requests, call the service, map errors once.
pub mod convert;
mod server;
pub mod status;

pub use server::InvitationApi;
