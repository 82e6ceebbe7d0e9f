//! The binary's arguments: one clap struct per concern, each flag with its
//! environment variable, flattened into `serve`. These are the one source of
//! every setting's default; `startup::Settings` is built from them, and
//! tests start from the same defaults (`defaults`).
mod duration;
mod serve;

pub use duration::parse_duration;
pub use serve::{
    AuthArgs, BudgetArgs, DashboardArgs, DeliveryArgs, InvitationArgs, LimitsArgs, PollerArgs,
    ServeArgs, TlsArgs,
};

use clap::{Args, Parser, Subcommand};

use crate::telemetry::LogFormat;

#[derive(Debug, Parser)]
#[command(
    name = "org-invites",
    version,
    about = "Invite AWS accounts into an AWS Organization \
and follow each invitation, over gRPC.\n\n`serve` and `migrate` run the service; `invite`, `get`, \
`list`, `cancel`, `watch`, `watch-all`, `quota`, `campaign`, `subscriptions`, `deliveries` and the \
billing-transfer commands (`invite-organization-to-transfer-responsibility`, `describe-responsibility-transfer`, \
`list-inbound-responsibility-transfers`, `list-outbound-responsibility-transfers`, `terminate-responsibility-transfer`, \
`update-responsibility-transfer`, `accept-handshake`, `decline-handshake`, `watch-transfers`) are its client, \
with the AWS CLI's syntax and output.\n\n\
The server's AWS settings come from aws-config's standard chain: \
AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_ORGANIZATIONS), AWS_REGION (default us-east-1), \
AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and the rest."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log format: human-readable text or one JSON object per line.
    #[arg(long, env = "ORG_INVITES_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gRPC server (migrations are applied first).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DatabaseArgs),
    /// Client commands, with the AWS CLI's syntax and output.
    #[command(flatten)]
    Client(crate::client::ClientCommand),
}

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// Postgres URL, e.g. postgres://user@127.0.0.1:5432/org_invites.
    /// May hold a password, so its value is never shown in --help or logs.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
}

/// A group's values when no flag is given, ignoring the environment: what
/// `serve` would run with by default. Tests start from these.
pub fn defaults<T: Args + clap::FromArgMatches>() -> T {
    let mut cmd = T::augment_args(clap::Command::new("defaults"));
    let ids: Vec<clap::Id> = cmd.get_arguments().map(|a| a.get_id().clone()).collect();
    for id in ids {
        cmd = cmd.mut_arg(id, |a| a.env(None::<&str>));
    }
    let matches = cmd
        .try_get_matches_from(["defaults"])
        .expect("every flag of a settings group has a default or is optional");
    T::from_arg_matches(&matches).expect("defaults convert")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_defaults_to_the_documented_address() {
        let cli = Cli::try_parse_from([
            "org-invites",
            "serve",
            "--database-url",
            "postgres://x@127.0.0.1/db",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(args.listen.to_string(), "127.0.0.1:50051");
        assert_eq!(args.poller.poll_interval, Duration::from_secs(30));
    }

    #[test]
    fn group_defaults_are_the_flags_defaults() {
        let d: InvitationArgs = defaults();
        assert_eq!(d.invite_quota, 20);
        assert_eq!(d.invite_quota_window, Duration::from_secs(24 * 3600));
        let p: PollerArgs = defaults();
        assert_eq!(p.watched_poll_interval, Duration::from_secs(5));
        let l: LimitsArgs = defaults();
        assert_eq!(l.max_request_bytes, 256 * 1024);
    }
}
