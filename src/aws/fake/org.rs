//! The fake's organization tree: one root, organizational units, where
//! each member account sits, its tags, and the roles that may be assumed.
use std::collections::{BTreeMap, HashSet};

use crate::{
    aws::AwsError,
    domain::{AcceptRole, AccountId, ParentId, Tag},
};

pub const ROOT: &str = "r-fake0";

#[derive(Default)]
pub struct Org {
    ous: HashSet<String>,
    parents: BTreeMap<String, String>,
    tags: BTreeMap<String, Vec<Tag>>,
    roles: HashSet<String>,
}

fn error(code: &str, message: &str) -> AwsError {
    AwsError::new(code, None, message)
}

impl Org {
    pub fn add_ou(&mut self, id: &str) {
        self.ous.insert(id.to_string());
    }

    pub fn remove_ou(&mut self, id: &str) {
        self.ous.remove(id);
    }

    pub fn allow_role(&mut self, arn: &str) {
        self.roles.insert(arn.to_string());
    }

    pub fn can_assume(&self, role: &AcceptRole) -> Result<(), AwsError> {
        if self.roles.contains(role.arn()) {
            Ok(())
        } else {
            Err(error(
                "AccessDenied",
                "not authorized to perform sts:AssumeRole",
            ))
        }
    }

    pub fn describe_ou(&self, id: &ParentId) -> Result<(), AwsError> {
        if self.ous.contains(id.as_str()) {
            Ok(())
        } else {
            Err(error("OrganizationalUnitNotFoundException", "no such OU"))
        }
    }

    /// An account that accepted lands under the root, as in AWS.
    pub fn join(&mut self, account: &str) {
        self.parents
            .entry(account.to_string())
            .or_insert_with(|| ROOT.to_string());
    }

    /// Accounts that joined (the management account not included).
    pub fn members(&self) -> usize {
        self.parents.len()
    }

    pub fn parent_of(&self, account: &AccountId) -> Option<String> {
        self.parents.get(account.as_str()).cloned()
    }

    pub fn move_account(
        &mut self,
        account: &AccountId,
        from: &str,
        to: &ParentId,
    ) -> Result<(), AwsError> {
        let Some(current) = self.parents.get_mut(account.as_str()) else {
            return Err(error("AccountNotFoundException", "not a member"));
        };
        if to.as_str() != ROOT && !self.ous.contains(to.as_str()) {
            return Err(error(
                "DestinationParentNotFoundException",
                "no such parent",
            ));
        }
        if current != from {
            return Err(error(
                "SourceParentNotFoundException",
                "not under that parent",
            ));
        }
        *current = to.as_str().to_string();
        Ok(())
    }

    pub fn tags_of(&self, account: &AccountId) -> Vec<Tag> {
        self.tags.get(account.as_str()).cloned().unwrap_or_default()
    }

    pub fn tag(&mut self, account: &AccountId, tags: &[Tag]) {
        let have = self.tags.entry(account.as_str().to_string()).or_default();
        for t in tags {
            have.retain(|h| h.key != t.key);
            have.push(t.clone());
        }
    }
}
