//! Sending and following: the next target of each campaign, what became
//! of a send, the handshakes followed, and campaigns finished.
use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{sql::*, touch, CampaignRow, Followed, NextTarget, TargetRow};
use crate::{
    domain::{CampaignId, HandshakeId, HandshakeRecord, TargetState},
    store::{
        listen::CAMPAIGNS_CHANNEL,
        stored::{Lenient, StoredTag},
        Store, StoreError,
    },
};

impl Store {
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
