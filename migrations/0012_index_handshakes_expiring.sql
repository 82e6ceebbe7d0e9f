-- no-transaction
-- Built CONCURRENTLY so replicas keep writing while a big table is indexed
-- (one statement per migration: CONCURRENTLY cannot share a transaction).
-- Serves org_invites_handshakes_expiring.
CREATE INDEX CONCURRENTLY IF NOT EXISTS handshakes_expiring ON handshakes (id) WHERE state = 'OPEN' AND expiry_warning_time IS NOT NULL;
