//! Made-up test data: account ids, emails and invitations no other test uses.

/// An invitation of account `account` and nothing else: no notes, tags,
/// onboarding or renewal.
pub fn plain_invitation(account: &str) -> org_invites::domain::Invitation {
    use org_invites::domain::{Invitation, InviteTarget, PartyType};
    Invitation {
        target: InviteTarget::parse(PartyType::Account, account).unwrap(),
        notes: Default::default(),
        tags: Default::default(),
        requested_by: None,
        onboarding: None,
        renewal: None,
    }
}

/// A 12-digit account id no other test uses.
pub fn random_account_id() -> String {
    let n = uuid::Uuid::new_v4().as_u128() % 1_000_000_000_000;
    format!("{n:012}")
}

pub fn random_email() -> String {
    format!(
        "{}@example.com",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}
