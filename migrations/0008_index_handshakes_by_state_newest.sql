-- no-transaction
-- Built CONCURRENTLY so replicas keep writing while a big table is indexed
-- (one statement per migration: CONCURRENTLY cannot share a transaction).
-- Serves the newest handshakes in given states (ListHandshakes states=[...]), page by page.
CREATE INDEX CONCURRENTLY IF NOT EXISTS handshakes_by_state_newest ON handshakes (state, create_time DESC, id DESC);
