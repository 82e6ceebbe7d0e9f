//! The one place service errors become gRPC statuses. AWS errors keep their
//! name and reason in `google.rpc.ErrorInfo`; internal errors are logged
//! with their chain and returned opaque.
use std::{collections::HashMap, time::Duration};

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};
use tracing::error;

use crate::{
    aws::{AwsError, AwsErrorKind},
    domain::{QuotaUse, Violations},
    service::Error,
    store::StoreError,
    watch::WatchError,
};

/// ErrorInfo.domain for errors that come from AWS Organizations.
pub const AWS_DOMAIN: &str = "organizations.amazonaws.com";
/// ErrorInfo.domain for this service's own errors.
pub const SERVICE_DOMAIN: &str = "orginvites.v1";

const RATE_LIMIT_REASON: &str = "HANDSHAKE_RATE_LIMIT_EXCEEDED";
/// The daily invitation quota counts over 24 hours; an hour is a sensible next look.
const QUOTA_RETRY: Duration = Duration::from_secs(3600);
/// AWS says to wait an hour while a new organization finalises.
const FINALIZING_RETRY: Duration = Duration::from_secs(3600);
const THROTTLE_RETRY: Duration = Duration::from_secs(1);
/// An account whose membership changed too recently: AWS gives no time;
/// a minute is a sensible next look.
const MEMBERSHIP_RETRY: Duration = Duration::from_secs(60);

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(v) => invalid(&v),
            Error::NotFound(id) => service_status(
                Code::NotFound,
                format!("handshake {id} not found"),
                "HANDSHAKE_NOT_FOUND",
                None,
            ),
            Error::SubscriptionNotFound(id) => service_status(
                Code::NotFound,
                format!("subscription {id} is not in the subscriptions file"),
                "SUBSCRIPTION_NOT_FOUND",
                None,
            ),
            Error::TransferNotFound(id) => service_status(
                Code::NotFound,
                format!("transfer {} not found", id.as_str()),
                "TRANSFER_NOT_FOUND",
                None,
            ),
            Error::CampaignNotFound(id) => service_status(
                Code::NotFound,
                format!("campaign {id} not found"),
                "CAMPAIGN_NOT_FOUND",
                None,
            ),
            Error::CampaignState { id, state } => service_status(
                Code::FailedPrecondition,
                format!("campaign {id} is {}: nothing to change", state.as_str()),
                "CAMPAIGN_STATE",
                None,
            ),
            Error::RequestIdReused => service_status(
                Code::InvalidArgument,
                "request_id was already used for a different invitation; use a new request_id"
                    .into(),
                "REQUEST_ID_REUSED",
                None,
            ),
            Error::InProgress => service_status(
                Code::Aborted,
                "an invitation with this request_id is being sent; retry shortly".into(),
                "REQUEST_IN_PROGRESS",
                Some(THROTTLE_RETRY),
            ),
            // Refused here, never sent: this service's reason, not AWS's.
            Error::Aws(aws) if aws.kind == AwsErrorKind::BudgetExhausted => service_status(
                Code::ResourceExhausted,
                aws.message.clone(),
                "AWS_REQUEST_BUDGET_EXHAUSTED",
                aws_code(&aws).1,
            ),
            Error::Aws(aws) => aws_status(&aws),
            Error::QuotaExhausted(q) => quota_status(&q),
            Error::DestinationMissing(id) => {
                let mut details = ErrorDetails::with_error_info(
                    "DESTINATION_NOT_FOUND",
                    SERVICE_DOMAIN,
                    HashMap::new(),
                );
                details.add_precondition_failure_violation(
                    "DESTINATION_PARENT",
                    format!("onboarding.destination_parent_id:{id}"),
                    "the root or organizational unit does not exist in the organization; \
                     nothing was sent",
                );
                Status::with_error_details(
                    Code::FailedPrecondition,
                    format!("onboarding destination {id} does not exist in the organization"),
                    details,
                )
            }
            Error::OpenExistsConflict { existing, what } => {
                let mut details = ErrorDetails::with_error_info(
                    "OPEN_INVITATION_DIFFERS",
                    SERVICE_DOMAIN,
                    HashMap::from([("handshake_id".to_string(), existing.to_string())]),
                );
                details.add_precondition_failure_violation(
                    "OPEN_INVITATION",
                    format!("handshake:{existing}"),
                    format!("the target's open invitation {existing} has other {what} settings"),
                );
                Status::with_error_details(
                    Code::FailedPrecondition,
                    format!(
                        "the target already has an open invitation, {existing}, with other {what} \
                         settings; cancel it or ask for the same settings"
                    ),
                    details,
                )
            }
            Error::ResumePointPruned => Status::out_of_range(
                "resume_token is older than the events kept; watch from now with an empty resume_token \
                 and read the current state with ListHandshakes",
            ),
            Error::NotRecorded(inner) => {
                error!(error = ?inner, "invitation sent but not recorded");
                service_status(
                    Code::Unavailable,
                    "the invitation may have been sent but could not be recorded yet; \
                     retry with the same request_id"
                        .into(),
                    "NOT_RECORDED",
                    Some(THROTTLE_RETRY),
                )
            }
            Error::NoSession => service_status(
                Code::Unavailable,
                "this replica has no database session right now (starting, or it lost the \
                 session and stopped the call); retry with the same request_id"
                    .into(),
                "NO_SESSION",
                Some(THROTTLE_RETRY),
            ),
            Error::Store(s) if s.is_unavailable() => {
                error!(error = ?s, "database unavailable");
                service_status(
                    Code::Unavailable,
                    "the database is unavailable; retry later".into(),
                    "DATABASE_UNAVAILABLE",
                    Some(THROTTLE_RETRY),
                )
            }
            // The row's id is no secret, and the caller needs it to report it.
            Error::Store(StoreError::Unreadable(row)) => service_status(
                Code::Internal,
                format!(
                    "{row}: it was stored by a later release, or is damaged; other records \
                     are unaffected"
                ),
                "UNREADABLE_RECORD",
                None,
            ),
            Error::Store(s) => {
                error!(error = ?s, "database error");
                Status::internal("internal error")
            }
        }
    }
}

