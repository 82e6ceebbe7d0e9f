//! The retry schedule (`--delivery-retry-schedule`): each entry is the
//! delay before one more attempt, each jittered by ±20%; a receiver's
//! Retry-After (429, 503) wins, up to an hour.
use std::time::Duration;

use chrono::Utc;

use crate::store::Attempted;

/// How one attempt went, for any kind of endpoint.
#[derive(Debug)]
pub enum Sent {
    Delivered {
        status: String,
    },
    /// 410 Gone: the receiver asks for no more.
    Gone {
        status: String,
        error: String,
    },
    /// Worth another try, if the schedule has one left.
    Failed {
        status: String,
        error: String,
        retry_after: Option<Duration>,
    },
    /// Final: no attempt of this delivery can succeed (an EventBridge
    /// entry refused for anything but InternalFailure or throttling).
    Refused {
        status: String,
        error: String,
    },
}

/// The longest Retry-After honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl RetrySchedule {
    pub fn new(delays: Vec<Duration>) -> Self {
        Self(delays)
    }

    /// What attempt number `attempt` (from 1) that ended as `sent` leads to.
    pub fn after(&self, attempt: i32, sent: Sent) -> Attempted {
        match sent {
            Sent::Delivered { status } => Attempted::Delivered { status },
            Sent::Gone { status, error } => Attempted::Gone { status, error },
            Sent::Refused { status, error } => Attempted::Dead { status, error },
            Sent::Failed {
                status,
                error,
                retry_after,
            } => {
                let index = usize::try_from(attempt.max(1) - 1).unwrap_or(usize::MAX);
                match self.0.get(index) {
                    None => Attempted::Dead { status, error },
                    Some(delay) => {
                        let wait = retry_after
                            .map(|r| r.min(MAX_RETRY_AFTER))
                            .unwrap_or_else(|| jittered(*delay));
                        Attempted::Retry {
                            at: Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default(),
                            status,
                            error,
                        }
                    }
                }
            }
        }
    }
}

/// `d` ±20%, spread so retries of many deliveries do not move together.
fn jittered(d: Duration) -> Duration {
    let r = (uuid::Uuid::new_v4().as_u128() % 10_000) as f64 / 10_000.0;
    d.mul_f64(0.8 + 0.4 * r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(retry_after: Option<Duration>) -> Sent {
        Sent::Failed {
            status: "500".into(),
            error: "HTTP 500".into(),
            retry_after,
        }
    }

    #[test]
    fn two_delays_mean_three_attempts_then_dead() {
        let s = RetrySchedule::new(vec![Duration::from_secs(2), Duration::from_secs(2)]);
        for attempt in [1, 2] {
            let Attempted::Retry { at, .. } = s.after(attempt, failed(None)) else {
                panic!("attempt {attempt} is retried");
            };
            let wait = (at - Utc::now()).num_milliseconds();
            assert!((1500..=2500).contains(&wait), "{wait} ms");
        }
        assert!(matches!(s.after(3, failed(None)), Attempted::Dead { .. }));
    }

    #[test]
    fn a_refusal_is_dead_at_the_first_attempt() {
        let s = RetrySchedule::new(vec![Duration::from_secs(2)]);
        let refused = Sent::Refused {
            status: "MalformedDetail".into(),
            error: "no".into(),
        };
        assert!(matches!(s.after(1, refused), Attempted::Dead { .. }));
    }

    #[test]
    fn retry_after_wins_up_to_an_hour() {
        let s = RetrySchedule::new(vec![Duration::from_secs(5)]);
        let Attempted::Retry { at, .. } = s.after(1, failed(Some(Duration::from_secs(90)))) else {
            panic!()
        };
        assert!((at - Utc::now()).num_seconds() >= 88);
        let Attempted::Retry { at, .. } = s.after(1, failed(Some(Duration::from_secs(86400))))
        else {
            panic!()
        };
        assert!((at - Utc::now()).num_seconds() <= 3600);
    }
}
