//! How each enum is spelled in stored JSON. The spellings are those the
//! first releases wrote (serde's names for the domain's enums then) and are
//! never changed; a spelling this release does not know reads as the
//! enum's `Unspecified`, which the API shows as the proto's UNSPECIFIED.
use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::{
    HandshakeAction, HandshakeState, OnAcceptFailure, OnboardingStatus, PartyType, ResourceType,
    Step,
};

pub(in crate::store) trait Spelled: Copy + Sized {
    fn spelling(self) -> &'static str;
    fn from_spelling(s: &str) -> Self;
}

/// An enum value in stored JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(in crate::store) struct Name<T>(pub T);

impl<T: Spelled> Serialize for Name<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.spelling())
    }
}

impl<'de, T: Spelled> Deserialize<'de> for Name<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor<T>(std::marker::PhantomData<T>);
        impl<T: Spelled> de::Visitor<'_> for Visitor<T> {
            type Value = Name<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Name(T::from_spelling(s)))
            }
        }
        d.deserialize_str(Visitor(std::marker::PhantomData))
    }
}

/// One list per enum: the match that spells a value is exhaustive, so a
/// variant added to the domain without a spelling does not compile.
macro_rules! spelled {
    ($t:ident, unknown: $unknown:ident, { $($v:ident => $s:literal),+ $(,)? }) => {
        impl Spelled for $t {
            fn spelling(self) -> &'static str {
                match self {
                    $($t::$v => $s),+
                }
            }

            fn from_spelling(s: &str) -> Self {
                match s {
                    $($s => $t::$v,)+
                    _ => $t::$unknown,
                }
            }
        }
    };
}

spelled!(HandshakeState, unknown: Unspecified, {
    Unspecified => "Unspecified",
    Requested => "Requested",
    Open => "Open",
    Canceled => "Canceled",
    Accepted => "Accepted",
    Declined => "Declined",
    Expired => "Expired",
});

spelled!(PartyType, unknown: Unspecified, {
    Unspecified => "Unspecified",
    Account => "Account",
    Organization => "Organization",
    Email => "Email",
});

spelled!(HandshakeAction, unknown: Unspecified, {
    Unspecified => "Unspecified",
    Invite => "Invite",
    EnableAllFeatures => "EnableAllFeatures",
    ApproveAllFeatures => "ApproveAllFeatures",
    AddOrganizationsServiceLinkedRole => "AddOrganizationsServiceLinkedRole",
    TransferResponsibility => "TransferResponsibility",
});

spelled!(ResourceType, unknown: Unspecified, {
    Unspecified => "Unspecified",
    Account => "Account",
    Organization => "Organization",
    OrganizationFeatureSet => "OrganizationFeatureSet",
    Email => "Email",
    MasterEmail => "MasterEmail",
    MasterName => "MasterName",
    Notes => "Notes",
    ParentHandshake => "ParentHandshake",
    ResponsibilityTransfer => "ResponsibilityTransfer",
    TransferStartTimestamp => "TransferStartTimestamp",
    TransferType => "TransferType",
    ManagementAccount => "ManagementAccount",
    ManagementEmail => "ManagementEmail",
    ManagementName => "ManagementName",
});

spelled!(OnboardingStatus, unknown: Unspecified, {
    Unspecified => "UNSPECIFIED",
    Pending => "PENDING",
    Accepting => "ACCEPTING",
    Placing => "PLACING",
    Tagging => "TAGGING",
    Complete => "COMPLETE",
    Failed => "FAILED",
    NotApplicable => "NOT_APPLICABLE",
});

spelled!(Step, unknown: Unspecified, {
    Unspecified => "UNSPECIFIED",
    Accept => "ACCEPT",
    Place => "PLACE",
    Tag => "TAG",
    Leave => "LEAVE",
});

spelled!(OnAcceptFailure, unknown: Unspecified, {
    Unspecified => "UNSPECIFIED",
    LeaveOpen => "LEAVE_OPEN",
    Cancel => "CANCEL",
});
