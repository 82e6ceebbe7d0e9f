//! Renewal on expiry: how many more times an invitation is sent again when
//! it expires, and the chain of handshakes that makes.
use chrono::{DateTime, Utc};

use super::{FieldViolation, HandshakeId, HandshakeState};

/// The most renewals one request may ask for.
pub const MAX_RENEWALS: i32 = 10;

/// A handshake's renewal: what is left of the chain, and its links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewal {
    /// Renewals still allowed after this handshake.
    pub renewals_left: u8,
    pub renewed_from: Option<HandshakeId>,
    pub renewed_to: Option<HandshakeId>,
    /// Why it was renewed, or why it could not be.
    pub reason: Option<String>,
    /// While the daily quota is used up: when the renewal is sent.
    pub waiting_until: Option<DateTime<Utc>>,
    /// The renewal failed for good: nothing more is tried.
    pub given_up: bool,
}

impl Renewal {
    /// `max_renewals` as a request gives it: 0 (none) to 10; None for 0.
    pub fn parse(max_renewals: i32) -> Result<Option<Self>, FieldViolation> {
        match max_renewals {
            0 => Ok(None),
            n @ 1..=MAX_RENEWALS => Ok(Some(Self::first(n as u8))),
            _ => Err(FieldViolation::new(
                "renewal.max_renewals",
                "max_renewals must be 0 to 10",
            )),
        }
    }

    /// The first handshake of a chain of `renewals` renewals.
    pub fn first(renewals: u8) -> Self {
        Self {
            renewals_left: renewals,
            renewed_from: None,
            renewed_to: None,
            reason: None,
            waiting_until: None,
            given_up: false,
        }
    }

    /// What the handshake that renews `from` carries.
    pub fn next(&self, from: &HandshakeId) -> Self {
        Self {
            renewed_from: Some(from.clone()),
            ..Self::first(self.renewals_left.saturating_sub(1))
        }
    }

    /// The same request, as far as a retry or a reuse compares them: the
    /// chain's budget, not its progress.
    pub fn same_request(&self, other: &Self) -> bool {
        self.renewals_left == other.renewals_left
    }

    /// Whether this handshake, being in `state`, is still to be renewed.
    pub fn is_due(&self, state: HandshakeState) -> bool {
        state == HandshakeState::Expired
            && self.renewals_left > 0
            && self.renewed_to.is_none()
            && !self.given_up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_to_ten_renewals_may_be_asked_for() {
        assert_eq!(Renewal::parse(0), Ok(None));
        assert_eq!(Renewal::parse(10).unwrap().unwrap().renewals_left, 10);
        for bad in [-1, 11, 1000] {
            assert_eq!(
                Renewal::parse(bad).unwrap_err().field,
                "renewal.max_renewals"
            );
        }
    }

    #[test]
    fn a_chain_counts_down_and_only_an_expiry_is_renewed() {
        let id = HandshakeId::parse("h-abcdefgh12").unwrap();
        let first = Renewal::first(1);
        assert!(first.is_due(HandshakeState::Expired));
        for state in [
            HandshakeState::Open,
            HandshakeState::Declined,
            HandshakeState::Canceled,
            HandshakeState::Accepted,
        ] {
            assert!(!first.is_due(state), "{state:?}");
        }
        let second = first.next(&id);
        assert_eq!(second.renewed_from.as_ref(), Some(&id));
        assert!(
            !second.is_due(HandshakeState::Expired),
            "the budget is spent"
        );
    }
}
