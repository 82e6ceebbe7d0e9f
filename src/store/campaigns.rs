//! Campaigns and their targets: created whole in one transaction, read with
//! their counts, and changed one step at a time, each change bumping the
//! campaign's version and notifying its watchers.
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::{types::Json, FromRow, PgExecutor};

use super::{
    listen::CAMPAIGNS_CHANNEL,
    stored::{stored_tags, Lenient, StoredCampaignSpec, StoredTag},
    Store, StoreError,
};
use crate::domain::{
    Campaign, CampaignId, CampaignState, CampaignTarget, HandshakeId, HandshakeRecord,
    InviteTarget, NewCampaign, Notes, PartyType, RequestId, TargetCounts, TargetSpec, TargetState,
};

/// What `create_campaign` found.
#[derive(Debug)]
pub enum CreatedCampaign {
    New(Campaign),
    /// Created before under this request_id, with the same request.
    Existing(Campaign),
    /// The request_id was used before for another request.
    Mismatch,
}

/// The next target of an ACTIVE campaign to send: its campaign's oldest
/// first, each campaign's lowest queued index.
#[derive(Debug, Clone)]
pub struct NextTarget {
    pub campaign: Campaign,
    pub target: CampaignTarget,
    pub attempts: u32,
    pub retry_time: Option<DateTime<Utc>>,
}

/// A followed target whose handshake changed since it was last looked at.
#[derive(Debug, Clone)]
pub struct Followed {
    pub campaign_id: CampaignId,
    pub index: u32,
    pub state: TargetState,
    pub handshake_id: HandshakeId,
}

const CAMPAIGN_COLUMNS: &str = "id, display_name, state, pause_reason, quota_reserve, spec, \
     requested_by, request_id, next_send_time, create_time, update_time, version, seq";
const TARGET_COLUMNS: &str =
    "idx, target_type, target_id, notes, tags, state, handshake_id, reason, update_time";

// The statements of every campaign RPC and pass, named so that
// `Store::hot_query_plans` checks each reads by index (campaigns and their
// targets grow with the history).

/// One campaign (every RPC that answers a campaign), after its columns.
pub(super) const GET_CAMPAIGN: &str = "FROM campaigns WHERE id = $1";
/// ListCampaigns: newest first, before a position, after the columns.
pub(super) const LIST_CAMPAIGNS: &str = "FROM campaigns
     WHERE seq < coalesce($1, 9223372036854775807)
     ORDER BY seq DESC LIMIT $2";
/// ListCampaignTargets: in index order after an index, of some states or
/// all, after the target columns.
pub(super) const LIST_TARGETS: &str = "FROM campaign_targets
     WHERE campaign_id = $1 AND idx > coalesce($2, -1)
       AND (cardinality($3::text[]) = 0 OR state = ANY($3))
     ORDER BY idx LIMIT $4";
/// The targets in each state of some campaigns.
pub(super) const COUNTS_OF: &str = "SELECT campaign_id, state, count(*) FROM campaign_targets
     WHERE campaign_id = ANY($1) GROUP BY campaign_id, state";
/// The lowest queued target of each ACTIVE campaign (of `$1` only, when
/// not NULL), oldest campaign first, after the campaign columns.
pub(super) const NEXT_TARGETS: &str = ", t.*
     FROM campaigns c
     CROSS JOIN LATERAL (
         SELECT idx AS t_idx, target_type AS t_target_type, target_id AS t_target_id,
                notes AS t_notes, tags AS t_tags, update_time AS t_update_time,
                attempts AS t_attempts, retry_time AS t_retry_time
         FROM campaign_targets
         WHERE campaign_id = c.id AND state = 'QUEUED'
         ORDER BY idx LIMIT 1) t
     WHERE c.state = 'ACTIVE' AND ($1::text IS NULL OR c.id = $1)
     ORDER BY c.seq";
/// Followed targets whose handshake changed since the target did.
pub(super) const FOLLOWED_CHANGES: &str = "SELECT t.campaign_id, t.idx, t.state, t.handshake_id
     FROM campaign_targets t JOIN handshakes h ON h.id = t.handshake_id
     WHERE t.state IN ('INVITED', 'ACCEPTED') AND h.update_time >= t.update_time";
