//! Who an invitation goes to: an account id or an owner's email address.
use super::{AccountId, EmailAddress, FieldViolation, PartyType};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InviteTarget {
    Account(AccountId),
    Email(EmailAddress),
}

impl InviteTarget {
    /// Only ACCOUNT and EMAIL can be invited; ORGANIZATION appears only in responses.
    pub fn parse(kind: PartyType, id: &str) -> Result<Self, FieldViolation> {
        match kind {
            PartyType::Account => AccountId::parse(id).map(Self::Account),
            PartyType::Email => EmailAddress::parse(id).map(Self::Email),
            PartyType::Organization | PartyType::Unspecified => Err(FieldViolation::new(
                "type",
                "target type must be ACCOUNT or EMAIL (INVALID_PARTY_TYPE_TARGET)",
            )),
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Self::Account(a) => a.as_str(),
            Self::Email(e) => e.as_str(),
        }
    }

    pub fn kind(&self) -> PartyType {
        match self {
            Self::Account(_) => PartyType::Account,
            Self::Email(_) => PartyType::Email,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_and_email_targets_parse_by_type() {
        let a = InviteTarget::parse(PartyType::Account, "123456789012").unwrap();
        assert_eq!((a.kind(), a.id()), (PartyType::Account, "123456789012"));
        let e = InviteTarget::parse(PartyType::Email, "juan@example.com").unwrap();
        assert_eq!((e.kind(), e.id()), (PartyType::Email, "juan@example.com"));
    }

    #[test]
    fn the_id_must_match_the_type() {
        assert!(InviteTarget::parse(PartyType::Account, "juan@example.com").is_err());
        assert!(InviteTarget::parse(PartyType::Email, "123456789012").is_err());
    }

    #[test]
    fn organization_and_unspecified_types_cannot_be_invited() {
        assert_eq!(
            InviteTarget::parse(PartyType::Organization, "o-abcdefghij")
                .unwrap_err()
                .field,
            "type"
        );
        assert!(InviteTarget::parse(PartyType::Unspecified, "123456789012").is_err());
    }
}
