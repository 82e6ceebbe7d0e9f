//! A token bucket: callers wait their turn so the poller stays inside AWS's
//! per-account request rates instead of being throttled.
use std::time::Duration;

use tokio::{sync::Mutex, time::Instant};

pub struct TokenBucket {
    per_second: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    pub fn new(per_second: f64, burst: u32) -> Self {
        Self {
            per_second,
            burst: f64::from(burst),
            state: Mutex::new((f64::from(burst), Instant::now())),
        }
    }

    /// AWS's published rate for ListHandshakesForOrganization: 5/s, burst 8.
    pub fn list_handshakes() -> Self {
        Self::new(5.0, 8)
    }

    /// AWS's published rate for DescribeHandshake: 1/s, burst 2.
    pub fn describe_handshake() -> Self {
        Self::new(1.0, 2)
    }

    /// Waits until a request may be sent, then takes its token.
    pub async fn acquire(&self) {
        let wait = {
            let mut s = self.state.lock().await;
            let now = Instant::now();
            let (tokens, at) = *s;
            let tokens = (tokens + now.duration_since(at).as_secs_f64() * self.per_second)
                .min(self.burst)
                - 1.0;
            *s = (tokens, now);
            if tokens >= 0.0 {
                Duration::ZERO
            } else {
                Duration::from_secs_f64(-tokens / self.per_second)
            }
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_burst_is_free_and_then_requests_are_paced() {
        let bucket = TokenBucket::new(5.0, 8);
        let start = Instant::now();
        for _ in 0..8 {
            bucket.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        for _ in 0..10 {
            bucket.acquire().await;
        }
        // Ten more at 5/s take two seconds of (paused, simulated) time.
        let took = start.elapsed().as_secs_f64();
        assert!((took - 2.0).abs() < 0.01, "{took}");
    }
}
