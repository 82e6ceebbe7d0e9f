-- no-transaction
-- Built CONCURRENTLY so replicas keep writing while a big table is indexed
-- (one statement per migration: CONCURRENTLY cannot share a transaction).
-- Serves the campaign pass's finish_campaigns: the campaigns still running,
-- not every campaign ever made.
CREATE INDEX CONCURRENTLY IF NOT EXISTS campaigns_live ON campaigns (seq) WHERE state IN ('ACTIVE', 'PAUSED');
