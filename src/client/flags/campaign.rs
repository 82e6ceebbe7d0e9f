//! `campaign` and its subcommands' flags: many accounts invited by one
//! request (CreateCampaign and the calls around it).
use clap::{Args, Subcommand};

use super::{ClientOptions, InputOptions, PagingArgs, SpecFlags};

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Invite every account of --targets-file, sent as the daily quota
    /// allows (CreateCampaign).
    Create(CampaignCreateArgs),
    /// Show a campaign and how many of its targets are in each state.
    Get(CampaignIdArgs),
    /// List campaigns, newest first, following every page.
    List(CampaignListArgs),
    /// List a campaign's targets, in the order they were given.
    Targets(CampaignTargetsArgs),
    /// Send nothing new until resumed; sent invitations are still followed.
    Pause(CampaignIdArgs),
    /// Send again what a pause held back.
    Resume(CampaignIdArgs),
    /// Skip every queued target; nothing more is sent.
    Cancel(CampaignCancelArgs),
    /// Follow a campaign until it is DONE (exit 0 when every target is
    /// COMPLETE or SKIPPED, else 7) or CANCELED (8): a progress bar on a
    /// terminal, else the campaign at each change.
    Watch(CampaignIdArgs),
}

impl CampaignCommand {
    /// `campaign create`, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Create(_) => "campaign create",
            Self::Get(_) => "campaign get",
            Self::List(_) => "campaign list",
            Self::Targets(_) => "campaign targets",
            Self::Pause(_) => "campaign pause",
            Self::Resume(_) => "campaign resume",
            Self::Cancel(_) => "campaign cancel",
            Self::Watch(_) => "campaign watch",
        }
    }

    pub fn client(&self) -> &ClientOptions {
        match self {
            Self::Create(a) => &a.client,
            Self::Get(a) | Self::Pause(a) | Self::Resume(a) | Self::Watch(a) => &a.client,
            Self::List(a) => &a.client,
            Self::Targets(a) => &a.client,
            Self::Cancel(a) => &a.campaign.client,
        }
    }
}

#[derive(Debug, Args)]
pub struct CampaignCreateArgs {
    /// The accounts to invite: CSV with a header Id,Type (and Notes and
    /// Tags, as k=v;k2=v2, if wanted), or a JSON or YAML list of {Id, Type,
    /// Notes, Tags}; read by its extension (.csv, .json, .yaml, .yml), else
    /// by its content. A target's notes replace --notes, its tags add to
    /// --tags.
    #[arg(long, value_name = "FILE")]
    pub targets_file: Option<String>,
    /// The campaign's name, 1 to 128 characters.
    #[arg(long, allow_hyphen_values = true)]
    pub name: Option<String>,
    #[command(flatten)]
    pub spec: SpecFlags,
    /// Invitation slots of each quota window to leave to other callers.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub quota_reserve: Option<String>,
    /// Makes retries safe: the same id returns the same campaign and sends
    /// nothing new. A fresh one is made when none is given.
    #[arg(long)]
    pub request_id: Option<String>,
    /// Then follow it until it ends, as `campaign watch` does.
    #[arg(long, visible_alias = "wait")]
    pub watch: bool,
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}

#[derive(Debug, Args)]
pub struct CampaignIdArgs {
    /// The campaign id, c-... (or --id).
    #[arg(value_name = "ID")]
    pub id: Option<String>,
    /// The campaign id, c-...
    #[arg(long = "id", value_name = "ID", conflicts_with = "id")]
    pub id_flag: Option<String>,
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}

impl CampaignIdArgs {
    /// The id, however it was given on the command line.
    pub fn given(&self) -> Option<&str> {
        self.id.as_deref().or(self.id_flag.as_deref())
    }
}

#[derive(Debug, Args)]
pub struct CampaignCancelArgs {
    /// Also cancel, in AWS, the campaign's invitations that are still open.
    #[arg(long)]
    pub cancel_open_invitations: bool,
    #[command(flatten)]
    pub campaign: CampaignIdArgs,
}

#[derive(Debug, Args)]
pub struct CampaignListArgs {
    #[command(flatten)]
    pub paging: PagingArgs,
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}

#[derive(Debug, Args)]
pub struct CampaignTargetsArgs {
    /// The campaign id, c-... (or --campaign-id).
    #[arg(value_name = "ID")]
    pub id: Option<String>,
    /// The campaign id, c-...
    #[arg(long, value_name = "ID", conflicts_with = "id")]
    pub campaign_id: Option<String>,
    /// Only targets in these states (QUEUED, INVITED, COMPLETE, ...);
    /// repeat or separate with commas.
    #[arg(long, visible_alias = "states", value_delimiter = ',', num_args = 1..)]
    pub state: Option<Vec<String>>,
    #[command(flatten)]
    pub paging: PagingArgs,
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}