impl From<WatchError> for Status {
    fn from(e: WatchError) -> Self {
        match e {
            // Clients reconnect (to another replica) on UNAVAILABLE.
            WatchError::ShuttingDown => {
                Status::unavailable("server shutting down; reconnect to continue watching")
            }
            WatchError::Store(s) => Error::Store(s).into(),
        }
    }
}

/// `INVALID_ARGUMENT` with one `BadRequest` field violation per bad field.
pub fn invalid(v: &Violations) -> Status {
    let violations: Vec<tonic_types::FieldViolation> =
        v.0.iter()
            .map(|f| tonic_types::FieldViolation::new(&f.field, &f.description))
            .collect();
    Status::with_error_details(
        Code::InvalidArgument,
        format!("invalid request: {v}"),
        ErrorDetails::with_bad_request(violations),
    )
}

fn service_status(code: Code, message: String, reason: &str, retry: Option<Duration>) -> Status {
    let mut details = ErrorDetails::with_error_info(reason, SERVICE_DOMAIN, HashMap::new());
    if retry.is_some() {
        details.set_retry_info(retry);
    }
    Status::with_error_details(code, message, details)
}

/// RESOURCE_EXHAUSTED before any AWS call: QuotaFailure says which quota,
/// RetryInfo when its oldest invitation leaves the window.
fn quota_status(q: &QuotaUse) -> Status {
    let hours = q.window.as_secs_f64() / 3600.0;
    let description = format!(
        "{} of {} invitations sent in the last {hours} h; the next may be sent {}",
        q.used,
        q.limit,
        q.next_slot_time
            .map(|t| format!(
                "at {}",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ))
            .unwrap_or_else(|| "when an attempt in flight fails".into()),
    );
    let mut details = ErrorDetails::with_error_info(
        "DAILY_INVITATION_QUOTA_EXHAUSTED",
        SERVICE_DOMAIN,
        HashMap::from([
            ("limit".to_string(), q.limit.to_string()),
            ("used".to_string(), q.used.to_string()),
        ]),
    );
    details.add_quota_failure_violation("organization:InviteAccountToOrganization", &description);
    let retry = q.retry_after();
    if !retry.is_zero() {
        details.set_retry_info(Some(retry));
    }
    Status::with_error_details(
        Code::ResourceExhausted,
        format!("daily invitation quota exhausted: {description}"),
        details,
    )
}

