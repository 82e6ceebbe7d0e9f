//! The LEAVE step of an InviteAccount that needed one before its invitation
//! could exist (`leave_previous_organization`): kept on the intent row,
//! written before LeaveOrganization is called and after it answers, and
//! copied into the handshake's onboarding when the handshake is recorded.
use sqlx::types::Json;

use super::{
    session::Owner,
    stored::{Lenient, StoredStep},
    Store, StoreError,
};
use crate::domain::{RequestId, StepRecord};

impl Store {
    /// The request's LEAVE step, if one was begun; None too when the
    /// stored value cannot be read (a leave this release cannot show).
    pub async fn invite_leave(
        &self,
        request_id: &RequestId,
    ) -> Result<Option<StepRecord>, StoreError> {
        let leave: Option<Option<Lenient<StoredStep>>> =
            sqlx::query_scalar("SELECT leave FROM invite_requests WHERE request_id = $1")
                .bind(request_id.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(leave
            .flatten()
            .and_then(|l| l.into_result().ok())
            .map(StepRecord::from))
    }

    /// Writes the request's LEAVE step, while `owner` still owns its
    /// attempt in flight. False when it does not (taken over, or the
    /// attempt ended): then the caller must not call AWS.
    #[tracing::instrument(name = "postgres save_invite_leave", skip_all, fields(db.system = "postgresql"))]
    pub async fn save_invite_leave(
        &self,
        request_id: &RequestId,
        owner: &Owner,
        leave: &StepRecord,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE invite_requests SET leave = $2, update_time = now()
             WHERE request_id = $1 AND status = 'PENDING' AND owner IS NOT DISTINCT FROM $3",
        )
        .bind(request_id.as_str())
        .bind(Json(StoredStep::from(leave)))
        .bind(owner.id())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
