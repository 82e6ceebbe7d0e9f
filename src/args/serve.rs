//! `serve`'s flags, grouped by concern; each group becomes the settings of
//! the part that uses it.
use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Args;

use super::{parse_duration, DatabaseArgs};
use crate::{
    auth::AuthSettings,
    aws::BudgetSettings,
    domain::InviteQuota,
    poller::PollerSettings,
    reconcile::delivery::DeliveryOptions,
    service::ServiceSettings,
    transport::{Limits, TlsSettings},
};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address the gRPC server listens on.
    #[arg(long, env = "ORG_INVITES_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// Also serve grpc.health.v1 (and nothing else) over plaintext on this
    /// address, for probes that cannot speak TLS (Kubernetes' gRPC probe).
    /// Not served when unset.
    #[arg(long, env = "ORG_INVITES_HEALTH_LISTEN")]
    pub health_listen: Option<SocketAddr>,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub poller: PollerArgs,
    #[command(flatten)]
    pub invitations: InvitationArgs,
    #[command(flatten)]
    pub budget: BudgetArgs,
    #[command(flatten)]
    pub auth: AuthArgs,
    #[command(flatten)]
    pub tls: TlsArgs,
    #[command(flatten)]
    pub dashboards: DashboardArgs,
    #[command(flatten)]
    pub limits: LimitsArgs,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
}

#[derive(Debug, Clone, Args)]
pub struct DeliveryArgs {
    /// Where recorded events are pushed: a YAML or JSON file of
    /// subscriptions (signed webhooks, EventBridge buses; see docs/events.md).
    /// Re-read when it changes; a bad file stops the start, and on reload
    /// the last good one stays in force. No delivery when unset.
    #[arg(long, env = "ORG_INVITES_SUBSCRIPTIONS_FILE")]
    pub subscriptions_file: Option<PathBuf>,
    /// The CloudEvents `source` of every event; unset:
    /// `urn:org-invites:<organization id>`.
    #[arg(long, env = "ORG_INVITES_EVENTS_SOURCE")]
    pub events_source: Option<String>,
    /// The delay before each attempt after the first, comma-separated
    /// (`2s,2s` is three attempts in all), each jittered by ±20%; after the
    /// last the delivery is DEAD.
    #[arg(long, env = "ORG_INVITES_DELIVERY_RETRY_SCHEDULE", value_delimiter = ',',
          default_value = "5s,30s,2m,10m,30m,1h,2h,4h,8h,12h,24h,24h", value_parser = parse_duration)]
    pub delivery_retry_schedule: Vec<Duration>,
}

