-- Who asked: AWS does not keep it, so this is the only audit trail.
-- NULL when the server ran without authentication or the handshake was
-- made outside this service (adopted by the poller).
ALTER TABLE handshakes ADD COLUMN requested_by text, ADD COLUMN canceled_by text;
ALTER TABLE invite_requests ADD COLUMN requested_by text;
