//! The client subcommands' flags (the server's own are in `crate::args`),
//! named as the AWS CLI names them.
use clap::{Args, Subcommand, ValueEnum};

use super::output::{Color, Format};

mod campaign;
mod delivery;
mod spec;
mod transfer;
pub use campaign::{
    CampaignCancelArgs, CampaignCommand, CampaignCreateArgs, CampaignIdArgs, CampaignListArgs,
    CampaignTargetsArgs,
};
pub use delivery::{
    DeliveriesCommand, DeliveriesListArgs, RedeliverArgs, SubscriptionIdArgs, SubscriptionsCommand,
    SubscriptionsListArgs,
};
pub use spec::{PagingArgs, SpecFlags};
pub use transfer::{
    HandshakeIdArgs, InviteTransferArgs, ListTransfersArgs, TerminateTransferArgs, TransferCommand,
    TransferIdArgs, UpdateTransferArgs, WatchTransfersArgs,
};

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Invite an account (`aws organizations invite-account-to-organization`).
    Invite(InviteArgs),
    /// Show a recorded handshake (`describe-handshake`).
    Get(IdArgs),
    /// List recorded handshakes, newest first, following every page.
    List(ListArgs),
    /// Cancel an open handshake (`cancel-handshake`).
    Cancel(IdArgs),
    /// Print a handshake, then each change, until it is ACCEPTED, DECLINED,
    /// CANCELED or EXPIRED (exit 0, 3, 4, 5) and, when it has an onboarding,
    /// until that is COMPLETE (0) or FAILED (6). An expired handshake that
    /// is renewed is followed to its renewal.
    Watch(IdArgs),
    /// Print every change in the organization as it happens.
    WatchAll(WatchAllArgs),
    /// Show the daily invitation quota and the account slots invitations hold.
    Quota(QuotaArgs),
    /// Invite many accounts at once, sent as the daily quota allows, and
    /// follow each to the end: create, get, list, targets, pause, resume,
    /// cancel, watch.
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// Where recorded events are pushed (webhooks, EventBridge): list,
    /// enable.
    #[command(subcommand)]
    Subscriptions(SubscriptionsCommand),
    /// Each event's delivery to a subscription: list, redeliver.
    #[command(subcommand)]
    Deliveries(DeliveriesCommand),
    /// Billing transfers between organizations, by the AWS CLI's names.
    #[command(flatten)]
    Transfer(TransferCommand),
}

impl ClientCommand {
    /// The subcommand's name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Invite(_) => "invite",
            Self::Get(_) => "get",
            Self::List(_) => "list",
            Self::Cancel(_) => "cancel",
            Self::Watch(_) => "watch",
            Self::WatchAll(_) => "watch-all",
            Self::Quota(_) => "quota",
            Self::Campaign(c) => c.name(),
            Self::Subscriptions(c) => c.name(),
            Self::Deliveries(c) => c.name(),
            Self::Transfer(c) => c.name(),
        }
    }

    pub fn client(&self) -> &ClientOptions {
        match self {
            Self::Invite(a) => &a.client,
            Self::Get(a) | Self::Cancel(a) | Self::Watch(a) => &a.client,
            Self::List(a) => &a.client,
            Self::WatchAll(a) => &a.client,
            Self::Quota(a) => &a.client,
            Self::Campaign(c) => c.client(),
            Self::Subscriptions(c) => c.client(),
            Self::Deliveries(c) => c.client(),
            Self::Transfer(c) => c.client(),
        }
    }
}

