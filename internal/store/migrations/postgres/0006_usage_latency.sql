-- Latency histograms of metered executions: per account, function, UTC
-- hour and duration bucket (core.LatencyBucket defines the buckets), how
-- many executions took that long. Added to with usage_hourly, in the same
-- transaction and, like it, once per execution (usage_marks); no foreign
-- keys, so that they outlive deleted functions too. Executions metered
-- before this migration have no durations here.
CREATE TABLE usage_latency (
    owner_id    uuid        NOT NULL,
    function_id uuid        NOT NULL,
    hour        timestamptz NOT NULL,
    bucket      integer     NOT NULL CHECK (bucket >= 0),
    count       bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (owner_id, hour, function_id, bucket)
);
-- The operator's view across accounts reads by hour alone.
CREATE INDEX usage_latency_hour_idx ON usage_latency (hour);

-- A function's latest execution (the functions list) is read through
-- executions_function_id_owner_id_id_idx: ids are UUIDv7s, in invocation
-- order, so no index on a time column is needed.
