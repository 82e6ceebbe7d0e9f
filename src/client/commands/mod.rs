//! The client subcommands, one file each, and the preamble they share.
//! This routes a parsed command line to its file and reports its error.
mod by_id;
mod invite;
mod list;
mod preamble;
mod quota;
mod watch_all;

use by_id::ById;

use super::flags::ClientCommand;

/// Runs the command and prints any error; returns the exit code.
pub async fn run(cmd: ClientCommand) -> u8 {
    let name = match &cmd {
        ClientCommand::Invite(_) => "invite",
        ClientCommand::Get(_) => "get",
        ClientCommand::List(_) => "list",
        ClientCommand::Cancel(_) => "cancel",
        ClientCommand::Watch(_) => "watch",
        ClientCommand::WatchAll(_) => "watch-all",
        ClientCommand::Quota(_) => "quota",
    };
    let result = match cmd {
        ClientCommand::Invite(a) => invite::run(a).await,
        ClientCommand::Get(a) => by_id::run(a, ById::Get).await,
        ClientCommand::Cancel(a) => by_id::run(a, ById::Cancel).await,
        ClientCommand::Watch(a) => by_id::run(a, ById::Watch).await,
        ClientCommand::List(a) => list::run(a).await,
        ClientCommand::WatchAll(a) => watch_all::run(a).await,
        ClientCommand::Quota(a) => quota::run(a).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprint!("{}", e.render(name));
            e.code()
        }
    }
}
