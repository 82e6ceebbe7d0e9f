-- no-transaction
-- Built CONCURRENTLY so replicas keep writing while a big table is indexed
-- (one statement per migration: CONCURRENTLY cannot share a transaction).
-- Serves the few pending handshakes the sweep reads, and pending_invitations.
CREATE INDEX CONCURRENTLY IF NOT EXISTS handshakes_pending ON handshakes (id) WHERE state IN ('REQUESTED', 'OPEN');
