//! The replica session: who owns an InviteAccount attempt, and how a dead
//! owner is told apart from a slow one.
//!
//! Each replica holds, on a connection of its own, a session-level advisory
//! lock on a number taken from `replica_sessions`. Every attempt it starts
//! (or claims) records that number as its `owner`. The lock is Postgres's
//! own statement that the owner is alive: when the process dies its socket
//! closes, Postgres ends the session and frees the lock at once. A retry or
//! the repair sweep that finds an attempt's owner lock free may resolve it
//! without waiting out `--invite-grace`, which stays for owners that are
//! alive but slow.
//!
//! # Fencing
//! The lock can also be freed while the owner lives: its connection is cut
//! or terminated. Its AWS call may still be in flight then, and a resolver
//! that looked AWS up at once could find nothing, close the attempt as not
//! sent, and let a retry send a second invitation. So:
//! 1. The owner pings its session every `PING_EVERY`, each ping bounded by
//!    `PING_TIMEOUT`. On the first failure it *fences*: it cancels the
//!    session's token, which every AWS call made under it is raced against
//!    (the request is dropped, its connection to AWS closed), and only then
//!    drops its connection. It never sends under that number again; it
//!    takes a new one.
//! 2. Hence, once the lock is free, the owner stops sending within
//!    `PING_EVERY + PING_TIMEOUT` (< `FENCE`) of the moment Postgres freed
//!    it, unless its runtime is stalled for longer than that.
//! 3. A resolver that finds the owner gone claims the attempt (it becomes
//!    the owner, under its own number) and waits `FENCE` before looking AWS
//!    up. Whatever the old owner had sent by then has reached AWS; what it
//!    had not sent never will be.
//! 4. Writes after the AWS call that could undo a resolver's work (marking
//!    the attempt failed or unknown) are conditioned on `owner` still being
//!    the writer's number. Recording a handshake AWS made is always right.
//!
//! A request AWS received just before the owner died is found by the
//! lookup; if AWS lists it late, the resolver's own send is refused as a
//! duplicate and the lookup runs again (see `service::invite`).
use std::time::Duration;

use sqlx::{Connection, PgConnection};
use tokio::sync::watch;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};
use tracing::{debug, info, warn};

use super::{locks::OWNER_LOCK_CLASS, Store, StoreError};

/// How often the session is pinged.
const PING_EVERY: Duration = Duration::from_millis(250);
/// A ping slower than this counts as a lost session.
const PING_TIMEOUT: Duration = Duration::from_millis(500);
/// Between attempts to open a session.
const REOPEN_AFTER: Duration = Duration::from_millis(500);
/// How long a resolver waits after finding an owner gone before it looks
/// AWS up: longer than the owner needs to notice and fence (see above).
pub const FENCE: Duration = Duration::from_secs(1);

/// SQL: true when the session named by `owner` (a column or parameter) no
/// longer holds its lock, i.e. it ended.
pub(super) fn owner_gone(owner: &str) -> String {
    format!(
        "({owner} IS NOT NULL AND NOT EXISTS (
             SELECT 1 FROM pg_locks
             WHERE locktype = 'advisory' AND granted AND objsubid = 2
               AND classid::bigint = {OWNER_LOCK_CLASS} AND objid::bigint = {owner}
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())))"
    )
}

/// This replica's current session, as the rest of the service sees it.
#[derive(Clone)]
pub struct Session(watch::Receiver<Option<Owner>>);

/// One session's number and its fence.
#[derive(Debug, Clone)]
pub struct Owner {
    id: i32,
    fence: CancellationToken,
}

impl Owner {
    /// The number recorded as an attempt's owner.
    pub fn id(&self) -> i32 {
        self.id
    }

