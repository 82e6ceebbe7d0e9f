//! Store errors, split by what a caller can do about them.
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// Postgres cannot be reached or is shutting down: worth retrying.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Other(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("migration refused: {0}")]
    OutOfOrder(#[from] super::OutOfOrder),
    /// A row did not hold what this version of the code wrote.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// A row whose stored JSON this release cannot read.
    #[error(transparent)]
    Unreadable(#[from] super::Unreadable),
}

/// SQLSTATE classes and codes that mean "the server went away".
const CONNECTION_EXCEPTION_CLASS: &str = "08";
const ADMIN_SHUTDOWN: &str = "57P01";
const CRASH_SHUTDOWN: &str = "57P02";
const CANNOT_CONNECT_NOW: &str = "57P03";

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        let unavailable = match &e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            // A connection cut mid-conversation (a proxy or pooler in front
            // of a Postgres that went away) reads as a protocol error.
            sqlx::Error::Protocol(_) => true,
            sqlx::Error::Database(db) => db.code().is_some_and(|c| {
                c.starts_with(CONNECTION_EXCEPTION_CLASS)
                    || c == ADMIN_SHUTDOWN
                    || c == CRASH_SHUTDOWN
                    || c == CANNOT_CONNECT_NOW
            }),
            _ => false,
        };
        if unavailable {
            Self::Unavailable(e)
        } else {
            Self::Other(e)
        }
    }
}

impl StoreError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_connections_are_unavailable_and_other_errors_are_not() {
        assert!(StoreError::from(sqlx::Error::PoolTimedOut).is_unavailable());
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(StoreError::from(sqlx::Error::Io(io)).is_unavailable());
        let cut = sqlx::Error::Protocol("unexpected response from SSLRequest: 0x00".into());
        assert!(StoreError::from(cut).is_unavailable());
        assert!(!StoreError::from(sqlx::Error::RowNotFound).is_unavailable());
    }
}
