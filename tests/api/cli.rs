//! The `org-invites` client commands, run as the built binary against a
//! server on port 0 and fakecloud: the AWS CLI page's example, queries and
//! formats, bad parameters, service errors, and waiting for an answer.
use std::{process::Stdio, time::Duration};

use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader, Lines};

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_org-invites");
const PAGE_NOTES: &str = "This is a request for Juan's account to join Bill's organization.";

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
async fn next_line<R: AsyncBufRead + Unpin>(lines: &mut Lines<R>) -> String {
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
async fn invite_id(app: &TestApp, account: &str) -> String {
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

#[tokio::test]
async fn the_pages_example_prints_the_aws_clis_handshake_shape() {
    let app = spawn_app().await;
    let out = ok(cli(
        &app,
        &[
            "invite",
            "--target",
            r#"{"Type": "EMAIL", "Id": "juan@example.com"}"#,
            "--notes",
            PAGE_NOTES,
        ],
    )
    .await);

    let v: Value = serde_json::from_str(&out).expect("JSON on stdout");
    let h = &v["Handshake"];
    let keys: Vec<&str> = h.as_object().unwrap().keys().map(String::as_str).collect();
    let mut sorted_keys = keys.clone();
    sorted_keys.sort();
    assert_eq!(
        sorted_keys,
        [
            "Action",
            "Arn",
            "ExpirationTimestamp",
            "Id",
            "Parties",
            "RequestedTimestamp",
            "Resources",
            "State"
        ]
    );
    assert!(h["Id"].as_str().unwrap().starts_with("h-"), "{out}");
    assert!(
        h["Arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:organizations::"),
        "{out}"
    );
    assert_eq!(h["State"], "OPEN");
    assert_eq!(h["Action"], "INVITE");
    assert!(
        h["RequestedTimestamp"].is_f64() && h["ExpirationTimestamp"].is_f64(),
        "{out}"
    );
    let parties = h["Parties"].as_array().unwrap();
    assert!(
        parties
            .iter()
            .any(|p| p["Id"] == "juan@example.com" && p["Type"] == "EMAIL"),
        "{out}"
    );
    assert!(parties.iter().any(|p| p["Type"] == "ORGANIZATION"), "{out}");
    // Printed in the AWS model's order, four spaces deep, as the AWS CLI does.
    let id_at = out.find("        \"Id\"").unwrap();
    let arn_at = out.find("        \"Arn\"").unwrap();
    let resources_at = out.find("        \"Resources\"").unwrap();
    assert!(id_at < arn_at && arn_at < resources_at, "{out}");
    assert_eq!(app.handshake_rows().await, 1);
}

#[tokio::test]
async fn a_query_with_text_output_prints_just_the_id() {
    let app = spawn_app().await;
    let target = format!("Id={},Type=ACCOUNT", random_account_id());
    let out = ok(cli(
        &app,
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
    let id = out.strip_suffix('\n').expect("one line");
    assert!(
        regex::Regex::new(r"^h-[0-9a-z]{8,32}$")
            .unwrap()
            .is_match(id),
        "{out:?}"
    );

    let state = ok(cli(
        &app,
        &["get", id, "--query", "Handshake.State", "--output", "text"],
    )
    .await);
    assert_eq!(state, "OPEN\n");
}

#[tokio::test]
async fn table_and_yaml_output_render_the_handshake() {
    let app = spawn_app().await;
    let id = invite_id(&app, &random_account_id()).await;

    let table = ok(cli(&app, &["get", &id, "--output", "table"]).await);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].chars().all(|c| c == '-'), "{table}");
    assert!(lines[1].contains("GetHandshake"), "{table}");
    assert!(table.contains("Handshake"), "{table}");
    assert!(table.contains(&id), "{table}");
    assert!(table.contains("OPEN"), "{table}");
    assert!(table.contains("Parties"), "{table}");
    let width = lines[0].len();
    assert!(
        lines.iter().all(|l| l.len() == width),
        "every line as wide:\n{table}"
    );

    let yaml = ok(cli(&app, &["list", "--output", "yaml"]).await);
    let v: Value = serde_norway::from_str(&yaml).expect("YAML on stdout");
    assert_eq!(v["Handshakes"][0]["Id"], id.as_str(), "{yaml}");
    assert_eq!(v["Handshakes"][0]["State"], "OPEN", "{yaml}");

    let stream = ok(cli(&app, &["list", "--output", "yaml-stream"]).await);
    let v: Value = serde_norway::from_str(&stream).expect("YAML on stdout");
    assert_eq!(v[0]["Handshakes"][0]["Id"], id.as_str(), "{stream}");
}

#[tokio::test]
async fn bad_targets_exit_252_and_send_nothing() {
    let app = spawn_app().await;
    for (target, says) in [
        (
            "Id=123456789012",
            "Missing required parameter in Target: \"Type\"",
        ),
        (
            "Id=123456789012,Type=PERSON",
            "valid values: ACCOUNT, ORGANIZATION, EMAIL",
        ),
        (
            r#"{"Type": "EMAIL", "Id": "juan@example.com""#,
            "Invalid JSON",
        ),
        ("Id=1,Id=2", "Second instance of key \"Id\""),
        (
            "file:///nonexistent/target.json",
            "Unable to load paramfile",
        ),
    ] {
        let run = cli(&app, &["invite", "--target", target]).await;
        assert_eq!(run.code, 252, "{target}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{target}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{target}: {}", run.stdout);
    }
    let run = cli(
        &app,
        &[
            "invite",
            "--target",
            "Id=123456789012,Type=ACCOUNT",
            "--tags",
            "Key=a,Value=b",
            "Key=c",
        ],
    )
    .await;
    assert_eq!(run.code, 252, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("Missing required parameter in Tags[1]: \"Value\""),
        "{}",
        run.stderr
    );
    let run = cli(
        &app,
        &[
            "invite",
            "--target",
            "Id=123456789012,Type=ACCOUNT",
            "--no-such-flag",
        ],
    )
    .await;
    assert_eq!(
        run.code, 252,
        "clap errors are usage errors too: {}",
        run.stderr
    );

    assert_eq!(app.intent_rows().await, 0, "nothing reached the service");
    assert_eq!(app.handshake_rows().await, 0);
    assert!(app.aws.handshakes_for("123456789012").await.is_empty());
}

#[tokio::test]
async fn a_service_error_exits_254_with_its_code_name_and_a_hint() {
    let app = spawn_app().await;
    let run = cli(&app, &["get", "h-0000000000"]).await;
    assert_eq!(run.code, 254, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("when calling the GetHandshake operation"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("gRPC status: NOT_FOUND"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("reason: HANDSHAKE_NOT_FOUND"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);

    // The server checks what the CLI leaves to it: each bad field is named.
    let run = cli(&app, &["invite", "--target", "Id=12345,Type=ACCOUNT"]).await;
    assert_eq!(run.code, 254, "{}", run.stderr);
    assert!(
        run.stderr.contains("gRPC status: INVALID_ARGUMENT"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("invalid target.id"), "{}", run.stderr);
}

#[tokio::test]
async fn an_unreachable_endpoint_exits_255_and_a_malformed_one_253() {
    let app = spawn_app().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let run = cli(&app, &["get", "h-0000000000", "--endpoint", &dead]).await;
    assert_eq!(run.code, 255, "{}", run.stderr);
    assert!(
        run.stderr.contains("Could not connect to the endpoint URL"),
        "{}",
        run.stderr
    );
    let run = cli(
        &app,
        &["get", "h-0000000000", "--endpoint", "localhost:50051"],
    )
    .await;
    assert_eq!(run.code, 253, "{}", run.stderr);
    let out = command(&app, &["get", "h-0000000000"])
        .env("ORG_INVITES_OUTPUT", "xml")
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(253),
        "an unknown ORG_INVITES_OUTPUT"
    );
}

#[tokio::test]
async fn cli_input_json_is_overridden_by_command_line_values() {
    let app = spawn_app().await;
    let (from_json, from_flag) = (random_account_id(), random_account_id());
    let input =
        format!(r#"{{"Target": {{"Id": "{from_json}", "Type": "ACCOUNT"}}, "Notes": "hi"}}"#);
    let flag = format!("Id={from_flag},Type=ACCOUNT");
    let out = ok(cli(
        &app,
        &["invite", "--cli-input-json", &input, "--target", &flag],
    )
    .await);
    let v: Value = serde_json::from_str(&out).unwrap();
    let parties = v["Handshake"]["Parties"].as_array().unwrap();
    assert!(
        parties.iter().any(|p| p["Id"] == from_flag.as_str()),
        "{out}"
    );
    assert!(
        parties.iter().all(|p| p["Id"] != from_json.as_str()),
        "{out}"
    );

    let skeleton = ok(cli(&app, &["invite", "--generate-cli-skeleton"]).await);
    let v: Value = serde_json::from_str(&skeleton).unwrap();
    assert_eq!(v["Target"]["Type"], "ACCOUNT");
    assert_eq!(app.handshake_rows().await, 1, "the skeleton sent nothing");
}

#[tokio::test]
async fn list_stops_at_max_items_and_goes_on_from_its_next_token() {
    let app = spawn_app().await;
    let first = invite_id(&app, &random_account_id()).await;
    let second = invite_id(&app, &random_account_id()).await;

    let out = ok(cli(&app, &["list", "--max-items", "1", "--page-size", "1"]).await);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["Handshakes"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(
        v["Handshakes"][0]["Id"],
        second.as_str(),
        "newest first: {out}"
    );
    let token = v["NextToken"].as_str().expect("a NextToken").to_string();

    let rest = ok(cli(
        &app,
        &[
            "list",
            "--starting-token",
            &token,
            "--query",
            "Handshakes[].Id",
            "--output",
            "text",
        ],
    )
    .await);
    assert_eq!(rest, format!("{first}\n"));
}

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

/// Each JSON document a `--wait` or `watch` printed, in order.
fn documents(stdout: &str) -> Vec<Value> {
    serde_json::Deserializer::from_str(stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("JSON documents on stdout ({e}):\n{stdout}"))
}

/// `(State, Onboarding.Status)` of each document's handshake.
fn progress(docs: &[Value]) -> Vec<(String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or("-").to_string();
    docs.iter()
        .map(|d| {
            let h = &d["Handshake"];
            (text(&h["State"]), text(&h["Onboarding"]["Status"]))
        })
        .collect()
}

#[tokio::test]
async fn wait_follows_onboarding_to_complete_and_the_account_lands_in_its_ou() {
    let app = spawn_app().await;
    let account = random_account_id();
    app.aws
        .create_role(&account, "OrgInvitesAccept", None)
        .await;
    let ou = app.aws.create_ou("Workloads").await;
    let target = format!("Id={account},Type=ACCOUNT");
    let run = cli(
        &app,
        &[
            "invite",
            "--target",
            &target,
            "--destination-parent-id",
            &ou,
            "--accept-role",
            "OrgInvitesAccept",
            "--wait",
        ],
    )
    .await;
    let out = ok(run);
    let docs = documents(&out);
    let seen = progress(&docs);

    // OPEN, then ACCEPTED, then the onboarding statuses, then COMPLETE: in
    // this order, each printed once. Only what changed between the invite's
    // answer and the watch's start may be folded into one message.
    let order = [
        ("OPEN", "PENDING"),
        ("OPEN", "ACCEPTING"),
        ("ACCEPTED", "ACCEPTING"),
        ("ACCEPTED", "PLACING"),
        ("ACCEPTED", "TAGGING"),
        ("ACCEPTED", "COMPLETE"),
    ];
    let rank = |(s, o): &(String, String)| {
        order
            .iter()
            .position(|(ws, wo)| s == ws && o == wo)
            .unwrap_or_else(|| panic!("unexpected {s}/{o} in {seen:?}\n{out}"))
    };
    let ranks: Vec<usize> = seen.iter().map(rank).collect();
    assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert_eq!(ranks.first(), Some(&0), "the invite's answer: {seen:?}");
    assert_eq!(ranks.last(), Some(&5), "{seen:?}");
    for status in ["PLACING", "TAGGING"] {
        assert!(
            seen.iter().any(|(s, o)| s == "ACCEPTED" && o == status),
            "{status} in {seen:?}"
        );
    }
    let kinds: Vec<&str> = docs.iter().filter_map(|d| d["Kind"].as_str()).collect();
    assert!(kinds.contains(&"STATE_CHANGE"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"ONBOARDING"), "{kinds:?}");

    let last = &docs.last().unwrap()["Handshake"]["Onboarding"];
    assert_eq!(last["Spec"]["DestinationParentId"], ou.as_str(), "{last}");
    assert_eq!(
        last["Spec"]["AcceptRole"],
        format!("arn:aws:iam::{account}:role/OrgInvitesAccept").as_str()
    );
    assert_eq!(last["Spec"]["OnAcceptFailure"], "LEAVE_OPEN", "{last}");
    assert_eq!(last["ParentId"], ou.as_str(), "{last}");
    let steps = last["Steps"].as_array().expect("Steps");
    let names: Vec<&str> = steps.iter().map(|s| s["Step"].as_str().unwrap()).collect();
    assert_eq!(names, ["ACCEPT", "PLACE", "TAG"], "{last}");
    assert!(
        steps
            .iter()
            .all(|s| s["EndTimestamp"].is_f64() && s.get("Error").is_none()),
        "{last}"
    );
    assert_eq!(
        app.aws.parent_of(&account).await.as_deref(),
        Some(ou.as_str())
    );

    // get shows the same object, in every format.
    let id = docs[0]["Handshake"]["Id"].as_str().unwrap();
    let table = ok(cli(&app, &["get", id, "--output", "table"]).await);
    assert!(
        table.contains("Onboarding") && table.contains("COMPLETE"),
        "{table}"
    );
    let width = table.lines().next().unwrap().len();
    assert!(table.lines().all(|l| l.len() == width), "{table}");
    let text = ok(cli(&app, &["get", id, "--output", "text"]).await);
    assert!(
        text.contains(&format!("ONBOARDING\t{ou}\tCOMPLETE\n")),
        "{text}"
    );
    // Settled: watch prints it once and exits 0.
    let run = cli(
        &app,
        &[
            "watch",
            id,
            "--query",
            "Handshake.Onboarding.Status",
            "--output",
            "text",
        ],
    )
    .await;
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "COMPLETE\n"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn wait_exits_6_when_onboarding_fails_whether_the_invitation_stays_open_or_not() {
    let app = spawn_app().await;
    let root = app.aws.root_id().await;
    for (policy, state) in [(None, "OPEN"), (Some("cancel"), "CANCELED")] {
        let account = random_account_id();
        let target = format!("Id={account},Type=ACCOUNT");
        let mut args = vec![
            "invite",
            "--target",
            &target,
            "--destination-parent-id",
            &root,
            "--accept-role",
            "NoSuchRole",
            "--wait",
        ];
        if let Some(p) = policy {
            args.extend(["--on-accept-failure", p]);
        }
        let run = cli(&app, &args).await;
        assert_eq!(
            run.code, 6,
            "{policy:?}\nstdout:\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        );
        let docs = documents(&run.stdout);
        assert_eq!(
            progress(&docs).last().unwrap(),
            &(state.to_string(), "FAILED".to_string()),
            "{policy:?}: {:?}",
            progress(&docs)
        );
        let onboarding = &docs.last().unwrap()["Handshake"]["Onboarding"];
        let accept = &onboarding["Steps"][0];
        assert_eq!(accept["Step"], "ACCEPT", "{onboarding}");
        let error = accept["Error"]["AwsError"].as_str().unwrap_or_default();
        assert!(error.starts_with("AccessDenied"), "{onboarding}");

        // watch says the same of it at once, even while it is still OPEN
        // (where the server's stream would go on).
        let id = docs[0]["Handshake"]["Id"].as_str().unwrap();
        let run = cli(
            &app,
            &[
                "watch",
                id,
                "--query",
                "Handshake.State",
                "--output",
                "text",
            ],
        )
        .await;
        assert_eq!(run.code, 6, "{policy:?}: {}", run.stderr);
        assert_eq!(run.stdout, format!("{state}\n"), "{policy:?}");
    }
}

#[tokio::test]
async fn if_open_exists_return_existing_prints_the_open_invitation_and_sends_nothing() {
    let app = spawn_app().await;
    let account = random_account_id();
    let target = format!("Id={account},Type=ACCOUNT");
    let invite = |how: &'static str| {
        let target = target.clone();
        let app = &app;
        async move {
            let args = [
                "invite",
                "--target",
                &target,
                "--if-open-exists",
                how,
                "--query",
                "Handshake.Id",
                "--output",
                "text",
            ];
            ok(cli(app, &args).await).trim().to_string()
        }
    };
    let first = invite("return-existing").await;
    assert!(first.starts_with("h-"), "{first}");
    let second = invite("return-existing").await;
    assert_eq!(second, first, "the same open invitation");
    // Upper case, through --cli-input-json, as the skeleton spells it.
    let input = format!(
        r#"{{"Target": {{"Id": "{account}", "Type": "ACCOUNT"}}, "IfOpenExists": "RETURN_EXISTING"}}"#
    );
    let third = ok(cli(
        &app,
        &[
            "invite",
            "--cli-input-json",
            &input,
            "--query",
            "Handshake.Id",
        ],
    )
    .await);
    assert_eq!(third.trim(), format!("\"{first}\""));
    assert_eq!(app.aws.handshakes_for(&account).await.len(), 1);

    // fail (the default) is AWS's DuplicateHandshake, nothing sent.
    let run = cli(
        &app,
        &["invite", "--target", &target, "--if-open-exists", "fail"],
    )
    .await;
    assert_eq!(run.code, 254, "{}", run.stderr);
    assert!(
        run.stderr.contains("gRPC status: ALREADY_EXISTS"),
        "{}",
        run.stderr
    );
    assert_eq!(app.aws.handshakes_for(&account).await.len(), 1);
}

#[tokio::test]
async fn quota_shows_pending_invitations_and_member_accounts_as_aws_counts_them() {
    let app = spawn_app().await;
    invite_id(&app, &random_account_id()).await;
    let members = app
        .aws
        .management_client()
        .list_accounts()
        .send()
        .await
        .unwrap()
        .accounts()
        .len();
    // The polling replica counts the members after its first sweep.
    let quota = eventually(Duration::from_secs(30), "MemberAccounts", || async {
        let out = ok(cli(&app, &["quota"]).await);
        let v: Value = serde_json::from_str(&out).expect("JSON on stdout");
        if v["Quota"].get("MemberAccounts").is_some() {
            return Ok(v);
        }
        assert!(
            v["Quota"].get("MemberAccountsTimestamp").is_none(),
            "no time before a count: {out}"
        );
        Err(out)
    })
    .await;
    let q = &quota["Quota"];
    assert_eq!(q["MemberAccounts"], members, "{quota}");
    assert_eq!(q["PendingInvitations"], 1, "{quota}");
    assert_eq!(q["Used"], 1, "{quota}");
    assert_eq!(q["Remaining"], q["Limit"].as_i64().unwrap() - 1, "{quota}");
    assert_eq!(q["WindowSeconds"], 86400, "{quota}");
    assert!(q["NextSlotTimestamp"].is_f64(), "{quota}");
    assert!(q["MemberAccountsTimestamp"].is_f64(), "{quota}");

    let text = ok(cli(
        &app,
        &[
            "quota",
            "--query",
            "[Quota.PendingInvitations, Quota.MemberAccounts]",
            "--output",
            "text",
        ],
    )
    .await);
    assert_eq!(text, format!("1\t{members}\n"));
    let table = ok(cli(&app, &["quota", "--output", "table"]).await);
    assert!(table.contains("GetInvitationQuota"), "{table}");
    assert!(table.contains("PendingInvitations"), "{table}");
    let skeleton = ok(cli(&app, &["quota", "--generate-cli-skeleton", "output"]).await);
    let v: Value = serde_json::from_str(&skeleton).unwrap();
    assert!(
        v["Quota"].get("MemberAccountsTimestamp").is_some(),
        "{skeleton}"
    );
}

#[tokio::test]
async fn watch_follows_an_expired_invitation_to_its_renewal_and_exits_5_when_that_expires() {
    let (fakecloud, clock) = Fakecloud::start_with_clock().await;
    let app = spawn_app_with(
        fresh_database().await,
        AppOptions {
            fakecloud: Some(fakecloud),
            ..AppOptions::default()
        },
    )
    .await;
    let account = random_account_id();
    let target = format!("Id={account},Type=ACCOUNT");
    let first = ok(cli(
        &app,
        &[
            "invite",
            "--target",
            &target,
            "--max-renewals",
            "1",
            "--query",
            "Handshake.Id",
            "--output",
            "text",
        ],
    )
    .await)
    .trim()
    .to_string();

    // One line per message: id, state, kind, the renewal's link.
    let query = "[Handshake.Id, Handshake.State, Kind, Handshake.Renewal.RenewedTo]";
    let mut child = command(
        &app,
        &["watch", &first, "--query", query, "--output", "text"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let stderr = child.stderr.take().unwrap();
    let stderr = tokio::spawn(async move {
        let mut s = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut BufReader::new(stderr), &mut s)
            .await
            .unwrap();
        s
    });
    let mut seen = vec![next_line(&mut lines).await];
    assert_eq!(seen[0], format!("{first}\tOPEN\tNone\tNone"));

    // The first expires and is renewed; the watch goes on with the renewal.
    clock.set("+16d");
    let renewal = loop {
        let line = next_line(&mut lines).await;
        seen.push(line.clone());
        if !line.starts_with(&first) {
            break line.split('\t').next().unwrap().to_string();
        }
    };
    assert_ne!(renewal, first);
    assert_eq!(
        seen.last().unwrap(),
        &format!("{renewal}\tOPEN\tNone\tNone")
    );

    // The renewal expires too, with no renewal left.
    clock.set("+32d");
    while let Some(line) = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("a line or the end within 30 s")
        .unwrap()
    {
        seen.push(line);
    }
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits once the renewal expired")
        .unwrap();
    let stderr = stderr.await.unwrap();
    assert_eq!(status.code(), Some(5), "{seen:#?}\n{stderr}");
    let of = |id: &str| -> Vec<String> {
        seen.iter()
            .filter(|l| l.starts_with(&format!("{id}\t")))
            .map(|l| l.split_once('\t').unwrap().1.to_string())
            .collect()
    };
    let old = of(&first);
    assert_eq!(old.first().unwrap(), "OPEN\tNone\tNone", "{seen:#?}");
    assert_eq!(
        old.last().unwrap(),
        &format!("EXPIRED\tRENEWAL\t{renewal}"),
        "{seen:#?}"
    );
    let new = of(&renewal);
    assert_eq!(new.first().unwrap(), "OPEN\tNone\tNone", "{seen:#?}");
    assert_eq!(
        new.last().unwrap(),
        "EXPIRED\tSTATE_CHANGE\tNone",
        "{seen:#?}"
    );
    assert_eq!(old.len() + new.len(), seen.len(), "{seen:#?}");
    assert!(
        stderr.contains(&format!(
            "note: {first} expired and was renewed as {renewal}; following it"
        )),
        "{stderr}"
    );
    assert_eq!(app.aws.handshakes_for(&account).await.len(), 2);
}
