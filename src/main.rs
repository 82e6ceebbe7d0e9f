//! The `org-invites` binary: parse settings, run.
use std::process::ExitCode;

use clap::Parser;
use org_invites::{
    config::{Cli, Command},
    startup,
};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    org_invites::telemetry::init(cli.log_format);
    let result = match cli.command {
        Command::Serve(args) => startup::serve(args).await,
        Command::Migrate(args) => startup::migrate(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = ?e, "org-invites failed");
            ExitCode::FAILURE
        }
    }
}
