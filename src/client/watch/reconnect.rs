//! When a watch's stream is cut (a server restart answers UNAVAILABLE, or
//! ends streams early), how long it waits before reopening it, and when it
//! gives up: exponential backoff with jitter, so that the watchers a
//! restart cuts all at once do not all come back at the same instant.
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use tonic::Code;

use super::super::{
    conn::{trace, Conn},
    exit::CliError,
};

/// Reconnections in a row before giving up.
pub const MAX_RECONNECTS: usize = 5;
/// The shortest wait before a reconnection, and the longest.
pub const MIN_DELAY: Duration = Duration::from_secs(1);
pub const MAX_DELAY: Duration = Duration::from_secs(16);

/// The waits of one run of failed reconnections: 1 s, then twice as long
/// each time, each with up to as much again added at random, never over
/// MAX_DELAY.
pub fn policy() -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(MIN_DELAY)
        // backon adds its jitter (up to the delay itself) after capping,
        // so capping at half keeps every wait within [MIN_DELAY, MAX_DELAY].
        .with_max_delay(MAX_DELAY / 2)
        .with_factor(2.0)
        .with_jitter()
        .with_max_times(MAX_RECONNECTS)
}

/// Failed (re)connections of one watch in a row: each waits as `policy`
/// says, and once it has no more waits the watch gives up.
pub struct Reconnects<'a> {
    conn: &'a Conn,
    method: &'static str,
    delays: ExponentialBackoff,
}

impl<'a> Reconnects<'a> {
    pub fn new(conn: &'a Conn, method: &'static str) -> Self {
        Self {
            conn,
            method,
            delays: policy().build(),
        }
    }

    /// A message arrived: the connection works again.
    pub fn reset(&mut self) {
        self.delays = policy().build();
    }

    /// After a failed call: Ok once it is time to reconnect (UNAVAILABLE,
    /// tries left), else the error to end with.
    pub async fn after_status(&mut self, status: tonic::Status) -> Result<(), CliError> {
        if status.code() == Code::Unavailable {
            if let Some(delay) = self.delays.next() {
                self.wait(delay, "unavailable").await;
                return Ok(());
            }
        }
        self.conn.trace_status(self.method, &status);
        Err(CliError::service(self.method, status))
    }

    /// After the server ended the stream early: Ok once it is time to
    /// reconnect, else `give_up`.
    pub async fn after_end(&mut self, give_up: impl FnOnce() -> CliError) -> Result<(), CliError> {
        match self.delays.next() {
            Some(delay) => {
                self.wait(delay, "ended early").await;
                Ok(())
            }
            None => Err(give_up()),
        }
    }

    async fn wait(&self, delay: Duration, why: &str) {
        trace(
            self.conn.debug,
            format_args!("stream {why}; reconnecting in {delay:?}"),
        );
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delays() -> Vec<Duration> {
        policy().build().collect()
    }

    #[test]
    fn every_wait_is_within_the_bounds_and_there_are_max_reconnects_of_them() {
        for _ in 0..100 {
            let d = delays();
            assert_eq!(d.len(), MAX_RECONNECTS);
            assert!(
                d.iter().all(|d| (MIN_DELAY..=MAX_DELAY).contains(d)),
                "{d:?}"
            );
            // Still exponential: the first within [1 s, 2 s), the last
            // reaching toward the longest.
            assert!(d[0] < MIN_DELAY * 2, "{d:?}");
            assert!(d[MAX_RECONNECTS - 1] >= MAX_DELAY / 2, "{d:?}");
        }
    }

    #[test]
    fn two_watchers_cut_at_once_do_not_wait_in_lockstep() {
        // Each run seeds its own generator: five equal draws in a row would
        // take a chance of about 2^-120.
        assert_ne!(delays(), delays());
    }
}
