//! The poller: one replica at a time (a Postgres advisory lock held on a
//! dedicated connection) sweeps AWS and records every change; if it dies,
//! its connection closes, the lock frees, and another replica takes over
//! within one interval.

use std::time::Duration;

use sqlx::{postgres::PgListener, Connection, PgConnection};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::{
    metrics::{Metrics, OutcomeLabel, SourceLabel},
    service::Invitations,
    startup::DatabaseReady,
    store::WAKE_CHANNEL,
};

/// The advisory lock whose holder polls.
pub const POLLER_LOCK: i64 = 0x6f72_6769_6e76_0002;
/// How often the polling replica prunes old events.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Wake-ups closer than this are folded into one sweep.
const MIN_GAP: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy)]
pub struct PollerSettings {
    /// Between sweeps, normally.
    pub interval: Duration,
    /// Between sweeps while someone watches a pending handshake.
    pub watched_interval: Duration,
    /// How long `handshake_events` (WatchHandshakes' replay log) keeps an
    /// event; handshakes and their state history are never pruned.
    pub event_retention: Duration,
}

pub async fn run_poller(
    invitations: Invitations,
    settings: PollerSettings,
    mut ready: DatabaseReady,
    stop: CancellationToken,
) {
    if !ready.wait(&stop).await {
        return;
    }
    loop {
        match try_lead(&invitations).await {
            Ok(Some(lock)) => {
                info!("this replica now polls AWS");
                invitations.metrics().poller_leader.set(1);
                let led = lead(&invitations, settings, lock, &stop).await;
                invitations.metrics().poller_leader.set(0);
                if let Err(e) = led {
                    warn!(error = %e, "lost the poller lock; another replica may take over");
                }
            }
            Ok(None) => {}
            Err(e) => warn!(error = %e, "could not try the poller lock"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(settings.interval) => {}
        }
    }
}

/// The lock lives as long as this connection: a crashed leader frees it.
async fn try_lead(invitations: &Invitations) -> Result<Option<PgConnection>, sqlx::Error> {
    let options = invitations.store().pool().connect_options();
    let mut conn = PgConnection::connect_with(&options).await?;
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(POLLER_LOCK)
        .fetch_one(&mut conn)
        .await?;
    Ok(got.then_some(conn))
}

async fn lead(
    invitations: &Invitations,
    settings: PollerSettings,
    mut lock: PgConnection,
    stop: &CancellationToken,
) -> Result<(), sqlx::Error> {
    let mut wake = PgListener::connect_with(invitations.store().pool()).await?;
    wake.listen(WAKE_CHANNEL).await?;
    let mut watched_until = Instant::now();
    let mut pruned_at: Option<Instant> = None;
    loop {
        // Still the leader? The lock is gone if its connection is.
        sqlx::query("SELECT 1").execute(&mut lock).await?;
        let started = Instant::now();
        let swept = invitations.sweep(stop).await;
        record_sweep(invitations.metrics(), started.elapsed(), &swept);
        match swept {
            Ok(report) if report.changes > 0 || report.repaired > 0 => info!(?report, "sweep"),
            Ok(report) => tracing::debug!(?report, "sweep"),
            Err(e) => warn!(error = %e, "sweep failed; the next one will retry"),
        }
        if pruned_at.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
            pruned_at = Some(Instant::now());
            match invitations
                .store()
                .prune_events(settings.event_retention)
                .await
            {
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
            n = wake.recv() => {
                n?;
                // Someone invited, cancelled or watches: sweep soon and, for
                // a while, more often.
                watched_until = Instant::now() + settings.interval;
                tokio::select! {
                    _ = stop.cancelled() => return Ok(()),
                    _ = tokio::time::sleep_until(started + MIN_GAP) => {}
                }
            }
        }
        // Wake-ups already buffered are answered by the sweep about to run.
        while wake.next_buffered().is_some() {}
    }
}

fn record_sweep(
    metrics: &Metrics,
    took: Duration,
    swept: &Result<crate::service::SweepReport, crate::service::Error>,
) {
    let outcome = if swept.is_ok() { "ok" } else { "error" };
    metrics
        .sweeps
        .get_or_create(&OutcomeLabel {
            outcome: outcome.into(),
        })
        .inc();
    metrics.sweep_seconds.observe(took.as_secs_f64());
    if let Ok(report) = swept {
        metrics.sweep_handshakes.observe(report.listed as f64);
        metrics
            .aws_retries
            .get_or_create(&SourceLabel {
                source: "poller".into(),
            })
            .inc_by(report.throttled as u64);
    }
}
