//! An AWS error reduced to what callers act on: its kind, its AWS name and
//! reason, and whether the request may have taken effect anyway.
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsErrorKind {
    AccessDenied,
    AccountOwnerNotVerified,
    OrganizationsNotInUse,
    ConcurrentModification,
    ConstraintViolation,
    DuplicateHandshake,
    FinalizingOrganization,
    HandshakeAlreadyInState,
    HandshakeConstraintViolation,
    HandshakeNotFound,
    InvalidHandshakeTransition,
    InvalidInput,
    AccountNotFound,
    /// The organizational unit (or parent) named does not exist.
    ParentNotFound,
    /// MoveAccount: the account is no longer under the source given.
    SourceParentNotFound,
    DestinationParentNotFound,
    DuplicateAccount,
    TagPolicyViolation,
    /// Billing transfers: no such transfer (or not a party to it).
    ResponsibilityTransferNotFound,
    /// Already WITHDRAWN (or in the status asked for).
    ResponsibilityTransferAlreadyInStatus,
    /// Its status allows no such change.
    InvalidResponsibilityTransferTransition,
    /// AWS answered 5xx (`ServiceException` or otherwise).
    Service,
    TooManyRequests,
    /// This service's own request budget refused the call before it was
    /// sent: AWS would have throttled it (see `retry_after`).
    BudgetExhausted,
    /// No answer in time, or the connection failed mid-request.
    Timeout,
    /// The endpoint could not be reached at all: the request never left.
    Unreachable,
    Other,
}

pub use crate::domain::ALREADY_IN_AN_ORGANIZATION;
/// The account's membership changed too recently: wait, then retry.
pub const MEMBERSHIP_CHANGE_RATE_LIMIT: &str = "ORGANIZATION_MEMBERSHIP_CHANGE_RATE_LIMIT_EXCEEDED";

#[derive(Debug, Clone)]
pub struct AwsError {
    pub kind: AwsErrorKind,
    /// The AWS error name, e.g. `DuplicateHandshakeException`.
    pub code: String,
    /// The AWS `Reason`, e.g. `HANDSHAKE_RATE_LIMIT_EXCEEDED`.
    pub reason: Option<String>,
    /// AWS's message; never contains request values this service sends.
    pub message: String,
    /// When a retry may succeed, if known.
    pub retry_after: Option<std::time::Duration>,
}

