//! What an invitation asks for once it is accepted: the role through which
//! this service accepts (optional), where the account belongs, and what
//! happens when accepting fails. Validated whole at the edge.
use std::sync::LazyLock;

use regex::Regex;

use super::{FieldViolation, InviteTarget, ParentId, Violations};

/// IAM role names: 1 to 64 of these (AWS's `\w` is ASCII).
static ROLE_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9_+=,.@-]{1,64}$").expect("valid regex"));
/// `arn:<partition>:iam::<account>:role/<optional path/>name`.
static ROLE_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^arn:aws[a-z-]*:iam::([0-9]{12}):role/((?:[\x21-\x7e]+/)?[A-Za-z0-9_+=,.@-]{1,64})$",
    )
    .expect("valid regex")
});
/// STS: 2 to 1224 of these (checked apart: a counted repetition that
/// long makes a large automaton).
static EXTERNAL_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9_+=,.@:/-]+$").expect("valid regex"));
const EXTERNAL_ID_CHARS: std::ops::RangeInclusive<usize> = 2..=1224;

/// A role in the invited account, as its full ARN. The ARN holds the
/// account id: Debug does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct AcceptRole(String);

impl std::fmt::Debug for AcceptRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AcceptRole(<redacted>)")
    }
}

impl AcceptRole {
    /// A role name, made into the ARN of that role in `account`; or a full
    /// ARN, which must name a role in `account`.
    pub fn parse(s: &str, account: &str) -> Result<Self, FieldViolation> {
        let bad = |why: &str| FieldViolation::new("accept_role", why);
        if let Some(c) = ROLE_ARN.captures(s) {
            if &c[1] != account {
                return Err(bad(
                    "the role must be in the invited account (its ARN names another account)",
                ));
            }
            return Ok(Self(s.to_string()));
        }
        if ROLE_NAME.is_match(s) {
            return Ok(Self(format!("arn:aws:iam::{account}:role/{s}")));
        }
        Err(bad(
            "must be a role name (1 to 64 of letters, digits and + = , . @ _ -) or a role ARN",
        ))
    }

    /// A role ARN read back from Postgres, in whichever account it names.
    pub fn from_arn(arn: &str) -> Option<Self> {
        ROLE_ARN.is_match(arn).then(|| Self(arn.to_string()))
    }

    pub fn arn(&self) -> &str {
        &self.0
    }
}

/// What the role's trust policy asks the caller to present; Debug does not
/// show it.
#[derive(Clone, PartialEq, Eq)]
pub struct ExternalId(String);

impl std::fmt::Debug for ExternalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExternalId(<redacted>)")
    }
}

