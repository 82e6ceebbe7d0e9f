//! Text and table output checked against what awscli's own formatters print
//! for the page's handshake (`testdata/awscli_golden.py` made the files).
use serde_json::json;

use super::{output, shape, table, text};

mod transfer;

fn page() -> serde_json::Value {
    shape::handshake_output(&shape::tests::page_example())
}

fn page_list() -> serde_json::Value {
    let mut second = shape::tests::page_example();
    second.id = "h-second000000".into();
    second.state = crate::proto::v1::HandshakeState::Accepted as i32;
    json!({"Handshakes": [
        shape::handshake(&shape::tests::page_example()),
        shape::handshake(&second),
    ]})
}

/// A watch event as awscli renders it: text, a table 80 and 200 columns
/// wide, each against its golden file; and YAML that reads back as it.
fn assert_event_renders(event: &serde_json::Value, text: &str, table80: &str, table200: &str) {
    assert_eq!(text::render(event), text);
    assert_eq!(table::render("WatchHandshake", event, 80, false), table80);
    assert_eq!(table::render("WatchHandshake", event, 200, false), table200);
    let back: serde_json::Value = serde_norway::from_str(&output::yaml(event)).unwrap();
    assert_eq!(&back, event);
}

/// Each of `keys` (quoted) appears in `got`, in this order.
fn assert_in_order(got: &str, keys: &[&str]) {
    let at: Vec<usize> = keys
        .iter()
        .map(|k| got.find(k).unwrap_or_else(|| panic!("{k} missing: {got}")))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{got}");
}

/// The keys of the object one level in (eight spaces), in order.
fn second_level_keys(got: &str) -> Vec<&str> {
    got.lines()
        .filter(|l| l.starts_with("        \""))
        .map(|l| l.trim().split('"').nth(1).unwrap())
        .collect()
}

/// A watch event of a handshake with an onboarding: objects and a list of
/// objects (one with a member the others lack) nested three deep.
fn onboarding_event() -> serde_json::Value {
    let e = crate::proto::v1::HandshakeEvent {
        handshake: Some(shape::tests::onboarding_example()),
        previous_state: crate::proto::v1::HandshakeState::Accepted as i32,
        resume_token: "tok".into(),
        observe_time: Some(prost_types::Timestamp {
            seconds: 1481656462,
            nanos: 0,
        }),
        kind: crate::proto::v1::HandshakeEventKind::Onboarding as i32,
        ..Default::default()
    };
    shape::event_output(&e)
}

#[test]
fn an_onboarding_renders_as_the_aws_cli_renders_it() {
    assert_event_renders(
        &onboarding_event(),
        include_str!("testdata/onboarding_text.txt"),
        include_str!("testdata/onboarding_table80.txt"),
        include_str!("testdata/onboarding_table200.txt"),
    );
}

/// A RENEWAL event: the handshake's nested Renewal object and its
/// ExpiryWarningTimestamp.
fn renewal_event() -> serde_json::Value {
    let e = crate::proto::v1::HandshakeEvent {
        handshake: Some(shape::tests::lifecycle::renewal_example()),
        previous_state: crate::proto::v1::HandshakeState::Expired as i32,
        resume_token: "tok".into(),
        observe_time: Some(prost_types::Timestamp {
            seconds: 1482952460,
            nanos: 0,
        }),
        kind: crate::proto::v1::HandshakeEventKind::Renewal as i32,
        ..Default::default()
    };
    shape::event_output(&e)
}

#[test]
fn a_renewal_renders_as_the_aws_cli_renders_it() {
    let event = renewal_event();
    assert_event_renders(
        &event,
        include_str!("testdata/renewal_text.txt"),
        include_str!("testdata/renewal_table80.txt"),
        include_str!("testdata/renewal_table200.txt"),
    );
    // JSON in the model's order: the lifecycle's members after the rest.
    assert_in_order(
        &output::json(&event),
        &[
            "\"Resources\"",
            "\"ExpiryWarningTimestamp\"",
            "\"Renewal\"",
            "\"RenewalsLeft\"",
            "\"RenewedFrom\"",
            "\"RenewedTo\"",
            "\"Reason\"",
            "\"PreviousState\"",
        ],
    );
}

