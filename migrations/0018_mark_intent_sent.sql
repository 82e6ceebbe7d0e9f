-- The one statement that marks an intent sent (issue 24): it was written
-- three times (record_new_invite below, and two paths of
-- src/store/invites.rs), now each calls this.
--
-- Expand only: record_new_invite keeps its signature and what it does,
-- so the previous release, calling it, gets what it always got.
-- PL/pgSQL, not SQL: its statement's plan is cached for the session, where
-- an SQL function's body is planned again at every call (on InviteAccount's
-- path; BENCHMARKS.md section 4).
CREATE FUNCTION mark_intent_sent(p_request_id text, p_handshake_id text)
RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    UPDATE invite_requests
    SET status = 'SENT', handshake_id = p_handshake_id, error_code = NULL,
        error_reason = NULL, update_time = now()
    WHERE request_id = p_request_id;
END
$$;

-- As in 0017, but marking the intent sent through mark_intent_sent.
CREATE OR REPLACE FUNCTION record_new_invite(
    lock_key bigint, p_id text, p_arn text, p_parties jsonb, p_state text,
    p_requested_time timestamptz, p_expiration_time timestamptz, p_action text,
    p_resources jsonb, p_target_type text, p_target_id text, p_notes text, p_tags jsonb,
    p_request_id text, p_requested_by text, p_canceled_by text, p_onboarding jsonb,
    p_renewal jsonb,
    p_snapshot jsonb, events_channel text, wake_channel text)
RETURNS SETOF handshakes
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    h handshakes;
    new_event bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    INSERT INTO handshakes (id, arn, parties, state, requested_time, expiration_time, action,
                            resources, target_type, target_id, notes, tags, request_id,
                            requested_by, canceled_by, onboarding, renewal)
    VALUES (p_id, p_arn, p_parties, p_state, p_requested_time, p_expiration_time, p_action,
            p_resources, p_target_type, p_target_id, p_notes, p_tags, p_request_id,
            p_requested_by, p_canceled_by, p_onboarding, p_renewal)
    ON CONFLICT (id) DO NOTHING
    RETURNING * INTO h;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO handshake_state_history (handshake_id, state) VALUES (h.id, h.state);
    INSERT INTO handshake_events (handshake_id, previous_state, state, version, snapshot, kind)
    VALUES (h.id, NULL, h.state, h.version,
            p_snapshot || jsonb_build_object('create_time', h.create_time,
                                             'update_time', h.update_time),
            'STATE_CHANGE')
    RETURNING event_id INTO new_event;
    PERFORM pg_notify(events_channel, new_event::text);
    PERFORM mark_intent_sent(p_request_id, h.id);
    PERFORM pg_notify(wake_channel, '');
    RETURN NEXT h;
END
$$;
