//! Reading and writing handshake rows.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{
    postgres::PgArguments, query::QueryAs, types::Json, AssertSqlSafe, FromRow, PgConnection,
    Postgres, QueryBuilder,
};

use super::{
    locks::{begin_locked, EVENT_ORDER_LOCK},
    rows::{HandshakeRow, HANDSHAKE_COLUMNS},
    stored::{stored_tags, StoredOnboarding, StoredParty, StoredRenewal, StoredResource},
    Store, StoreError,
};
use crate::domain::{
    EventKind, Handshake, HandshakeEvent, HandshakeId, HandshakeRecord, HandshakeState,
    InviteTarget, Notes, Onboarding, Renewal, RequestId, Tags,
};

/// What this service knows about a handshake beyond what AWS reports.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub target: Option<InviteTarget>,
    pub notes: Notes,
    pub tags: Tags,
    pub request_id: Option<RequestId>,
    pub requested_by: Option<String>,
    pub canceled_by: Option<String>,
    /// Set once, by the record of the InviteAccount that asked for it.
    pub onboarding: Option<Onboarding>,
    /// Set once, likewise.
    pub renewal: Option<Renewal>,
}

impl Known {
    /// The target as stored: its type (AWS spelling) and id.
    pub(super) fn target_columns(&self) -> (Option<&'static str>, Option<&str>) {
        match &self.target {
            Some(t) => (Some(t.kind().as_str()), Some(t.id())),
            None => (None, None),
        }
    }

    /// For a handshake this service did not send: the invited party as best
    /// it can be told, and the notes when AWS shows them.
    pub fn from_aws(h: &Handshake) -> Self {
        Self {
            // AWS validated the party when it made the handshake.
            target: h
                .guess_target()
                .and_then(|p| InviteTarget::parse(p.kind, &p.id).ok()),
            notes: h
                .notes()
                .and_then(|n| Notes::parse(n).ok())
                .unwrap_or_default(),
            tags: Tags::default(),
            request_id: None,
            requested_by: None,
            canceled_by: None,
            onboarding: None,
            renewal: None,
        }
    }
}

/// A position in the newest-first order of `list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor {
    pub create_time: DateTime<Utc>,
    pub id: String,
}

#[derive(Debug, Clone)]
pub struct ListQuery {
    pub states: Vec<HandshakeState>,
    pub target_id: Option<String>,
    /// Only what this campaign sent or adopted.
    pub campaign_id: Option<String>,
    pub after: Option<ListCursor>,
    /// At least 1.
    pub limit: i64,
}

impl ListQuery {
    /// A page's size when the caller does not say.
    pub const DEFAULT_LIMIT: i64 = 50;
    /// The largest page served.
    pub const MAX_LIMIT: i64 = 1000;
}

impl Default for ListQuery {
    /// The first page of every handshake, newest first.
    fn default() -> Self {
        Self {
            states: Vec::new(),
            target_id: None,
            campaign_id: None,
            after: None,
            limit: Self::DEFAULT_LIMIT,
        }
    }
}

impl Store {
    pub async fn get(&self, id: &HandshakeId) -> Result<Option<HandshakeRecord>, StoreError> {
        let row: Option<HandshakeRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {HANDSHAKE_COLUMNS} {GET}")))
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(HandshakeRecord::try_from).transpose()?)
    }

    /// Newest first; one row more than `limit` is read to know whether
    /// another page exists, and the cursor of the last row returned.
    pub async fn list(
        &self,
        q: &ListQuery,
    ) -> Result<(Vec<HandshakeRecord>, Option<ListCursor>), StoreError> {
        // A page holds at least one row, so a next page has a cursor.
        let limit = q.limit.clamp(1, ListQuery::MAX_LIMIT);
        let mut sql = QueryBuilder::new("");
        list_page(&mut sql, q, limit + 1);
        let mut rows: Vec<HandshakeRow> = sql.build_query_as().fetch_all(&self.pool).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        // From the row, not the record: the last row may be one this
        // release cannot read, and the next page still starts after it.
        let next = more.then(|| {
            let last = rows.last().expect("limit is at least 1");
            ListCursor {
                create_time: last.create_time,
                id: last.id.clone(),
            }
        });
        let records = self
            .unreadable
            .readable(rows.into_iter().map(HandshakeRecord::try_from));
        Ok((records, next))
    }

    /// The recorded state of each of `handshakes` this service knows.
    pub async fn states_of(
        &self,
        handshakes: &[Handshake],
    ) -> Result<HashMap<String, HandshakeState>, StoreError> {
        let ids: Vec<&str> = handshakes.iter().map(|h| h.id.as_str()).collect();
        let rows: Vec<(String, String)> = sqlx::query_as(STATES_OF)
            .bind(ids)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, state)| (id, HandshakeState::from_aws(&state)))
            .collect())
    }

    /// Handshakes still pending here (REQUESTED or OPEN).
    pub async fn pending_ids(&self) -> Result<Vec<HandshakeId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(PENDING_IDS)
            .fetch_all(&self.pool)
            .await?;
        ids.iter()
            .map(|id| {
                HandshakeId::parse(id)
                    .map_err(|_| StoreError::Corrupt(format!("handshake id {id:?}")))
            })
            .collect()
    }

    /// Records what AWS says about a handshake, keeping what this service
    /// already knew (target, notes, tags, request_id) when AWS doesn't say.
    pub async fn save_handshake(
        &self,
        handshake: &Handshake,
        known: &Known,
    ) -> Result<(HandshakeRecord, Option<HandshakeEvent>), StoreError> {
        let mut tx = begin_locked(&self.pool, EVENT_ORDER_LOCK).await?;
        let saved = upsert(&mut tx, handshake, known).await?;
        tx.commit().await?;
        Ok(saved)
    }
}

