-- Per-function concurrency caps, public names unique among public
-- functions, and execution records.

ALTER TABLE functions
    ADD COLUMN max_concurrency integer NOT NULL DEFAULT 10
        CONSTRAINT functions_max_concurrency_check CHECK (max_concurrency > 0);

-- /fn/{name} must name one function. 0001 let owners publish the same name,
-- so the oldest public function keeps it and later ones become private.
UPDATE functions SET public = false
WHERE public AND EXISTS (
    SELECT 1 FROM functions AS older
    WHERE older.public AND older.name = functions.name AND older.id < functions.id
);
CREATE UNIQUE INDEX functions_public_name_key ON functions (name) WHERE public;

-- One row per invocation, written in batches by the engine's recorder and
-- replaced by id when a later state of the same execution is saved.
CREATE TABLE executions (
    id               uuid        PRIMARY KEY,
    function_id      uuid        NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
    owner_id         uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    function_name    text        NOT NULL,
    version          text        NOT NULL DEFAULT '',
    "trigger"        text        NOT NULL,  -- api or http
    status           text        NOT NULL,
    reason           text        NOT NULL DEFAULT '',
    error            text,                  -- JSON {type, message, stack}; NULL when none
    input            bytea       NOT NULL DEFAULT ''::bytea,
    input_truncated  boolean     NOT NULL DEFAULT false,
    output           bytea       NOT NULL DEFAULT ''::bytea,
    output_truncated boolean     NOT NULL DEFAULT false,
    logs             text        NOT NULL DEFAULT '',
    logs_truncated   boolean     NOT NULL DEFAULT false,
    cold_start       boolean     NOT NULL DEFAULT false,
    memory_mb        integer     NOT NULL DEFAULT 0,
    duration_ms      bigint      NOT NULL DEFAULT 0,
    billed_ms        bigint      NOT NULL DEFAULT 0,
    started_at       timestamptz,           -- NULL until it starts
    finished_at      timestamptz,           -- NULL until it ends
    created_at       timestamptz NOT NULL
);

-- Keyset pagination of a function's executions newest first, with and
-- without a status filter. function_id leads so that deleting a function
-- finds its executions through the index (ON DELETE CASCADE).
CREATE INDEX executions_function_id_owner_id_id_idx ON executions (function_id, owner_id, id DESC);
CREATE INDEX executions_function_id_owner_id_status_id_idx
    ON executions (function_id, owner_id, status, id DESC);
-- An owner's executions: lookups by (owner_id, id) and deleting a user.
CREATE INDEX executions_owner_id_id_idx ON executions (owner_id, id DESC);
