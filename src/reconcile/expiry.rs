//! The EXPIRING_SOON warning: once per open invitation that expires soon.
use std::time::Duration;

use tracing::info;

use crate::service::{Error, Invitations};

pub struct ExpiryWarnings<'a> {
    invitations: &'a Invitations,
}

impl<'a> ExpiryWarnings<'a> {
    pub(super) fn new(invitations: &'a Invitations) -> Self {
        Self { invitations }
    }

    /// Records an EXPIRING_SOON warning for every open invitation that
    /// expires within `within` (once each); how many were warned about.
    pub async fn run(&self, within: Duration) -> Result<usize, Error> {
        let events = self.invitations.store().warn_expiring(within).await?;
        for e in &events {
            info!(
                handshake_id = e.record.handshake.id.as_str(),
                "invitation expiring soon"
            );
        }
        Ok(events.len())
    }
}
