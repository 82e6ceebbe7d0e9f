//! Which migrations a replica runs on a database that other releases share.
//! A rolling update runs release N beside N-1, and a rollback runs N-1 on a
//! schema N already migrated (docs/upgrades.md): so migrations applied by
//! a newer release are tolerated and named once in the log, while this
//! release's own are never run out of order, and an applied one that is not
//! this release's file of that version is refused, as a failed one is.
use std::{collections::HashSet, sync::LazyLock};

use sqlx::{
    migrate::{MigrateError, Migration, Migrator},
    PgConnection,
};
use thiserror::Error;
use tracing::warn;

use super::StoreError;

/// This release's migrations, embedded.
static OWN: Migrator = sqlx::migrate!("./migrations");

/// The same, run with applied versions it does not know ignored: `check`
/// has already looked at each of them. Built at run time because sqlx's
/// `migrate!` has no way to say so.
static TOLERANT: LazyLock<Migrator> = LazyLock::new(|| {
    let mut m = Migrator::with_migrations(OWN.iter().cloned().collect());
    m.set_ignore_missing(true);
    m
});

/// Where sqlx records what it applied (its default table).
const TABLE: &str = "_sqlx_migrations";

/// One row of `_sqlx_migrations`.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Applied {
    version: i64,
    description: String,
    success: bool,
    checksum: Vec<u8>,
}

/// One of this release's migrations is not applied while a later one is.
/// Running it now would run it on a schema its author never saw, so
/// nothing is run and the replica stays NOT_SERVING.
#[derive(Debug, Error)]
#[error(
    "migration {pending} ({pending_name}) of this release is not applied, yet the database \
     has applied the later migration {applied} ({applied_name}): refusing to run it out of order"
)]
pub struct OutOfOrder {
    pub pending: i64,
    pub pending_name: String,
    pub applied: i64,
    pub applied_name: String,
}

/// Checks what the database applied against this release's migrations,
/// logs the ones it does not know, then applies its own pending ones. The
/// caller holds the migration lock, so no other replica migrates between
/// the check and the run.
pub(super) async fn run(conn: &mut PgConnection) -> Result<(), StoreError> {
    // sqlx's run below creates the table when it is missing; reading it
    // first must not (a second CREATE ... IF NOT EXISTS at every start).
    let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(TABLE)
        .fetch_one(&mut *conn)
        .await?;
    let applied: Vec<Applied> = if exists {
        sqlx::query_as(
            "SELECT version, description, success, checksum FROM _sqlx_migrations \
             ORDER BY version",
        )
        .fetch_all(&mut *conn)
        .await?
    } else {
        Vec::new()
    };
    let unknown = check(OWN.iter(), &applied)?;
    if !unknown.is_empty() {
        let names: Vec<String> = unknown
            .iter()
            .map(|a| format!("{} ({})", a.version, a.description))
            .collect();
        warn!(
            migrations = %names.join(", "),
            "the database has migrations this release does not know (a newer release applied \
             them); serving on their schema, which keeps what this release reads"
        );
    }
    TOLERANT.run_direct(None, &mut *conn, false).await?;
    Ok(())
}

/// The applied migrations `own` does not know, or why the database must
/// not be used: a failed migration, an applied one whose checksum differs
/// from `own`'s file of that version, or one of `own` pending below an
/// applied one. The first two are sqlx's own errors, in sqlx's order.
fn check<'a, 'm>(
    own: impl Iterator<Item = &'m Migration> + Clone,
    applied: &'a [Applied],
) -> Result<Vec<&'a Applied>, StoreError> {
    if let Some(failed) = applied.iter().find(|a| !a.success) {
        return Err(MigrateError::Dirty(failed.version).into());
    }
    let own = own.filter(|m| !m.migration_type.is_down_migration());
    let newest = applied.iter().max_by_key(|a| a.version);
    for m in own.clone() {
        match applied.iter().find(|a| a.version == m.version) {
            Some(a) if a.checksum != *m.checksum => {
                return Err(MigrateError::VersionMismatch(m.version).into());
            }
            Some(_) => {}
            None => match newest {
                Some(n) if n.version > m.version => {
                    return Err(OutOfOrder {
                        pending: m.version,
                        pending_name: m.description.to_string(),
                        applied: n.version,
                        applied_name: n.description.clone(),
                    }
                    .into());
                }
                _ => {}
            },
        }
    }
    let known: HashSet<i64> = own.map(|m| m.version).collect();
    Ok(applied
        .iter()
        .filter(|a| !known.contains(&a.version))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every migration of this release, applied as this release applies it.
    fn all_applied() -> Vec<Applied> {
        OWN.iter()
            .map(|m| Applied {
                version: m.version,
                description: m.description.to_string(),
                success: true,
                checksum: m.checksum.to_vec(),
            })
            .collect()
    }

    fn newer() -> Applied {
        Applied {
            version: 99_990_001,
            description: "newer table".into(),
            success: true,
            checksum: vec![1, 2, 3],
        }
    }

    fn versions(found: &[&Applied]) -> Vec<i64> {
        found.iter().map(|a| a.version).collect()
    }

    #[test]
    fn a_fresh_or_partly_migrated_database_has_nothing_unknown() {
        assert!(check(OWN.iter(), &[]).unwrap().is_empty());
        let some = &all_applied()[..10];
        assert!(check(OWN.iter(), some).unwrap().is_empty());
    }

    #[test]
    fn newer_migrations_are_tolerated_and_named() {
        let mut applied = all_applied();
        applied.push(newer());
        let unknown = check(OWN.iter(), &applied).unwrap();
        assert_eq!(versions(&unknown), [99_990_001]);
    }

    #[test]
    fn an_applied_migration_with_another_checksum_is_refused() {
        let mut applied = all_applied();
        applied[0].checksum = vec![0];
        let err = check(OWN.iter(), &applied).unwrap_err();
        assert!(
            matches!(err, StoreError::Migrate(MigrateError::VersionMismatch(1))),
            "{err}"
        );
    }

    #[test]
    fn an_own_migration_pending_below_an_applied_one_is_refused() {
        let mut applied = all_applied();
        let last = applied.pop().unwrap();
        applied.push(newer());
        let err = check(OWN.iter(), &applied).unwrap_err();
        let StoreError::OutOfOrder(e) = err else {
            panic!("not refused as out of order: {err}")
        };
        assert_eq!((e.pending, e.applied), (last.version, 99_990_001));
        assert_eq!(e.pending_name, last.description);
    }

    #[test]
    fn a_failed_migration_is_refused_even_when_it_is_not_ours() {
        let mut applied = all_applied();
        applied.push(Applied {
            success: false,
            ..newer()
        });
        let err = check(OWN.iter(), &applied).unwrap_err();
        assert!(
            matches!(err, StoreError::Migrate(MigrateError::Dirty(99_990_001))),
            "{err}"
        );
    }
}
