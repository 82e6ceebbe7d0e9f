//! Rows this release cannot read (a later release stored a shape it does
//! not know, or the row is damaged). Where a list or a stream reads one,
//! it is skipped, counted in `org_invites_undecodable_rows_total{table}`
//! and logged once with its id; where that one row is asked for, the
//! caller gets `StoreError::Unreadable` naming it.
use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

use tracing::warn;

use crate::metrics::{Metrics, StoredTable};

/// A row that could not be read: its table, its id (a handshake id, an
/// event id or a request id) and the first column that could not.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} row {id} cannot be read by this release (its {column})", table.as_str())]
pub struct Unreadable {
    pub table: StoredTable,
    pub id: String,
    pub column: &'static str,
}

/// Rows logged by id at most; past this they are counted only.
const LOGGED_AT_MOST: usize = 10_000;

#[derive(Clone)]
pub(super) struct Reporter {
    metrics: Metrics,
    logged: Arc<Mutex<HashSet<(StoredTable, String)>>>,
}

impl Reporter {
    pub fn new(metrics: Metrics) -> Self {
        Self {
            metrics,
            logged: Arc::default(),
        }
    }

    /// Counts `row`, and logs it the first time.
    pub fn met(&self, row: &Unreadable) {
        self.metrics.undecodable_row(row.table);
        let first = {
            let mut logged = self.logged.lock().unwrap_or_else(|p| p.into_inner());
            logged.len() < LOGGED_AT_MOST && logged.insert((row.table, row.id.clone()))
        };
        if first {
            // The id and column only: the value may hold notes or party ids.
            warn!(
                table = row.table.as_str(),
                id = %row.id,
                column = row.column,
                "a row this release cannot read (stored by a later release, or damaged); \
                 lists and streams skip it"
            );
        }
    }

    /// The rows that could be read, in order; the others are reported.
    pub fn readable<T>(&self, rows: impl IntoIterator<Item = Result<T, Unreadable>>) -> Vec<T> {
        rows.into_iter()
            .filter_map(|r| r.inspect_err(|u| self.met(u)).ok())
            .collect()
    }
}
