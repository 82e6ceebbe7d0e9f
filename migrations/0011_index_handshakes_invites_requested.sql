-- no-transaction
-- Built CONCURRENTLY so replicas keep writing while a big table is indexed
-- (one statement per migration: CONCURRENTLY cannot share a transaction).
-- Serves the daily quota's window of invitations.
CREATE INDEX CONCURRENTLY IF NOT EXISTS handshakes_invites_requested ON handshakes (requested_time) WHERE action = 'INVITE';
