//! The shared AWS request budget rows (see aws::budget).
use super::{Store, StoreError};

/// Where an operation's schedule stands for one request.
#[derive(Debug, Clone, Copy)]
pub struct Turn {
    /// How far the schedule ran ahead of now before this request, in seconds.
    pub ahead_secs: f64,
    /// Whether the request took a turn (false: it would wait too long).
    pub admitted: bool,
}

impl Store {
    /// Reads how far `operation`'s schedule runs ahead of now and, when
    /// that is within `limit_secs`, moves it on by `interval_secs` for this
    /// request. The row lock orders callers on every replica.
    pub async fn take_aws_turn(
        &self,
        operation: &str,
        interval_secs: f64,
        limit_secs: f64,
    ) -> Result<Turn, StoreError> {
        let mut tx = self.pool.begin().await?;
        let ahead: f64 = sqlx::query_scalar(
            "SELECT extract(epoch FROM greatest(tat, clock_timestamp()) - clock_timestamp())::float8
             FROM aws_request_budget WHERE operation = $1 FOR UPDATE",
        )
        .bind(operation)
        .fetch_one(&mut *tx)
        .await?;
        let admitted = ahead <= limit_secs;
        if admitted {
            sqlx::query(
                "UPDATE aws_request_budget
                 SET tat = greatest(tat, clock_timestamp()) + make_interval(secs => $2)
                 WHERE operation = $1",
            )
            .bind(operation)
            .bind(interval_secs)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Turn {
            ahead_secs: ahead,
            admitted,
        })
    }
}
