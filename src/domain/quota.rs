//! The daily invitation quota: AWS allows about 20 invitations per
//! organization in 24 hours. Counting it here lets InviteAccount fail fast
//! instead of spending an AWS call on a certain refusal.
use std::time::Duration;

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InviteQuota {
    pub limit: u32,
    pub window: Duration,
}

/// How much of the quota the window holds right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaUse {
    pub limit: u32,
    pub window: Duration,
    /// Invitations sent (or possibly sent) within the window.
    pub used: u32,
    /// When the oldest of them leaves the window, freeing a slot.
    pub next_slot_time: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

impl QuotaUse {
    pub fn new(
        quota: InviteQuota,
        used: u32,
        oldest: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Self {
        let window = chrono::Duration::from_std(quota.window).unwrap_or(chrono::Duration::MAX);
        Self {
            limit: quota.limit,
            window: quota.window,
            used,
            next_slot_time: oldest.map(|t| t + window),
            now,
        }
    }

    pub fn remaining(&self) -> u32 {
        self.limit.saturating_sub(self.used)
    }

    pub fn exhausted(&self) -> bool {
        self.remaining() == 0
    }

    /// How long until another invitation may be sent; zero when one may now.
    pub fn retry_after(&self) -> Duration {
        if !self.exhausted() {
            return Duration::ZERO;
        }
        self.next_slot_time
            .and_then(|t| (t - self.now).to_std().ok())
            .unwrap_or(Duration::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_window_frees_a_slot_when_its_oldest_invitation_leaves() {
        let now = Utc::now();
        let oldest = now - chrono::Duration::hours(20);
        let quota = InviteQuota {
            limit: 20,
            window: Duration::from_secs(24 * 3600),
        };
        let full = QuotaUse::new(quota, 20, Some(oldest), now);
        assert!(full.exhausted());
        assert_eq!(full.retry_after(), Duration::from_secs(4 * 3600));
        let room = QuotaUse::new(quota, 19, Some(oldest), now);
        assert_eq!((room.remaining(), room.retry_after()), (1, Duration::ZERO));
    }
}
