//! Tests of the transfer lists and `watch-transfers`: their flags and
//! input, as the requests they send, and the usage errors that send none.
use super::super::tests::{input, parsed, usage};
use super::*;
use crate::client::flags::TransferCommand as T;

/// The first page's request `org-invites list-...-responsibility-transfers
/// ARGV...` sends.
fn list_request(argv: &[&str]) -> Result<pb::ListTransfersRequest, CliError> {
    let (a, direction) = match parsed(argv) {
        T::ListInboundResponsibilityTransfers(a) => (a, pb::TransferDirection::Inbound),
        T::ListOutboundResponsibilityTransfers(a) => (a, pb::TransferDirection::Outbound),
        _ => unreachable!("a list"),
    };
    let i = input(&schema::TRANSFER_LIST, &a.input);
    let (params, _) = list_params(&a, i)?;
    Ok(params.request(direction, String::new(), 0))
}

#[test]
fn each_list_asks_for_its_own_direction_and_the_statuses_given() {
    use pb::ResponsibilityTransferStatus as S;
    let req =
        list_request(&["list-inbound-responsibility-transfers", "--type", "BILLING"]).unwrap();
    assert_eq!(req.direction, pb::TransferDirection::Inbound as i32);
    assert!(req.statuses.is_empty());
    let req = list_request(&[
        "list-outbound-responsibility-transfers",
        "--type",
        "billing",
        "--status",
        "requested,Accepted",
        "--statuses",
        "WITHDRAWN",
    ])
    .unwrap();
    assert_eq!(req.direction, pb::TransferDirection::Outbound as i32);
    assert_eq!(
        req.statuses,
        [S::Requested as i32, S::Accepted as i32, S::Withdrawn as i32]
    );
}

#[test]
fn a_list_without_its_type_or_with_an_unknown_status_is_a_usage_error() {
    let m = usage(list_request(&["list-inbound-responsibility-transfers"]));
    assert!(
        m.contains("Missing required parameter in input: \"Type\""),
        "{m}"
    );
    let m = usage(list_request(&[
        "list-outbound-responsibility-transfers",
        "--type",
        "BILLING",
        "--status",
        "open",
    ]));
    assert!(
        m.contains(
            "Invalid value for parameter Statuses[0], value: OPEN, valid values: REQUESTED, \
             DECLINED, CANCELED, EXPIRED, ACCEPTED, WITHDRAWN"
        ),
        "{m}"
    );
}

#[test]
fn a_list_pages_as_list_does() {
    let T::ListOutboundResponsibilityTransfers(a) = parsed(&[
        "list-outbound-responsibility-transfers",
        "--type",
        "BILLING",
        "--max-items",
        "0",
    ]) else {
        unreachable!()
    };
    let i = input(&schema::TRANSFER_LIST, &a.input);
    let Err(CliError::Usage(m)) = list_params(&a, i) else {
        panic!("expected a usage error")
    };
    assert!(m.contains("--max-items must be at least 1"), "{m}");
}

fn watch_request(argv: &[&str]) -> Result<pb::WatchTransfersRequest, CliError> {
    let T::WatchTransfers(a) = parsed(&[&["watch-transfers"], argv].concat()) else {
        unreachable!()
    };
    let i = input(&schema::WATCH_TRANSFERS, &a.input);
    Ok(watch_params(&a, i)?.into_request())
}

#[test]
fn a_watch_starts_from_its_resume_token_in_the_directions_given() {
    let req = watch_request(&[]).unwrap();
    assert_eq!(req, pb::WatchTransfersRequest::default());
    let req = watch_request(&["--resume-token", "tok", "--direction", "inbound"]).unwrap();
    assert_eq!(req.resume_token, "tok");
    assert_eq!(req.directions, [pb::TransferDirection::Inbound as i32]);
    let req = watch_request(&["--directions", "INBOUND,outbound"]).unwrap();
    assert_eq!(req.directions, [1, 2]);
    let m = usage(watch_request(&["--direction", "sideways"]));
    assert!(
        m.contains("Invalid value for parameter Directions[0], value: SIDEWAYS, valid values: INBOUND, OUTBOUND"),
        "{m}"
    );
}
