//! EventBridge's PutEvents, behind a thin trait like `Organizations`, so
//! tests can fail single entries (AWS answers per entry, and fakecloud
//! never fails one); `sdk` sends it, `fake` records it.
use async_trait::async_trait;

use super::AwsError;

/// The most entries PutEvents takes in one call.
pub const MAX_ENTRIES: usize = 10;

/// One event for a bus. `detail` is a whole CloudEvent, which may hold an
/// invitation's notes: never log it.
#[derive(Clone, PartialEq, Eq)]
pub struct BusEntry {
    /// A name or an ARN.
    pub event_bus: String,
    pub source: String,
    pub detail_type: String,
    pub detail: String,
    pub resources: Vec<String>,
}

impl std::fmt::Debug for BusEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BusEntry")
            .field("event_bus", &self.event_bus)
            .field("source", &self.source)
            .field("detail_type", &self.detail_type)
            .field("detail", &format_args!("<{} bytes>", self.detail.len()))
            .field("resources", &self.resources)
            .finish()
    }
}

/// What AWS said of one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryResult {
    Accepted {
        /// EventBridge's id of the event.
        event_id: String,
    },
    Failed {
        /// PutEventsResultEntry's ErrorCode, e.g. `ThrottlingException`.
        code: String,
        message: String,
    },
}

impl EntryResult {
    /// The codes AWS documents as worth another try of the same entry.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Failed { code, .. }
            if code == "InternalFailure" || code == "ThrottlingException")
    }
}

#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// PutEvents with `entries` (at most `MAX_ENTRIES`): one result per
    /// entry, in their order; Err when the call as a whole failed.
    async fn put_events(&self, entries: &[BusEntry]) -> Result<Vec<EntryResult>, AwsError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_internal_failure_and_throttling_are_tried_again() {
        let failed = |code: &str| EntryResult::Failed {
            code: code.into(),
            message: String::new(),
        };
        assert!(failed("InternalFailure").is_transient());
        assert!(failed("ThrottlingException").is_transient());
        assert!(!failed("MalformedDetail").is_transient());
        assert!(!EntryResult::Accepted {
            event_id: "e".into()
        }
        .is_transient());
    }

    #[test]
    fn an_entry_never_shows_its_detail() {
        let e = BusEntry {
            event_bus: "b".into(),
            source: "org-invites".into(),
            detail_type: "t".into(),
            detail: r#"{"notes":"secret words"}"#.into(),
            resources: vec![],
        };
        assert!(!format!("{e:?}").contains("secret"));
    }
}
