-- Usage metering, plans, billing webhooks and their delivery outbox.

-- The account's plan; '' means the configured default plan.
ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT '';

-- Per-account, per-function usage by UTC hour, added to in the same
-- transaction that saves the executions. No foreign keys: usage outlives
-- deleted functions, so a month's usage never shrinks. mb_ms is the sum of
-- memory_mb × billed_ms (exact; GB-seconds = mb_ms / 1024000).
CREATE TABLE usage_hourly (
    owner_id      uuid        NOT NULL,
    function_id   uuid        NOT NULL,
    hour          timestamptz NOT NULL,
    function_name text        NOT NULL,
    invocations   bigint      NOT NULL DEFAULT 0,
    errors        bigint      NOT NULL DEFAULT 0,
    duration_ms   bigint      NOT NULL DEFAULT 0,
    billed_ms     bigint      NOT NULL DEFAULT 0,
    mb_ms         bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (owner_id, hour, function_id)
);
-- The operator's view across accounts reads by hour alone.
CREATE INDEX usage_hourly_hour_idx ON usage_hourly (hour);

-- One row per metered execution: inserting it is what makes an execution
-- count once, however often its record is saved again.
CREATE TABLE usage_marks (
    execution_id uuid        PRIMARY KEY,
    counted_at   timestamptz NOT NULL
);

CREATE TABLE webhooks (
    id             uuid        PRIMARY KEY,
    owner_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url            text        NOT NULL,
    events         text        NOT NULL DEFAULT '[]',  -- JSON array of event types
    all_accounts   boolean     NOT NULL DEFAULT false, -- an operator's webhook for every account
    secret         text        NOT NULL,               -- signs deliveries, so kept as is
    last_report_at timestamptz NOT NULL,
    report_seq     bigint      NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL
);
CREATE INDEX webhooks_owner_id_id_idx ON webhooks (owner_id, id);
CREATE INDEX webhooks_all_accounts_idx ON webhooks (id) WHERE all_accounts;

-- The outbox: a delivery is written before it is sent, leased by a sender
-- (next_attempt_at moves past the attempt's timeout), and kept as the
-- delivery log once it succeeded or failed.
CREATE TABLE webhook_deliveries (
    id              uuid        PRIMARY KEY,
    webhook_id      uuid        NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        uuid        NOT NULL,
    event_type      text        NOT NULL,
    payload         text        NOT NULL,
    status          text        NOT NULL,           -- pending, succeeded, failed
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,                    -- NULL once succeeded or failed
    response_code   integer     NOT NULL DEFAULT 0, -- of the last attempt; 0 without an answer
    error           text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    delivered_at    timestamptz
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook_id_id_idx ON webhook_deliveries (webhook_id, id DESC);