/// Flags every client subcommand has.
#[derive(Debug, Args)]
pub struct ClientOptions {
    /// The org-invites server.
    #[arg(
        long,
        visible_alias = "endpoint-url",
        env = "ORG_INVITES_ENDPOINT",
        default_value = "http://127.0.0.1:50051"
    )]
    pub endpoint: String,
    /// Output format (default json, or ORG_INVITES_OUTPUT).
    #[arg(long, value_enum)]
    pub output: Option<Format>,
    /// A JMESPath query applied to the output, e.g. Handshake.Id.
    #[arg(long)]
    pub query: Option<String>,
    /// Colour in table output (auto: when stdout is a terminal and NO_COLOR is unset).
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Do not page output through ORG_INVITES_PAGER / PAGER / less.
    #[arg(long)]
    pub no_cli_pager: bool,
    /// Trace each request and response to stderr (notes masked).
    #[arg(long)]
    pub debug: bool,
    /// Seconds to wait for a connection; 0 waits forever.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub cli_connect_timeout: u64,
    /// Seconds to wait for a response; 0 waits forever. Watches wait on
    /// changes for as long as it takes.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub cli_read_timeout: u64,
    /// Bearer token sent with every call (the server's identities file
    /// holds its SHA-256). Never printed, not even by --debug.
    #[arg(long, env = "ORG_INVITES_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// PEM CA certificate(s) that sign the server's certificate (https://).
    #[arg(
        long,
        visible_alias = "ca-bundle",
        env = "ORG_INVITES_CA_FILE",
        value_name = "PEM"
    )]
    pub ca_file: Option<std::path::PathBuf>,
    /// Do not verify the server's certificate (https://): for a test
    /// server only, as anyone on the path could then read and change the
    /// traffic. A warning says so on stderr.
    #[arg(long)]
    pub no_verify_ssl: bool,
    /// PEM client certificate for mTLS (with --client-key).
    #[arg(
        long,
        env = "ORG_INVITES_CLIENT_CERT",
        value_name = "PEM",
        requires = "client_key"
    )]
    pub client_cert: Option<std::path::PathBuf>,
    /// PEM private key of --client-cert.
    #[arg(
        long,
        env = "ORG_INVITES_CLIENT_KEY",
        value_name = "PEM",
        requires = "client_cert"
    )]
    pub client_key: Option<std::path::PathBuf>,
    /// Only the first page of a list (one call), with a NextToken to go
    /// on from; commands that are not lists have one page anyway.
    #[arg(long)]
    pub no_paginate: bool,
    #[command(flatten)]
    pub prompt: PromptOptions,
    #[command(flatten)]
    pub ignored: IgnoredOptions,
}

/// `--cli-auto-prompt` and `--no-cli-auto-prompt`.
#[derive(Debug, Args)]
pub struct PromptOptions {
    /// Ask on the terminal for each parameter not given, showing its help;
    /// an empty answer leaves it out. Needs a terminal.
    #[arg(
        long,
        env = "ORG_INVITES_CLI_AUTO_PROMPT",
        overrides_with = "no_cli_auto_prompt"
    )]
    pub cli_auto_prompt: bool,
    /// Do not prompt, even when ORG_INVITES_CLI_AUTO_PROMPT says to.
    #[arg(long, overrides_with = "cli_auto_prompt")]
    pub no_cli_auto_prompt: bool,
}

/// The AWS CLI's global options that mean nothing to org-invites, taken
/// so that a command copied from the AWS CLI's page runs as written; each
/// given is named in a note on stderr.
#[derive(Debug, Args)]
#[command(next_help_heading = "AWS CLI options accepted and ignored")]
pub struct IgnoredOptions {
    /// Ignored: the server holds the AWS credentials.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Ignored: the server chooses the AWS Region.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Ignored: calls carry --token or a client certificate, not a signature.
    #[arg(long)]
    pub no_sign_request: bool,
    /// Ignored: no parameter here is a binary blob.
    #[arg(long, value_name = "FORMAT")]
    pub cli_binary_format: Option<String>,
}

