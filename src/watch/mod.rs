//! Fan-out of handshake changes to watchers on this replica. Changes reach
//! every replica through Postgres (`pg_notify` on commit, `LISTEN` here); the
//! hub re-reads `handshake_events` in order and broadcasts each one.
mod hub;
mod listener;

pub use hub::{Events, Hub};
pub use listener::run_listener;
