//! Each `Organizations` operation as an SDK call.
use async_trait::async_trait;
use aws_credential_types::Credentials;
use aws_sdk_organizations::{types as sdk, Client};

use super::{
    convert::{from_handshake, from_sdk, no_retries, to_chrono, to_party, to_tags},
    SdkOrganizations,
};
use crate::{
    aws::{AwsError, AwsErrorKind, HandshakePage, MemberCredentials, Organizations, TransferPage},
    domain::{
        AcceptRole, AccountId, ExternalId, Handshake, HandshakeId, Invitation, ParentId,
        Participant, Tag, Transfer, TransferDirection, TransferId, TransferInvite,
    },
};

/// AWS lists at most 20 handshakes a page.
const PAGE_SIZE: i32 = 20;

#[async_trait]
impl Organizations for SdkOrganizations {
    async fn invite_account(&self, invitation: &Invitation) -> Result<Handshake, AwsError> {
        let mut call = self
            .client
            .invite_account_to_organization()
            .target(to_party(&invitation.target)?)
            .set_tags(Some(to_tags(invitation.tags.iter())?).filter(|t| !t.is_empty()));
        if !invitation.notes.is_empty() {
            call = call.notes(invitation.notes.as_str());
        }
        let out = call
            .customize()
            .config_override(no_retries())
            .send()
            .await
            .map_err(from_sdk)?;
        from_handshake(out.handshake())
    }

    async fn describe_handshake(&self, id: &HandshakeId) -> Result<Handshake, AwsError> {
        let out = self
            .client
            .describe_handshake()
            .handshake_id(id.as_str())
            .send()
            .await
            .map_err(from_sdk)?;
        from_handshake(out.handshake())
    }

    async fn cancel_handshake(&self, id: &HandshakeId) -> Result<Handshake, AwsError> {
        let out = self
            .client
            .cancel_handshake()
            .handshake_id(id.as_str())
            .send()
            .await
            .map_err(from_sdk)?;
        from_handshake(out.handshake())
    }

    async fn list_invite_handshakes(
        &self,
        next_token: Option<String>,
    ) -> Result<HandshakePage, AwsError> {
        let out = self
            .client
            .list_handshakes_for_organization()
            .filter(
                sdk::HandshakeFilter::builder()
                    .action_type(sdk::ActionType::InviteAccountToOrganization)
                    .build(),
            )
            .max_results(PAGE_SIZE)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(from_sdk)?;
        let handshakes = out
            .handshakes()
            .iter()
            .map(|h| from_handshake(Some(h)))
            .collect::<Result<_, _>>()?;
        Ok(HandshakePage {
            handshakes,
            next_token: out.next_token().map(str::to_string),
        })
    }

