//! The organization side of fakecloud for onboarding tests: roles in member
//! accounts, organizational units, where an account is and its tags.
use crate::helpers::{Fakecloud, MANAGEMENT_ACCOUNT};

impl Fakecloud {
    /// Creates role `name` in `account`, trusting the management account
    /// (with an ExternalId condition when `external_id` is given), through
    /// IAM as the member. fakecloud enforces the trust policy on AssumeRole.
    pub async fn create_role(&self, account: &str, name: &str, external_id: Option<&str>) {
        let (key, _) = self.member_keys(account).await;
        let condition = external_id
            .map(|e| format!(r#","Condition":{{"StringEquals":{{"sts:ExternalId":"{e}"}}}}"#))
            .unwrap_or_default();
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{MANAGEMENT_ACCOUNT}:root"}},"Action":"sts:AssumeRole"{condition}}}]}}"#
        );
        let body = form(&[
            ("Action", "CreateRole"),
            ("Version", "2010-05-08"),
            ("RoleName", name),
            ("AssumeRolePolicyDocument", &trust),
        ]);
        // fakecloud reads the access key to pick the account; it does not
        // check signatures.
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/iam/aws4_request, \
             SignedHeaders=host, Signature=0"
        );
        let reply = self
            .http_with(
                "POST",
                "/",
                &[
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    ("Authorization", &auth),
                ],
                &body,
            )
            .await;
        assert!(reply.contains("CreateRoleResponse"), "{reply}");
    }

    pub async fn root_id(&self) -> String {
        let roots = self
            .management_client()
            .list_roots()
            .send()
            .await
            .expect("ListRoots");
        roots.roots()[0].id().expect("a root id").to_string()
    }

    /// A new organizational unit under the root; its id.
    pub async fn create_ou(&self, name: &str) -> String {
        let root = self.root_id().await;
        let out = self
            .management_client()
            .create_organizational_unit()
            .parent_id(root)
            .name(name)
            .send()
            .await
            .expect("CreateOrganizationalUnit");
        out.organizational_unit()
            .and_then(|o| o.id())
            .expect("an OU id")
            .to_string()
    }

    /// Deletes an (empty) organizational unit. fakecloud answers `null`,
    /// which the SDK refuses, so this goes over plain HTTP.
    pub async fn delete_ou(&self, id: &str) {
        let body = format!(r#"{{"OrganizationalUnitId":"{id}"}}"#);
        self.http_with(
            "POST",
            "/",
            &[
                ("Content-Type", "application/x-amz-json-1.1"),
                (
                    "X-Amz-Target",
                    "AWSOrganizationsV20161128.DeleteOrganizationalUnit",
                ),
            ],
            &body,
        )
        .await;
    }

    /// Where `account` is in the organization.
    pub async fn parent_of(&self, account: &str) -> Option<String> {
        let out = self
            .management_client()
            .list_parents()
            .child_id(account)
            .send()
            .await
            .expect("ListParents");
        out.parents()
            .first()
            .and_then(|p| p.id())
            .map(str::to_string)
    }

    /// The account's tags, as `key=value`, sorted.
    pub async fn tags_of(&self, account: &str) -> Vec<String> {
        let out = self
            .management_client()
            .list_tags_for_resource()
            .resource_id(account)
            .send()
            .await
            .expect("ListTagsForResource");
        let mut tags: Vec<String> = out
            .tags()
            .iter()
            .map(|t| format!("{}={}", t.key(), t.value()))
            .collect();
        tags.sort();
        tags
    }
}

/// `application/x-www-form-urlencoded`.
fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
