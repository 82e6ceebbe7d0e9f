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
        // One statement, one round trip: the locking read returns the row
        // as the last writer left it, and the update moves it on only when
        // admitted.
        let (ahead, admitted): (f64, bool) = sqlx::query_as(
            "WITH current AS (
                 SELECT operation,
                        extract(epoch FROM greatest(tat, clock_timestamp()) - clock_timestamp())::float8
                            AS ahead
                 FROM aws_request_budget WHERE operation = $1 FOR UPDATE),
             taken AS (
                 UPDATE aws_request_budget b
                 SET tat = greatest(b.tat, clock_timestamp()) + make_interval(secs => $2)
                 FROM current c
                 WHERE b.operation = c.operation AND c.ahead <= $3
                 RETURNING 1)
             SELECT ahead, EXISTS (SELECT 1 FROM taken) FROM current",
        )
        .bind(operation)
        .bind(interval_secs)
        .bind(limit_secs)
        .fetch_one(&self.pool)
        .await?;
        Ok(Turn {
            ahead_secs: ahead,
            admitted,
        })
    }

    /// Moves `operation`'s schedule back by one turn (`interval_secs`),
    /// as if the request that took it had never come.
    pub async fn give_back_aws_turn(
        &self,
        operation: &str,
        interval_secs: f64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE aws_request_budget SET tat = tat - make_interval(secs => $2)
             WHERE operation = $1",
        )
        .bind(operation)
        .bind(interval_secs)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
