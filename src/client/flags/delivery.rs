//! `subscriptions` and `deliveries` and their subcommands' flags: where
//! recorded events are pushed, and how each event fared there
//! (ListSubscriptions, EnableSubscription, ListDeliveries, RedeliverEvents).
use clap::{Args, Subcommand};

use super::{ClientOptions, InputOptions, PagingArgs};

#[derive(Debug, Subcommand)]
pub enum SubscriptionsCommand {
    /// List the subscriptions in force, with each one's backlog and its
    /// last success and error.
    List(SubscriptionsListArgs),
    /// Deliver again to a subscription a 410 Gone DISABLED, its backlog
    /// first.
    Enable(SubscriptionIdArgs),
}

impl SubscriptionsCommand {
    /// `subscriptions list`, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Self::List(_) => "subscriptions list",
            Self::Enable(_) => "subscriptions enable",
        }
    }

    pub fn client(&self) -> &ClientOptions {
        match self {
            Self::List(a) => &a.client,
            Self::Enable(a) => &a.client,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum DeliveriesCommand {
    /// List a subscription's deliveries, newest event first, following
    /// every page.
    List(DeliveriesListArgs),
    /// Deliver events to a subscription again, with the same CloudEvent ids
    /// (dead ones too).
    Redeliver(RedeliverArgs),
}

impl DeliveriesCommand {
    /// `deliveries list`, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Self::List(_) => "deliveries list",
            Self::Redeliver(_) => "deliveries redeliver",
        }
    }

    pub fn client(&self) -> &ClientOptions {
        match self {
            Self::List(a) => &a.client,
            Self::Redeliver(a) => &a.client,
        }
    }
}

#[derive(Debug, Args)]
pub struct SubscriptionsListArgs {
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}

#[derive(Debug, Args)]
pub struct SubscriptionIdArgs {
    /// The subscription id, as in the subscriptions file (or --id).
    #[arg(value_name = "ID")]
    pub id: Option<String>,
    /// The subscription id, as in the subscriptions file.
    #[arg(long = "id", value_name = "ID", conflicts_with = "id")]
    pub id_flag: Option<String>,
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}

impl SubscriptionIdArgs {
    /// The id, however it was given on the command line.
    pub fn given(&self) -> Option<&str> {
        self.id.as_deref().or(self.id_flag.as_deref())
    }
}

#[derive(Debug, Args)]
pub struct DeliveriesListArgs {
    /// The subscription id, as in the subscriptions file.
    #[arg(long, visible_alias = "subscription-id", value_name = "ID")]
    pub subscription: Option<String>,
    /// Only deliveries in these states (PENDING, DELIVERED, DEAD; any
    /// case); repeat or separate with commas.
    #[arg(long, visible_alias = "states", value_delimiter = ',', num_args = 1..)]
    pub state: Option<Vec<String>>,
    #[command(flatten)]
    pub paging: PagingArgs,
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}

#[derive(Debug, Args)]
pub struct RedeliverArgs {
    /// The subscription id, as in the subscriptions file.
    #[arg(long, visible_alias = "subscription-id", value_name = "ID")]
    pub subscription: Option<String>,
    /// The events to deliver again, by EventId (whole numbers); repeat,
    /// list several, or give a JSON list.
    #[arg(long, visible_alias = "event-ids", value_name = "N", num_args = 1..)]
    pub event_id: Option<Vec<String>>,
    #[command(flatten)]
    pub input: InputOptions,
    #[command(flatten)]
    pub client: ClientOptions,
}
