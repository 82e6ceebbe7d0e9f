//! The billing-transfer commands' flags, named as the AWS CLI names them
//! (`aws organizations invite-organization-to-transfer-responsibility` and
//! the calls around it), plus `watch-transfers`.
use clap::{Args, Subcommand};

use super::{ClientOptions, InputOptions, PagingArgs};

#[derive(Debug, Subcommand)]
pub enum TransferCommand {
    /// Invite another organization's management account to pay this
    /// organization's bill from --start-timestamp on (InviteTransfer).
    /// Prints the TRANSFER_RESPONSIBILITY handshake; its TransferId names
    /// the transfer.
    InviteOrganizationToTransferResponsibility(InviteTransferArgs),
    /// Show a billing transfer (GetTransfer).
    DescribeResponsibilityTransfer(TransferIdArgs),
    /// List the billing transfers other organizations invited this one to,
    /// newest first, following every page (ListTransfers, INBOUND).
    ListInboundResponsibilityTransfers(ListTransfersArgs),
    /// List the billing transfers this organization invited others to,
    /// newest first, following every page (ListTransfers, OUTBOUND).
    ListOutboundResponsibilityTransfers(ListTransfersArgs),
    /// End a billing transfer at the end of a month; it cannot be undone
    /// (WithdrawTransfer).
    TerminateResponsibilityTransfer(TerminateTransferArgs),
    /// Rename a billing transfer (RenameTransfer).
    UpdateResponsibilityTransfer(UpdateTransferArgs),
    /// Accept a billing-transfer invitation another organization sent to
    /// this one (AcceptTransfer): for inbound transfers only; an account's
    /// invitation to join is accepted in the invited account, not here.
    AcceptHandshake(HandshakeIdArgs),
    /// Decline a billing-transfer invitation another organization sent to
    /// this one (DeclineTransfer): for inbound transfers only.
    DeclineHandshake(HandshakeIdArgs),
    /// Print every billing-transfer change as it happens, from a
    /// ResumeToken or from now, until interrupted.
    WatchTransfers(WatchTransfersArgs),
}

impl TransferCommand {
    /// The subcommand's name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Self::InviteOrganizationToTransferResponsibility(_) => {
                "invite-organization-to-transfer-responsibility"
            }
            Self::DescribeResponsibilityTransfer(_) => "describe-responsibility-transfer",
            Self::ListInboundResponsibilityTransfers(_) => "list-inbound-responsibility-transfers",
            Self::ListOutboundResponsibilityTransfers(_) => {
                "list-outbound-responsibility-transfers"
            }
            Self::TerminateResponsibilityTransfer(_) => "terminate-responsibility-transfer",
            Self::UpdateResponsibilityTransfer(_) => "update-responsibility-transfer",
            Self::AcceptHandshake(_) => "accept-handshake",
            Self::DeclineHandshake(_) => "decline-handshake",
            Self::WatchTransfers(_) => "watch-transfers",
        }
    }

    pub fn client(&self) -> &ClientOptions {
        match self {
            Self::InviteOrganizationToTransferResponsibility(a) => &a.client,
            Self::DescribeResponsibilityTransfer(a) => &a.client,
            Self::ListInboundResponsibilityTransfers(a)
            | Self::ListOutboundResponsibilityTransfers(a) => &a.client,
            Self::TerminateResponsibilityTransfer(a) => &a.client,
            Self::UpdateResponsibilityTransfer(a) => &a.client,
            Self::AcceptHandshake(a) | Self::DeclineHandshake(a) => &a.client,
            Self::WatchTransfers(a) => &a.client,
        }
    }
}

#[derive(Debug, Args)]
pub struct InviteTransferArgs {
    /// What the other organization takes over: BILLING, the only type.
    #[arg(long = "type", value_name = "BILLING")]
    pub transfer_type: Option<String>,
    /// The other organization's management account, which is to pay:
    /// Id=123456789012,Type=ACCOUNT, Id=billing@example.com,Type=EMAIL,
    /// JSON '{"Type": "ACCOUNT", "Id": "..."}', or file://path.
    #[arg(long, allow_hyphen_values = true)]
    pub target: Option<String>,
    /// When the other organization starts paying: the first day of a
    /// month at 00:00:00 UTC, e.g. 2027-02-01T00:00:00Z (ISO 8601, no zone
    /// meaning UTC, or epoch seconds). It must accept at least 24 hours
    /// before.
    #[arg(long, value_name = "TIMESTAMP")]
    pub start_timestamp: Option<String>,
    /// The transfer's name: 1 to 128 printable ASCII characters.
    #[arg(long, allow_hyphen_values = true)]
    pub source_name: Option<String>,
    /// Text for the invitation (or file://path).
    #[arg(long, allow_hyphen_values = true)]
    pub notes: Option<String>,
    /// Tags for the transfer: Key=a,Value=b Key=c,Value= (one per
    /// argument) or JSON '[{"Key":"a","Value":"b"}]'.
    #[arg(long, num_args = 1..)]
    pub tags: Option<Vec<String>>,
    /// Makes retries safe: the same id returns the same transfer and sends
    /// nothing new. A fresh one is made when none is given.
    #[arg(long)]
    pub request_id: Option<String>,
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}

#[derive(Debug, Args)]
pub struct TransferIdArgs {
    /// The transfer id, rt-...
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}

#[derive(Debug, Args)]
pub struct ListTransfersArgs {
    /// The type of transfer: BILLING, the only type (the AWS CLI asks for it).
    #[arg(long = "type", value_name = "BILLING")]
    pub transfer_type: Option<String>,
    /// Only transfers in these statuses (REQUESTED, ACCEPTED, ...; any
    /// case); repeat or separate with commas.
    #[arg(long, visible_alias = "statuses", value_delimiter = ',', num_args = 1..)]
    pub status: Option<Vec<String>>,
    #[command(flatten)]
    pub paging: PagingArgs,
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}

#[derive(Debug, Args)]
pub struct TerminateTransferArgs {
    /// The transfer id, rt-...
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    /// When the transfer ends: the last second of a month, e.g.
    /// 2027-06-30T23:59:59Z (ISO 8601 or epoch seconds); AWS's default
    /// when not given.
    #[arg(long, value_name = "TIMESTAMP")]
    pub end_timestamp: Option<String>,
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}

#[derive(Debug, Args)]
pub struct UpdateTransferArgs {
    /// The transfer id, rt-...
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    /// The transfer's new name: 1 to 128 printable ASCII characters.
    #[arg(long, allow_hyphen_values = true)]
    pub name: Option<String>,
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}

#[derive(Debug, Args)]
pub struct HandshakeIdArgs {
    /// The TRANSFER_RESPONSIBILITY handshake the other organization sent,
    /// h-... (list-inbound-responsibility-transfers shows it as
    /// ActiveHandshakeId).
    #[arg(long, value_name = "ID")]
    pub handshake_id: Option<String>,
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}

#[derive(Debug, Args)]
pub struct WatchTransfersArgs {
    /// Replay every change after this ResumeToken (from an earlier event),
    /// then go on live.
    #[arg(long)]
    pub resume_token: Option<String>,
    /// Only transfers in this direction: INBOUND (others invited this
    /// organization) or OUTBOUND (this one invited others); any case.
    /// Both when not given.
    #[arg(long, visible_alias = "directions", value_delimiter = ',', num_args = 1..)]
    pub direction: Option<Vec<String>>,
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}
