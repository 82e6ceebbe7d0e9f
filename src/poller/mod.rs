//! The poller: one replica at a time (the one holding the store's
//! leadership lock) sweeps AWS and records every change; if it dies, its
//! lock frees and another replica takes over within one interval.

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn, Instrument};

use crate::{
    metrics::{Metrics, RetrySource},
    service::{Error, Invitations, SweepReport},
    store::{DatabaseReady, Leadership, Store, StoreError},
};

/// How often the polling replica prunes old events.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Wake-ups closer than this are folded into one sweep.
const MIN_GAP: Duration = Duration::from_secs(1);
/// How often the organization's accounts are counted when nothing changed
/// (a sweep that recorded a change counts them too).
const COUNT_MEMBERS_EVERY: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Copy)]
pub struct PollerSettings {
    /// Between sweeps, normally.
    pub interval: Duration,
    /// Between sweeps while someone watches a pending handshake.
    pub watched_interval: Duration,
    /// How long `handshake_events` (WatchHandshakes' replay log) keeps an
    /// event; handshakes and their state history are never pruned.
    pub event_retention: Duration,
    /// An open invitation this close to its expiry gets its EXPIRING_SOON
    /// warning.
    pub expiry_warning: Duration,
}

/// What the poller works with.
#[derive(Clone)]
pub struct Poller {
    pub invitations: Invitations,
    pub store: Store,
    pub metrics: Metrics,
    pub settings: PollerSettings,
}

impl Poller {
    /// Tries to lead once per interval until `stop`; sweeps while leading.
    pub async fn run(self, mut ready: DatabaseReady, stop: CancellationToken) {
        if !ready.wait(&stop).await {
            return;
        }
        loop {
            match self.store.try_lead().await {
                Ok(Some(lock)) => {
                    info!("this replica now polls AWS");
                    self.metrics.set_poller_leader(true);
                    let led = self.lead(lock, &stop).await;
                    self.metrics.set_poller_leader(false);
                    if let Err(e) = led {
                        warn!(error = %e, "lost the poller lock; another replica may take over");
                    }
                }
                Ok(None) => {}
                Err(e) => warn!(error = %e, "could not try the poller lock"),
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(self.settings.interval) => {}
            }
        }
    }

    async fn lead(&self, mut lock: Leadership, stop: &CancellationToken) -> Result<(), StoreError> {
        let settings = self.settings;
        let mut wake = self.store.listen_for_wake_ups().await?;
        let mut watched_until = Instant::now();
        let mut pruned_at: Option<Instant> = None;
        let mut counted_at: Option<Instant> = None;
        loop {
            lock.check().await?;
            let started = Instant::now();
            // Each sweep is a trace of its own, its AWS calls inside.
            let swept = self
                .invitations
                .sweep(stop)
                .instrument(tracing::info_span!(parent: None, "sweep"))
                .await;
            self.record_sweep(started.elapsed(), &swept);
            let changed = swept.as_ref().is_ok_and(|r| r.changes > 0);
            match swept {
                Ok(report) if report.changes > 0 || report.repaired > 0 => info!(?report, "sweep"),
                Ok(report) => tracing::debug!(?report, "sweep"),
                Err(e) => warn!(error = %e, "sweep failed; the next one will retry"),
            }
            self.after_sweep(stop)
                .instrument(tracing::info_span!(parent: None, "after sweep"))
                .await;
            if changed || counted_at.is_none_or(|t| t.elapsed() >= COUNT_MEMBERS_EVERY) {
                counted_at = Some(Instant::now());
                if let Err(e) = self.invitations.refresh_member_accounts().await {
                    warn!(error = %e, "could not count the organization's accounts");
                }
            }
            if pruned_at.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
                pruned_at = Some(Instant::now());
                match self.store.prune_events(settings.event_retention).await {
                    Ok(0) => {}
                    Ok(n) => info!(deleted = n, "pruned old events"),
                    Err(e) => warn!(error = %e, "could not prune old events"),
                }
            }
            let next = if Instant::now() < watched_until {
                settings.watched_interval
            } else {
                settings.interval
            };
            tokio::select! {
                _ = stop.cancelled() => return Ok(()),
                _ = tokio::time::sleep_until(started + next) => {}
                heard = wake.next() => {
                    heard?;
                    // Someone invited, cancelled or watches: sweep soon and,
                    // for a while, more often.
                    watched_until = Instant::now() + settings.interval;
                    tokio::select! {
                        _ = stop.cancelled() => return Ok(()),
                        _ = tokio::time::sleep_until(started + MIN_GAP) => {}
                    }
                }
            }
            // Wake-ups already buffered are answered by the sweep about to run.
            wake.clear_buffered();
        }
    }

    /// What follows from the states the sweep recorded: expiry warnings,
    /// onboarding steps, renewals. Each failure is logged and left for the
    /// next pass.
    async fn after_sweep(&self, stop: &CancellationToken) {
        if let Err(e) = self
            .invitations
            .warn_expiring(self.settings.expiry_warning)
            .await
        {
            warn!(error = %e, "expiry warnings failed; the next pass will retry");
        }
        match self.invitations.onboard(stop).await {
            Ok(report) if report.steps > 0 => tracing::debug!(?report, "onboarding pass"),
            Ok(_) => {}
            Err(e) => warn!(error = %e, "onboarding pass failed; the next one will retry"),
        }
        match self.invitations.renew().await {
            Ok(report) if report != Default::default() => info!(?report, "renewal pass"),
            Ok(_) => {}
            Err(e) => warn!(error = %e, "renewal pass failed; the next one will retry"),
        }
    }

    fn record_sweep(&self, took: Duration, swept: &Result<SweepReport, Error>) {
        let listed = swept.as_ref().ok().map(|r| r.listed);
        self.metrics.sweep(took, listed);
        if let Ok(report) = swept {
            self.metrics
                .aws_retried(RetrySource::Poller, report.throttled as u64);
        }
    }
}
