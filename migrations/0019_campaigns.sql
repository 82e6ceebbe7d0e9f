-- Campaigns (issue 25): many accounts in one request, each sent once as
-- the daily quota allows. Expand only: three new tables; nothing the
-- previous release reads changes.

CREATE TABLE campaigns (
    id             text PRIMARY KEY,
    -- Creation order: the older campaign sends first; lists page on it.
    seq            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    request_id     text NOT NULL UNIQUE,
    -- A digest of the validated request: the same request_id with another
    -- request is refused (REQUEST_ID_REUSED).
    fingerprint    text NOT NULL,
    display_name   text NOT NULL,
    state          text NOT NULL
                   CHECK (state IN ('ACTIVE', 'PAUSED', 'CANCELED', 'DONE')),
    pause_reason   text,
    quota_reserve  integer NOT NULL,
    -- What every target shares (src/store/stored/campaign.rs).
    spec           jsonb NOT NULL,
    requested_by   text,
    -- Cancel asked for the open invitations to be cancelled too: whatever
    -- a send in flight at that moment made is cancelled after it.
    cancel_open    boolean NOT NULL DEFAULT false,
    next_send_time timestamptz,
    create_time    timestamptz NOT NULL DEFAULT now(),
    update_time    timestamptz NOT NULL DEFAULT now(),
    -- Bumped on every change (the campaign's or a target's): a watcher
    -- sends when it moves.
    version        bigint NOT NULL DEFAULT 1
);

-- The sender's question: which ACTIVE campaign goes first.
CREATE INDEX campaigns_active ON campaigns (seq) WHERE state = 'ACTIVE';

CREATE TABLE campaign_targets (
    campaign_id  text NOT NULL REFERENCES campaigns (id),
    idx          integer NOT NULL,
    target_type  text NOT NULL,
    target_id    text NOT NULL,
    -- The target's own notes (NULL: the shared ones) and tags.
    notes        text,
    tags         jsonb NOT NULL DEFAULT '[]',
    state        text NOT NULL
                 CHECK (state IN ('QUEUED', 'SKIPPED', 'INVITED', 'ACCEPTED', 'COMPLETE',
                                  'FAILED', 'DECLINED', 'CANCELED', 'EXPIRED')),
    handshake_id text,
    reason       text,
    -- Transient failures of its send so far, and when to try again.
    attempts     integer NOT NULL DEFAULT 0,
    retry_time   timestamptz,
    update_time  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, idx)
);

-- The next target of a campaign to send.
CREATE INDEX campaign_targets_queued ON campaign_targets (campaign_id, idx)
    WHERE state = 'QUEUED';
-- The targets whose handshake is followed.
CREATE INDEX campaign_targets_following ON campaign_targets (handshake_id)
    WHERE state IN ('INVITED', 'ACCEPTED');

-- Which handshakes a campaign sent or adopted (every one of a renewal
-- chain), written with the target that points at it.
CREATE TABLE campaign_handshakes (
    handshake_id text PRIMARY KEY,
    campaign_id  text NOT NULL REFERENCES campaigns (id)
);
CREATE INDEX campaign_handshakes_by_campaign ON campaign_handshakes (campaign_id);