/// Open invitations of CANCELED campaigns that asked for them to be
/// cancelled too (of `$1` only, when not NULL).
pub(super) const INVITATIONS_TO_CANCEL: &str =
    "SELECT t.campaign_id, t.idx, t.state, t.handshake_id FROM campaign_targets t
     JOIN campaigns c ON c.id = t.campaign_id
     WHERE t.state = 'INVITED' AND t.handshake_id IS NOT NULL
       AND c.state = 'CANCELED' AND c.cancel_open
       AND ($1::text IS NULL OR c.id = $1)";
/// ACTIVE or PAUSED campaigns with nothing left to send or follow: DONE.
pub(super) const FINISH_CAMPAIGNS: &str =
    "UPDATE campaigns c SET state = 'DONE', next_send_time = NULL,
                            version = version + 1, update_time = now()
     WHERE c.state IN ('ACTIVE', 'PAUSED')
       AND NOT EXISTS (SELECT 1 FROM campaign_targets t WHERE t.campaign_id = c.id
                       AND t.state IN ('QUEUED', 'INVITED', 'ACCEPTED'))
     RETURNING c.id";
/// One change of campaign `$1`: its version moves, channel `$2` hears.
pub(super) const TOUCH: &str =
    "WITH bumped AS (UPDATE campaigns SET version = version + 1, update_time = now()
                     WHERE id = $1 RETURNING id)
     SELECT pg_notify($2, id) FROM bumped";
/// Target `$2` of campaign `$1` now stands on handshake `$4`, in state `$3`.
pub(super) const LINK_TARGET: &str = "UPDATE campaign_targets
     SET state = $3, handshake_id = $4, reason = NULL, retry_time = NULL, update_time = now()
     WHERE campaign_id = $1 AND idx = $2";
/// Handshake `$1` was sent or adopted by campaign `$2`.
pub(super) const LINK_HANDSHAKE: &str =
    "INSERT INTO campaign_handshakes (handshake_id, campaign_id) VALUES ($1, $2)
     ON CONFLICT (handshake_id) DO NOTHING";
/// Queued target `$2` of campaign `$1` ends in state `$3` for reason `$4`.
pub(super) const END_TARGET: &str =
    "UPDATE campaign_targets SET state = $3, reason = $4, retry_time = NULL, update_time = now()
     WHERE campaign_id = $1 AND idx = $2 AND state = 'QUEUED'";
/// Queued target `$2` of campaign `$1` is tried again at `$3`.
pub(super) const RETRY_TARGET: &str =
    "UPDATE campaign_targets SET attempts = attempts + 1, retry_time = $3
     WHERE campaign_id = $1 AND idx = $2 AND state = 'QUEUED'";
/// When campaign `$1` sends next (`$2`), when that changed.
pub(super) const SET_NEXT_SEND_TIME: &str = "UPDATE campaigns SET next_send_time = $2
     WHERE id = $1 AND next_send_time IS DISTINCT FROM $2";

/// `SELECT` the campaign columns, then `tail`.
pub(super) fn campaign_rows(tail: &str) -> String {
    format!("SELECT {CAMPAIGN_COLUMNS} {tail}")
}

/// `SELECT` the target columns, then `tail`.
pub(super) fn target_rows(tail: &str) -> String {
    format!("SELECT {TARGET_COLUMNS} {tail}")
}

#[derive(FromRow)]
struct CampaignRow {
    id: String,
    display_name: String,
    state: String,
    pause_reason: Option<String>,
    quota_reserve: i32,
    spec: Lenient<StoredCampaignSpec>,
    requested_by: Option<String>,
    request_id: String,
    next_send_time: Option<DateTime<Utc>>,
    create_time: DateTime<Utc>,
    update_time: DateTime<Utc>,
    version: i64,
    seq: i64,
}

