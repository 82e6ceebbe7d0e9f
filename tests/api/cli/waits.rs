//! Waiting and watching from the client: --wait, watch, watch-all, Ctrl-C,
//! and what --debug shows of a call.
use std::{process::Stdio, time::Duration};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::*;
use crate::helpers::*;

#[tokio::test]
async fn wait_exits_zero_once_the_member_account_accepts() {
    let app = spawn_app().await;
    let account = random_account_id();
    let target = format!("Id={account},Type=ACCOUNT");
    let mut child = command(
        &app,
        &[
            "invite",
            "--target",
            &target,
            "--wait",
            "--query",
            "[Handshake.Id, Handshake.State]",
            "--output",
            "text",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();

    let first = next_line(&mut lines).await;
    let (id, state) = first.split_once('\t').expect("id<TAB>state");
    assert_eq!(state, "OPEN");
    app.aws.accept(&account, id).await;

    let change = next_line(&mut lines).await;
    assert_eq!(change, format!("{id}\tACCEPTED"));
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits once accepted")
        .unwrap();
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn watch_exits_3_on_a_decline_and_4_on_a_cancel() {
    let app = spawn_app().await;
    let account = random_account_id();
    let declined = invite_id(&app, &account).await;
    app.aws.decline(&account, &declined).await;
    let run = cli(
        &app,
        &[
            "watch",
            &declined,
            "--query",
            "Handshake.State",
            "--output",
            "text",
        ],
    )
    .await;
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout.lines().last(), Some("DECLINED"));

    let canceled = invite_id(&app, &random_account_id()).await;
    let out = ok(cli(
        &app,
        &[
            "cancel",
            &canceled,
            "--query",
            "Handshake.State",
            "--output",
            "text",
        ],
    )
    .await);
    assert_eq!(out, "CANCELED\n");
    let run = cli(&app, &["watch", &canceled]).await;
    assert_eq!(run.code, 4, "{}{}", run.stdout, run.stderr);
}

#[tokio::test]
async fn debug_traces_the_call_to_stderr_without_the_notes() {
    let app = spawn_app().await;
    let target = format!("Id={},Type=ACCOUNT", random_account_id());
    let run = cli(
        &app,
        &[
            "invite",
            "--target",
            &target,
            "--notes",
            "Juan's secret plans",
            "--debug",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("InviteAccount request"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("InviteAccount response"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("secret plans"), "{}", run.stderr);
}

#[tokio::test]
async fn ctrl_c_ends_a_watch_with_130() {
    let app = spawn_app().await;
    let id = invite_id(&app, &random_account_id()).await;
    let mut child = command(
        &app,
        &[
            "watch",
            &id,
            "--query",
            "Handshake.State",
            "--output",
            "text",
        ],
    )
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(next_line(&mut lines).await, "OPEN");
    let pid = child.id().unwrap().to_string();
    let sent = tokio::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await
        .unwrap();
    assert!(sent.success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits on SIGINT")
        .unwrap();
    assert_eq!(status.code(), Some(130));
}

#[tokio::test]
async fn watch_all_replays_from_a_resume_token_in_commit_order() {
    let app = spawn_app().await;
    let first = invite_id(&app, &random_account_id()).await;
    let second = invite_id(&app, &random_account_id()).await;
    let from_start = org_invites::watch::encode_resume_token(0);
    let query = "[Handshake.Id, ResumeToken]";
    let watch_from = |token: &str| {
        command(
            &app,
            &[
                "watch-all",
                "--resume-token",
                token,
                "--query",
                query,
                "--output",
                "text",
            ],
        )
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
    };

    let mut all = watch_from(&from_start);
    let mut lines = BufReader::new(all.stdout.take().unwrap()).lines();
    let line = next_line(&mut lines).await;
    let (id, token) = line.split_once('\t').expect("id<TAB>token");
    assert_eq!(id, first);
    assert!(next_line(&mut lines)
        .await
        .starts_with(&format!("{second}\t")));
    drop(all);

    // From the first event's token, the second comes first.
    let mut rest = watch_from(token);
    let mut lines = BufReader::new(rest.stdout.take().unwrap()).lines();
    assert!(next_line(&mut lines)
        .await
        .starts_with(&format!("{second}\t")));
    drop(rest);
}

#[tokio::test]
async fn the_token_authenticates_the_cli_and_never_shows_in_its_trace() {
    let app = spawn_secured(Some(identities_file())).await;
    let target = format!("Id={},Type=ACCOUNT", random_account_id());
    let refused = cli(&app, &["invite", "--target", &target]).await;
    assert_eq!(refused.code, 254, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("Unauthenticated"),
        "{}",
        refused.stderr
    );
    assert_eq!(app.intent_rows().await, 0);

    let out = command(&app, &["invite", "--target", &target, "--debug"])
        .env("ORG_INVITES_TOKEN", "inviter-token")
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("inviter-token"), "{stderr}");
    let id = serde_json::from_str::<Value>(&stdout).unwrap()["Handshake"]["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let by: Option<String> =
        sqlx::query_scalar("SELECT requested_by FROM handshakes WHERE id = $1")
            .bind(&id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(by.as_deref(), Some("account-factory"));
}
