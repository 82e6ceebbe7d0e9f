//! Exit codes (the AWS CLI's, plus one per unhappy ending of a wait) and how
//! errors are shown: the gRPC code, the AWS error name and reason, each bad
//! field, and a one-line hint.
use std::fmt::Write as _;

use tonic::{Code, Status};
use tonic_types::StatusExt;

pub const SUCCESS: u8 = 0;
/// The handshake ended DECLINED (`--wait`, `watch`).
pub const DECLINED: u8 = 3;
/// The handshake ended CANCELED (`--wait`, `watch`).
pub const CANCELED: u8 = 4;
/// The handshake ended EXPIRED (`--wait`, `watch`).
pub const EXPIRED: u8 = 5;
/// The handshake's onboarding ended FAILED (`--wait`, `watch`), whatever
/// became of the invitation (still OPEN, CANCELED, or ACCEPTED but not
/// placed or tagged).
pub const ONBOARDING_FAILED: u8 = 6;
/// The campaign ended DONE with some target FAILED, DECLINED, CANCELED or
/// EXPIRED (`campaign watch`, `campaign create --watch`); every target
/// COMPLETE or SKIPPED is SUCCESS.
pub const CAMPAIGN_INCOMPLETE: u8 = 7;
/// The campaign ended CANCELED (`campaign watch`, `campaign create --watch`).
pub const CAMPAIGN_CANCELED: u8 = 8;
/// Interrupted (Ctrl-C), as a shell reports SIGINT.
pub const INTERRUPTED: u8 = 130;
/// The command line could not be parsed or a parameter is malformed.
pub const USAGE: u8 = 252;
/// The configuration (endpoint, environment) is not usable.
pub const CONFIG: u8 = 253;
/// The service answered with an error status.
pub const SERVICE: u8 = 254;
/// Anything else: cannot connect, timed out, cannot write.
pub const OTHER: u8 = 255;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Config(String),
    #[error("error from {operation}")]
    Service {
        operation: &'static str,
        status: Box<Status>,
    },
    #[error("{0}")]
    Other(String),
}

impl CliError {
    pub fn service(operation: &'static str, status: Status) -> Self {
        Self::Service {
            operation,
            status: Box::new(status),
        }
    }

    pub fn code(&self) -> u8 {
        match self {
            Self::Usage(_) => USAGE,
            Self::Config(_) => CONFIG,
            Self::Service { .. } => SERVICE,
            Self::Other(_) => OTHER,
        }
    }

    /// What to print on stderr.
    pub fn render(&self, command: &str) -> String {
        match self {
            Self::Usage(m) => format!(
                "\n{m}\n\nusage: org-invites {command} [options]\n\
                 To see help text, you can run: org-invites {command} --help\n"
            ),
            Self::Config(m) | Self::Other(m) => format!("\n{m}\n"),
            Self::Service { operation, status } => render_status(operation, status),
        }
    }
}

/// `An error occurred (Name) when calling the Op operation: message`, as
/// the AWS CLI says it, then what the status carries.
pub fn render_status(operation: &str, status: &Status) -> String {
    let info = status.get_details_error_info();
    let aws_error = info
        .as_ref()
        .and_then(|i| i.metadata.get("aws_error").cloned());
    let aws_reason = info
        .as_ref()
        .and_then(|i| i.metadata.get("aws_reason").cloned());
    let name = aws_error
        .clone()
        .or_else(|| info.as_ref().map(|i| i.reason.clone()))
        .unwrap_or_else(|| code_name(status.code()).to_string());
    let mut out = format!(
        "\nAn error occurred ({name}) when calling the {operation} operation: {}\n",
        status.message()
    );
    let _ = writeln!(out, "  gRPC status: {}", grpc_code(status.code()));
    if let Some(info) = &info {
        let reason = aws_reason.as_deref().unwrap_or(&info.reason);
        let _ = writeln!(out, "  reason: {reason} ({})", info.domain);
    }
    if let Some(bad) = status.get_details_bad_request() {
        for v in bad.field_violations {
            let _ = writeln!(out, "  invalid {}: {}", v.field, v.description);
        }
    }
    let retry = status
        .get_details_retry_info()
        .and_then(|r| r.retry_delay)
        .map(|d| d.as_secs_f64());
    let reason = info.as_ref().map(|i| i.reason.as_str()).unwrap_or("");
    let transfer = operation.contains("Transfer");
    let _ = writeln!(
        out,
        "  hint: {}",
        hint(status.code(), reason, retry, transfer)
    );
    out
}