impl CampaignRow {
    fn read(self) -> Result<(i64, Campaign), StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("campaign {}: {what}", self.id));
        let campaign = Campaign {
            id: CampaignId::parse(&self.id).map_err(|_| corrupt("id"))?,
            display_name: self.display_name.clone(),
            state: CampaignState::parse(&self.state).ok_or_else(|| corrupt("state"))?,
            create_time: self.create_time,
            update_time: self.update_time,
            request_id: RequestId::parse(&self.request_id).map_err(|_| corrupt("request_id"))?,
            requested_by: self.requested_by.clone(),
            quota_reserve: u32::try_from(self.quota_reserve).unwrap_or(0),
            spec: self.spec.read().map_err(|_| corrupt("spec"))?,
            counts: TargetCounts::default(),
            next_send_time: self.next_send_time,
            pause_reason: self.pause_reason.clone(),
            version: self.version,
        };
        Ok((self.seq, campaign))
    }
}

#[derive(FromRow)]
struct TargetRow {
    idx: i32,
    target_type: String,
    target_id: String,
    notes: Option<String>,
    tags: Lenient<Vec<StoredTag>>,
    state: String,
    handshake_id: Option<String>,
    reason: Option<String>,
    update_time: DateTime<Utc>,
}

impl TargetRow {
    fn read(self) -> Result<CampaignTarget, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("campaign target: {what}"));
        let target = InviteTarget::parse(PartyType::from_aws(&self.target_type), &self.target_id)
            .map_err(|_| corrupt("target"))?;
        Ok(CampaignTarget {
            index: u32::try_from(self.idx).map_err(|_| corrupt("index"))?,
            spec: TargetSpec {
                target,
                notes: self
                    .notes
                    .as_deref()
                    .map(Notes::parse)
                    .transpose()
                    .map_err(|_| corrupt("notes"))?,
                tags: super::stored::tags_of(self.tags.into_result().map_err(|_| corrupt("tags"))?),
            },
            state: TargetState::parse(&self.state).ok_or_else(|| corrupt("state"))?,
            handshake_id: self
                .handshake_id
                .as_deref()
                .and_then(|h| HandshakeId::parse(h).ok()),
            reason: self.reason,
            update_time: self.update_time,
        })
    }
}

