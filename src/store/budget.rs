//! The shared AWS request budget rows (see aws::budget).
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::{Store, StoreError};
use crate::domain::Operation;

/// Adds the budget row of every operation this release calls that has
/// none (a new operation needs no migration row), leaving existing rows,
/// and the schedule they hold, as they are. Run with the migrations, at
/// every start: rows a newer release seeded stay for it.
pub(super) async fn seed(conn: &mut PgConnection) -> Result<(), StoreError> {
    let names: Vec<&str> = Operation::ALL.iter().map(|op| op.name()).collect();
    sqlx::query(
        "INSERT INTO aws_request_budget (operation) SELECT unnest($1::text[])
         ON CONFLICT (operation) DO NOTHING",
    )
    .bind(names)
    .execute(conn)
    .await?;
    Ok(())
}

/// Where an operation's schedule stands for one request.
#[derive(Debug, Clone, Copy)]
pub struct Turn {
    /// How far the schedule ran ahead of now before this request, in seconds.
    pub ahead_secs: f64,
    /// Where the schedule ends with this request's turn; None when it took
    /// none (it would wait too long).
    pub taken: Option<DateTime<Utc>>,
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
        let (ahead, taken): (f64, Option<DateTime<Utc>>) = sqlx::query_as(
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
                 RETURNING b.tat)
             SELECT ahead, (SELECT tat FROM taken) FROM current",
        )
        .bind(operation)
        .bind(interval_secs)
        .bind(limit_secs)
        .fetch_one(&self.pool)
        .await?;
        Ok(Turn {
            ahead_secs: ahead,
            taken,
        })
    }

    /// Gives back the turn of `operation` that ended its schedule at
    /// `taken` (moving it back by `interval_secs`), as if its request had
    /// never come; only while no later request took a turn after it, whose
    /// slot would otherwise be handed out twice.
    pub async fn give_back_aws_turn(
        &self,
        operation: &str,
        interval_secs: f64,
        taken: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let given = sqlx::query(
            "UPDATE aws_request_budget SET tat = tat - make_interval(secs => $2)
             WHERE operation = $1 AND tat = $3",
        )
        .bind(operation)
        .bind(interval_secs)
        .bind(taken)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(given == 1)
    }
}
