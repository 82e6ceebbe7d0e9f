//! Flags more than one command takes, defined once: what every invitation
//! of `invite` and `campaign create` is sent with, and the paging flags of
//! the lists.
use clap::Args;

/// The invitation's settings that `invite` and `campaign create` share
/// (a campaign applies them to each of its targets).
#[derive(Debug, Args)]
pub struct SpecFlags {
    /// Text for the email to the account owner (or file://path).
    #[arg(long, allow_hyphen_values = true)]
    pub notes: Option<String>,
    /// Tags for the account once it joins: Key=a,Value=b Key=c,Value=
    /// (one per argument) or JSON '[{"Key":"a","Value":"b"}]'.
    #[arg(long, num_args = 1..)]
    pub tags: Option<Vec<String>>,
    /// Once the account accepts, move it here: a root (r-...) or an
    /// organizational unit (ou-...). Asks for onboarding.
    #[arg(long, value_name = "ID")]
    pub destination_parent_id: Option<String>,
    /// A role in the invited account that trusts the management account,
    /// by name or ARN: the service assumes it and accepts the invitation
    /// (ACCOUNT targets; needs --destination-parent-id).
    #[arg(long, value_name = "NAME")]
    pub accept_role: Option<String>,
    /// The external id the role's trust policy asks for.
    #[arg(long, allow_hyphen_values = true)]
    pub external_id: Option<String>,
    /// When the role cannot accept: leave-open (a person still can; the
    /// default) or cancel the invitation. LEAVE_OPEN and CANCEL work too.
    #[arg(long, value_name = "leave-open|cancel")]
    pub on_accept_failure: Option<String>,
    /// An account that belongs to another organization leaves it first,
    /// through --accept-role (which it needs), then joins this one.
    /// Without it such an account fails (ALREADY_IN_AN_ORGANIZATION).
    #[arg(long)]
    pub leave_previous_organization: bool,
    /// Send the invitation again when it expires, up to N times (0 to 10);
    /// never when it is declined or cancelled.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub max_renewals: Option<String>,
    /// When the account already has an open invitation: fail
    /// (AlreadyExists; invite's default) or return-existing (use that
    /// invitation and send nothing new; a campaign's default). FAIL and
    /// RETURN_EXISTING work too.
    #[arg(long, value_name = "fail|return-existing")]
    pub if_open_exists: Option<String>,
}

/// `--max-items`, `--page-size`, `--starting-token`: the AWS CLI's
/// paginator flags (with `--no-paginate` from the client options).
#[derive(Debug, Args)]
pub struct PagingArgs {
    /// Stop after this many items and print a NextToken to go on from.
    #[arg(long)]
    pub max_items: Option<usize>,
    /// Items per call to the service (the output is the same).
    #[arg(long)]
    pub page_size: Option<i32>,
    /// The NextToken a previous --max-items or --no-paginate run printed.
    #[arg(long)]
    pub starting_token: Option<String>,
}
