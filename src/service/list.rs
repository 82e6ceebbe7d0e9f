//! ListHandshakes as the service takes it (the edge parses into this, the
//! store answers its own query): which handshakes, after which, how many.
use chrono::{DateTime, Utc};

use super::{Error, Invitations};
use crate::{
    domain::{HandshakeRecord, HandshakeState},
    store::{ListCursor, ListQuery},
};

/// One page of handshakes, newest first.
#[derive(Debug, Clone)]
pub struct ListHandshakes {
    /// Only these states (all when empty).
    pub states: Vec<HandshakeState>,
    /// Only this target (an account id or an email, case-insensitively).
    pub target_id: Option<String>,
    /// Only what this campaign sent or adopted.
    pub campaign_id: Option<String>,
    /// Just after this position (from the start when None).
    pub after: Option<Position>,
    /// At most this many, at least 1.
    pub limit: i64,
}

impl ListHandshakes {
    /// A page's size when the caller does not say.
    pub const DEFAULT_LIMIT: i64 = ListQuery::DEFAULT_LIMIT;
    /// The largest page served.
    pub const MAX_LIMIT: i64 = ListQuery::MAX_LIMIT;
}

/// A place in the newest-first order: where a page ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub create_time: DateTime<Utc>,
    pub id: String,
}

impl Invitations {
    /// One page, and where the next one starts (None after the last).
    pub async fn list(
        &self,
        page: &ListHandshakes,
    ) -> Result<(Vec<HandshakeRecord>, Option<Position>), Error> {
        let query = ListQuery {
            states: page.states.clone(),
            target_id: page.target_id.clone(),
            campaign_id: page.campaign_id.clone(),
            after: page.after.as_ref().map(|p| ListCursor {
                create_time: p.create_time,
                id: p.id.clone(),
            }),
            limit: page.limit,
        };
        let (records, next) = self.store.list(&query).await?;
        let next = next.map(|c| Position {
            create_time: c.create_time,
            id: c.id,
        });
        Ok((records, next))
    }
}
