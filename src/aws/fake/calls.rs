//! The fake's answers to each `Organizations` call: AWS's rates and
//! faults first, then the in-memory handshakes and organization.
use std::{sync::atomic::Ordering, time::Instant};

use async_trait::async_trait;

use super::{
    close, in_another_organization, new_handshake, FakeOrganizations, RefusedAt, PAGE, ROOT,
};
use crate::{
    aws::{AwsError, AwsErrorKind, HandshakePage, MemberCredentials, Organizations, TransferPage},
    domain::{
        AcceptRole, AccountId, ExternalId, Handshake, HandshakeId, HandshakeState, Invitation,
        ParentId, Participant, Tag, Transfer, TransferDirection, TransferId, TransferInvite,
    },
};

#[async_trait]
impl Organizations for FakeOrganizations {
    async fn invite_account(&self, inv: &Invitation) -> Result<Handshake, AwsError> {
        self.calls.invite.fetch_add(1, Ordering::Relaxed);
        let mut s = self.state.lock().unwrap();
        s.invite_times.push(Instant::now());
        if let Some(limit) = s.invite_limit.as_mut() {
            if !limit.allow() {
                return Err(self.throttled());
            }
        }
        self.fault(&mut s)?;
        let duplicate = s.handshakes.values().any(|h| {
            h.state == HandshakeState::Open
                && h.party_matching(inv.target.kind(), inv.target.id())
                    .is_some()
        });
        if duplicate {
            return Err(AwsError::new(
                "DuplicateHandshakeException",
                None,
                "duplicate",
            ));
        }
        if s.elsewhere.get(inv.target.id()) == Some(&RefusedAt::Invite) {
            return Err(in_another_organization());
        }
        let h = new_handshake(&mut s, inv.target.kind(), inv.target.id());
        s.handshakes.insert(h.id.as_str().to_string(), h.clone());
        Ok(h)
    }

    async fn describe_handshake(&self, id: &HandshakeId) -> Result<Handshake, AwsError> {
        self.calls.describe.fetch_add(1, Ordering::Relaxed);
        let mut s = self.state.lock().unwrap();
        if let Some(limit) = s.describe_limit.as_mut() {
            if !limit.allow() {
                return Err(self.throttled());
            }
        }
        self.fault(&mut s)?;
        s.handshakes
            .get(id.as_str())
            .cloned()
            .ok_or_else(|| AwsError::new("HandshakeNotFoundException", None, "no such handshake"))
    }

    async fn cancel_handshake(&self, id: &HandshakeId) -> Result<Handshake, AwsError> {
        self.calls.cancel.fetch_add(1, Ordering::Relaxed);
        let mut s = self.state.lock().unwrap();
        if let Some(limit) = s.cancel_limit.as_mut() {
            if !limit.allow() {
                return Err(self.throttled());
            }
        }
        self.fault(&mut s)?;
        close(&mut s, id, HandshakeState::Canceled)
    }

    /// Tokens are `<offset>` or `<offset>:<empty pages still to serve>`.
    async fn list_invite_handshakes(
        &self,
        next_token: Option<String>,
    ) -> Result<HandshakePage, AwsError> {
        self.calls.list.fetch_add(1, Ordering::Relaxed);
        let mut s = self.state.lock().unwrap();
        if let Some(limit) = s.list_limit.as_mut() {
            if !limit.allow() {
                return Err(self.throttled());
            }
        }
        self.fault(&mut s)?;
        let (offset, empties) = match next_token.as_deref() {
            None => (0, s.empty_pages_before),
            Some(t) => {
                let mut parts = t.split(':');
                let offset = parts.next().and_then(|p| p.parse().ok());
                let empties = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
                match offset {
                    Some(o) => (o, empties),
                    None => {
                        return Err(AwsError::with_kind(
                            AwsErrorKind::InvalidInput,
                            "InvalidInputException",
                            "bad token",
                        ))
                    }
                }
            }
        };
        if empties > 0 {
            return Ok(HandshakePage {
                handshakes: vec![],
                next_token: Some(format!("{offset}:{}", empties - 1)),
            });
        }
        let listed: Vec<&Handshake> = s
            .handshakes
            .values()
            .filter(|h| !s.hidden.contains(h.id.as_str()))
            .collect();
        let handshakes: Vec<Handshake> = listed
            .iter()
            .skip(offset)
            .take(PAGE)
            .map(|h| (*h).clone())
            .collect();
        let next = offset + handshakes.len();
        let next_token = (next < listed.len()).then(|| format!("{next}:{}", s.empty_pages_before));
        Ok(HandshakePage {
            handshakes,
            next_token,
        })
    }

    async fn list_roots(&self) -> Result<Vec<String>, AwsError> {
        self.fault(&mut self.state.lock().unwrap())?;
        Ok(vec![ROOT.to_string()])
    }

    async fn describe_organizational_unit(&self, id: &ParentId) -> Result<(), AwsError> {
        let mut s = self.state.lock().unwrap();
        self.fault(&mut s)?;
        s.org.describe_ou(id)
    }