impl ExternalId {
    pub fn parse(s: &str) -> Result<Self, FieldViolation> {
        if EXTERNAL_ID_CHARS.contains(&s.len()) && EXTERNAL_ID.is_match(s) {
            Ok(Self(s.to_string()))
        } else {
            Err(FieldViolation::new(
                "external_id",
                "must be 2 to 1224 of letters, digits and + = , . @ : / _ -",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What becomes of an invitation the role could not accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnAcceptFailure {
    /// A policy a later release stores that this one does not know: as
    /// LEAVE_OPEN, which cancels nothing.
    Unspecified,
    /// A person may still accept; onboarding then goes on.
    #[default]
    LeaveOpen,
    Cancel,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnboardingSpec {
    pub destination: ParentId,
    pub accept_role: Option<AcceptRole>,
    pub external_id: Option<ExternalId>,
    pub on_accept_failure: OnAcceptFailure,
    /// Where AWS refuses the account because it belongs to another
    /// organization, it leaves that one (through `accept_role`) first.
    pub leave_previous_organization: bool,
}

/// An onboarding spec as it arrives, before validation.
pub struct RawOnboarding<'a> {
    pub destination_parent_id: &'a str,
    pub accept_role: &'a str,
    pub external_id: &'a str,
    pub on_accept_failure: OnAcceptFailure,
    pub leave_previous_organization: bool,
}

impl OnboardingSpec {
    /// Every bad field, under `onboarding.`.
    pub fn parse(
        raw: RawOnboarding<'_>,
        target: Option<&InviteTarget>,
    ) -> Result<Self, Violations> {
        let mut v = Violations::default();
        let destination = v.take(ParentId::parse(raw.destination_parent_id));
        let accept_role = match (raw.accept_role, target) {
            ("", _) => None,
            (role, Some(InviteTarget::Account(account))) => {
                v.take(AcceptRole::parse(role, account.as_str()))
            }
            (_, Some(InviteTarget::Email(_))) => {
                v.push(FieldViolation::new(
                    "accept_role",
                    "accepting through a role needs an ACCOUNT target: an email's account \
                     is unknown until it joins",
                ));
                None
            }
            // The target itself is bad, and reported as such.
            (_, None) => None,
        };
        let external_id = match raw.external_id {
            "" => None,
            _ if raw.accept_role.is_empty() => {
                v.push(FieldViolation::new(
                    "external_id",
                    "an external id goes with accept_role",
                ));
                None
            }
            id => v.take(ExternalId::parse(id)),
        };
        if raw.leave_previous_organization && raw.accept_role.is_empty() {
            v.push(FieldViolation::new(
                "leave_previous_organization",
                "leaving the previous organization goes through accept_role, which is unset",
            ));
        }
        match destination {
            Some(destination) if v.is_empty() => Ok(Self {
                destination,
                accept_role,
                external_id,
                on_accept_failure: raw.on_accept_failure,
                leave_previous_organization: raw.leave_previous_organization,
            }),
            _ => Err(Violations(
                v.0.into_iter().map(|f| f.under("onboarding")).collect(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PartyType;

    fn raw<'a>(dest: &'a str, role: &'a str, ext: &'a str) -> RawOnboarding<'a> {
        RawOnboarding {
            destination_parent_id: dest,
            accept_role: role,
            external_id: ext,
            on_accept_failure: OnAcceptFailure::Cancel,
            leave_previous_organization: false,
        }
    }

    fn account() -> InviteTarget {
        InviteTarget::parse(PartyType::Account, "111122223333").unwrap()
    }

    fn fields(v: Violations) -> Vec<String> {
        v.0.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn a_role_name_becomes_the_arn_of_that_role_in_the_invited_account() {
        let spec = OnboardingSpec::parse(
            raw("ou-abcd-12345678", "OrgInvitesAccept", "x-1"),
            Some(&account()),
        )
        .unwrap();
        assert_eq!(
            spec.accept_role.unwrap().arn(),
            "arn:aws:iam::111122223333:role/OrgInvitesAccept"
        );
        assert_eq!(spec.external_id.unwrap().as_str(), "x-1");
        assert_eq!(spec.on_accept_failure, OnAcceptFailure::Cancel);
    }

    #[test]
    fn a_role_arn_must_be_in_the_invited_account() {
        let arn = "arn:aws:iam::111122223333:role/team/OrgInvitesAccept";
        let spec = OnboardingSpec::parse(raw("r-abcd", arn, ""), Some(&account())).unwrap();
        assert_eq!(spec.accept_role.unwrap().arn(), arn);
        let other = "arn:aws:iam::999999999999:role/OrgInvitesAccept";
        let err = OnboardingSpec::parse(raw("r-abcd", other, ""), Some(&account())).unwrap_err();
        assert_eq!(fields(err), ["onboarding.accept_role"]);
    }

    #[test]
    fn every_bad_field_is_reported_under_onboarding() {
        let email = InviteTarget::parse(PartyType::Email, "juan@example.com").unwrap();
        let err = OnboardingSpec::parse(raw("ou-bad", "Role", "x"), Some(&email)).unwrap_err();
        assert_eq!(
            fields(err),
            [
                "onboarding.destination_parent_id",
                "onboarding.accept_role",
                "onboarding.external_id"
            ]
        );
        let err = OnboardingSpec::parse(raw("", "", "lonely"), Some(&account())).unwrap_err();
        assert_eq!(
            fields(err),
            ["onboarding.destination_parent_id", "onboarding.external_id"]
        );
        let err =
            OnboardingSpec::parse(raw("r-abcd", "no spaces", ""), Some(&account())).unwrap_err();
        assert_eq!(fields(err), ["onboarding.accept_role"]);
    }

    #[test]
    fn leaving_the_previous_organization_needs_the_role() {
        let leaving = |role| RawOnboarding {
            leave_previous_organization: true,
            ..raw("r-abcd", role, "")
        };
        let err = OnboardingSpec::parse(leaving(""), Some(&account())).unwrap_err();
        assert_eq!(fields(err), ["onboarding.leave_previous_organization"]);
        let spec = OnboardingSpec::parse(leaving("Role"), Some(&account())).unwrap();
        assert!(spec.leave_previous_organization);
    }

    #[test]
    fn a_destination_alone_is_a_whole_spec() {
        let spec = OnboardingSpec::parse(raw("r-abcd", "", ""), Some(&account())).unwrap();
        assert_eq!(spec.accept_role, None);
        assert_eq!(spec.destination.as_str(), "r-abcd");
    }
}
