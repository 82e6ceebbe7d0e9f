//! Campaigns and their targets: created whole in one transaction, read with
//! their counts, and changed one step at a time (`sending`), each change
//! bumping the campaign's version and notifying its watchers. The SQL is
//! in `sql`, where the plan test reads it.
mod sending;
mod sql;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
pub(in crate::store) use sql::*;
use sqlx::{types::Json, FromRow, PgExecutor};

use super::{
    listen::CAMPAIGNS_CHANNEL,
    stored::{stored_tags, Lenient, StoredCampaignSpec, StoredTag},
    Store, StoreError,
};
use crate::domain::{
    Campaign, CampaignId, CampaignState, CampaignTarget, HandshakeId, InviteTarget, NewCampaign,
    Notes, PartyType, RequestId, TargetCounts, TargetSpec, TargetState,
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

#[derive(FromRow)]
pub(super) struct CampaignRow {
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
pub(super) struct TargetRow {
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
pub(super) async fn touch(
    db: impl PgExecutor<'_>,
    campaign: &CampaignId,
) -> Result<(), StoreError> {
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
}
