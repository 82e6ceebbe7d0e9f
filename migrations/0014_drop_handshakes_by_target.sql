-- no-transaction
-- Superseded by handshakes_by_target_newest, which also serves the order.
DROP INDEX CONCURRENTLY IF EXISTS handshakes_by_target;
