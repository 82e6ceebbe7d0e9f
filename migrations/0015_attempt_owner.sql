-- Failover in seconds: every attempt names the replica session that owns
-- it, and the polling replica leaves a heartbeat (see src/store/session.rs).

-- Each replica session takes a fresh number, never reused while the
-- sequence lasts (2^31 sessions), and holds an advisory lock on it.
CREATE SEQUENCE replica_sessions AS integer MINVALUE 1 CYCLE;

-- The session that owns the attempt; NULL for attempts made before this
-- migration, which only the grace period resolves.
ALTER TABLE invite_requests ADD COLUMN owner integer;

-- The poller's last sign of life, so a takeover knows how long nobody polled.
CREATE TABLE poller_heartbeat (
    one        boolean PRIMARY KEY DEFAULT true CHECK (one),
    session    integer NOT NULL,
    beat_time  timestamptz NOT NULL
);
