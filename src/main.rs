//! The `org-invites` binary: parse settings, run.
use std::process::ExitCode;

use clap::Parser;
use org_invites::{
    args::{Cli, Command},
    client, startup,
};

// glibc's allocator spent half of the server's user time in free() and
// consolidation when a change closed 10,000 watch streams at once (perf, see
// BENCHMARKS.md); mimalloc's per-thread free lists do not.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    runtime().block_on(run())
}

/// The multi-threaded runtime `#[tokio::main]` would build, except that a
/// task woken by another does not jump the queue (the LIFO slot). One change
/// wakes every watch stream at once; with the slot, each stream's HTTP/2
/// connection task ran right after that stream and wrote its one frame in
/// its own `writev`. Without it, the connection runs after many streams have
/// queued their frames and writes them together (BENCHMARKS.md, fan-out).
/// The switch needs `--cfg tokio_unstable` (set in `.cargo/config.toml`); a
/// build without it keeps tokio's default.
fn runtime() -> tokio::runtime::Runtime {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    #[cfg(tokio_unstable)]
    builder.disable_lifo_slot();
    builder.build().expect("the tokio runtime starts")
}

async fn run() -> ExitCode {
    // Parse errors exit 252, as the AWS CLI's do, not clap's 2.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return ExitCode::from(client::parse_error(e)),
    };
    let telemetry = match &cli.command {
        Command::Client(_) => None,
        Command::Serve(_) | Command::Migrate(_) => {
            Some(org_invites::telemetry::init(cli.log_format))
        }
    };
    let result = match cli.command {
        Command::Client(cmd) => return ExitCode::from(client::run(cmd).await),
        Command::Serve(args) => startup::serve(args).await,
        Command::Migrate(args) => startup::migrate(args).await,
    };
    if let Some(t) = telemetry {
        t.shutdown();
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Display, not Debug: the message names what failed in words.
            tracing::error!(error = %e, "org-invites failed");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    /// `runtime()` drops the LIFO slot only when built with tokio_unstable;
    /// without it the server still runs, but slower under a fan-out burst.
    #[test]
    // A check of the build's configuration, constant by design.
    #[allow(clippy::assertions_on_constants)]
    fn the_server_is_built_with_tokio_unstable() {
        assert!(
            cfg!(tokio_unstable),
            "build with `--cfg tokio_unstable` (.cargo/config.toml; an explicit RUSTFLAGS replaces it)"
        );
    }
}
