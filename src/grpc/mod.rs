//! The gRPC edge: parse requests into domain values, call the service or
//! the watch engine, map the answers to proto and the errors to statuses
//! (once, in `status`). The method table and the layers in front of every
//! call live here too.
mod campaigns;
mod cloudevent;
mod convert;
mod deliveries;
pub mod layers;
pub mod methods;
mod parse;
mod server;
pub mod status;
mod transfers;
mod watch;

pub use cloudevent::CloudEvents;
pub use server::InvitationApi;
