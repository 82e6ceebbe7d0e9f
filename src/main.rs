//! The `org-invites` binary: parse settings, run.
use std::process::ExitCode;

use clap::Parser;
use org_invites::{
    cli,
    config::{Cli, Command},
    startup,
};

// glibc's allocator spent half of the server's user time in free() and
// consolidation when a change closed 10,000 watch streams at once (perf, see
// BENCHMARKS.md); mimalloc's per-thread free lists do not.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // Parse errors exit 252, as the AWS CLI's do, not clap's 2.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return ExitCode::from(cli::parse_error(e)),
    };
    let result = match cli.command {
        Command::Client(cmd) => return ExitCode::from(cli::run(cmd).await),
        Command::Serve(args) => {
            org_invites::telemetry::init(cli.log_format);
            startup::serve(args).await
        }
        Command::Migrate(args) => {
            org_invites::telemetry::init(cli.log_format);
            startup::migrate(args).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = ?e, "org-invites failed");
            ExitCode::FAILURE
        }
    }
}