    /// Resolves once this session is lost: every AWS call of an attempt it
    /// owns must stop then.
    pub fn fenced(&self) -> WaitForCancellationFuture<'_> {
        self.fence.cancelled()
    }

    pub fn is_fenced(&self) -> bool {
        self.fence.is_cancelled()
    }

    /// An owner numbered `id` that no session here holds: in tests, the
    /// process of an attempt that is gone.
    #[cfg(any(test, feature = "test-support"))]
    pub fn gone(id: i32) -> Self {
        Self {
            id,
            fence: CancellationToken::new(),
        }
    }
}

impl Session {
    /// The current session, waiting up to `wait` for one to be open (at
    /// start-up, or while it is re-opened after a loss).
    pub async fn owner(&self, wait: Duration) -> Option<Owner> {
        let mut rx = self.0.clone();
        let found = tokio::time::timeout(wait, rx.wait_for(|o| o.is_some())).await;
        match found {
            Ok(Ok(o)) => o.clone(),
            _ => None,
        }
    }
}

/// The task that keeps the session open.
pub struct SessionKeeper {
    store: Store,
    tx: watch::Sender<Option<Owner>>,
}

impl Store {
    /// The session handle, and the keeper to run (until shutdown has
    /// drained in-flight calls) so that it is open.
    pub fn session(&self) -> (Session, SessionKeeper) {
        let (tx, rx) = watch::channel(None);
        let keeper = SessionKeeper {
            store: self.clone(),
            tx,
        };
        (Session(rx), keeper)
    }
}

impl SessionKeeper {
    /// Opens a session, keeps it, fences and re-opens on loss, until `stop`.
    pub async fn run(self, stop: CancellationToken) {
        let mut failures = 0u32;
        while !stop.is_cancelled() {
            match self.open().await {
                Ok((mut conn, id)) => {
                    failures = 0;
                    let owner = Owner {
                        id,
                        fence: CancellationToken::new(),
                    };
                    self.tx.send_replace(Some(owner.clone()));
                    info!(session = id, "replica session open");
                    let lost = keep(&mut conn, &stop).await;
                    // Fence first: the lock frees only when `conn` goes.
                    self.tx.send_replace(None);
                    owner.fence.cancel();
                    drop(conn);
                    if let Err(e) = lost {
                        warn!(session = id, error = %e,
                              "replica session lost: its in-flight AWS calls are stopped; opening a new one");
                    }
                }
                Err(e) => {
                    failures += 1;
                    // Until migrations ran the sequence is missing: expected
                    // at start-up, so only a persisting failure is a warning.
                    if failures % 20 == 0 {
                        warn!(error = %e, "could not open a replica session");
                    } else {
                        debug!(error = %e, "could not open a replica session");
                    }
                }
            }
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = tokio::time::sleep(REOPEN_AFTER) => {}
            }
        }
    }

    async fn open(&self) -> Result<(PgConnection, i32), StoreError> {
        let options = self.store.pool.connect_options();
        let mut conn = PgConnection::connect_with(&options).await?;
        let id: i32 = sqlx::query_scalar("SELECT nextval('replica_sessions')::int")
            .fetch_one(&mut conn)
            .await?;
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
            .bind(OWNER_LOCK_CLASS)
            .bind(id)
            .fetch_one(&mut conn)
            .await?;
        if !locked {
            // Only after the sequence wrapped around onto a live session.
            return Err(StoreError::Corrupt(format!(
                "replica session {id} is taken"
            )));
        }
        Ok((conn, id))
    }
}

/// Pings until a ping fails or times out (Err), or until `stop` (Ok).
async fn keep(conn: &mut PgConnection, stop: &CancellationToken) -> Result<(), StoreError> {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            _ = tokio::time::sleep(PING_EVERY) => {}
        }
        match tokio::time::timeout(PING_TIMEOUT, sqlx::query("SELECT 1").execute(&mut *conn)).await
        {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => {
                let timed_out = std::io::Error::new(std::io::ErrorKind::TimedOut, "ping timed out");
                return Err(StoreError::Unavailable(sqlx::Error::Io(timed_out)));
            }
        }
    }
}
