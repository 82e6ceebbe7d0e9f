//! The client's output and errors: the AWS CLI page's example, queries
//! and formats, bad parameters, service errors, paging.
use serde_json::Value;

use super::*;
use crate::helpers::*;

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
