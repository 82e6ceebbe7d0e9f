//! Every setting, as one clap struct: flags, each with an environment variable.
use std::{net::SocketAddr, time::Duration};

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "org-invites",
    version,
    about = "Invite AWS accounts into an AWS Organization \
and follow each invitation, over gRPC.\n\n`serve` and `migrate` run the service; `invite`, `get`, \
`list`, `cancel`, `watch` and `watch-all` are its client, with the AWS CLI's syntax and output.\n\n\
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
    Client(crate::cli::ClientCommand),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// Postgres URL, e.g. postgres://user@127.0.0.1:5432/org_invites.
    /// May hold a password, so its value is never shown in --help or logs.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address the gRPC server listens on.
    #[arg(long, env = "ORG_INVITES_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// How often the polling replica sweeps AWS for changes (e.g. 30s, 2m).
    /// A sweep also follows every InviteAccount and CancelHandshake.
    #[arg(long, env = "ORG_INVITES_POLL_INTERVAL", default_value = "30s", value_parser = parse_duration)]
    pub poll_interval: Duration,
    /// How often it sweeps while someone watches (WatchHandshake/WatchHandshakes).
    #[arg(long, env = "ORG_INVITES_WATCHED_POLL_INTERVAL", default_value = "5s", value_parser = parse_duration)]
    pub watched_poll_interval: Duration,
    /// How long WatchHandshakes can replay: events older than this are
    /// pruned (hourly) and resume tokens before them get OUT_OF_RANGE.
    /// Handshakes and their state history are kept forever.
    #[arg(long, env = "ORG_INVITES_EVENT_RETENTION", default_value = "90d", value_parser = parse_duration)]
    pub event_retention: Duration,
    /// How long an InviteAccount call may be in flight on any replica before
    /// its unfinished record is looked up in AWS. Keep it above the AWS
    /// operation timeout (30s).
    #[arg(long, env = "ORG_INVITES_INVITE_GRACE", default_value = "60s", value_parser = parse_duration)]
    pub invite_grace: Duration,
    /// Override AWS's published request rate for an operation, as
    /// OPERATION=PER_SECOND/BURST (repeat, or comma-separate in the
    /// environment). Defaults: InviteAccountToOrganization=3/5,
    /// DescribeHandshake=1/2, ListHandshakesForOrganization=5/8,
    /// CancelHandshake=2/3. The budget is shared by every replica through
    /// Postgres, so give each replica the same values.
    #[arg(
        long = "aws-rate",
        env = "ORG_INVITES_AWS_RATES",
        value_delimiter = ',',
        value_name = "OPERATION=RATE/BURST"
    )]
    pub aws_rates: Vec<String>,
    /// How long a call waits for its turn in the AWS request budget before
    /// it fails with RESOURCE_EXHAUSTED and RetryInfo.
    #[arg(long, env = "ORG_INVITES_AWS_MAX_WAIT", default_value = "5s", value_parser = parse_duration)]
    pub aws_max_wait: Duration,
    /// Invitations allowed per --invite-quota-window (AWS: 20 a day per
    /// organization). Past it InviteAccount fails fast with RESOURCE_EXHAUSTED
    /// instead of spending an AWS call.
    #[arg(long, env = "ORG_INVITES_INVITE_QUOTA", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub invite_quota: u32,
    /// The window --invite-quota counts over.
    #[arg(long, env = "ORG_INVITES_INVITE_QUOTA_WINDOW", default_value = "24h", value_parser = parse_duration)]
    pub invite_quota_window: Duration,
    /// Who may call: one `ROLE NAME CREDENTIAL` per line, ROLE reader,
    /// inviter or admin; CREDENTIAL the SHA-256 hex of a bearer token
    /// (`printf %s "$TOKEN" | sha256sum`) or cn:NAME / san:NAME of a client
    /// certificate. Re-read when it changes. Without it (and without
    /// --insecure-no-auth) every RPC but health and reflection is refused.
    #[arg(long, env = "ORG_INVITES_AUTH_TOKENS_FILE")]
    pub auth_tokens_file: Option<std::path::PathBuf>,
    /// PEM certificate chain for TLS on the gRPC port (with --tls-key-file).
    /// Re-read on SIGHUP and when it changes; open streams carry on.
    #[arg(long, env = "ORG_INVITES_TLS_CERT_FILE", requires = "tls_key_file")]
    pub tls_cert_file: Option<std::path::PathBuf>,
    /// PEM private key of --tls-cert-file.
    #[arg(long, env = "ORG_INVITES_TLS_KEY_FILE", requires = "tls_cert_file")]
    pub tls_key_file: Option<std::path::PathBuf>,
    /// PEM CA certificates that sign client certificates (mTLS). Clients
    /// then authenticate with a certificate named in --auth-tokens-file
    /// (cn:NAME or san:NAME), or with a bearer token.
    #[arg(
        long,
        env = "ORG_INVITES_TLS_CLIENT_CA_FILE",
        requires = "tls_cert_file"
    )]
    pub tls_client_ca_file: Option<std::path::PathBuf>,
    /// Refuse TLS handshakes without a valid client certificate.
    #[arg(
        long,
        env = "ORG_INVITES_TLS_REQUIRE_CLIENT_CERT",
        requires = "tls_client_ca_file"
    )]
    pub tls_require_client_cert: bool,
    /// Where the status page (`/`) and Prometheus metrics (`/metrics`) are
    /// served, e.g. 127.0.0.1:9464. They need no credentials: bind an
    /// internal address. Not served when unset.
    #[arg(long = "metrics-listen", env = "ORG_INVITES_METRICS_LISTEN")]
    pub http_listen: Option<SocketAddr>,
    /// Browser origins (e.g. https://dash.example.com) allowed to call the
    /// gRPC port with gRPC-Web; comma-separated in the environment. Calls
    /// still need credentials like any client.
    #[arg(
        long = "cors-allowed-origin",
        env = "ORG_INVITES_CORS_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_allowed_origins: Vec<String>,
    /// Largest request message accepted, in bytes (the largest valid
    /// InviteAccount is about 80 KiB).
    #[arg(long, env = "ORG_INVITES_MAX_REQUEST_BYTES", default_value_t = 256 * 1024)]
    pub max_request_bytes: usize,
    /// Calls (HTTP/2 streams) one connection may have open at once.
    #[arg(
        long,
        env = "ORG_INVITES_MAX_STREAMS_PER_CONNECTION",
        default_value_t = 1000
    )]
    pub max_streams_per_connection: u32,
    /// Watch streams one authenticated identity may have open at once.
    #[arg(
        long,
        env = "ORG_INVITES_MAX_STREAMS_PER_IDENTITY",
        default_value_t = 100
    )]
    pub max_streams_per_identity: usize,
    /// How often an HTTP/2 PING checks that a quiet client is still there.
    #[arg(long, env = "ORG_INVITES_KEEPALIVE_INTERVAL", default_value = "30s", value_parser = parse_duration)]
    pub keepalive_interval: Duration,
    /// How long a PING may go unanswered before the connection is closed.
    #[arg(long, env = "ORG_INVITES_KEEPALIVE_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub keepalive_timeout: Duration,
    /// A connection with no call in flight for this long is closed; 0 never.
    #[arg(long, env = "ORG_INVITES_IDLE_TIMEOUT", default_value = "5m", value_parser = parse_duration)]
    pub idle_timeout: Duration,
    /// Turn authentication off: anyone who reaches the port may invite
    /// accounts. For local development only; the server warns at start.
    #[arg(long, env = "ORG_INVITES_INSECURE_NO_AUTH")]
    pub insecure_no_auth: bool,
}

/// `250ms`, `30s`, `5m`, `1h`, `90d`; a bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 30s, 500ms, 5m or 1h"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "" | "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        "d" => Ok(Duration::from_secs(n * 86400)),
        _ => Err(format!(
            "{s:?}: unknown unit {unit:?} (use ms, s, m, h or d)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_duration("5w").is_err());
    }

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
        assert_eq!(args.poll_interval, Duration::from_secs(30));
    }
}