/// One handshake, by id.
pub(super) const GET: &str = "FROM handshakes WHERE id = $1";
/// The sweep's pending handshakes: a partial index holds just them.
pub(super) const PENDING_IDS: &str =
    "SELECT id FROM handshakes WHERE state IN ('REQUESTED', 'OPEN')";
pub(super) const STATES_OF: &str = "SELECT id, state FROM handshakes WHERE id = ANY($1)";
/// Kept by a trigger as states change (migration 0007): no full count.
/// Read by key (`$1`: every state's spelling), through the primary key:
/// each state change writes a new version of two of its rows, so its heap
/// grows with the history whenever vacuum falls behind (a long transaction,
/// a bulk load) and keeps that size after, the live rows at its end; a
/// sequential scan would read every page of it.
pub(super) const COUNT_BY_STATE: &str =
    "SELECT state, n FROM handshake_state_counts WHERE state = ANY($1) AND n > 0";

/// One page of `q`, newest first, at most `rows` rows, each part served by
/// an index in key order so no page costs more than its rows: with states,
/// one branch per state on (state, create_time, id), merged; with a target,
/// (lower(target_id), create_time, id); else (create_time, id).
pub(super) fn list_page(sql: &mut QueryBuilder<Postgres>, q: &ListQuery, rows: i64) {
    let mut states: Vec<String> = q.states.iter().map(|s| s.as_str().to_string()).collect();
    states.sort_unstable();
    states.dedup();
    if states.is_empty() || q.target_id.is_some() || q.campaign_id.is_some() {
        // A target or a campaign has few handshakes: states are a plain filter.
        page_of(
            sql,
            q,
            (!states.is_empty()).then_some(States::Any(states)),
            rows,
        );
        return;
    }
    sql.push("SELECT * FROM (");
    for (i, state) in states.into_iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push("(");
        page_of(sql, q, Some(States::One(state)), rows);
        sql.push(")");
    }
    sql.push(") AS page ORDER BY create_time DESC, id DESC LIMIT ")
        .push_bind(rows);
}

enum States {
    One(String),
    Any(Vec<String>),
}

/// The newest `rows` handshakes of `q`'s target and cursor in `states`.
fn page_of(sql: &mut QueryBuilder<Postgres>, q: &ListQuery, states: Option<States>, rows: i64) {
    sql.push(format!(
        "SELECT {HANDSHAKE_COLUMNS} FROM handshakes WHERE true"
    ));
    match states {
        Some(States::One(state)) => {
            sql.push(" AND state = ").push_bind(state);
        }
        Some(States::Any(states)) => {
            sql.push(" AND state = ANY(").push_bind(states).push(")");
        }
        None => {}
    }
    if let Some(target) = &q.target_id {
        sql.push(" AND lower(target_id) = lower(")
            .push_bind(target.clone())
            .push(")");
    }
    if let Some(campaign) = &q.campaign_id {
        sql.push(" AND id IN (SELECT handshake_id FROM campaign_handshakes WHERE campaign_id = ")
            .push_bind(campaign.clone())
            .push(")");
    }
    if let Some(after) = &q.after {
        sql.push(" AND (create_time, id) < (")
            .push_bind(after.create_time)
            .push(", ")
            .push_bind(after.id.clone())
            .push(")");
    }
    sql.push(" ORDER BY create_time DESC, id DESC LIMIT ")
        .push_bind(rows);
}

/// A terminal state is final in AWS: a sweep that listed the handshake before
/// it closed must not move it back to OPEN.
const STALE: &str = "(handshakes.state IN ('ACCEPTED', 'DECLINED', 'CANCELED', 'EXPIRED') \
     AND EXCLUDED.state IS DISTINCT FROM handshakes.state)";

/// Whether an upsert brings news from AWS.
const CHANGED: &str = "(handshakes.state, handshakes.parties, handshakes.resources, \
     handshakes.expiration_time) IS DISTINCT FROM (EXCLUDED.state, EXCLUDED.parties, \
     EXCLUDED.resources, EXCLUDED.expiration_time)";

#[derive(FromRow)]
struct UpsertRow {
    #[sqlx(flatten)]
    row: HandshakeRow,
    previous_state: Option<String>,
}