impl AwsError {
    pub fn new(code: &str, reason: Option<String>, message: impl Into<String>) -> Self {
        Self {
            kind: kind_of(code),
            code: code.to_string(),
            reason,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn with_kind(kind: AwsErrorKind, code: &str, message: impl Into<String>) -> Self {
        Self {
            kind,
            code: code.to_string(),
            reason: None,
            message: message.into(),
            retry_after: None,
        }
    }

    /// Whether AWS may have acted on the request although we got an error:
    /// then the outcome must be looked up, never assumed.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self.kind, AwsErrorKind::Timeout | AwsErrorKind::Service)
    }

    /// AWS refused because the account belongs to another organization.
    pub fn in_another_organization(&self) -> bool {
        self.kind == AwsErrorKind::HandshakeConstraintViolation
            && self.reason.as_deref() == Some(ALREADY_IN_AN_ORGANIZATION)
    }

    /// LeaveOrganization's answer for an account that belongs to no
    /// organization: it has left already (a retry, or someone else).
    pub fn left_already(&self) -> bool {
        self.kind == AwsErrorKind::OrganizationsNotInUse
    }

    /// The account's membership changed too recently (it has just left an
    /// organization, say): a retry later succeeds.
    pub fn membership_changed_recently(&self) -> bool {
        matches!(
            self.kind,
            AwsErrorKind::HandshakeConstraintViolation | AwsErrorKind::ConstraintViolation
        ) && self.reason.as_deref() == Some(MEMBERSHIP_CHANGE_RATE_LIMIT)
    }

    /// Whether trying the same call again later may succeed: throttling,
    /// 5xx, timeouts, an unreachable endpoint, a concurrent change, an
    /// account whose membership changed too recently.
    pub fn is_transient(&self) -> bool {
        use AwsErrorKind::*;
        self.membership_changed_recently()
            || matches!(
                self.kind,
                TooManyRequests
                    | BudgetExhausted
                    | Service
                    | Timeout
                    | Unreachable
                    | ConcurrentModification
                    | FinalizingOrganization
            )
    }
}

/// The AWS error name, with or without the `Exception` suffix some
/// protocols drop.
fn kind_of(code: &str) -> AwsErrorKind {
    use AwsErrorKind::*;
    match code.trim_end_matches("Exception") {
        "AccessDenied" => AccessDenied,
        "AccountOwnerNotVerified" => AccountOwnerNotVerified,
        "AWSOrganizationsNotInUse" => OrganizationsNotInUse,
        "ConcurrentModification" => ConcurrentModification,
        "ConstraintViolation" => ConstraintViolation,
        "DuplicateHandshake" => DuplicateHandshake,
        "FinalizingOrganization" => FinalizingOrganization,
        "HandshakeAlreadyInState" => HandshakeAlreadyInState,
        "HandshakeConstraintViolation" => HandshakeConstraintViolation,
        "HandshakeNotFound" => HandshakeNotFound,
        "InvalidHandshakeTransition" => InvalidHandshakeTransition,
        "InvalidInput" => InvalidInput,
        "AccountNotFound" => AccountNotFound,
        "OrganizationalUnitNotFound" | "ParentNotFound" => ParentNotFound,
        "SourceParentNotFound" => SourceParentNotFound,
        "DestinationParentNotFound" => DestinationParentNotFound,
        "DuplicateAccount" => DuplicateAccount,
        "TagPolicyViolation" => TagPolicyViolation,
        "ResponsibilityTransferNotFound" => ResponsibilityTransferNotFound,
        "ResponsibilityTransferAlreadyInStatus" => ResponsibilityTransferAlreadyInStatus,
        "InvalidResponsibilityTransferTransition" => InvalidResponsibilityTransferTransition,
        "Service" | "InternalFailure" | "ServiceUnavailable" => Service,
        "TooManyRequests" | "Throttling" | "ThrottlingException" => TooManyRequests,
        _ => Other,
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(reason) = &self.reason {
            write!(f, " ({reason})")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for AwsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_names_map_to_kinds_with_or_without_the_suffix() {
        assert_eq!(
            AwsError::new("DuplicateHandshakeException", None, "").kind,
            AwsErrorKind::DuplicateHandshake
        );
        assert_eq!(
            AwsError::new("HandshakeNotFound", None, "").kind,
            AwsErrorKind::HandshakeNotFound
        );
        assert_eq!(
            AwsError::new("AWSOrganizationsNotInUseException", None, "").kind,
            AwsErrorKind::OrganizationsNotInUse
        );
        assert_eq!(
            AwsError::new("SomethingNew", None, "").kind,
            AwsErrorKind::Other
        );
    }

    #[test]
    fn only_timeouts_and_5xx_leave_the_outcome_unknown() {
        assert!(AwsError::new("ServiceException", None, "").outcome_unknown());
        assert!(AwsError::with_kind(AwsErrorKind::Timeout, "Timeout", "").outcome_unknown());
        assert!(
            !AwsError::with_kind(AwsErrorKind::Unreachable, "Unreachable", "").outcome_unknown()
        );
        assert!(!AwsError::new("DuplicateHandshakeException", None, "").outcome_unknown());
    }

    #[test]
    fn a_membership_changed_too_recently_is_transient_other_reasons_are_not() {
        let e = |code: &str, reason: &str| AwsError::new(code, Some(reason.into()), "");
        assert!(e(
            "HandshakeConstraintViolationException",
            MEMBERSHIP_CHANGE_RATE_LIMIT
        )
        .is_transient());
        assert!(e("ConstraintViolationException", MEMBERSHIP_CHANGE_RATE_LIMIT).is_transient());
        let other = e(
            "HandshakeConstraintViolationException",
            ALREADY_IN_AN_ORGANIZATION,
        );
        assert!(!other.is_transient());
        assert!(other.in_another_organization());
        assert!(
            !e("ConstraintViolationException", ALREADY_IN_AN_ORGANIZATION)
                .in_another_organization()
        );
        assert!(AwsError::new("AWSOrganizationsNotInUseException", None, "").left_already());
    }

    #[test]
    fn display_names_the_error_and_reason() {
        let e = AwsError::new(
            "HandshakeConstraintViolationException",
            Some("HANDSHAKE_RATE_LIMIT_EXCEEDED".into()),
            "too many",
        );
        assert_eq!(
            e.to_string(),
            "HandshakeConstraintViolationException (HANDSHAKE_RATE_LIMIT_EXCEEDED): too many"
        );
    }
}
