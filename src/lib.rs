//! org-invites: invite AWS accounts into an AWS Organization over gRPC and
//! keep a lasting record of every invitation in Postgres.
//!
//! Rooms, lowest first; each uses only rooms below it: `proto`, `domain`,
//! `telemetry` < `metrics`, `auth`, `transport` < `store` < `aws` <
//! `service` < `watch`, `poller` < `grpc`, `http` < `startup`, `args`.
//! `client` is a client of the server and uses only `proto`.
pub mod args;
pub mod auth;
pub mod aws;
pub mod client;
pub mod domain;
pub mod grpc;
pub mod http;
pub mod metrics;
pub mod poller;
pub mod proto;
pub mod reconcile;
pub mod service;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod transport;
pub mod watch;
