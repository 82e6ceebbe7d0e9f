//! Tests of `deliveries list` and `deliveries redeliver`: their flags and
//! input, as the requests they send, and the usage errors that send none.
use clap::Parser;

use super::*;
use crate::client::flags::ClientCommand;

#[derive(Parser)]
struct Argv {
    #[command(subcommand)]
    cmd: ClientCommand,
}

fn parsed(argv: &[&str]) -> DeliveriesCommand {
    let argv = ["org-invites", "deliveries"].iter().chain(argv);
    match Argv::try_parse_from(argv).unwrap().cmd {
        ClientCommand::Deliveries(c) => c,
        _ => unreachable!("a deliveries command line"),
    }
}

/// The first page's request `org-invites deliveries list ARGV...` sends.
fn list_request(argv: &[&str]) -> Result<pb::ListDeliveriesRequest, CliError> {
    let DeliveriesCommand::List(a) = parsed(&[&["list"], argv].concat()) else {
        unreachable!("a deliveries list")
    };
    let input = Input::new(
        &schema::DELIVERIES_LIST,
        a.input.cli_input_json.as_deref(),
        a.input.cli_input_yaml.as_deref(),
    )?;
    let (params, _) = list_params(&a, input)?;
    Ok(params.request(String::new(), 0))
}

/// The request `org-invites deliveries redeliver ARGV...` sends.
fn redeliver_request(argv: &[&str]) -> Result<pb::RedeliverEventsRequest, CliError> {
    let DeliveriesCommand::Redeliver(a) = parsed(&[&["redeliver"], argv].concat()) else {
        unreachable!("a deliveries redeliver")
    };
    let input = Input::new(
        &schema::DELIVERIES_REDELIVER,
        a.input.cli_input_json.as_deref(),
        a.input.cli_input_yaml.as_deref(),
    )?;
    Ok(redeliver_params(&a, input)?.into_request())
}

fn usage<T: std::fmt::Debug>(r: Result<T, CliError>) -> String {
    match r {
        Err(CliError::Usage(m)) => m,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

#[test]
fn states_are_taken_in_any_case_repeated_or_as_a_comma_list() {
    let req = list_request(&[
        "--subscription",
        "hooks",
        "--state",
        "dead,Pending",
        "--state",
        "DELIVERED",
    ])
    .unwrap();
    assert_eq!(req.subscription_id, "hooks");
    assert_eq!(
        req.states,
        [
            pb::DeliveryState::Dead as i32,
            pb::DeliveryState::Pending as i32,
            pb::DeliveryState::Delivered as i32,
        ]
    );
    let all = list_request(&["--subscription-id", "hooks"]).unwrap();
    assert!(all.states.is_empty(), "no --state: any state");
}

#[test]
fn a_bad_state_is_a_usage_error_naming_the_allowed_values() {
    let m = usage(list_request(&[
        "--subscription",
        "hooks",
        "--state",
        "failed",
    ]));
    assert!(
        m.contains("Invalid value for parameter States[0], value: FAILED, valid values: PENDING, DELIVERED, DEAD"),
        "{m}"
    );
}

#[test]
fn a_list_without_a_subscription_says_which_flag_is_missing() {
    let m = usage(list_request(&["--state", "dead"]));
    assert!(m.contains("--subscription"), "{m}");
    // An input file may name it instead.
    let req = list_request(&["--cli-input-json", r#"{"SubscriptionId": "hooks"}"#]).unwrap();
    assert_eq!(req.subscription_id, "hooks");
}

#[test]
fn event_ids_are_taken_repeated_several_at_once_or_as_json() {
    let req = redeliver_request(&[
        "--subscription",
        "hooks",
        "--event-id",
        "3",
        "4",
        "--event-id",
        " 5 ",
    ])
    .unwrap();
    assert_eq!(req.subscription_id, "hooks");
    assert_eq!(req.event_ids, [3, 4, 5]);
    let req = redeliver_request(&["--subscription", "hooks", "--event-ids", "[7, 8]"]).unwrap();
    assert_eq!(req.event_ids, [7, 8]);
}

#[test]
fn an_event_id_that_is_not_a_whole_number_is_a_usage_error() {
    for bad in ["abc", "1.5", "h-abcdefgh"] {
        let m = usage(redeliver_request(&[
            "--subscription",
            "hooks",
            "--event-id",
            bad,
        ]));
        assert!(
            m.contains(&format!(
                "Error parsing parameter '--event-id': invalid literal for int() with base 10: '{bad}'"
            )),
            "{m}"
        );
    }
    let m = usage(redeliver_request(&[
        "--subscription",
        "hooks",
        "--event-id",
        "0",
    ]));
    assert!(m.contains("valid min value: 1"), "{m}");
}

#[test]
fn a_redelivery_names_its_subscription_and_at_least_one_event() {
    let m = usage(redeliver_request(&["--event-id", "1"]));
    assert!(m.contains("--subscription"), "{m}");
    let m = usage(redeliver_request(&["--subscription", "hooks"]));
    assert!(
        m.contains("Missing required parameter in input: \"EventIds\""),
        "{m}"
    );
}

#[test]
fn an_untouched_redeliver_skeleton_sends_nothing() {
    // The skeleton's placeholder event id is 0, which no event has: fed
    // back with only the subscription filled in, it is refused.
    let mut skeleton = schema::skeleton(&schema::DELIVERIES_REDELIVER);
    assert_eq!(skeleton["EventIds"], serde_json::json!([0]));
    skeleton["SubscriptionId"] = "hooks".into();
    let m = usage(redeliver_request(&[
        "--cli-input-json",
        &skeleton.to_string(),
    ]));
    assert!(
        m.contains("EventIds[0], value: 0, valid min value: 1"),
        "{m}"
    );
    // Flags win over the file.
    let req =
        redeliver_request(&["--cli-input-json", &skeleton.to_string(), "--event-id", "9"]).unwrap();
    assert_eq!(req.event_ids, [9]);
}

#[test]
fn the_yaml_skeleton_comments_each_member() {
    let yaml = schema::yaml_skeleton(&schema::DELIVERIES_REDELIVER);
    assert_eq!(
        yaml,
        "SubscriptionId: ''  # [REQUIRED] The subscription id, as in the subscriptions file: \
         1 to 64 of a-z 0-9 -.\n\
         EventIds:  # [REQUIRED] The events to deliver again, by EventId.\n\
         - 0  # An EventId, as deliveries list prints it.\n"
    );
    let yaml = schema::yaml_skeleton(&schema::DELIVERIES_LIST);
    assert!(
        yaml.contains(
            "- PENDING  # A delivery's state.  Valid values are: PENDING, DELIVERED, DEAD."
        ),
        "{yaml}"
    );
}
