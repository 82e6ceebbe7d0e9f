-- no-transaction
-- Built CONCURRENTLY so replicas keep writing while a big table is indexed
-- (one statement per migration: CONCURRENTLY cannot share a transaction).
-- Serves a target's handshakes, newest first (ListHandshakes target_id, if_open_exists).
CREATE INDEX CONCURRENTLY IF NOT EXISTS handshakes_by_target_newest ON handshakes (lower(target_id), create_time DESC, id DESC);