    async fn list_roots(&self) -> Result<Vec<String>, AwsError> {
        let mut roots = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .list_roots()
                .set_next_token(token)
                .send()
                .await
                .map_err(from_sdk)?;
            roots.extend(
                out.roots()
                    .iter()
                    .filter_map(|r| r.id().map(str::to_string)),
            );
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(roots),
            }
        }
    }

    async fn describe_organizational_unit(&self, id: &ParentId) -> Result<(), AwsError> {
        self.client
            .describe_organizational_unit()
            .organizational_unit_id(id.as_str())
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(())
    }

    async fn assume_role(
        &self,
        role: &AcceptRole,
        session: &str,
        external_id: Option<&ExternalId>,
    ) -> Result<MemberCredentials, AwsError> {
        let out = self
            .sts
            .assume_role()
            .role_arn(role.arn())
            .role_session_name(session)
            .set_external_id(external_id.map(|e| e.as_str().to_string()))
            .send()
            .await
            .map_err(from_sdk)?;
        let c = out.credentials().ok_or_else(|| {
            AwsError::with_kind(
                AwsErrorKind::Service,
                "ResponseError",
                "AssumeRole answered without credentials",
            )
        })?;
        Ok(MemberCredentials {
            access_key_id: c.access_key_id().to_string(),
            secret_access_key: c.secret_access_key().to_string(),
            session_token: c.session_token().to_string(),
            expiration: to_chrono(c.expiration()),
        })
    }

    async fn accept_handshake(
        &self,
        id: &HandshakeId,
        member: &MemberCredentials,
    ) -> Result<Handshake, AwsError> {
        let out = self
            .as_member(member)
            .accept_handshake()
            .handshake_id(id.as_str())
            .send()
            .await
            .map_err(from_sdk)?;
        from_handshake(out.handshake())
    }

    async fn leave_organization(&self, member: &MemberCredentials) -> Result<(), AwsError> {
        self.as_member(member)
            .leave_organization()
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(())
    }

    async fn list_parents(&self, account: &AccountId) -> Result<Option<String>, AwsError> {
        let out = self
            .client
            .list_parents()
            .child_id(account.as_str())
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(out
            .parents()
            .first()
            .and_then(|p| p.id())
            .map(str::to_string))
    }

    async fn move_account(
        &self,
        account: &AccountId,
        from: &str,
        to: &ParentId,
    ) -> Result<(), AwsError> {
        self.client
            .move_account()
            .account_id(account.as_str())
            .source_parent_id(from)
            .destination_parent_id(to.as_str())
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(())
    }

    async fn list_account_tags(&self, account: &AccountId) -> Result<Vec<Tag>, AwsError> {
        let mut tags = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .list_tags_for_resource()
                .resource_id(account.as_str())
                .set_next_token(token)
                .send()
                .await
                .map_err(from_sdk)?;
            tags.extend(out.tags().iter().map(|t| Tag {
                key: t.key().to_string(),
                value: t.value().to_string(),
            }));
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(tags),
            }
        }
    }

    async fn tag_account(&self, account: &AccountId, tags: &[Tag]) -> Result<(), AwsError> {
        self.client
            .tag_resource()
            .resource_id(account.as_str())
            .set_tags(Some(to_tags(tags.iter())?))
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(())
    }

    async fn count_accounts(&self) -> Result<usize, AwsError> {
        let mut accounts = 0;
        let mut token = None;
        loop {
            let out = self
                .client
                .list_accounts()
                .set_next_token(token)
                .send()
                .await
                .map_err(from_sdk)?;
            accounts += out.accounts().len();
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(accounts),
            }
        }
    }

    async fn management_account(&self) -> Result<Participant, AwsError> {
        self.sdk_management_account().await
    }

    async fn invite_transfer(&self, invite: &TransferInvite) -> Result<Handshake, AwsError> {
        self.sdk_invite_transfer(invite).await
    }

    async fn describe_transfer(&self, id: &TransferId) -> Result<Transfer, AwsError> {
        self.sdk_describe_transfer(id).await
    }

    async fn list_transfers(
        &self,
        direction: TransferDirection,
        next_token: Option<String>,
    ) -> Result<TransferPage, AwsError> {
        self.sdk_list_transfers(direction, next_token).await
    }

    async fn terminate_transfer(
        &self,
        id: &TransferId,
        end: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Transfer, AwsError> {
        self.sdk_terminate_transfer(id, end).await
    }

    async fn rename_transfer(&self, id: &TransferId, name: &str) -> Result<Transfer, AwsError> {
        self.sdk_rename_transfer(id, name).await
    }

    async fn answer_handshake(
        &self,
        id: &HandshakeId,
        accept: bool,
    ) -> Result<Handshake, AwsError> {
        self.sdk_answer_handshake(id, accept).await
    }
}

impl SdkOrganizations {
    /// A client with the management client's settings (endpoint, region,
    /// retries, timeouts), signed as the invited account.
    fn as_member(&self, member: &MemberCredentials) -> Client {
        let credentials = Credentials::new(
            &member.access_key_id,
            &member.secret_access_key,
            Some(member.session_token.clone()),
            member.expiration.map(std::time::SystemTime::from),
            "org-invites-assumed-role",
        );
        let config = self
            .client
            .config()
            .to_builder()
            .credentials_provider(credentials)
            .build();
        Client::from_conf(config)
    }
}