impl IgnoredOptions {
    /// One line for each option given: which, and why it is ignored (its
    /// help, so the reason is written once).
    pub fn notes(&self) -> Vec<String> {
        let given = [
            ("profile", self.profile.is_some()),
            ("region", self.region.is_some()),
            ("no_sign_request", self.no_sign_request),
            ("cli_binary_format", self.cli_binary_format.is_some()),
        ];
        let options = Self::augment_args(clap::Command::new("ignored"));
        given
            .into_iter()
            .filter(|(_, on)| *on)
            .filter_map(|(id, _)| options.get_arguments().find(|a| a.get_id() == id))
            .map(|a| {
                let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
                let why = help.trim_start_matches("Ignored: ").trim_end_matches('.');
                format!(
                    "note: --{} is ignored: {why}",
                    a.get_long().unwrap_or_default()
                )
            })
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Skeleton {
    Input,
    YamlInput,
    Output,
}

/// `--cli-input-json`, `--cli-input-yaml`, `--generate-cli-skeleton`.
#[derive(Debug, Args)]
pub struct InputOptions {
    /// Parameters as JSON (or file://path), as --generate-cli-skeleton prints
    /// them; command-line values override them.
    #[arg(long, value_name = "JSON", conflicts_with = "cli_input_yaml")]
    pub cli_input_json: Option<String>,
    /// Parameters as YAML (or file://path).
    #[arg(long, value_name = "YAML")]
    pub cli_input_yaml: Option<String>,
    /// Print a sample input (input, yaml-input) or output (output) and send nothing.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "input")]
    pub generate_cli_skeleton: Option<Skeleton>,
}

#[derive(Debug, Args)]
pub struct InviteArgs {
    /// The account to invite: Id=123456789012,Type=ACCOUNT,
    /// Id=diego@example.com,Type=EMAIL, JSON '{"Type": "EMAIL", "Id": "..."}',
    /// or file://path.
    #[arg(long, allow_hyphen_values = true)]
    pub target: Option<String>,
    #[command(flatten)]
    pub spec: SpecFlags,
    /// Makes retries safe: the same id returns the same handshake and sends
    /// nothing new. A fresh one is made when none is given.
    #[arg(long)]
    pub request_id: Option<String>,
    /// Wait until the handshake is ACCEPTED (exit 0), DECLINED (3),
    /// CANCELED (4) or EXPIRED (5), printing each change; with onboarding,
    /// until that is COMPLETE (0) or FAILED (6). An expired invitation that
    /// is renewed is followed to its renewal.
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The handshake id, h-...
    #[arg(value_name = "ID")]
    pub id: Option<String>,
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only handshakes in these states (OPEN, ACCEPTED, ...); repeat or
    /// separate with commas.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub state: Option<Vec<String>>,
    /// Only handshakes whose target id (account id or email) is exactly this.
    #[arg(long)]
    pub target: Option<String>,
    /// Only handshakes a campaign sent or adopted (c-...).
    #[arg(long, value_name = "ID")]
    pub campaign_id: Option<String>,
    #[command(flatten)]
    pub paging: PagingArgs,
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}

#[derive(Debug, Args)]
pub struct WatchAllArgs {
    /// Replay every change after this ResumeToken (from an earlier event),
    /// then go on live.
    #[arg(long)]
    pub resume_token: Option<String>,
    /// Only changes into these states; repeat or separate with commas.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub state: Option<Vec<String>>,
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}

#[derive(Debug, Args)]
pub struct QuotaArgs {
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Argv {
        #[command(subcommand)]
        cmd: ClientCommand,
    }

    fn client(argv: &[&str]) -> ClientOptions {
        let argv = ["org-invites"].iter().chain(argv);
        match Argv::try_parse_from(argv).unwrap().cmd {
            ClientCommand::List(a) => a.client,
            _ => unreachable!("a list command line"),
        }
    }

    #[test]
    fn the_aws_clis_names_are_ours() {
        let c = client(&[
            "list",
            "--endpoint-url",
            "https://h:1",
            "--ca-bundle",
            "ca.pem",
        ]);
        assert_eq!(c.endpoint, "https://h:1");
        assert_eq!(c.ca_file, Some("ca.pem".into()));
    }

    #[test]
    fn each_ignored_option_given_has_one_note_saying_why() {
        assert!(client(&["list"]).ignored.notes().is_empty());
        let c = client(&[
            "list",
            "--profile",
            "p",
            "--region",
            "eu-west-1",
            "--no-sign-request",
            "--cli-binary-format",
            "base64",
        ]);
        assert_eq!(
            c.ignored.notes(),
            [
                "note: --profile is ignored: the server holds the AWS credentials",
                "note: --region is ignored: the server chooses the AWS Region",
                "note: --no-sign-request is ignored: calls carry --token or a client \
                 certificate, not a signature",
                "note: --cli-binary-format is ignored: no parameter here is a binary blob",
            ]
        );
    }

    #[test]
    fn the_last_of_the_auto_prompt_flags_wins() {
        let p = client(&["list", "--no-cli-auto-prompt", "--cli-auto-prompt"]).prompt;
        assert!(p.cli_auto_prompt && !p.no_cli_auto_prompt);
        let p = client(&["list", "--cli-auto-prompt", "--no-cli-auto-prompt"]).prompt;
        assert!(!p.cli_auto_prompt && p.no_cli_auto_prompt);
    }
}
