//! Tests of `grpc::status`.
use super::*;
use crate::domain::{FieldViolation, HandshakeId};

fn aws(code: &str, reason: Option<&str>) -> Status {
    Error::Aws(AwsError::new(code, reason.map(str::to_string), "m")).into()
}

#[test]
fn each_aws_error_maps_to_its_grpc_code() {
    let table = [
        ("DuplicateHandshakeException", None, Code::AlreadyExists),
        (
            "HandshakeConstraintViolationException",
            Some("ALREADY_IN_AN_ORGANIZATION"),
            Code::FailedPrecondition,
        ),
        (
            "HandshakeConstraintViolationException",
            Some("HANDSHAKE_RATE_LIMIT_EXCEEDED"),
            Code::ResourceExhausted,
        ),
        (
            "ConstraintViolationException",
            Some("MAX_TAG_LIMIT_EXCEEDED"),
            Code::FailedPrecondition,
        ),
        (
            "ConstraintViolationException",
            Some("HANDSHAKE_RATE_LIMIT_EXCEEDED"),
            Code::ResourceExhausted,
        ),
        ("AccessDeniedException", None, Code::PermissionDenied),
        ("TooManyRequestsException", None, Code::ResourceExhausted),
        ("ServiceException", None, Code::Unavailable),
        ("HandshakeNotFoundException", None, Code::NotFound),
        (
            "InvalidHandshakeTransitionException",
            None,
            Code::FailedPrecondition,
        ),
        (
            "HandshakeAlreadyInStateException",
            None,
            Code::FailedPrecondition,
        ),
        ("FinalizingOrganizationException", None, Code::Unavailable),
        (
            "AWSOrganizationsNotInUseException",
            None,
            Code::FailedPrecondition,
        ),
        ("ConcurrentModificationException", None, Code::Aborted),
        (
            "InvalidInputException",
            Some("INVALID_PATTERN"),
            Code::InvalidArgument,
        ),
        // Billing transfers.
        (
            "HandshakeConstraintViolationException",
            Some("SOURCE_AND_TARGET_CANNOT_MATCH"),
            Code::FailedPrecondition,
        ),
        (
            "ConstraintViolationException",
            Some("RESPONSIBILITY_TRANSFER_MAX_INBOUND_QUOTA_VIOLATION"),
            Code::ResourceExhausted,
        ),
        (
            "ConstraintViolationException",
            Some("UNUSED_PREPAYMENT_BALANCE"),
            Code::FailedPrecondition,
        ),
        (
            "ConstraintViolationException",
            Some("END_DATE_NOT_END_OF_MONTH"),
            Code::FailedPrecondition,
        ),
        (
            "ResponsibilityTransferNotFoundException",
            None,
            Code::NotFound,
        ),
        (
            "ResponsibilityTransferAlreadyInStatusException",
            None,
            Code::FailedPrecondition,
        ),
        (
            "InvalidResponsibilityTransferTransitionException",
            None,
            Code::FailedPrecondition,
        ),
    ];
    for (name, reason, want) in table {
        assert_eq!(aws(name, reason).code(), want, "{name} {reason:?}");
    }
    let timeout = AwsError::with_kind(AwsErrorKind::Timeout, "Timeout", "slow");
    assert_eq!(Status::from(Error::Aws(timeout)).code(), Code::Unavailable);
}

#[test]
fn error_info_carries_the_aws_name_and_reason() {
    let s = aws(
        "HandshakeConstraintViolationException",
        Some("ALREADY_IN_AN_ORGANIZATION"),
    );
    let info = s.get_details_error_info().expect("ErrorInfo");
    assert_eq!(info.reason, "ALREADY_IN_AN_ORGANIZATION");
    assert_eq!(info.domain, AWS_DOMAIN);
    assert_eq!(
        info.metadata["aws_error"],
        "HandshakeConstraintViolationException"
    );
    assert_eq!(info.metadata["aws_reason"], "ALREADY_IN_AN_ORGANIZATION");
    let dup = aws("DuplicateHandshakeException", None)
        .get_details_error_info()
        .unwrap();
    assert_eq!(dup.reason, "DUPLICATE_HANDSHAKE");
}

#[test]
fn rate_limits_and_finalizing_carry_retry_info() {
    for (name, reason) in [
        (
            "HandshakeConstraintViolationException",
            Some("HANDSHAKE_RATE_LIMIT_EXCEEDED"),
        ),
        ("FinalizingOrganizationException", None),
        ("TooManyRequestsException", None),
    ] {
        let retry = aws(name, reason).get_details_retry_info();
        assert!(retry.and_then(|r| r.retry_delay).is_some(), "{name}");
    }
    assert!(aws("DuplicateHandshakeException", None)
        .get_details_retry_info()
        .is_none());
}

#[test]
fn invalid_requests_list_every_bad_field() {
    let v = Violations(vec![
        FieldViolation::new("target.id", "bad"),
        FieldViolation::new("tags[1].key", "worse"),
    ]);
    let s: Status = Error::Invalid(v).into();
    assert_eq!(s.code(), Code::InvalidArgument);
    let fields: Vec<String> = s
        .get_details_bad_request()
        .unwrap()
        .field_violations
        .into_iter()
        .map(|f| f.field)
        .collect();
    assert_eq!(fields, ["target.id", "tags[1].key"]);
}

#[test]
fn not_found_names_the_handshake() {
    let id = HandshakeId::parse("h-abcdefgh12").unwrap();
    let s: Status = Error::NotFound(id).into();
    assert_eq!(s.code(), Code::NotFound);
    assert!(s.message().contains("h-abcdefgh12"));
}

#[test]
fn aws_names_become_upper_snake_reasons() {
    assert_eq!(
        upper_snake("DuplicateHandshakeException"),
        "DUPLICATE_HANDSHAKE"
    );
    assert_eq!(
        upper_snake("AWSOrganizationsNotInUseException"),
        "AWSORGANIZATIONS_NOT_IN_USE"
    );
}
