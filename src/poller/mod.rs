//! The poller: one replica at a time (the one holding the store's
//! leadership lock) sweeps AWS and records every change. The others try the
//! lock every second, and at once when the poller says it let go at
//! shutdown, so polling moves in about a second however it ended.

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn, Instrument};

use crate::{
    metrics::{Metrics, RetrySource},
    reconcile::{Reconciler, SweepReport},
    service::Error,
    store::{Candidate, DatabaseReady, Leadership, Notifications, Session, Store, StoreError},
};

/// How often the other replicas try the lock. A try costs one query and no
/// AWS call, so it can be short whatever the poll interval.
const TRY_EVERY: Duration = Duration::from_secs(1);
/// How often the polling replica checks its lock and leaves a heartbeat.
const BEAT_EVERY: Duration = Duration::from_secs(1);
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
    /// An open billing transfer this close to its acceptance deadline
    /// (start - 24 h) gets its DEADLINE_SOON warning.
    pub transfer_deadline_warning: Duration,
}

/// What the poller works with.
#[derive(Clone)]
pub struct Poller {
    /// The background jobs it runs.
    pub jobs: Reconciler,
    pub store: Store,
    pub metrics: Metrics,
    pub settings: PollerSettings,
    /// This replica's session, named in the poller's heartbeat.
    pub session: Session,
}

