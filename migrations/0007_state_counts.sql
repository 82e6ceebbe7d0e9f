-- How many handshakes are in each state, kept as they change, so a
-- /metrics scrape or a status page never counts the whole history.
CREATE TABLE handshake_state_counts (
    state text PRIMARY KEY,
    n     bigint NOT NULL
);

CREATE FUNCTION count_handshake_states() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.state IS NOT DISTINCT FROM OLD.state THEN
            RETURN NULL;
        END IF;
        UPDATE handshake_state_counts SET n = n - 1 WHERE state = OLD.state;
    END IF;
    INSERT INTO handshake_state_counts (state, n) VALUES (NEW.state, 1)
    ON CONFLICT (state) DO UPDATE SET n = handshake_state_counts.n + 1;
    RETURN NULL;
END
$$;

-- No write may fall between the first count and the trigger.
LOCK TABLE handshakes IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO handshake_state_counts (state, n)
SELECT state, count(*) FROM handshakes GROUP BY state;
CREATE TRIGGER handshakes_count_states
    AFTER INSERT OR UPDATE OF state ON handshakes
    FOR EACH ROW EXECUTE FUNCTION count_handshake_states();
