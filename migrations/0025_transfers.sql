-- Billing transfers (TRANSFER_RESPONSIBILITY): every transfer this
-- organization sent or received, as last seen in AWS, with what only this
-- service knows. Never deleted. New tables only: the previous release
-- neither reads nor writes them.
CREATE TABLE transfers (
    id                    text PRIMARY KEY,
    arn                   text NOT NULL,
    name                  text NOT NULL,
    type                  text NOT NULL,
    status                text NOT NULL,
    direction             text NOT NULL CHECK (direction IN ('INBOUND', 'OUTBOUND')),
    source_account_id     text,
    source_email          text,
    target_account_id     text,
    target_email          text,
    start_time            timestamptz NOT NULL,
    end_time              timestamptz,
    -- The last handshake AWS named (it drops the name once answered).
    active_handshake_id   text,
    request_id            text UNIQUE,
    requested_by          text,
    deadline_warning_time timestamptz,
    version               bigint NOT NULL DEFAULT 1,
    create_time           timestamptz NOT NULL DEFAULT now(),
    update_time           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX transfers_newest_first ON transfers (create_time DESC, id DESC);
-- The open invitations still to be warned about: few, whatever the history.
CREATE INDEX transfers_to_warn ON transfers (start_time)
    WHERE status = 'REQUESTED' AND deadline_warning_time IS NULL;
CREATE INDEX transfers_by_handshake ON transfers (active_handshake_id);

CREATE TABLE transfer_status_history (
    transfer_id     text NOT NULL REFERENCES transfers (id),
    status          text NOT NULL,
    first_seen_time timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (transfer_id, status)
);

-- Every transfer change in commit order (writers take their own order
-- lock), for WatchTransfers and its resume tokens. Ids come from the
-- handshake events' sequence, so an event id names one event of either
-- log: a delivery stays (subscription, event id).
CREATE TABLE transfer_events (
    event_id        bigint PRIMARY KEY DEFAULT nextval('handshake_events_event_id_seq'),
    transfer_id     text NOT NULL REFERENCES transfers (id),
    kind            text NOT NULL,
    previous_status text,
    status          text NOT NULL,
    snapshot        jsonb NOT NULL,
    observe_time    timestamptz NOT NULL DEFAULT now()
);

-- The intent of an InviteTransfer call, written before AWS is called:
--   PENDING: an attempt is in flight (or its replica died: `owner`).
--   SENT:    the transfer is recorded (transfer_id).
--   FAILED:  AWS refused it, or it was looked for in AWS and not found:
--            nothing was sent, and a retry sends again.
CREATE TABLE transfer_requests (
    request_id   text PRIMARY KEY,
    status       text NOT NULL CHECK (status IN ('PENDING', 'SENT', 'FAILED')),
    digest       text NOT NULL,
    target_type  text NOT NULL,
    target_id    text NOT NULL,
    start_time   timestamptz NOT NULL,
    source_name  text NOT NULL,
    notes        text NOT NULL,
    tags         jsonb NOT NULL,
    requested_by text,
    transfer_id  text REFERENCES transfers (id),
    handshake_id text,
    error_code   text,
    error_reason text,
    owner        integer,
    attempts     integer NOT NULL DEFAULT 1,
    attempt_time timestamptz NOT NULL DEFAULT now(),
    create_time  timestamptz NOT NULL DEFAULT now(),
    update_time  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX transfer_requests_pending ON transfer_requests (attempt_time)
    WHERE status = 'PENDING';

-- How far each subscription's transfer deliveries were written (event ids
-- of the shared sequence); NULL: from where its handshake events started.
ALTER TABLE subscriptions ADD COLUMN transfers_enqueued_through bigint;