impl Poller {
    /// Tries to lead until `stop`: every `TRY_EVERY`, and at once when the
    /// poller lets go. Sweeps while leading; lets go at `stop`.
    pub async fn run(self, mut ready: DatabaseReady, stop: CancellationToken) {
        if !ready.wait(&stop).await {
            return;
        }
        let mut candidate: Option<Candidate> = None;
        let mut freed: Option<Notifications> = None;
        let mut standing_by = false;
        loop {
            if freed.is_none() {
                match self.store.listen_for_freed_poller().await {
                    Ok(n) => freed = Some(n),
                    Err(e) => warn!(error = %e, "could not listen for a freed poller lock"),
                }
            }
            match self.try_lead(candidate.take()).await {
                Ok(Ok(lock)) => {
                    standing_by = false;
                    self.metrics.set_poller_leader(true);
                    self.lead_until_lost(lock, &stop).await;
                    self.metrics.set_poller_leader(false);
                }
                Ok(Err(kept)) => {
                    if kept.is_some() && !standing_by {
                        // Once per stand-by (the failover bench waits for it).
                        info!("another replica polls AWS; this one stands by");
                        standing_by = true;
                    }
                    candidate = kept;
                }
                Err(e) => warn!(error = %e, "could not try the poller lock"),
            }
            let heard = async {
                match freed.as_mut() {
                    Some(n) => n.next().await.map(|_| ()),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(TRY_EVERY) => {}
                r = heard => if let Err(e) = r {
                    warn!(error = %e, "lost the freed-poller listener");
                    freed = None;
                },
            }
        }
    }

    /// The lock if it was free, else the candidate connection to keep
    /// (None without a session to name yet).
    async fn try_lead(
        &self,
        candidate: Option<Candidate>,
    ) -> Result<Result<Leadership, Option<Candidate>>, StoreError> {
        let Some(owner) = self.session.owner(TRY_EVERY).await else {
            return Ok(Err(candidate));
        };
        let candidate = match candidate {
            Some(c) => c,
            None => self.store.candidate().await?,
        };
        Ok(match candidate.try_lead(owner.id()).await? {
            Ok((lock, takeover)) => {
                info!(gap = ?takeover.gap, "this replica now polls AWS");
                if takeover.gap.is_some() {
                    self.metrics.poller_takeover(takeover.gap);
                }
                Ok(lock)
            }
            Err(kept) => Err(Some(kept)),
        })
    }

    /// Leads until `stop` (then lets go, telling the others) or until the
    /// lock is lost.
    async fn lead_until_lost(&self, mut lock: Leadership, stop: &CancellationToken) {
        match self.lead(&mut lock, stop).await {
            Ok(()) => match lock.release().await {
                Ok(()) => info!("let go of the poller lock for another replica"),
                Err(e) => warn!(error = %e, "could not let go of the poller lock cleanly"),
            },
            Err(e) => warn!(error = %e, "lost the poller lock; another replica may take over"),
        }
    }

    async fn lead(
        &self,
        lock: &mut Leadership,
        stop: &CancellationToken,
    ) -> Result<(), StoreError> {
        let settings = self.settings;
        let mut wake = self.store.listen_for_wake_ups().await?;
        let mut watched_until = Instant::now();
        let mut pruned_at: Option<Instant> = None;
        let mut counted_at: Option<Instant> = None;
        let mut beat = tokio::time::interval(BEAT_EVERY);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut first = true;
        loop {
            lock.beat().await?;
            let started = Instant::now();
            // Each sweep is a trace of its own, its AWS calls inside.
            let swept = self
                .jobs
                .sweep()
                .run(stop)
                .instrument(tracing::info_span!(parent: None, "sweep"))
                .await;
            self.record_sweep(started.elapsed(), &swept);
            if std::mem::take(&mut first) {
                // Takeover time is measured to this line (BENCHMARKS.md).
                info!(took = ?started.elapsed(), "first sweep as the poller");
            }
            let changed = swept.as_ref().is_ok_and(|r| r.changes > 0);
            match swept {
                Ok(report) if report.changes > 0 || report.repaired > 0 => info!(?report, "sweep"),
                Ok(report) => tracing::debug!(?report, "sweep"),
                Err(e) => warn!(error = %e, "sweep failed; the next one will retry"),
            }
            if stop.is_cancelled() {
                // Stopping: the next poller runs what follows a sweep.
                return Ok(());
            }
            let next_send = self
                .after_sweep(stop)
                .instrument(tracing::info_span!(parent: None, "after sweep"))
                .await;
            if changed || counted_at.is_none_or(|t| t.elapsed() >= COUNT_MEMBERS_EVERY) {
                counted_at = Some(Instant::now());
                if let Err(e) = self.jobs.count_members().run().await {
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
            let mut due = started + next;
            // A campaign waiting for a quota slot: sweep as it frees.
            if let Some(at) = next_send {
                let wait = (at - chrono::Utc::now()).to_std().unwrap_or_default();
                due = due.min((Instant::now() + wait).max(started + MIN_GAP));
            }
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return Ok(()),
                    _ = tokio::time::sleep_until(due) => break,
                    _ = beat.tick() => lock.beat().await?,
                    heard = wake.next() => {
                        heard?;
                        // Someone invited, cancelled or watches: sweep soon
                        // and, for a while, more often.
                        watched_until = Instant::now() + settings.interval;
                        due = due.min(started + MIN_GAP);
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
    /// Returns when a waiting campaign may next send, if one waits.
    async fn after_sweep(&self, stop: &CancellationToken) -> Option<chrono::DateTime<chrono::Utc>> {
        if let Err(e) = self
            .jobs
            .expiry_warnings()
            .run(self.settings.expiry_warning)
            .await
        {
            warn!(error = %e, "expiry warnings failed; the next pass will retry");
        }
        match self
            .jobs
            .transfers()
            .run(stop, self.settings.transfer_deadline_warning)
            .await
        {
            Ok(report) if report.settled > 0 || report.warned > 0 => {
                info!(?report, "transfer pass");
            }
            Ok(_) => {}
            Err(e) => warn!(error = %e, "transfer pass failed; the next one will retry"),
        }
        match self.jobs.onboard().run(stop).await {
            Ok(report) if report.steps > 0 => tracing::debug!(?report, "onboarding pass"),
            Ok(_) => {}
            Err(e) => warn!(error = %e, "onboarding pass failed; the next one will retry"),
        }
        match self.jobs.renew().run().await {
            Ok(report) if report != Default::default() => info!(?report, "renewal pass"),
            Ok(_) => {}
            Err(e) => warn!(error = %e, "renewal pass failed; the next one will retry"),
        }
        // After renewals: a renewal waiting for a slot goes before a
        // campaign's next target.
        match self.jobs.campaigns().run().await {
            Ok(report) => report.next_send,
            Err(e) => {
                warn!(error = %e, "campaign pass failed; the next one will retry");
                None
            }
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
