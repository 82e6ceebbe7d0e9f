//! What the polling replica does after a handshake's AWS state: onboarding
//! progress and renewal links written back with the handshake (and
//! announced), and which handshakes have such work due.
use sqlx::{types::Json, AssertSqlSafe};

use super::{
    locks::{begin_locked, EVENT_ORDER_LOCK},
    rows::{HandshakeRow, HANDSHAKE_COLUMNS},
    stored::{StoredOnboarding, StoredRenewal},
    Store, StoreError,
};
use crate::domain::{EventKind, HandshakeEvent, HandshakeId, HandshakeRecord, Onboarding, Renewal};

/// Whether a handshake's onboarding may have work: `Onboarding::next`
/// restated in SQL. Every onboarding whose `next` is not Wait matches, and
/// the only matches with nothing to do are unfinished ones of
/// REQUESTED/OPEN handshakes (tests/api/due.rs checks each combination).
/// The partial index `handshakes_onboarding_work` (migration 0024) has
/// this predicate word for word; the older `onboarding_due` column
/// (migration 0005), which the previous release reads, lacks the failed
/// LEAVE.
macro_rules! onboarding_work {
    () => {
        "COALESCE(onboarding ->> 'status' IN ('PENDING', 'ACCEPTING', 'PLACING', 'TAGGING') \
         OR (onboarding ->> 'status' = 'FAILED' AND state = 'ACCEPTED' \
         AND onboarding -> 'steps' -> -1 ->> 'step' IN ('ACCEPT', 'LEAVE')), false)"
    };
}

/// `onboarding_work!` as a value, for the test that checks it.
pub const ONBOARDING_WORK: &str = onboarding_work!();

/// The handshakes with onboarding work due: the partial index holds them.
pub(super) const DUE_ONBOARDINGS: &str =
    concat!("FROM handshakes WHERE ", onboarding_work!(), " ORDER BY id");

/// The parts of a handshake's row this module writes whole.
enum Part {
    Onboarding,
    Renewal,
}

impl Part {
    fn column(&self) -> &'static str {
        match self {
            Self::Onboarding => "onboarding",
            Self::Renewal => "renewal",
        }
    }
}

/// Whether a change to a handshake's record is news to its watchers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// An event is appended and announced, and the record's version moves.
    Announce,
    /// Only the row changes (another attempt, a retry time).
    Quiet,
}

impl Notice {
    pub fn when(news: bool) -> Self {
        if news {
            Self::Announce
        } else {
            Self::Quiet
        }
    }
}

impl Store {
    /// Handshakes whose onboarding is unfinished, or failed to accept while
    /// a person may still accept (`onboarding_due`, a partial index).
    pub async fn due_onboardings(&self) -> Result<Vec<HandshakeRecord>, StoreError> {
        let rows: Vec<HandshakeRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {HANDSHAKE_COLUMNS} {DUE_ONBOARDINGS}"
        )))
        .fetch_all(&self.pool)
        .await?;
        Ok(self
            .unreadable
            .readable(rows.into_iter().map(HandshakeRecord::try_from)))
    }

    /// Writes `onboarding` to the handshake. A new status is news
    /// (`Notice::Announce`): the record's version moves and an ONBOARDING
    /// event is appended (and announced), in one transaction; otherwise
    /// (another attempt, a retry time) the row alone changes.
    pub async fn save_onboarding(
        &self,
        id: &HandshakeId,
        onboarding: &Onboarding,
        notice: Notice,
    ) -> Result<(HandshakeRecord, Option<HandshakeEvent>), StoreError> {
        let announce = (notice == Notice::Announce).then_some(EventKind::Onboarding);
        let value = Json(StoredOnboarding::from(onboarding));
        self.save_part(id, Part::Onboarding, value, announce).await
    }

    /// Writes `renewal` to the handshake, announced with a RENEWAL event
    /// or not.
    pub async fn save_renewal(
        &self,
        id: &HandshakeId,
        renewal: &Renewal,
        notice: Notice,
    ) -> Result<(HandshakeRecord, Option<HandshakeEvent>), StoreError> {
        let announce = (notice == Notice::Announce).then_some(EventKind::Renewal);
        let value = Json(StoredRenewal::from(renewal));
        self.save_part(id, Part::Renewal, value, announce).await
    }

    /// Writes one part of the handshake's record that this service keeps
    /// (not AWS's fields); with `announce`, the version moves and an event
    /// of that kind is appended, in one transaction.
    async fn save_part<T: serde::Serialize + Send + Sync>(
        &self,
        id: &HandshakeId,
        part: Part,
        value: Json<T>,
        announce: Option<EventKind>,
    ) -> Result<(HandshakeRecord, Option<HandshakeEvent>), StoreError> {
        let mut tx = match announce {
            Some(_) => begin_locked(&self.pool, EVENT_ORDER_LOCK).await?,
            None => self.pool.begin().await?,
        };
        let bump = i64::from(announce.is_some());
        let row: HandshakeRow = sqlx::query_as(AssertSqlSafe(format!(
            "UPDATE handshakes SET {column} = $2, version = version + $3,
                 update_time = CASE WHEN $3 > 0 THEN now() ELSE update_time END
             WHERE id = $1
             RETURNING {HANDSHAKE_COLUMNS}",
            column = part.column()
        )))
        .bind(id.as_str())
        .bind(value)
        .bind(bump)
        .fetch_one(&mut *tx)
        .await?;
        let record = HandshakeRecord::try_from(row)?;
        let event = match announce {
            Some(kind) => {
                let state = record.handshake.state;
                Some(super::events::append(&mut tx, &record, Some(state), kind).await?)
            }
            None => None,
        };
        tx.commit().await?;
        Ok((record, event))
    }
}
