//! The client subcommands, one file each, and the preamble they share.
//! This routes a parsed command line to its file and reports its error.
mod by_id;
mod campaign;
mod deliveries;
mod invite;
mod list;
mod pager;
mod preamble;
mod quota;
mod spec;
mod subscriptions;
mod transfer;
mod watch_all;

use by_id::ById;

use super::{exit::CliError, flags::ClientCommand, prompt};

/// Runs the command and prints any error; returns the exit code.
pub async fn run(cmd: ClientCommand) -> u8 {
    let name = cmd.name();
    let result = match prompted(cmd) {
        Ok(cmd) => dispatch(cmd).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprint!("{}", e.render(name));
            e.code()
        }
    }
}

/// The command with the answers to `--cli-auto-prompt`'s questions, or
/// as it is without that flag.
fn prompted(cmd: ClientCommand) -> Result<ClientCommand, CliError> {
    if prompt::wanted(&cmd.client().prompt) {
        prompt::ask(cmd.name())
    } else {
        Ok(cmd)
    }
}

async fn dispatch(cmd: ClientCommand) -> Result<u8, CliError> {
    match cmd {
        ClientCommand::Invite(a) => invite::run(a).await,
        ClientCommand::Get(a) => by_id::run(a, ById::Get).await,
        ClientCommand::Cancel(a) => by_id::run(a, ById::Cancel).await,
        ClientCommand::Watch(a) => by_id::run(a, ById::Watch).await,
        ClientCommand::List(a) => list::run(a).await,
        ClientCommand::WatchAll(a) => watch_all::run(a).await,
        ClientCommand::Quota(a) => quota::run(a).await,
        ClientCommand::Campaign(c) => campaign::run(c).await,
        ClientCommand::Subscriptions(c) => subscriptions::run(c).await,
        ClientCommand::Deliveries(c) => deliveries::run(c).await,
        ClientCommand::Transfer(c) => transfer::run(c).await,
    }
}