#[test]
fn the_quota_renders_as_the_aws_cli_renders_it() {
    let quota = shape::quota_output(&shape::tests::lifecycle::quota_example());
    assert_eq!(
        text::render(&quota),
        include_str!("testdata/quota_text.txt")
    );
    assert_eq!(
        table::render("GetInvitationQuota", &quota, 80, false),
        include_str!("testdata/quota_table80.txt")
    );
    assert_eq!(
        second_level_keys(&output::json(&quota)),
        [
            "Limit",
            "Used",
            "Remaining",
            "WindowSeconds",
            "NextSlotTimestamp",
            "PendingInvitations",
            "MemberAccounts",
            "MemberAccountsTimestamp"
        ]
    );
}

#[test]
fn an_onboarding_prints_in_the_models_order_in_json() {
    let got = output::json(&onboarding_event());
    assert_in_order(
        &got,
        &[
            "\"Handshake\"",
            "\"Resources\"",
            "\"Onboarding\"",
            "\"Spec\"",
            "\"DestinationParentId\"",
            "\"AcceptRole\"",
            "\"OnAcceptFailure\"",
            "\"Status\"",
            "\"Steps\"",
            "\"Step\"",
            "\"StartTimestamp\"",
            "\"EndTimestamp\"",
            "\"Attempts\"",
            "\"ParentId\"",
            "\"PreviousState\"",
            "\"ResumeToken\"",
            "\"ObservedTimestamp\"",
            "\"Kind\"",
        ],
    );
    assert!(
        got.contains("\"AwsError\": \"TooManyRequestsException\",\n"),
        "{got}"
    );
}

#[test]
fn text_output_matches_the_aws_cli() {
    assert_eq!(text::render(&page()), include_str!("testdata/text.txt"));
    assert_eq!(
        text::render(&page_list()),
        include_str!("testdata/list_text.txt")
    );
}

#[test]
fn a_queried_id_prints_as_just_the_id_in_text() {
    assert_eq!(
        text::render(&json!("h-examplehandshakeid111")),
        "h-examplehandshakeid111\n"
    );
    assert_eq!(text::render(&json!(["a", "b"])), "a\tb\n");
    assert_eq!(text::render(&json!(null)), "None\n");
}

#[test]
fn a_table_on_an_80_column_terminal_turns_single_rows_vertical() {
    let got = table::render("InviteAccount", &page(), 80, false);
    assert_eq!(got, include_str!("testdata/table80.txt"));
    let got = table::render("ListHandshakes", &page_list(), 80, false);
    assert_eq!(got, include_str!("testdata/list_table80.txt"));
}

#[test]
fn a_table_on_a_wide_terminal_keeps_rows_across() {
    let got = table::render("InviteAccount", &page(), 200, false);
    assert_eq!(got, include_str!("testdata/table200.txt"));
}

#[test]
fn a_table_of_a_scalar_is_just_its_title() {
    let got = table::render("InviteAccount", &json!("h-abc"), 80, false);
    assert_eq!(got, include_str!("testdata/scalar_table.txt"));
}

#[test]
fn coloured_tables_colour_only_cells_and_borders() {
    let got = table::render("InviteAccount", &page(), 80, true);
    assert!(got.contains("\x1b[1m\x1b[34mINVITE\x1b[0m"), "{got}");
    let plain = got
        .replace("\x1b[1m\x1b[34m", "")
        .replace("\x1b[2m\x1b[33m", "")
        .replace("\x1b[0m", "");
    assert_eq!(plain, include_str!("testdata/table80.txt"));
}

#[test]
fn json_output_keeps_the_aws_models_key_order_and_four_space_indent() {
    let got = output::json(&page());
    assert_eq!(
        second_level_keys(&got),
        [
            "Id",
            "Arn",
            "Parties",
            "State",
            "RequestedTimestamp",
            "ExpirationTimestamp",
            "Action",
            "Resources"
        ]
    );
    assert!(
        got.contains("        \"RequestedTimestamp\": 1481656459.257,\n"),
        "{got}"
    );
    let back: serde_json::Value = serde_json::from_str(&got).unwrap();
    assert_eq!(back, page());
}

#[test]
fn yaml_output_reads_back_as_the_same_document() {
    let got = output::yaml(&page());
    assert!(
        got.starts_with("Handshake:\n  Id: h-examplehandshakeid111\n  Arn: "),
        "{got}"
    );
    assert!(
        got.contains("  Parties:\n  - Id: o-exampleorgid\n    Type: ORGANIZATION\n"),
        "{got}"
    );
    let back: serde_json::Value = serde_norway::from_str(&got).unwrap();
    assert_eq!(back, page());
}
