//! The `org-invites` client commands, run as the built binary against a
//! server on port 0 and fakecloud: the AWS CLI page's example, queries and
//! formats, bad parameters, service errors, and waiting for an answer.
mod campaign;
mod delivery;
mod lifecycle;
mod output;
mod transfer;
mod waits;

use std::{process::Stdio, time::Duration};

use tokio::io::{AsyncBufRead, Lines};

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_org-invites");
pub(super) const PAGE_NOTES: &str =
    "This is a request for Juan's account to join Bill's organization.";

pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub(crate) fn command(app: &TestApp, args: &[&str]) -> tokio::process::Command {
    command_at(&app.addr.to_string(), args)
}

/// The CLI pointed at a server on `addr` (host:port).
pub(crate) fn command_at(addr: &str, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args(args)
        .env("ORG_INVITES_ENDPOINT", format!("http://{addr}"))
        .env_remove("ORG_INVITES_OUTPUT")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// Runs the CLI to the end (at most 60 s).
pub(crate) async fn cli(app: &TestApp, args: &[&str]) -> Run {
    cli_at(&app.addr.to_string(), args).await
}

pub(crate) async fn cli_at(addr: &str, args: &[&str]) -> Run {
    let out = tokio::time::timeout(Duration::from_secs(60), command_at(addr, args).output())
        .await
        .expect("the CLI finishes within 60 s")
        .expect("the CLI runs");
    Run {
        code: out.status.code().expect("an exit code"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

/// The next line the CLI prints, within 30 s.
pub(super) async fn next_line<R: AsyncBufRead + Unpin>(lines: &mut Lines<R>) -> String {
    tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("a line within 30 s")
        .expect("stdout readable")
        .expect("a line before the CLI exits")
}

pub(crate) fn ok(run: Run) -> String {
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    run.stdout
}

/// Invites `account` through the CLI and returns the handshake id.
pub(super) async fn invite_id(app: &TestApp, account: &str) -> String {
    invite_id_at(&app.addr.to_string(), account).await
}

/// The same, against a server on `addr` (host:port).
pub(crate) async fn invite_id_at(addr: &str, account: &str) -> String {
    let target = format!("Id={account},Type=ACCOUNT");
    let out = ok(cli_at(
        addr,
        &[
            "invite",
            "--target",
            &target,
            "--query",
            "Handshake.Id",
            "--output",
            "text",
        ],
    )
    .await);
    out.trim().to_string()
}
