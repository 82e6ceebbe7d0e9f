-- Every handshake this service knows: the AWS fields, refreshed as AWS
-- changes them, and what only this service knows (target, notes, tags).
-- AWS deletes closed handshakes after 30 days; these rows are never deleted.
CREATE TABLE handshakes (
    id              text PRIMARY KEY,
    arn             text NOT NULL,
    parties         jsonb NOT NULL,
    state           text NOT NULL,
    requested_time  timestamptz,
    expiration_time timestamptz,
    action          text NOT NULL,
    resources       jsonb NOT NULL,
    target_type     text,
    target_id       text,
    notes           text NOT NULL DEFAULT '',
    tags            jsonb NOT NULL DEFAULT '[]',
    request_id      text UNIQUE,
    -- Bumped on every change, so watchers can tell old news from new.
    version         bigint NOT NULL DEFAULT 1,
    create_time     timestamptz NOT NULL DEFAULT now(),
    update_time     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX handshakes_newest_first ON handshakes (create_time DESC, id DESC);
CREATE INDEX handshakes_by_target ON handshakes (lower(target_id));

-- The intent of an InviteAccount call, written before AWS is called, so a
-- crash or a Postgres error after the call is repaired, never forgotten.
--   PENDING: an attempt is in flight (or its process died).
--   UNKNOWN: the attempt ended without knowing whether AWS acted.
--   SENT:    the handshake is recorded (handshake_id).
--   FAILED:  AWS refused it; nothing was sent.
CREATE TABLE invite_requests (
    request_id    text PRIMARY KEY,
    status        text NOT NULL CHECK (status IN ('PENDING', 'UNKNOWN', 'SENT', 'FAILED')),
    target_type   text NOT NULL,
    target_id     text NOT NULL,
    notes         text NOT NULL,
    tags          jsonb NOT NULL,
    handshake_id  text REFERENCES handshakes (id),
    error_code    text,
    error_reason  text,
    attempts      integer NOT NULL DEFAULT 1,
    attempt_time  timestamptz NOT NULL DEFAULT now(),
    create_time   timestamptz NOT NULL DEFAULT now(),
    update_time   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX invite_requests_unresolved ON invite_requests (attempt_time)
    WHERE status IN ('PENDING', 'UNKNOWN');
