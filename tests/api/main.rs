//! Integration tests: the real server on port 0, a fresh database each, the
//! real SDK against fakecloud. Run through `scripts/test.sh`, which starts
//! Postgres and fakecloud and exports their addresses.
mod auth;
mod binary;
mod budget;
mod cancel;
mod cli;
mod cli_options;
mod cli_skeleton;
mod dashboards;
mod devsh;
mod docs;
mod due;
mod failover;
mod health;
mod helm;
mod helpers;
mod invite;
mod leave;
mod lifecycle;
mod limits;
mod list;
mod logs;
mod onboarding;
mod org;
mod plans;
mod poller;
mod process;
mod quota;
mod record;
mod repair;
mod replicas;
mod stored;
mod tls;
mod traces;
mod upgrades;
mod watch;
