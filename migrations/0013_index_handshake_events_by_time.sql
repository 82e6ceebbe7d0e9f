-- no-transaction
-- Built CONCURRENTLY so replicas keep writing while a big table is indexed
-- (one statement per migration: CONCURRENTLY cannot share a transaction).
-- Serves the hourly prune of events past --event-retention.
CREATE INDEX CONCURRENTLY IF NOT EXISTS handshake_events_by_time ON handshake_events (observe_time);
