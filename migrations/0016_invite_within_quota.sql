-- InviteAccount's quota check and intent row in one round trip (issue 15).

-- What counts against the daily quota: every INVITE handshake requested in
-- the last `window_secs` seconds (ours and adopted ones), and our attempts
-- in flight that may have reached AWS. A plain SQL function, so the planner
-- inlines it and reads each part through its partial index (the plan test
-- in tests/api/plans.rs explains it).
CREATE FUNCTION quota_counted(window_secs float8) RETURNS TABLE (t timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT requested_time FROM handshakes
    WHERE action = 'INVITE' AND requested_time > now() - make_interval(secs => window_secs)
    UNION ALL
    SELECT attempt_time FROM invite_requests
    WHERE status IN ('PENDING', 'UNKNOWN') AND handshake_id IS NULL
      AND attempt_time > now() - make_interval(secs => window_secs)
$$;

-- Takes the quota lock `lock_key` (held to the end of the caller's
-- transaction: called on its own, to the end of this call), then counts
-- and, when fewer than `quota_limit` are used, inserts the intent, unless
-- its request_id exists. Two statements because each statement of a
-- VOLATILE function reads a fresh snapshot: the count sees every intent
-- committed by the lock's previous holder, which a count in the lock's own
-- statement would not.
CREATE FUNCTION invite_within_quota(
    lock_key bigint, window_secs float8, quota_limit bigint,
    p_request_id text, p_target_type text, p_target_id text, p_notes text, p_tags jsonb,
    p_requested_by text, p_onboarding jsonb, p_renewal jsonb, p_owner integer)
RETURNS TABLE (quota_used bigint, quota_oldest timestamptz, db_now timestamptz,
               intent_inserted boolean)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN QUERY
    WITH quota AS (
        SELECT count(*) AS used, min(c.t) AS oldest FROM quota_counted(window_secs) c),
    inserted AS (
        INSERT INTO invite_requests (request_id, status, target_type, target_id, notes, tags,
                                     requested_by, onboarding, renewal, owner)
        SELECT p_request_id, 'PENDING', p_target_type, p_target_id, p_notes, p_tags,
               p_requested_by, p_onboarding, p_renewal, p_owner
        FROM quota WHERE quota.used < quota_limit
        ON CONFLICT (request_id) DO NOTHING
        RETURNING 1)
    SELECT quota.used, quota.oldest, now(), EXISTS (SELECT 1 FROM inserted) FROM quota;
END
$$;