/// A digest of everything a CreateCampaign asked for but its request_id.
fn fingerprint(new: &NewCampaign) -> String {
    let targets: Vec<_> = new
        .targets
        .iter()
        .map(|t| {
            (
                t.target.kind().as_str(),
                t.target.id(),
                t.notes.as_ref().map(Notes::as_str),
                stored_tags(&t.tags),
            )
        })
        .collect();
    let whole = serde_json::json!([
        new.display_name,
        new.quota_reserve,
        StoredCampaignSpec::from(&new.spec),
        targets,
    ]);
    let digest = Sha256::digest(whole.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// One change of `campaign`: its version moves and its watchers hear.
async fn touch(db: impl PgExecutor<'_>, campaign: &CampaignId) -> Result<(), StoreError> {
    sqlx::query(TOUCH)
        .bind(campaign.as_str())
        .bind(CAMPAIGNS_CHANNEL)
        .execute(db)
        .await?;
    Ok(())
}

impl Store {
    /// Creates the campaign and its targets, all QUEUED, in one
    /// transaction; or finds the one its request_id made.
    pub async fn create_campaign(&self, new: &NewCampaign) -> Result<CreatedCampaign, StoreError> {
        let print = fingerprint(new);
        let mut tx = self.pool.begin().await?;
        let id = CampaignId::generate();
        let inserted = sqlx::query(
            "INSERT INTO campaigns (id, request_id, fingerprint, display_name, state,
                                    quota_reserve, spec, requested_by)
             VALUES ($1, $2, $3, $4, 'ACTIVE', $5, $6, $7)
             ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(id.as_str())
        .bind(new.request_id.as_str())
        .bind(&print)
        .bind(&new.display_name)
        .bind(i32::try_from(new.quota_reserve).unwrap_or(i32::MAX))
        .bind(Json(StoredCampaignSpec::from(&new.spec)))
        .bind(new.requested_by.as_deref())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            let (existing, existing_print): (String, String) =
                sqlx::query_as("SELECT id, fingerprint FROM campaigns WHERE request_id = $1")
                    .bind(new.request_id.as_str())
                    .fetch_one(&self.pool)
                    .await?;
            if existing_print != print {
                return Ok(CreatedCampaign::Mismatch);
            }
            let id = CampaignId::parse(&existing)
                .map_err(|_| StoreError::Corrupt(format!("campaign id {existing:?}")))?;
            let campaign = self
                .get_campaign(&id)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("campaign {id} vanished")))?;
            return Ok(CreatedCampaign::Existing(campaign));
        }
        let n = new.targets.len();
        let (mut idx, mut kinds, mut ids, mut notes, mut tags) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (i, t) in new.targets.iter().enumerate() {
            idx.push(i32::try_from(i).unwrap_or(i32::MAX));
            kinds.push(t.target.kind().as_str());
            ids.push(t.target.id());
            notes.push(t.notes.as_ref().map(|n| n.as_str()));
            tags.push(Json(stored_tags(&t.tags)));
        }
        sqlx::query(
            "INSERT INTO campaign_targets (campaign_id, idx, target_type, target_id, notes, tags,
                                           state)
             SELECT $1, * , 'QUEUED' FROM unnest($2::int[], $3::text[], $4::text[], $5::text[],
                                                 $6::jsonb[])",
        )
        .bind(id.as_str())
        .bind(&idx)
        .bind(&kinds)
        .bind(&ids)
        .bind(&notes)
        .bind(&tags)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let campaign = self
            .get_campaign(&id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("campaign {id} vanished")))?;
        Ok(CreatedCampaign::New(campaign))
    }

    pub async fn get_campaign(&self, id: &CampaignId) -> Result<Option<Campaign>, StoreError> {
        let row: Option<CampaignRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(campaign_rows(GET_CAMPAIGN)))
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row else { return Ok(None) };
        let (_, mut campaign) = row.read()?;
        campaign.counts = self.counts_of(&[campaign.id.clone()]).await?.remove(0);
        Ok(Some(campaign))
    }

    /// Newest first, after the campaign whose position is `before` (its
    /// `seq`); each with its position.
    pub async fn list_campaigns(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(i64, Campaign)>, StoreError> {
        let rows: Vec<CampaignRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(campaign_rows(LIST_CAMPAIGNS)))
                .bind(before)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        let mut out = rows
            .into_iter()
            .map(CampaignRow::read)
            .collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<CampaignId> = out.iter().map(|(_, c)| c.id.clone()).collect();
        for ((_, c), counts) in out.iter_mut().zip(self.counts_of(&ids).await?) {
            c.counts = counts;
        }
        Ok(out)
    }

    /// The targets of one campaign in index order, from `after` (an index).
    pub async fn list_campaign_targets(
        &self,
        campaign: &CampaignId,
        states: &[TargetState],
        after: Option<u32>,
        limit: i64,
    ) -> Result<Vec<CampaignTarget>, StoreError> {
        let states: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
        let rows: Vec<TargetRow> = sqlx::query_as(sqlx::AssertSqlSafe(target_rows(LIST_TARGETS)))
            .bind(campaign.as_str())
            .bind(after.map(i64::from))
            .bind(&states)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(TargetRow::read).collect()
    }

    /// The counts of each campaign of `ids`, in that order.
    async fn counts_of(&self, ids: &[CampaignId]) -> Result<Vec<TargetCounts>, StoreError> {
        let names: Vec<&str> = ids.iter().map(CampaignId::as_str).collect();
        let rows: Vec<(String, String, i64)> = sqlx::query_as(COUNTS_OF)
            .bind(&names)
            .fetch_all(&self.pool)
            .await?;
        Ok(ids
            .iter()
            .map(|id| {
                TargetCounts(
                    rows.iter()
                        .filter(|(c, _, _)| c == id.as_str())
                        .filter_map(|(_, s, n)| {
                            Some((
                                TargetState::parse(s)?,
                                u32::try_from(*n).unwrap_or(u32::MAX),
                            ))
                        })
                        .collect(),
                )
            })
            .collect())
    }

    /// Targets in each state, over every campaign (the metric).
    pub async fn campaign_target_counts(&self) -> Result<TargetCounts, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, count(*) FROM campaign_targets GROUP BY state")
                .fetch_all(&self.pool)
                .await?;
        Ok(TargetCounts(
            rows.iter()
                .filter_map(|(s, n)| Some((TargetState::parse(s)?, u32::try_from(*n).ok()?)))
                .collect(),
        ))
    }

    /// Moves the campaign from one of `from` to `to`; false when it was in
    /// none of them. Pausing by hand clears the service's pause reason.
    pub async fn set_campaign_state(
        &self,
        id: &CampaignId,
        from: &[CampaignState],
        to: CampaignState,
        pause_reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
        let mut tx = self.pool.begin().await?;
        let moved = sqlx::query(
            "UPDATE campaigns SET state = $3, pause_reason = $4, next_send_time = NULL
             WHERE id = $1 AND state = ANY($2)",
        )
        .bind(id.as_str())
        .bind(&from)
        .bind(to.as_str())
        .bind(pause_reason)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if moved {
            touch(&mut *tx, id).await?;
        }
        tx.commit().await?;
        Ok(moved)
    }

    /// CANCELED, with every queued target SKIPPED (CAMPAIGN_CANCELED), in
    /// one transaction; false when the campaign was over already.
    pub async fn cancel_campaign(
        &self,
        id: &CampaignId,
        cancel_open: bool,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let moved = sqlx::query(
            "UPDATE campaigns SET state = 'CANCELED', cancel_open = $2, next_send_time = NULL
             WHERE id = $1 AND state IN ('ACTIVE', 'PAUSED')",
        )
        .bind(id.as_str())
        .bind(cancel_open)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if moved {
            sqlx::query(
                "UPDATE campaign_targets SET state = 'SKIPPED', reason = $2, update_time = now()
                 WHERE campaign_id = $1 AND state = 'QUEUED'",
            )
            .bind(id.as_str())
            .bind(crate::domain::CAMPAIGN_CANCELED)
            .execute(&mut *tx)
            .await?;
            touch(&mut *tx, id).await?;
        }
        tx.commit().await?;
        Ok(moved)
    }

    /// The open invitations of CANCELED campaigns that asked for them to be
    /// cancelled too (of `campaign` only, when given).
    pub async fn invitations_to_cancel(
        &self,
        campaign: Option<&CampaignId>,
    ) -> Result<Vec<Followed>, StoreError> {
        let rows: Vec<(String, i32, String, String)> = sqlx::query_as(INVITATIONS_TO_CANCEL)
            .bind(campaign.map(CampaignId::as_str))
            .fetch_all(&self.pool)
            .await?;
        Ok(followed(rows))
    }

    /// The next target to send of each ACTIVE campaign (of `only`, when
    /// given), oldest campaign first.
    pub async fn next_targets(
        &self,
        only: Option<&CampaignId>,
    ) -> Result<Vec<NextTarget>, StoreError> {
        #[derive(FromRow)]
        struct Head {
            #[sqlx(flatten)]
            campaign: CampaignRow,
            t_idx: i32,
            t_target_type: String,
            t_target_id: String,
            t_notes: Option<String>,
            t_tags: Lenient<Vec<StoredTag>>,
            t_update_time: DateTime<Utc>,
            t_attempts: i32,
            t_retry_time: Option<DateTime<Utc>>,
        }
        let rows: Vec<Head> = sqlx::query_as(sqlx::AssertSqlSafe(campaign_rows(NEXT_TARGETS)))
            .bind(only.map(CampaignId::as_str))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|r| {
                let target = TargetRow {
                    idx: r.t_idx,
                    target_type: r.t_target_type,
                    target_id: r.t_target_id,
                    notes: r.t_notes,
                    tags: r.t_tags,
                    state: TargetState::Queued.as_str().to_string(),
                    handshake_id: None,
                    reason: None,
                    update_time: r.t_update_time,
                };
                Ok(NextTarget {
                    campaign: r.campaign.read()?.1,
                    target: target.read()?,
                    attempts: u32::try_from(r.t_attempts).unwrap_or(0),
                    retry_time: r.t_retry_time,
                })
            })
            .collect()
    }

    /// The target's handshake, sent or adopted: linked to the campaign and
    /// the target moved to the state it shows. A target SKIPPED by a cancel
    /// while its send was in flight takes it too: the handshake exists.
    pub async fn target_sent(
        &self,
        campaign: &CampaignId,
        index: u32,
        record: &HandshakeRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        link(&mut tx, campaign, index, record).await?;
        touch(&mut *tx, campaign).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A queued target that will never be sent (SKIPPED or FAILED).
    pub async fn target_ended(
        &self,
        campaign: &CampaignId,
        index: u32,
        state: TargetState,
        reason: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(END_TARGET)
            .bind(campaign.as_str())
            .bind(index_of(index))
            .bind(state.as_str())
            .bind(reason)
            .execute(&mut *tx)
            .await?;
        touch(&mut *tx, campaign).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A send that failed for now: tried again at `retry_time`.
    pub async fn target_retry(
        &self,
        campaign: &CampaignId,
        index: u32,
        retry_time: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(RETRY_TARGET)
            .bind(campaign.as_str())
            .bind(index_of(index))
            .bind(retry_time)
            .execute(&self.pool)
            .await?;
        self.set_next_send_time(campaign, Some(retry_time)).await
    }

    /// When the campaign's next queued target should go (shown, not acted on).
    pub async fn set_next_send_time(
        &self,
        campaign: &CampaignId,
        at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query(SET_NEXT_SEND_TIME)
            .bind(campaign.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed > 0 {
            touch(&mut *tx, campaign).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Followed targets whose handshake changed since the target did.
    pub async fn followed_changes(&self) -> Result<Vec<Followed>, StoreError> {
        let rows: Vec<(String, i32, String, String)> = sqlx::query_as(FOLLOWED_CHANGES)
            .fetch_all(&self.pool)
            .await?;
        Ok(followed(rows))
    }

    /// A followed target now stands on `record` (its handshake, or the one
    /// that renews it). Touches the campaign only when the state moved.
    pub async fn follow_target(
        &self,
        f: &Followed,
        record: &HandshakeRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        link(&mut tx, &f.campaign_id, f.index, record).await?;
        if TargetState::of(record) != f.state || record.handshake.id != f.handshake_id {
            touch(&mut *tx, &f.campaign_id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// ACTIVE or PAUSED campaigns with no target left to send or follow
    /// become DONE; returns how many did.
    pub async fn finish_campaigns(&self) -> Result<u64, StoreError> {
        let done: Vec<String> = sqlx::query_scalar(FINISH_CAMPAIGNS)
            .fetch_all(&self.pool)
            .await?;
        for id in &done {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CAMPAIGNS_CHANNEL)
                .bind(id)
                .execute(&self.pool)
                .await?;
        }
        Ok(done.len() as u64)
    }
}

/// (campaign, index, state, handshake) rows as `Followed`.
fn followed(rows: Vec<(String, i32, String, String)>) -> Vec<Followed> {
    rows.into_iter()
        .filter_map(|(c, i, s, h)| {
            Some(Followed {
                campaign_id: CampaignId::parse(&c).ok()?,
                index: u32::try_from(i).ok()?,
                state: TargetState::parse(&s)?,
                handshake_id: HandshakeId::parse(&h).ok()?,
            })
        })
        .collect()
}

fn index_of(index: u32) -> i32 {
    i32::try_from(index).unwrap_or(i32::MAX)
}

/// Points target `index` at `record` and links the handshake to the campaign.
async fn link(
    tx: &mut sqlx::PgConnection,
    campaign: &CampaignId,
    index: u32,
    record: &HandshakeRecord,
) -> Result<(), StoreError> {
    sqlx::query(LINK_TARGET)
        .bind(campaign.as_str())
        .bind(index_of(index))
        .bind(TargetState::of(record).as_str())
        .bind(record.handshake.id.as_str())
        .execute(&mut *tx)
        .await?;
    sqlx::query(LINK_HANDSHAKE)
        .bind(record.handshake.id.as_str())
        .bind(campaign.as_str())
        .execute(&mut *tx)
        .await?;
    Ok(())
}
