//! `campaign` through the client: many accounts from a targets file,
//! watched to the end, and the exit code that says how it ended. The
//! tests marked ignored need the campaign service (issue 25), which lands
//! after the client; they assert what it must do.
use std::{process::Stdio, time::Duration};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::*;
use crate::helpers::*;

/// Writes `contents` as `name` in a directory of this test's own.
fn targets_file(name: &str, contents: &str) -> String {
    let dir = std::env::temp_dir().join(format!(
        "cli-campaign-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.display().to_string()
}

/// Each JSON document the CLI printed, in order.
fn documents(stdout: &str) -> Vec<Value> {
    serde_json::Deserializer::from_str(stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("JSON documents on stdout ({e}):\n{stdout}"))
}

/// Creates a campaign of `accounts` (no onboarding) and returns its id.
async fn create_campaign(app: &TestApp, accounts: &[&str]) -> String {
    let rows: String = accounts.iter().map(|a| format!("{a},ACCOUNT\n")).collect();
    let file = targets_file("accounts.csv", &format!("Id,Type\n{rows}"));
    let out = ok(cli(
        app,
        &[
            "campaign",
            "create",
            "--targets-file",
            &file,
            "--name",
            "test campaign",
            "--query",
            "Campaign.Id",
            "--output",
            "text",
        ],
    )
    .await);
    out.trim().to_string()
}

/// The handshake sent for each target once every one has been sent.
async fn handshake_ids(app: &TestApp, campaign: &str, n: usize) -> Vec<String> {
    eventually(Duration::from_secs(30), "every target invited", || async {
        let run = cli(
            app,
            &[
                "campaign",
                "targets",
                campaign,
                "--query",
                "Targets[].HandshakeId",
                "--output",
                "json",
            ],
        )
        .await;
        let ids: Vec<String> = serde_json::from_str(&ok(run)).unwrap();
        (ids.len() == n).then_some(ids)
    })
    .await
}

#[tokio::test]
async fn a_bad_targets_file_names_its_line_and_field_and_sends_nothing() {
    let app = spawn_app().await;
    let file = targets_file(
        "accounts.csv",
        &format!(
            "Id,Type\n{},ACCOUNT\n{},ACCT\n",
            random_account_id(),
            random_account_id()
        ),
    );
    let run = cli(
        &app,
        &["campaign", "create", "--targets-file", &file, "--name", "n"],
    )
    .await;
    assert_eq!(run.code, 252, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("accounts.csv: line 3, Type: \"ACCT\" is not one of"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(app.handshake_rows().await, 0);
}

#[tokio::test]
async fn a_campaign_command_without_an_id_is_a_usage_error() {
    let app = spawn_app().await;
    for args in [
        &["campaign", "get"][..],
        &["campaign", "targets", "--states", "QUEUED"],
    ] {
        let run = cli(&app, args).await;
        assert_eq!(run.code, 252, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("a campaign id, c-..."),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[tokio::test]
async fn create_watch_onboards_every_target_and_exits_0_once_all_are_complete() {
    let app = spawn_app().await;
    let accounts = [random_account_id(), random_account_id()];
    for a in &accounts {
        app.aws.create_role(a, "OrgInvitesAccept", None).await;
    }
    let ou = app.aws.create_ou("Campaigned").await;
    let file = targets_file(
        "accounts.csv",
        &format!(
            "Id,Type,Notes,Tags\n{},ACCOUNT,\"Hi, first\",env=prod\n{},ACCOUNT,,\n",
            accounts[0], accounts[1]
        ),
    );
    let run = cli(
        &app,
        &[
            "campaign",
            "create",
            "--targets-file",
            &file,
            "--name",
            "two accounts",
            "--tags",
            "Key=team,Value=core",
            "--destination-parent-id",
            &ou,
            "--accept-role",
            "OrgInvitesAccept",
            "--watch",
        ],
    )
    .await;
    let out = ok(run);
    let docs = documents(&out);
    let first = &docs[0]["Campaign"];
    let id = first["Id"].as_str().expect("Campaign.Id").to_string();
    assert!(id.starts_with("c-"), "{first}");
    assert_eq!(first["DisplayName"], "two accounts");
    assert_eq!(first["Counts"]["Total"], 2, "{first}");
    assert_eq!(first["Onboarding"]["DestinationParentId"], ou.as_str());
    let last = &docs.last().unwrap()["Campaign"];
    assert_eq!(last["State"], "DONE", "{out}");
    assert_eq!(last["Counts"]["Complete"], 2, "{out}");
    // Each change once: no two documents in a row are the same.
    assert!(docs.windows(2).all(|w| w[0] != w[1]), "{out}");

    for a in &accounts {
        assert_eq!(app.aws.parent_of(a).await.as_deref(), Some(ou.as_str()));
    }
    assert_eq!(
        app.aws.tags_of(&accounts[0]).await,
        ["env=prod", "team=core"]
    );
    assert_eq!(app.aws.tags_of(&accounts[1]).await, ["team=core"]);

    let states = ok(cli(
        &app,
        &[
            "campaign",
            "targets",
            "--campaign-id",
            &id,
            "--query",
            "Targets[].[Target.Id, State]",
            "--output",
            "text",
        ],
    )
    .await);
    assert_eq!(
        states,
        format!("{}\tCOMPLETE\n{}\tCOMPLETE\n", accounts[0], accounts[1])
    );
    // Its handshakes name it, and list finds them by it.
    let campaign_ids = ok(cli(
        &app,
        &[
            "list",
            "--campaign-id",
            &id,
            "--query",
            "Handshakes[].CampaignId",
            "--output",
            "text",
        ],
    )
    .await);
    assert_eq!(campaign_ids, format!("{id}\t{id}\n"));
    let listed = ok(cli(
        &app,
        &[
            "campaign",
            "list",
            "--query",
            "Campaigns[].Id",
            "--output",
            "text",
        ],
    )
    .await);
    assert!(listed.contains(&id), "{listed}");
    // Over: a watch prints it once and exits 0.
    let run = cli(
        &app,
        &[
            "campaign",
            "watch",
            &id,
            "--query",
            "Campaign.State",
            "--output",
            "text",
        ],
    )
    .await;
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "DONE\n"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn watch_prints_each_change_and_exits_7_when_a_target_declines() {
    let app = spawn_app().await;
    let accounts = [random_account_id(), random_account_id()];
    let id = create_campaign(&app, &[&accounts[0], &accounts[1]]).await;
    let mut child = command(
        &app,
        &[
            "campaign",
            "watch",
            "--id",
            &id,
            "--query",
            "[Campaign.State, Campaign.Counts.Complete, Campaign.Counts.Declined]",
            "--output",
            "text",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(next_line(&mut lines).await.starts_with("ACTIVE\t0\t0"));

    let handshakes = handshake_ids(&app, &id, 2).await;
    app.aws.accept(&accounts[0], &handshakes[0]).await;
    app.aws.decline(&accounts[1], &handshakes[1]).await;

    let mut seen = Vec::new();
    let status = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            seen.push(line);
        }
        child.wait().await
    })
    .await
    .expect("the watch ends once the campaign is DONE")
    .unwrap();
    assert_eq!(status.code(), Some(7), "{seen:?}");
    assert_eq!(
        seen.last().map(String::as_str),
        Some("DONE\t1\t1"),
        "{seen:?}"
    );
}

#[tokio::test]
async fn pause_resume_and_cancel_print_the_campaign_and_a_canceled_one_exits_8() {
    let app = spawn_app().await;
    let id = create_campaign(&app, &[&random_account_id()]).await;
    let state = |args: &'static [&'static str]| {
        let app = &app;
        let id = id.clone();
        async move {
            let mut argv = vec!["campaign"];
            argv.extend_from_slice(args);
            argv.extend_from_slice(&[&id, "--query", "Campaign.State", "--output", "text"]);
            ok(cli(app, &argv).await).trim().to_string()
        }
    };
    assert_eq!(state(&["pause"]).await, "PAUSED");
    assert_eq!(state(&["get"]).await, "PAUSED");
    assert_eq!(state(&["resume"]).await, "ACTIVE");
    assert_eq!(
        state(&["cancel", "--cancel-open-invitations"]).await,
        "CANCELED"
    );
    let run = cli(
        &app,
        &[
            "campaign",
            "watch",
            &id,
            "--query",
            "Campaign.State",
            "--output",
            "text",
        ],
    )
    .await;
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (8, "CANCELED\n"),
        "{}",
        run.stderr
    );
    let table = ok(cli(&app, &["campaign", "get", "--id", &id, "--output", "table"]).await);
    assert!(
        table.contains("GetCampaign") && table.contains("Counts"),
        "{table}"
    );
}
