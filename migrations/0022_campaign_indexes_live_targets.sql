-- no-transaction
-- Built CONCURRENTLY so replicas keep writing while a big table is indexed
-- (one statement per migration: CONCURRENTLY cannot share a transaction).
-- Serves finish_campaigns' question "has this campaign a target left to
-- send or follow?" with one probe, where the primary key would read the
-- campaign's ended targets (up to all of them) before its first live one.
CREATE INDEX CONCURRENTLY IF NOT EXISTS campaign_targets_live ON campaign_targets (campaign_id) WHERE state IN ('QUEUED', 'INVITED', 'ACCEPTED');
