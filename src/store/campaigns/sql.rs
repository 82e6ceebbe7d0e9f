//! The campaign statements, named, so the plan test can explain each.
pub(in crate::store) const CAMPAIGN_COLUMNS: &str =
    "id, display_name, state, pause_reason, quota_reserve, spec, \
     requested_by, request_id, next_send_time, create_time, update_time, version, seq";
pub(in crate::store) const TARGET_COLUMNS: &str =
    "idx, target_type, target_id, notes, tags, state, handshake_id, reason, update_time";

// The statements of every campaign RPC and pass, named so that
// `Store::hot_query_plans` checks each reads by index (campaigns and their
// targets grow with the history).

/// One campaign (every RPC that answers a campaign), after its columns.
pub(in crate::store) const GET_CAMPAIGN: &str = "FROM campaigns WHERE id = $1";
/// ListCampaigns: newest first, before a position, after the columns.
pub(in crate::store) const LIST_CAMPAIGNS: &str = "FROM campaigns
     WHERE seq < coalesce($1, 9223372036854775807)
     ORDER BY seq DESC LIMIT $2";
/// ListCampaignTargets: in index order after an index, of some states or
/// all, after the target columns.
pub(in crate::store) const LIST_TARGETS: &str = "FROM campaign_targets
     WHERE campaign_id = $1 AND idx > coalesce($2, -1)
       AND (cardinality($3::text[]) = 0 OR state = ANY($3))
     ORDER BY idx LIMIT $4";
/// The targets in each state of some campaigns.
pub(in crate::store) const COUNTS_OF: &str =
    "SELECT campaign_id, state, count(*) FROM campaign_targets
     WHERE campaign_id = ANY($1) GROUP BY campaign_id, state";
/// The lowest queued target of each ACTIVE campaign (of `$1` only, when
/// not NULL), oldest campaign first, after the campaign columns.
pub(in crate::store) const NEXT_TARGETS: &str = ", t.*
     FROM campaigns c
     CROSS JOIN LATERAL (
         SELECT idx AS t_idx, target_type AS t_target_type, target_id AS t_target_id,
                notes AS t_notes, tags AS t_tags, update_time AS t_update_time,
                attempts AS t_attempts, retry_time AS t_retry_time
         FROM campaign_targets
         WHERE campaign_id = c.id AND state = 'QUEUED'
         ORDER BY idx LIMIT 1) t
     WHERE c.state = 'ACTIVE' AND ($1::text IS NULL OR c.id = $1)
     ORDER BY c.seq";
/// Followed targets whose handshake changed since the target did.
pub(in crate::store) const FOLLOWED_CHANGES: &str =
    "SELECT t.campaign_id, t.idx, t.state, t.handshake_id
     FROM campaign_targets t JOIN handshakes h ON h.id = t.handshake_id
     WHERE t.state IN ('INVITED', 'ACCEPTED') AND h.update_time >= t.update_time";
/// Open invitations of CANCELED campaigns that asked for them to be
/// cancelled too (of `$1` only, when not NULL).
pub(in crate::store) const INVITATIONS_TO_CANCEL: &str =
    "SELECT t.campaign_id, t.idx, t.state, t.handshake_id FROM campaign_targets t
     JOIN campaigns c ON c.id = t.campaign_id
     WHERE t.state = 'INVITED' AND t.handshake_id IS NOT NULL
       AND c.state = 'CANCELED' AND c.cancel_open
       AND ($1::text IS NULL OR c.id = $1)";
/// ACTIVE or PAUSED campaigns with nothing left to send or follow: DONE.
pub(in crate::store) const FINISH_CAMPAIGNS: &str =
    "UPDATE campaigns c SET state = 'DONE', next_send_time = NULL,
                            version = version + 1, update_time = now()
     WHERE c.state IN ('ACTIVE', 'PAUSED')
       AND NOT EXISTS (SELECT 1 FROM campaign_targets t WHERE t.campaign_id = c.id
                       AND t.state IN ('QUEUED', 'INVITED', 'ACCEPTED'))
     RETURNING c.id";
/// One change of campaign `$1`: its version moves, channel `$2` hears.
pub(in crate::store) const TOUCH: &str =
    "WITH bumped AS (UPDATE campaigns SET version = version + 1, update_time = now()
                     WHERE id = $1 RETURNING id)
     SELECT pg_notify($2, id) FROM bumped";
/// Target `$2` of campaign `$1` now stands on handshake `$4`, in state `$3`.
pub(in crate::store) const LINK_TARGET: &str = "UPDATE campaign_targets
     SET state = $3, handshake_id = $4, reason = NULL, retry_time = NULL, update_time = now()
     WHERE campaign_id = $1 AND idx = $2";
/// Handshake `$1` was sent or adopted by campaign `$2`.
pub(in crate::store) const LINK_HANDSHAKE: &str =
    "INSERT INTO campaign_handshakes (handshake_id, campaign_id) VALUES ($1, $2)
     ON CONFLICT (handshake_id) DO NOTHING";
/// Queued target `$2` of campaign `$1` ends in state `$3` for reason `$4`.
pub(in crate::store) const END_TARGET: &str =
    "UPDATE campaign_targets SET state = $3, reason = $4, retry_time = NULL, update_time = now()
     WHERE campaign_id = $1 AND idx = $2 AND state = 'QUEUED'";
/// Queued target `$2` of campaign `$1` is tried again at `$3`.
pub(in crate::store) const RETRY_TARGET: &str =
    "UPDATE campaign_targets SET attempts = attempts + 1, retry_time = $3
     WHERE campaign_id = $1 AND idx = $2 AND state = 'QUEUED'";
/// When campaign `$1` sends next (`$2`), when that changed.
pub(in crate::store) const SET_NEXT_SEND_TIME: &str = "UPDATE campaigns SET next_send_time = $2
     WHERE id = $1 AND next_send_time IS DISTINCT FROM $2";

/// `SELECT` the campaign columns, then `tail`.
pub(in crate::store) fn campaign_rows(tail: &str) -> String {
    format!("SELECT {CAMPAIGN_COLUMNS} {tail}")
}

/// `SELECT` the target columns, then `tail`.
pub(in crate::store) fn target_rows(tail: &str) -> String {
    format!("SELECT {TARGET_COLUMNS} {tail}")
}
