-- Each state a handshake has been in, with when this service first saw it.
CREATE TABLE handshake_state_history (
    handshake_id    text NOT NULL REFERENCES handshakes (id),
    state           text NOT NULL,
    first_seen_time timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (handshake_id, state)
);

-- Every change, in commit order (writers take one advisory lock before
-- inserting, so event_id order is commit order), for WatchHandshakes and
-- its resume tokens. `snapshot` is the handshake as after the change.
CREATE TABLE handshake_events (
    event_id       bigserial PRIMARY KEY,
    handshake_id   text NOT NULL REFERENCES handshakes (id),
    previous_state text,
    state          text NOT NULL,
    version        bigint NOT NULL,
    snapshot       jsonb NOT NULL,
    observe_time   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX handshake_events_by_handshake ON handshake_events (handshake_id, event_id);

-- The history of handshakes recorded before this migration: their current state.
INSERT INTO handshake_state_history (handshake_id, state, first_seen_time)
SELECT id, state, update_time FROM handshakes;
