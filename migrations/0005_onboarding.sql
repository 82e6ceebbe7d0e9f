-- Onboarding: what an invitation asked for once accepted (the role to
-- accept through, the destination parent) and how far it got, as the
-- domain's JSON. NULL when not asked for.
ALTER TABLE handshakes ADD COLUMN onboarding jsonb;
-- Whether the polling replica may have work on it: unfinished, or failed
-- to accept through its role while a person may still accept. Few rows,
-- whatever the history holds, hence the partial index.
ALTER TABLE handshakes ADD COLUMN onboarding_due boolean NOT NULL
    GENERATED ALWAYS AS (COALESCE(
        onboarding ->> 'status' IN ('PENDING', 'ACCEPTING', 'PLACING', 'TAGGING')
        OR (onboarding ->> 'status' = 'FAILED'
            AND state = 'ACCEPTED'
            AND onboarding -> 'steps' -> -1 ->> 'step' = 'ACCEPT'),
        false)) STORED;
CREATE INDEX handshakes_onboarding_due ON handshakes (id) WHERE onboarding_due;

-- The intent carries the spec, so a handshake recorded by repair keeps it.
ALTER TABLE invite_requests ADD COLUMN onboarding jsonb;

-- What an event reports: a state change, or an onboarding status change.
ALTER TABLE handshake_events ADD COLUMN kind text NOT NULL DEFAULT 'STATE_CHANGE'
    CHECK (kind IN ('STATE_CHANGE', 'ONBOARDING'));

-- The operations onboarding calls draw from the shared budget too.
INSERT INTO aws_request_budget (operation) VALUES
    ('AssumeRole'),
    ('AcceptHandshake'),
    ('DescribeOrganizationalUnit'),
    ('ListRoots'),
    ('ListParents'),
    ('MoveAccount'),
    ('ListTagsForResource'),
    ('TagResource');
