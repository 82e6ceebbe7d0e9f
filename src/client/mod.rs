//! The `org-invites` client: `invite`, `get`, `list`, `cancel`, `watch`,
//! `watch-all`, `quota`, `campaign ...`, `subscriptions ...`,
//! `deliveries ...` and the billing-transfer commands by the AWS CLI's
//! names (`invite-organization-to-transfer-responsibility`, ...,
//! `watch-transfers`), with the AWS CLI's syntax, output and exit codes,
//! over gRPC.
mod commands;
mod conn;
mod exit;
mod flags;
#[cfg(test)]
mod golden;
mod input;
mod insecure;
mod mask;
mod output;
mod paramfile;
mod progress;
mod prompt;
mod schema;
mod shape;
mod shorthand;
mod table;
mod text;
mod timestamp;
mod untouched;
mod watch;

pub use commands::run;
pub use exit::{
    CAMPAIGN_CANCELED, CAMPAIGN_INCOMPLETE, CANCELED, CONFIG, DECLINED, EXPIRED, INTERRUPTED,
    ONBOARDING_FAILED, OTHER, SERVICE, SUCCESS, USAGE,
};
pub use flags::{
    ClientCommand, ClientOptions, IdArgs, InviteArgs, ListArgs, QuotaArgs, WatchAllArgs,
};
pub use output::{Color, Format};

/// A command line clap could not parse: help and version go to stdout with
/// 0, anything else is a usage error (252), as in the AWS CLI.
pub fn parse_error(e: clap::Error) -> u8 {
    let _ = e.print();
    if e.use_stderr() {
        USAGE
    } else {
        SUCCESS
    }
}