/// The AWS error → gRPC code table.
pub fn aws_code(e: &AwsError) -> (Code, Option<Duration>) {
    use AwsErrorKind::*;
    let rate_limited = e.reason.as_deref() == Some(RATE_LIMIT_REASON);
    let transfer_quota = e.reason.as_deref().is_some_and(is_transfer_quota);
    match e.kind {
        DuplicateHandshake => (Code::AlreadyExists, None),
        // The account's membership changed too recently: a retry later works.
        _ if e.membership_changed_recently() => (Code::Unavailable, Some(MEMBERSHIP_RETRY)),
        HandshakeConstraintViolation | ConstraintViolation if rate_limited => {
            (Code::ResourceExhausted, Some(QUOTA_RETRY))
        }
        // Waiting does not help: the quota must be raised (or a transfer ended).
        HandshakeConstraintViolation | ConstraintViolation if transfer_quota => {
            (Code::ResourceExhausted, None)
        }
        HandshakeConstraintViolation | ConstraintViolation => (Code::FailedPrecondition, None),
        AccessDenied => (Code::PermissionDenied, None),
        TooManyRequests => (Code::ResourceExhausted, Some(THROTTLE_RETRY)),
        BudgetExhausted => (
            Code::ResourceExhausted,
            e.retry_after.or(Some(THROTTLE_RETRY)),
        ),
        Service | Timeout | Unreachable => (Code::Unavailable, None),
        HandshakeNotFound => (Code::NotFound, None),
        InvalidHandshakeTransition | HandshakeAlreadyInState => (Code::FailedPrecondition, None),
        FinalizingOrganization => (Code::Unavailable, Some(FINALIZING_RETRY)),
        OrganizationsNotInUse | AccountOwnerNotVerified => (Code::FailedPrecondition, None),
        ConcurrentModification => (Code::Aborted, Some(THROTTLE_RETRY)),
        InvalidInput => (Code::InvalidArgument, None),
        AccountNotFound | ParentNotFound | SourceParentNotFound | DestinationParentNotFound => {
            (Code::FailedPrecondition, None)
        }
        DuplicateAccount | TagPolicyViolation => (Code::FailedPrecondition, None),
        ResponsibilityTransferNotFound => (Code::NotFound, None),
        ResponsibilityTransferAlreadyInStatus | InvalidResponsibilityTransferTransition => {
            (Code::FailedPrecondition, None)
        }
        Other => (Code::Unknown, None),
    }
}

/// RESPONSIBILITY_TRANSFER_MAX_{INBOUND,OUTBOUND,LEVEL,TRANSFERS}_QUOTA_VIOLATION:
/// an account quota (inbound transfers are 0 until raised), like the
/// daily invitation quota a RESOURCE_EXHAUSTED.
fn is_transfer_quota(reason: &str) -> bool {
    reason.starts_with("RESPONSIBILITY_TRANSFER_MAX_") && reason.ends_with("_QUOTA_VIOLATION")
}

fn aws_status(e: &AwsError) -> Status {
    let (code, retry) = aws_code(e);
    let reason = e.reason.clone().unwrap_or_else(|| upper_snake(&e.code));
    let mut metadata = HashMap::from([("aws_error".to_string(), e.code.clone())]);
    if let Some(r) = &e.reason {
        metadata.insert("aws_reason".to_string(), r.clone());
    }
    let mut details = ErrorDetails::with_error_info(reason, AWS_DOMAIN, metadata);
    if retry.is_some() {
        details.set_retry_info(retry);
    }
    Status::with_error_details(code, format!("AWS Organizations: {e}"), details)
}

/// `DuplicateHandshakeException` → `DUPLICATE_HANDSHAKE`, for ErrorInfo.reason.
fn upper_snake(code: &str) -> String {
    let name = code.trim_end_matches("Exception");
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev_upper = true;
    for c in name.chars() {
        if c.is_ascii_uppercase() && !prev_upper {
            out.push('_');
        }
        prev_upper = c.is_ascii_uppercase();
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests;