    async fn assume_role(
        &self,
        role: &AcceptRole,
        _session: &str,
        _external_id: Option<&ExternalId>,
    ) -> Result<MemberCredentials, AwsError> {
        let mut s = self.state.lock().unwrap();
        self.fault(&mut s)?;
        s.org.can_assume(role)?;
        // The key names the account, so LeaveOrganization knows who leaves.
        let account = role.arn().split(':').nth(4).unwrap_or_default();
        Ok(MemberCredentials {
            access_key_id: format!("FAKEKEY-{account}"),
            secret_access_key: "fake-secret".into(),
            session_token: "fake-token".into(),
            expiration: None,
        })
    }

    async fn accept_handshake(
        &self,
        id: &HandshakeId,
        _member: &MemberCredentials,
    ) -> Result<Handshake, AwsError> {
        self.calls.accept.fetch_add(1, Ordering::Relaxed);
        let mut s = self.state.lock().unwrap();
        self.fault(&mut s)?;
        let target = s
            .handshakes
            .get(id.as_str())
            .and_then(|h| h.guess_target())
            .map(|p| p.id.clone());
        if target.is_some_and(|t| s.elsewhere.contains_key(&t)) {
            return Err(in_another_organization());
        }
        let h = close(&mut s, id, HandshakeState::Accepted)?;
        if let Some(p) = h.guess_target() {
            s.org.join(&p.id);
        }
        Ok(h)
    }

    async fn leave_organization(&self, member: &MemberCredentials) -> Result<(), AwsError> {
        self.calls.leave.fetch_add(1, Ordering::Relaxed);
        let mut s = self.state.lock().unwrap();
        self.fault(&mut s)?;
        if let Some(e) = &s.leave_refusal {
            return Err(e.clone());
        }
        let account = member.access_key_id.trim_start_matches("FAKEKEY-");
        match s.elsewhere.remove(account) {
            Some(_) => Ok(()),
            None => Err(AwsError::new(
                "AWSOrganizationsNotInUseException",
                None,
                "your account is not a member of an organization",
            )),
        }
    }

    async fn list_parents(&self, account: &AccountId) -> Result<Option<String>, AwsError> {
        let mut s = self.state.lock().unwrap();
        self.fault(&mut s)?;
        Ok(s.org.parent_of(account))
    }

    async fn move_account(
        &self,
        account: &AccountId,
        from: &str,
        to: &ParentId,
    ) -> Result<(), AwsError> {
        self.calls.move_account.fetch_add(1, Ordering::Relaxed);
        let mut s = self.state.lock().unwrap();
        self.fault(&mut s)?;
        s.org.move_account(account, from, to)
    }

    async fn list_account_tags(&self, account: &AccountId) -> Result<Vec<Tag>, AwsError> {
        let mut s = self.state.lock().unwrap();
        self.fault(&mut s)?;
        Ok(s.org.tags_of(account))
    }

    async fn tag_account(&self, account: &AccountId, tags: &[Tag]) -> Result<(), AwsError> {
        self.calls.tag.fetch_add(1, Ordering::Relaxed);
        let mut s = self.state.lock().unwrap();
        self.fault(&mut s)?;
        s.org.tag(account, tags);
        Ok(())
    }

    /// The management account and every account that joined.
    async fn count_accounts(&self) -> Result<usize, AwsError> {
        let mut s = self.state.lock().unwrap();
        self.fault(&mut s)?;
        Ok(1 + s.org.members())
    }

    // Billing transfers live in fakecloud only: this fake's organization has
    // none and sends none (it is for the invitation path's faults).

    async fn management_account(&self) -> Result<Participant, AwsError> {
        Ok(Participant {
            account_id: Some(super::MANAGEMENT_ACCOUNT.to_string()),
            email: None,
        })
    }

    async fn invite_transfer(&self, _: &TransferInvite) -> Result<Handshake, AwsError> {
        Err(no_transfers())
    }

    async fn describe_transfer(&self, _: &TransferId) -> Result<Transfer, AwsError> {
        Err(no_transfers())
    }

    async fn list_transfers(
        &self,
        _: TransferDirection,
        _: Option<String>,
    ) -> Result<TransferPage, AwsError> {
        let mut s = self.state.lock().unwrap();
        self.fault(&mut s)?;
        Ok(TransferPage::default())
    }

    async fn terminate_transfer(
        &self,
        _: &TransferId,
        _: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Transfer, AwsError> {
        Err(no_transfers())
    }

    async fn rename_transfer(&self, _: &TransferId, _: &str) -> Result<Transfer, AwsError> {
        Err(no_transfers())
    }

    async fn answer_handshake(&self, _: &HandshakeId, _: bool) -> Result<Handshake, AwsError> {
        Err(no_transfers())
    }
}

fn no_transfers() -> AwsError {
    AwsError::with_kind(
        AwsErrorKind::Other,
        "ResponsibilityTransferNotFoundException",
        "the in-process fake has no billing transfers",
    )
}