/// `transfer`: the operation is one of the billing-transfer calls, whose
/// ids and duplicates are found with the transfer lists, not `list`.
fn hint(code: Code, reason: &str, retry: Option<f64>, transfer: bool) -> String {
    let after = retry.map_or_else(String::new, |s| format!(" after {s:.0}s"));
    match (code, reason) {
        (_, "NOT_RECORDED") => {
            "the invitation may have been sent: retry with the same --request-id".into()
        }
        (_, "REQUEST_ID_REUSED") => "use a new --request-id for a different invitation".into(),
        (_, "REQUEST_IN_PROGRESS") => {
            format!("the same --request-id is in flight; retry{after}")
        }
        (_, r) if r.starts_with("RESPONSIBILITY_TRANSFER_MAX_") && r.ends_with("_QUOTA_VIOLATION") => {
            "an AWS billing-transfer quota is reached (inbound transfers are 0 until raised, \
             outbound 1): raise it in Service Quotas or end a transfer; waiting does not help"
                .into()
        }
        (_, "SOURCE_AND_TARGET_CANNOT_MATCH") => {
            "name the other organization's management account, not an account of this one".into()
        }
        (_, "RESPONSIBILITY_TRANSFER_ALREADY_EXISTS") => {
            "a transfer between these organizations exists already: \
             `org-invites list-outbound-responsibility-transfers --type BILLING`"
                .into()
        }
        (_, "UNUSED_PREPAYMENT_BALANCE") => {
            "the organization has an unused prepayment balance: settle it in AWS Billing first".into()
        }
        (_, "LEGACY_PERMISSIONS_STILL_IN_USE") => {
            "move the organization's billing permissions off the legacy aws-portal actions first"
                .into()
        }
        (_, r) if r.starts_with("END_DATE_") => {
            "--end-timestamp must be a month's last second (e.g. 2027-03-31T23:59:59Z), \
             late enough and not too late for AWS; or leave it out for AWS's default"
                .into()
        }
        (Code::InvalidArgument, _) => {
            "fix the fields listed above and run the command again; nothing was sent".into()
        }
        (Code::NotFound, _) if transfer => {
            "check the id; `org-invites list-outbound-responsibility-transfers --type BILLING` \
             and `list-inbound-responsibility-transfers` show every recorded transfer and its \
             ActiveHandshakeId"
                .into()
        }
        (Code::AlreadyExists, _) if transfer => {
            "a transfer invitation is already open: `org-invites \
             list-outbound-responsibility-transfers --type BILLING --status REQUESTED`"
                .into()
        }
        (Code::NotFound, _) => {
            "check the id; `org-invites list` shows every recorded handshake, \
             `org-invites campaign list` every campaign"
                .into()
        }
        (Code::AlreadyExists, _) => {
            "an open invitation for this account exists: `org-invites list --state OPEN --target ID`"
                .into()
        }
        (Code::FailedPrecondition, _) => {
            "the organization, account or handshake is not in a state that allows this (see the reason)"
                .into()
        }
        (Code::PermissionDenied, _) => {
            "the service's AWS credentials are not allowed to do this".into()
        }
        (Code::ResourceExhausted, _) => format!("a limit was reached; retry{after}"),
        (Code::Unavailable, _) => {
            format!("the service, its database or AWS is unavailable; retry{after} (invite: with the same --request-id)")
        }
        (Code::Aborted, _) => format!("a concurrent change got in the way; retry{after}"),
        (Code::DeadlineExceeded, _) => "raise --cli-read-timeout or retry".into(),
        (Code::Unimplemented, _) => {
            "the server at --endpoint does not serve orginvites.v1 (or is too old)".into()
        }
        _ => "see the server's logs for details".into(),
    }
}

/// The AWS-CLI-style error name used when the status has no ErrorInfo.
fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "Ok",
        Code::Cancelled => "Cancelled",
        Code::Unknown => "Unknown",
        Code::InvalidArgument => "InvalidArgument",
        Code::DeadlineExceeded => "DeadlineExceeded",
        Code::NotFound => "NotFound",
        Code::AlreadyExists => "AlreadyExists",
        Code::PermissionDenied => "PermissionDenied",
        Code::ResourceExhausted => "ResourceExhausted",
        Code::FailedPrecondition => "FailedPrecondition",
        Code::Aborted => "Aborted",
        Code::OutOfRange => "OutOfRange",
        Code::Unimplemented => "Unimplemented",
        Code::Internal => "Internal",
        Code::Unavailable => "Unavailable",
        Code::DataLoss => "DataLoss",
        Code::Unauthenticated => "Unauthenticated",
    }
}

