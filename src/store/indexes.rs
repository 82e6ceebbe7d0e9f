//! Indexes an interrupted `CREATE INDEX CONCURRENTLY` left INVALID. A build
//! cancelled or cut short (a replica killed mid-migration, a lost
//! connection) leaves its index in place but unused, and the migration,
//! retried, finds it there (`IF NOT EXISTS`) and counts as done: the query
//! the index serves would scan the history from then on. So after the
//! migrations every invalid index of ours is rebuilt.
use sqlx::{AssertSqlSafe, PgConnection};
use tracing::warn;

use super::StoreError;

/// Invalid indexes on this service's tables (its schema): each name as SQL
/// may quote it, and as Postgres has it.
const INVALID: &str = "SELECT i.indexrelid::regclass::text, c.relname::text
     FROM pg_index i
     JOIN pg_class c ON c.oid = i.indexrelid
     WHERE NOT i.indisvalid AND c.relnamespace = to_regnamespace(current_schema())";

/// Rebuilds every invalid index, concurrently (writers keep writing). The
/// caller holds the migration lock, so no build of another replica is
/// mistaken for an interrupted one.
pub(super) async fn rebuild_invalid(conn: &mut PgConnection) -> Result<(), StoreError> {
    let invalid: Vec<(String, String)> = sqlx::query_as(INVALID).fetch_all(&mut *conn).await?;
    for (quoted, name) in invalid {
        // What a failed REINDEX CONCURRENTLY itself leaves (its new copy or
        // the old one it could not drop) is dropped, as Postgres advises.
        let sql = if is_reindex_leftover(&name) {
            warn!(index = %name, "dropping what an interrupted rebuild left");
            format!("DROP INDEX CONCURRENTLY IF EXISTS {quoted}")
        } else {
            warn!(index = %name, "rebuilding an index an interrupted build left invalid");
            format!("REINDEX INDEX CONCURRENTLY {quoted}")
        };
        sqlx::query(AssertSqlSafe(sql)).execute(&mut *conn).await?;
    }
    Ok(())
}

/// `<name>_ccnew`, `<name>_ccold`, with a number when taken.
fn is_reindex_leftover(name: &str) -> bool {
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
    stem.ends_with("_ccnew") || stem.ends_with("_ccold")
}

#[cfg(test)]
mod tests {
    use super::is_reindex_leftover;

    #[test]
    fn reindex_leftovers_are_told_by_their_suffix() {
        assert!(is_reindex_leftover("handshakes_pending_ccnew"));
        assert!(is_reindex_leftover("handshakes_pending_ccold2"));
        assert!(!is_reindex_leftover("handshakes_pending"));
        assert!(!is_reindex_leftover("handshakes_ccnew_by_state"));
    }
}
