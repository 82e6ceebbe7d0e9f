-- An invitation's whole life: the expiry warning, renewal on expiry, and
-- the organization's member count.

-- When the EXPIRING_SOON warning was recorded (once per handshake).
ALTER TABLE handshakes ADD COLUMN expiry_warning_time timestamptz;
-- The open handshakes still to be warned about: few, whatever the history.
CREATE INDEX handshakes_to_warn ON handshakes (expiration_time)
    WHERE state = 'OPEN' AND expiry_warning_time IS NULL;

-- Renewal on expiry, as the domain's JSON; NULL when not asked for.
ALTER TABLE handshakes ADD COLUMN renewal jsonb;
ALTER TABLE handshakes ADD COLUMN renewal_due boolean NOT NULL
    GENERATED ALWAYS AS (COALESCE(
        state = 'EXPIRED'
        AND (renewal ->> 'renewals_left')::int > 0
        AND renewal ->> 'renewed_to' IS NULL
        AND NOT COALESCE((renewal ->> 'given_up')::boolean, false),
        false)) STORED;
CREATE INDEX handshakes_renewal_due ON handshakes (id) WHERE renewal_due;
-- The open invitation of a target, for if_open_exists.
CREATE INDEX handshakes_open_by_target ON handshakes (lower(target_id))
    WHERE state = 'OPEN';

-- The intent carries the renewal, so a handshake recorded by repair keeps it.
ALTER TABLE invite_requests ADD COLUMN renewal jsonb;

-- Counts the polling replica keeps for everyone: one row.
CREATE TABLE organization_stats (
    one                  boolean PRIMARY KEY DEFAULT true CHECK (one),
    member_accounts      integer NOT NULL,
    member_accounts_time timestamptz NOT NULL
);

ALTER TABLE handshake_events DROP CONSTRAINT handshake_events_kind_check;
ALTER TABLE handshake_events ADD CONSTRAINT handshake_events_kind_check
    CHECK (kind IN ('STATE_CHANGE', 'ONBOARDING', 'EXPIRING_SOON', 'RENEWAL'));

INSERT INTO aws_request_budget (operation) VALUES ('ListAccounts');