/// Binds the 17 values a handshake row is written from, in this order:
/// id, arn, parties, state, requested_time, expiration_time, action,
/// resources, target_type, target_id, notes, tags, request_id, requested_by,
/// canceled_by, onboarding, renewal (`upsert`'s VALUES, `record_new_invite`'s
/// parameters after its lock key).
pub(super) fn bind_row<'q, O>(
    query: QueryAs<'q, Postgres, O, PgArguments>,
    h: &'q Handshake,
    known: &'q Known,
) -> QueryAs<'q, Postgres, O, PgArguments> {
    let (target_type, target_id) = known.target_columns();
    query
        .bind(h.id.as_str())
        .bind(&h.arn)
        .bind(Json(
            h.parties.iter().map(StoredParty::from).collect::<Vec<_>>(),
        ))
        .bind(h.state.as_str())
        .bind(h.requested_time)
        .bind(h.expiration_time)
        .bind(h.action.as_str())
        .bind(Json(
            h.resources
                .iter()
                .map(StoredResource::from)
                .collect::<Vec<_>>(),
        ))
        .bind(target_type)
        .bind(target_id)
        .bind(known.notes.as_str())
        .bind(Json(stored_tags(&known.tags)))
        .bind(known.request_id.as_ref().map(RequestId::as_str))
        .bind(known.requested_by.as_deref())
        .bind(known.canceled_by.as_deref())
        .bind(
            known
                .onboarding
                .as_ref()
                .map(|o| Json(StoredOnboarding::from(o))),
        )
        .bind(known.renewal.as_ref().map(|r| Json(StoredRenewal::from(r))))
}

/// One upsert for every writer, so a row is only ever changed one way.
/// `version` and `update_time` move only when what AWS reports changed; a
/// new state also appends to the history and to `handshake_events`, and
/// notifies every replica, all in the caller's transaction, which holds
/// EVENT_ORDER_LOCK (`begin_locked`), so event ids follow commit order.
pub(super) async fn upsert(
    tx: &mut PgConnection,
    h: &Handshake,
    known: &Known,
) -> Result<(HandshakeRecord, Option<HandshakeEvent>), StoreError> {
    let UpsertRow {
        row,
        previous_state,
    } = bind_row(
        sqlx::query_as(AssertSqlSafe(format!(
        "WITH old AS (SELECT state FROM handshakes WHERE id = $1)
         INSERT INTO handshakes (id, arn, parties, state, requested_time, expiration_time,
                                 action, resources, target_type, target_id, notes, tags, request_id,
                                 requested_by, canceled_by, onboarding, renewal)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         ON CONFLICT (id) DO UPDATE SET
             arn = EXCLUDED.arn,
             parties = EXCLUDED.parties,
             state = CASE WHEN {STALE} THEN handshakes.state ELSE EXCLUDED.state END,
             requested_time = EXCLUDED.requested_time,
             expiration_time = EXCLUDED.expiration_time,
             action = EXCLUDED.action,
             resources = EXCLUDED.resources,
             target_type = COALESCE(handshakes.target_type, EXCLUDED.target_type),
             target_id = COALESCE(handshakes.target_id, EXCLUDED.target_id),
             notes = CASE WHEN handshakes.notes = '' THEN EXCLUDED.notes ELSE handshakes.notes END,
             tags = CASE WHEN handshakes.tags = '[]'::jsonb THEN EXCLUDED.tags ELSE handshakes.tags END,
             request_id = COALESCE(handshakes.request_id, EXCLUDED.request_id),
             requested_by = COALESCE(handshakes.requested_by, EXCLUDED.requested_by),
             canceled_by = COALESCE(handshakes.canceled_by, EXCLUDED.canceled_by),
             onboarding = COALESCE(handshakes.onboarding, EXCLUDED.onboarding),
             renewal = COALESCE(handshakes.renewal, EXCLUDED.renewal),
             version = handshakes.version
                 + CASE WHEN NOT {STALE} AND {CHANGED} THEN 1 ELSE 0 END,
             update_time = CASE WHEN NOT {STALE} AND {CHANGED} THEN now()
                                ELSE handshakes.update_time END
         RETURNING {HANDSHAKE_COLUMNS}, (SELECT state FROM old) AS previous_state"
        ))),
        h,
        known,
    )
    .fetch_one(&mut *tx)
    .await?;
    let record = HandshakeRecord::try_from(row)?;
    let previous = previous_state.as_deref().map(HandshakeState::from_aws);
    if previous == Some(record.handshake.state) {
        return Ok((record, None));
    }
    let event = super::events::append(tx, &record, previous, EventKind::StateChange).await?;
    Ok((record, Some(event)))
}

impl Store {
    /// How many handshakes are in each state (states with none are absent).
    pub async fn count_by_state(&self) -> Result<Vec<(HandshakeState, i64)>, StoreError> {
        counts_in(&mut *self.pool.acquire().await?).await
    }
}

/// The states `handshake_state_counts` is read for: every one AWS spells.
pub(super) fn counted_states() -> Vec<&'static str> {
    HandshakeState::ALL.iter().map(|s| s.as_str()).collect()
}

pub(super) async fn counts_in(
    conn: &mut PgConnection,
) -> Result<Vec<(HandshakeState, i64)>, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(COUNT_BY_STATE)
        .bind(counted_states())
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(s, n)| (HandshakeState::from_aws(&s), n))
        .collect())
}
