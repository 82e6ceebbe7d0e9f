-- Event delivery to webhooks and EventBridge (issue 26). Expand only: two
-- new tables; nothing the previous release reads changes.

-- Each subscription the file has ever named. Its events are those recorded
-- after it first appeared (`start_after`); `enqueued_through` is how far
-- its deliveries have been written.
CREATE TABLE subscriptions (
    id               text PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('WEBHOOK', 'EVENTBRIDGE')),
    target           text NOT NULL,
    state            text NOT NULL DEFAULT 'ACTIVE' CHECK (state IN ('ACTIVE', 'DISABLED')),
    disabled_reason  text,
    start_after      bigint NOT NULL,
    enqueued_through bigint NOT NULL,
    last_success_time timestamptz,
    last_error       text,
    create_time      timestamptz NOT NULL DEFAULT now()
);

-- One event for one subscription. The body is written with the row, so
-- pruning events never loses what is still to be delivered.
CREATE TABLE deliveries (
    subscription_id   text NOT NULL REFERENCES subscriptions (id),
    event_id          bigint NOT NULL,
    handshake_id      text NOT NULL,
    cloud_event_id    text NOT NULL,
    type              text NOT NULL,
    body              text NOT NULL,
    state             text NOT NULL DEFAULT 'PENDING'
                      CHECK (state IN ('PENDING', 'DELIVERED', 'DEAD')),
    attempts          integer NOT NULL DEFAULT 0,
    next_attempt_time timestamptz NOT NULL DEFAULT now(),
    -- An attempt in flight holds the row until then; after it, any replica
    -- may try again (the one holding it died).
    lease_until       timestamptz,
    last_attempt_time timestamptz,
    last_status       text,
    last_error        text,
    observe_time      timestamptz NOT NULL,
    delivered_time    timestamptz,
    PRIMARY KEY (subscription_id, event_id)
);

-- The pending deliveries, in commit order per subscription and handshake.
CREATE INDEX deliveries_pending ON deliveries (subscription_id, handshake_id, event_id)
    WHERE state = 'PENDING';
-- The due ones.
CREATE INDEX deliveries_due ON deliveries (next_attempt_time) WHERE state = 'PENDING';
