//! org-invites: invite AWS accounts into an AWS Organization over gRPC and
//! keep a lasting record of every invitation in Postgres.
pub mod auth;
pub mod aws;
pub mod cli;
pub mod config;
pub mod conn;
pub mod domain;
pub mod grpc;
pub mod http;
pub mod limits;
pub mod metrics;
pub mod poller;
pub mod proto;
pub mod service;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod watch;
