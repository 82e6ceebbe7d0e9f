//! `--generate-cli-skeleton` fed back through `--cli-input-json`/`-yaml`
//! with only some members filled in, the AWS CLI's documented workflow,
//! run as the built binary against a server on port 0: what was left as
//! printed asks for nothing.
use serde_json::{json, Value};

use crate::cli::{cli, ok};
use crate::helpers::*;

/// The skeleton with Target, Notes and Tags filled in, nothing else.
fn filled(mut skeleton: Value, account: &str) -> Value {
    skeleton["Target"] = json!({"Id": account, "Type": "ACCOUNT"});
    skeleton["Notes"] = json!("Welcome aboard.");
    skeleton["Tags"] = json!([{"Key": "team", "Value": "payments"}]);
    skeleton
}

#[tokio::test]
async fn a_json_skeleton_with_target_notes_and_tags_filled_in_invites() {
    let app = spawn_app().await;
    let skeleton = ok(cli(&app, &["invite", "--generate-cli-skeleton"]).await);
    let skeleton: Value = serde_json::from_str(&skeleton).unwrap();
    // The placeholders this test is about: an onboarding and a renewal
    // that nobody asked for.
    assert_eq!(skeleton["Onboarding"]["DestinationParentId"], "");
    assert_eq!(skeleton["Onboarding"]["OnAcceptFailure"], "LEAVE_OPEN");
    assert!(skeleton["Renewal"].is_object(), "{skeleton}");

    let account = random_account_id();
    let input = filled(skeleton, &account).to_string();
    let out = ok(cli(&app, &["invite", "--cli-input-json", &input]).await);

    let v: Value = serde_json::from_str(&out).unwrap();
    let h = &v["Handshake"];
    assert_eq!(h["State"], "OPEN", "{out}");
    assert!(
        h["Parties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["Id"] == account.as_str()),
        "{out}"
    );
    assert!(
        h.get("Onboarding").is_none(),
        "no onboarding was asked for: {out}"
    );
}

#[tokio::test]
async fn a_yaml_skeleton_with_target_notes_and_tags_filled_in_invites() {
    let app = spawn_app().await;
    let skeleton = ok(cli(&app, &["invite", "--generate-cli-skeleton", "yaml-input"]).await);
    let skeleton: Value = serde_norway::from_str(&skeleton).unwrap();

    let account = random_account_id();
    let input = serde_norway::to_string(&filled(skeleton, &account)).unwrap();
    let out = ok(cli(&app, &["invite", "--cli-input-yaml", &input]).await);

    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["Handshake"]["State"], "OPEN", "{out}");
    assert!(v["Handshake"].get("Onboarding").is_none(), "{out}");
}

#[tokio::test]
async fn an_untouched_skeleton_says_which_required_parameter_is_missing() {
    let app = spawn_app().await;
    let skeleton = ok(cli(&app, &["invite", "--generate-cli-skeleton"]).await);
    let run = cli(&app, &["invite", "--cli-input-json", &skeleton]).await;
    // Checked before anything is sent, as a usage error (252), not the
    // service's INVALID_ARGUMENT on an empty target id.
    assert_eq!(run.code, 252, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("Missing required parameter in input: \"Target\""),
        "{}",
        run.stderr
    );
    assert_eq!(app.handshake_rows().await, 0, "nothing was sent");
}
