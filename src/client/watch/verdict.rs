//! When a wait on one handshake is over, and with which exit code: its
//! terminal state, its onboarding's end, or (EXPIRED) its renewal, which
//! the wait follows; and what of it is already on screen. Pure functions
//! of the handshake, tested in `watch::tests`.
use crate::client::{exit, shape};
use crate::proto::v1 as pb;

/// What a wait on one handshake does once it has shown `h`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    /// It goes on.
    Wait,
    /// It is over, with this exit code.
    Exit(u8),
    /// `h` expired and was renewed as this handshake: the wait goes on
    /// with that one.
    Follow(String),
}

/// The wait's next step after showing `h`: over once `wait_over` says so,
/// except that an EXPIRED handshake whose renewal is still to be sent
/// (or waits for the daily quota) is waited on, and one renewed as
/// another is followed. A renewal that could not be sent (its reason says
/// why, no renewed_to) ends the wait with EXPIRED, as an expiry without
/// renewal does.
pub fn after(h: &pb::Handshake) -> After {
    let Some(code) = wait_over(h.state, h.onboarding.as_ref().map(|o| o.status)) else {
        return After::Wait;
    };
    let expired = h.state == pb::HandshakeState::Expired as i32;
    match h
        .renewal
        .as_ref()
        .filter(|_| expired && code == exit::EXPIRED)
    {
        Some(r) if !r.renewed_to.is_empty() && r.renewed_to != h.id => {
            After::Follow(r.renewed_to.clone())
        }
        Some(r) if renewal_to_come(r) => After::Wait,
        _ => After::Exit(code),
    }
}

/// An expired handshake's renewal not sent yet that the server will still
/// send: renewals are left and the server has not given it up (one waiting
/// for the quota has a reason and a waiting_until, and is still to come).
fn renewal_to_come(r: &pb::Renewal) -> bool {
    r.renewed_to.is_empty() && r.renewals_left > 0 && !r.given_up
}

/// Without an onboarding: the terminal state's code. With one: 0 once it
/// is COMPLETE, ONBOARDING_FAILED once it FAILED (even while the invitation
/// is still OPEN: the server's stream would go on, this wait does not), the
/// terminal state's code when it is NOT_APPLICABLE, and on while it runs.
fn wait_over(state: i32, onboarding: Option<i32>) -> Option<u8> {
    use pb::OnboardingStatus as O;
    let terminal = terminal_code(state);
    let Some(status) = onboarding else {
        return terminal;
    };
    match O::try_from(status) {
        Ok(O::Complete) => Some(exit::SUCCESS),
        Ok(O::Failed) => Some(exit::ONBOARDING_FAILED),
        Ok(O::Pending | O::Accepting | O::Placing | O::Tagging) => None,
        // NOT_APPLICABLE, or a status this build does not know: the
        // handshake's state decides, as without an onboarding.
        Ok(O::NotApplicable | O::Unspecified) | Err(_) => terminal,
    }
}

/// The exit code for a terminal state; `None` while it is not terminal.
fn terminal_code(state: i32) -> Option<u8> {
    match pb::HandshakeState::try_from(state).ok()? {
        pb::HandshakeState::Accepted => Some(exit::SUCCESS),
        pb::HandshakeState::Declined => Some(exit::DECLINED),
        pb::HandshakeState::Canceled => Some(exit::CANCELED),
        pb::HandshakeState::Expired => Some(exit::EXPIRED),
        _ => None,
    }
}

/// What a watch of one handshake has shown of it: its state, its
/// onboarding's status, whether it was warned of its expiry, and its
/// renewal. A reopened stream starts with the handshake as it is, which is
/// not shown again when it is the same.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Seen {
    state: i32,
    pub(super) onboarding: Option<i32>,
    warned: bool,
    renewal: Option<pb::Renewal>,
}

impl Seen {
    pub fn of(h: &pb::Handshake) -> Self {
        Self {
            state: h.state,
            onboarding: h.onboarding.as_ref().map(|o| o.status),
            warned: h.expiry_warning_time.is_some(),
            renewal: h.renewal.clone(),
        }
    }

    /// `h-... ACCEPTED, onboarding PLACING`, for the spinner.
    pub(super) fn describe(&self, id: &str) -> String {
        let state = shape::state_name(self.state).unwrap_or("UNKNOWN");
        let mut line = format!("{id} {state}");
        if let Some(o) = self.onboarding {
            let status = shape::onboarding_status_name(o).unwrap_or("UNKNOWN");
            line.push_str(&format!(", onboarding {status}"));
        }
        if self.state == pb::HandshakeState::Expired as i32
            && self.renewal.as_ref().is_some_and(renewal_to_come)
        {
            line.push_str(", renewal to come");
        } else if self.warned && self.state == pb::HandshakeState::Open as i32 {
            line.push_str(", expiring soon");
        }
        line
    }
}