impl From<DeliveryArgs> for DeliveryOptions {
    fn from(a: DeliveryArgs) -> Self {
        Self {
            subscriptions_file: a.subscriptions_file,
            events_source: a.events_source,
            retry_schedule: a.delivery_retry_schedule,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct PollerArgs {
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
    /// An open invitation this close to its expiry (AWS: 15 days after it
    /// was sent) gets one EXPIRING_SOON event.
    #[arg(long, env = "ORG_INVITES_EXPIRY_WARNING", default_value = "72h", value_parser = parse_duration)]
    pub expiry_warning: Duration,
    /// An open billing transfer invitation whose acceptance deadline (its
    /// start less 24 hours) is this close gets one DEADLINE_SOON event.
    #[arg(long, env = "ORG_INVITES_TRANSFER_DEADLINE_WARNING", default_value = "72h", value_parser = parse_duration)]
    pub transfer_deadline_warning: Duration,
}

impl From<PollerArgs> for PollerSettings {
    fn from(a: PollerArgs) -> Self {
        Self {
            interval: a.poll_interval,
            watched_interval: a.watched_poll_interval,
            event_retention: a.event_retention,
            expiry_warning: a.expiry_warning,
            transfer_deadline_warning: a.transfer_deadline_warning,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct InvitationArgs {
    /// How long an InviteAccount call may be in flight on any replica before
    /// its unfinished record is looked up in AWS. Keep it above the AWS
    /// operation timeout (30s).
    #[arg(long, env = "ORG_INVITES_INVITE_GRACE", default_value = "60s", value_parser = parse_duration)]
    pub invite_grace: Duration,
    /// Invitations allowed per --invite-quota-window (AWS: 20 a day per
    /// organization). Past it InviteAccount fails fast with RESOURCE_EXHAUSTED
    /// instead of spending an AWS call.
    #[arg(long, env = "ORG_INVITES_INVITE_QUOTA", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub invite_quota: u32,
    /// The window --invite-quota counts over.
    #[arg(long, env = "ORG_INVITES_INVITE_QUOTA_WINDOW", default_value = "24h", value_parser = parse_duration)]
    pub invite_quota_window: Duration,
}

impl From<InvitationArgs> for ServiceSettings {
    fn from(a: InvitationArgs) -> Self {
        Self {
            invite_grace: a.invite_grace,
            quota: InviteQuota {
                limit: a.invite_quota,
                window: a.invite_quota_window,
            },
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct BudgetArgs {
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
}

impl TryFrom<BudgetArgs> for BudgetSettings {
    type Error = String;

    fn try_from(a: BudgetArgs) -> Result<Self, String> {
        BudgetSettings::new(a.aws_max_wait, &a.aws_rates)
    }
}

#[derive(Debug, Clone, Args)]
pub struct AuthArgs {
    /// Who may call: one `ROLE NAME CREDENTIAL` per line, ROLE reader,
    /// inviter or admin; CREDENTIAL the SHA-256 hex of a bearer token
    /// (`printf %s "$TOKEN" | sha256sum`) or cn:NAME / san:NAME of a client
    /// certificate. Re-read when it changes. Without it (and without
    /// --insecure-no-auth) every RPC but health and reflection is refused.
    #[arg(long, env = "ORG_INVITES_AUTH_TOKENS_FILE")]
    pub auth_tokens_file: Option<PathBuf>,
    /// Turn authentication off: anyone who reaches the port may invite
    /// accounts. For local development only; the server warns at start.
    #[arg(long, env = "ORG_INVITES_INSECURE_NO_AUTH")]
    pub insecure_no_auth: bool,
}

impl From<AuthArgs> for AuthSettings {
    fn from(a: AuthArgs) -> Self {
        Self {
            identities_file: a.auth_tokens_file,
            insecure_no_auth: a.insecure_no_auth,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct TlsArgs {
    /// PEM certificate chain for TLS on the gRPC port (with --tls-key-file).
    /// Re-read on SIGHUP and when it changes; open streams carry on.
    #[arg(long, env = "ORG_INVITES_TLS_CERT_FILE", requires = "tls_key_file")]
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key of --tls-cert-file.
    #[arg(long, env = "ORG_INVITES_TLS_KEY_FILE", requires = "tls_cert_file")]
    pub tls_key_file: Option<PathBuf>,
    /// PEM CA certificates that sign client certificates (mTLS). Clients
    /// then authenticate with a certificate named in --auth-tokens-file
    /// (cn:NAME or san:NAME), or with a bearer token.
    #[arg(
        long,
        env = "ORG_INVITES_TLS_CLIENT_CA_FILE",
        requires = "tls_cert_file"
    )]
    pub tls_client_ca_file: Option<PathBuf>,
    /// Refuse TLS handshakes without a valid client certificate.
    #[arg(
        long,
        env = "ORG_INVITES_TLS_REQUIRE_CLIENT_CERT",
        requires = "tls_client_ca_file"
    )]
    pub tls_require_client_cert: bool,
}

impl From<TlsArgs> for Option<TlsSettings> {
    /// TLS when a certificate and key are given; plaintext otherwise.
    fn from(a: TlsArgs) -> Self {
        let (cert_file, key_file) = (a.tls_cert_file?, a.tls_key_file?);
        Some(TlsSettings {
            cert_file,
            key_file,
            client_ca_file: a.tls_client_ca_file,
            require_client_cert: a.tls_require_client_cert,
        })
    }
}

#[derive(Debug, Clone, Args)]
pub struct DashboardArgs {
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
}

#[derive(Debug, Clone, Args)]
pub struct LimitsArgs {
    /// Largest request message accepted, in bytes (the largest valid
    /// InviteAccount is about 80 KiB: 1024 notes characters and 50 tags of
    /// 128 + 256 characters, 4 UTF-8 bytes each).
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
}

impl From<LimitsArgs> for Limits {
    fn from(a: LimitsArgs) -> Self {
        Self {
            max_request_bytes: a.max_request_bytes,
            max_streams_per_connection: a.max_streams_per_connection,
            max_streams_per_identity: a.max_streams_per_identity,
            keepalive_interval: a.keepalive_interval,
            keepalive_timeout: a.keepalive_timeout,
            idle_timeout: (!a.idle_timeout.is_zero()).then_some(a.idle_timeout),
        }
    }
}