/// `ALREADY_EXISTS`, as gRPC names codes.
fn grpc_code(code: Code) -> String {
    let name = code_name(code);
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use tonic_types::{ErrorDetails, FieldViolation};

    #[test]
    fn an_aws_error_shows_its_name_reason_code_and_a_hint() {
        let metadata = HashMap::from([
            (
                "aws_error".to_string(),
                "HandshakeConstraintViolationException".to_string(),
            ),
            (
                "aws_reason".to_string(),
                "ALREADY_IN_AN_ORGANIZATION".to_string(),
            ),
        ]);
        let status = Status::with_error_details(
            Code::FailedPrecondition,
            "AWS Organizations: already in an organization",
            ErrorDetails::with_error_info(
                "ALREADY_IN_AN_ORGANIZATION",
                "organizations.amazonaws.com",
                metadata,
            ),
        );
        let text = render_status("InviteAccount", &status);
        assert!(
            text.contains(
                "An error occurred (HandshakeConstraintViolationException) when calling the \
             InviteAccount operation: AWS Organizations: already in an organization"
            ),
            "{text}"
        );
        assert!(text.contains("gRPC status: FAILED_PRECONDITION"), "{text}");
        assert!(
            text.contains("reason: ALREADY_IN_AN_ORGANIZATION (organizations.amazonaws.com)"),
            "{text}"
        );
        assert!(text.contains("hint: "), "{text}");
    }

    #[test]
    fn billing_transfer_reasons_get_their_own_hints() {
        let quota = hint(
            Code::ResourceExhausted,
            "RESPONSIBILITY_TRANSFER_MAX_INBOUND_QUOTA_VIOLATION",
            None,
            true,
        );
        assert!(quota.contains("Service Quotas"), "{quota}");
        let end = hint(
            Code::InvalidArgument,
            "END_DATE_NOT_END_OF_MONTH",
            None,
            true,
        );
        assert!(end.contains("last second"), "{end}");
        let own = hint(
            Code::InvalidArgument,
            "SOURCE_AND_TARGET_CANNOT_MATCH",
            None,
            true,
        );
        assert!(own.contains("other organization"), "{own}");
    }

    #[test]
    fn a_bad_request_lists_each_field() {
        let status = Status::with_error_details(
            Code::InvalidArgument,
            "invalid request",
            ErrorDetails::with_bad_request(vec![FieldViolation::new(
                "target.id",
                "must be 12 digits",
            )]),
        );
        let text = render_status("InviteAccount", &status);
        assert!(text.contains("(InvalidArgument)"), "{text}");
        assert!(text.contains("gRPC status: INVALID_ARGUMENT"), "{text}");
        assert!(
            text.contains("invalid target.id: must be 12 digits"),
            "{text}"
        );
        assert!(text.contains("nothing was sent"), "{text}");
    }

    #[test]
    fn a_transfer_calls_hints_point_at_the_transfer_lists() {
        let text = render_status("GetTransfer", &Status::not_found("no transfer rt-abcdefgh"));
        assert!(
            text.contains(
                "hint: check the id; `org-invites list-outbound-responsibility-transfers"
            ),
            "{text}"
        );
        let text = render_status("InviteTransfer", &Status::already_exists("open"));
        assert!(text.contains("--status REQUESTED`"), "{text}");
        let text = render_status("GetHandshake", &Status::not_found("no handshake"));
        assert!(text.contains("`org-invites list` shows"), "{text}");
    }

    #[test]
    fn each_kind_of_error_has_its_own_exit_code() {
        assert_eq!(CliError::Usage(String::new()).code(), 252);
        assert_eq!(CliError::Config(String::new()).code(), 253);
        assert_eq!(
            CliError::service("GetHandshake", Status::not_found("x")).code(),
            254
        );
        assert_eq!(CliError::Other(String::new()).code(), 255);
        let codes = [
            SUCCESS,
            DECLINED,
            CANCELED,
            EXPIRED,
            ONBOARDING_FAILED,
            CAMPAIGN_INCOMPLETE,
            CAMPAIGN_CANCELED,
            INTERRUPTED,
            USAGE,
            CONFIG,
            SERVICE,
            OTHER,
        ];
        let mut unique = codes.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
    }
}
