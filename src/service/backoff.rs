//! The one retry policy for every server loop that waits on something
//! outside (AWS throttling, a late record, an onboarding step): exponential
//! with full jitter, from `backon`, so replicas and retries never move in
//! lockstep. The CLI's watch reconnect uses `backon` the same way.
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// Delays from `min`, doubling, each jittered by up to its own length and
/// never over `max`; never ends. (backon adds the jitter after its cap, so
/// the cap it is given is half of `max`.)
pub fn delays(min: Duration, max: Duration) -> impl Iterator<Item = Duration> + Send {
    ExponentialBuilder::default()
        .with_min_delay(min)
        .with_max_delay((max / 2).max(min))
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .build()
}

/// The delay before attempt `attempt + 1` (the first retry is attempt 1),
/// for a schedule kept across passes (an onboarding step's `retry_at`).
pub fn nth(min: Duration, max: Duration, attempt: u32) -> Duration {
    let n = attempt.saturating_sub(1).min(32) as usize;
    delays(min, max).nth(n).unwrap_or(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(1);
    const MAX: Duration = Duration::from_secs(60);

    #[test]
    fn delays_grow_to_the_cap_within_jitter() {
        let d: Vec<Duration> = delays(MIN, MAX).take(12).collect();
        // Jitter adds up to one more delay's worth, never less than the base.
        assert!(d[0] >= MIN && d[0] <= 2 * MIN, "{d:?}");
        assert!(d[3] >= 8 * MIN, "{d:?}");
        assert!(d.iter().all(|x| *x <= MAX), "{d:?}");
        assert!(d[11] >= MAX / 2, "{d:?}");
    }

    #[test]
    fn two_schedules_differ_so_retries_spread_out() {
        let a: Vec<Duration> = delays(MIN, MAX).take(8).collect();
        let b: Vec<Duration> = delays(MIN, MAX).take(8).collect();
        assert_ne!(a, b);
    }

    #[test]
    fn the_nth_delay_follows_the_schedule() {
        assert!(nth(MIN, MAX, 1) <= 2 * MIN);
        assert!(nth(MIN, MAX, 5) >= 16 * MIN);
        assert!(nth(MIN, MAX, 40) >= MAX / 2 && nth(MIN, MAX, 40) <= MAX);
    }
}
