//! The AWS CLI's global options in the `org-invites` client, run as the
//! built binary against a server on port 0: the AWS CLI's names for our
//! options, `--no-paginate`, `--no-verify-ssl` against a TLS server,
//! `--cli-auto-prompt` without a terminal, and the options that mean
//! nothing here, accepted so that a command copied from the AWS CLI's
//! page runs as written.
use serde_json::Value;

use crate::cli::{cli, cli_at, invite_id_at, ok};
use crate::helpers::*;
use crate::tls::TlsStack;

/// An address where nothing listens: the environment's endpoint, which
/// the command line must override.
const NOWHERE: &str = "127.0.0.1:9";

#[tokio::test]
async fn endpoint_url_is_the_endpoint() {
    let app = spawn_app().await;
    let id = invite_id_at(&app.addr.to_string(), &random_account_id()).await;
    let endpoint = format!("http://{}", app.addr);
    let out = ok(cli_at(
        NOWHERE,
        &[
            "get",
            &id,
            "--endpoint-url",
            &endpoint,
            "--query",
            "Handshake.Id",
            "--output",
            "text",
        ],
    )
    .await);
    assert_eq!(out.trim(), id);
}

#[tokio::test]
async fn no_paginate_prints_the_first_page_and_a_token_to_go_on_from() {
    let app = spawn_app().await;
    let addr = app.addr.to_string();
    let first = invite_id_at(&addr, &random_account_id()).await;
    let second = invite_id_at(&addr, &random_account_id()).await;

    let out = ok(cli(&app, &["list", "--page-size", "1", "--no-paginate"]).await);
    let v: Value = serde_json::from_str(&out).unwrap();
    let ids: Vec<&str> = v["Handshakes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["Id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str()], "one call, one page: {out}");
    let token = v["NextToken"].as_str().expect("a NextToken").to_string();

    let rest = ok(cli(&app, &["list", "--starting-token", &token]).await);
    let v: Value = serde_json::from_str(&rest).unwrap();
    assert_eq!(v["Handshakes"][0]["Id"], first.as_str(), "{rest}");

    // Every page without it.
    let out = ok(cli(&app, &["list", "--page-size", "1"]).await);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["Handshakes"].as_array().unwrap().len(), 2, "{out}");
}

#[tokio::test]
async fn the_aws_clis_options_that_mean_nothing_here_are_noted_and_ignored() {
    let app = spawn_app().await;
    let target = format!("Id={},Type=ACCOUNT", random_account_id());
    let run = cli(
        &app,
        &[
            "invite",
            "--target",
            &target,
            "--profile",
            "default",
            "--region",
            "us-east-1",
            "--no-sign-request",
            "--cli-binary-format",
            "raw-in-base64-out",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let notes: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(notes.len(), 4, "one line each: {}", run.stderr);
    for flag in [
        "--profile",
        "--region",
        "--no-sign-request",
        "--cli-binary-format",
    ] {
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with(&format!("note: {flag} is ignored"))),
            "{}",
            run.stderr
        );
    }
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["Handshake"]["State"], "OPEN");
}

#[tokio::test]
async fn cli_auto_prompt_without_a_terminal_is_a_usage_error_and_sends_nothing() {
    let app = spawn_app().await;
    let target = format!("Id={},Type=ACCOUNT", random_account_id());
    let run = cli(&app, &["invite", "--target", &target, "--cli-auto-prompt"]).await;
    assert_eq!(run.code, 252, "{}", run.stderr);
    assert!(run.stderr.contains("stdin is not one"), "{}", run.stderr);
    assert_eq!(app.handshake_rows().await, 0);

    // --no-cli-auto-prompt, last, turns it off again.
    let args = [
        "invite",
        "--target",
        &target,
        "--cli-auto-prompt",
        "--no-cli-auto-prompt",
    ];
    ok(cli(&app, &args).await);
}

/// On a terminal (util-linux's `script` gives it one), each parameter not
/// given is asked for with its help, and the answers are used.
#[tokio::test]
async fn cli_auto_prompt_asks_on_a_terminal_and_runs_with_the_answers() {
    let app = spawn_app().await;
    let id = invite_id_at(&app.addr.to_string(), &random_account_id()).await;
    let bin = env!("CARGO_BIN_EXE_org-invites");
    let line = format!(
        "printf '%s\\n' {id} | script -qec \
         '{bin} get --cli-auto-prompt --no-cli-pager --output text --query Handshake.State' \
         /dev/null"
    );
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        tokio::process::Command::new("sh")
            .args(["-c", &line])
            .env("ORG_INVITES_ENDPOINT", format!("http://{}", app.addr))
            .env_remove("ORG_INVITES_OUTPUT")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the CLI finishes within 60 s")
    .expect("sh and script (util-linux) run");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains("ID: The handshake id"), "{shown}");
    assert!(shown.trim_end().ends_with("OPEN"), "{shown}");
}

#[tokio::test]
async fn no_verify_ssl_talks_to_a_server_whose_ca_it_does_not_know_and_warns() {
    let stack = TlsStack::start(false).await;
    let endpoint = format!("https://localhost:{}", stack.app.addr.port());
    let list = |extra: &[&str]| {
        let mut args = vec![
            "list",
            "--endpoint-url",
            &endpoint,
            "--token",
            "reader-token",
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>| async move {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        cli_at(NOWHERE, &args).await
    };

    let refused = run(list(&[])).await;
    assert_ne!(refused.code, 0, "an unknown CA is refused without it");

    let insecure = run(list(&["--no-verify-ssl"])).await;
    assert_eq!(insecure.code, 0, "{}", insecure.stderr);
    assert!(
        insecure.stdout.contains("Handshakes"),
        "{}",
        insecure.stdout
    );
    assert!(
        insecure.stderr.starts_with("warning: --no-verify-ssl"),
        "{}",
        insecure.stderr
    );

    // --ca-bundle is --ca-file: verified, and no warning.
    let ca = stack.dir.join("servers-ca.pem").display().to_string();
    let verified = run(list(&["--ca-bundle", &ca])).await;
    assert_eq!(verified.code, 0, "{}", verified.stderr);
    assert_eq!(verified.stderr, "");
}
