-- Per-function concurrency caps, public names unique among public
-- functions, and execution records.

ALTER TABLE functions
    ADD COLUMN max_concurrency INTEGER NOT NULL DEFAULT 10
        CONSTRAINT functions_max_concurrency_check CHECK (max_concurrency > 0);

-- /fn/{name} must name one function. 0001 let owners publish the same name,
-- so the oldest public function keeps it and later ones become private.
UPDATE functions SET public = 0
WHERE public AND EXISTS (
    SELECT 1 FROM functions AS older
    WHERE older.public AND older.name = functions.name AND older.id < functions.id
);
-- A violation is reported as "UNIQUE constraint failed: functions.name",
-- which is how the store tells it from functions_owner_id_name_key.
CREATE UNIQUE INDEX functions_public_name_key ON functions (name) WHERE public;

-- One row per invocation, written in batches by the engine's recorder and
-- replaced by id when a later state of the same execution is saved.
CREATE TABLE executions (
    id               TEXT     NOT NULL PRIMARY KEY,
    function_id      TEXT     NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
    owner_id         TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    function_name    TEXT     NOT NULL,
    version          TEXT     NOT NULL DEFAULT '',
    "trigger"        TEXT     NOT NULL,  -- api or http
    status           TEXT     NOT NULL,
    reason           TEXT     NOT NULL DEFAULT '',
    error            TEXT,               -- JSON {type, message, stack}; NULL when none
    input            BLOB     NOT NULL DEFAULT x'',
    input_truncated  BOOLEAN  NOT NULL DEFAULT 0,
    output           BLOB     NOT NULL DEFAULT x'',
    output_truncated BOOLEAN  NOT NULL DEFAULT 0,
    logs             TEXT     NOT NULL DEFAULT '',
    logs_truncated   BOOLEAN  NOT NULL DEFAULT 0,
    cold_start       BOOLEAN  NOT NULL DEFAULT 0,
    memory_mb        INTEGER  NOT NULL DEFAULT 0,
    duration_ms      INTEGER  NOT NULL DEFAULT 0,
    billed_ms        INTEGER  NOT NULL DEFAULT 0,
    started_at       DATETIME,           -- NULL until it starts
    finished_at      DATETIME,           -- NULL until it ends
    created_at       DATETIME NOT NULL
);

-- Keyset pagination of a function's executions newest first, with and
-- without a status filter. function_id leads so that deleting a function
-- finds its executions through the index (ON DELETE CASCADE).
CREATE INDEX executions_function_id_owner_id_id_idx ON executions (function_id, owner_id, id DESC);
CREATE INDEX executions_function_id_owner_id_status_id_idx
    ON executions (function_id, owner_id, status, id DESC);
-- An owner's executions: lookups by (owner_id, id) and deleting a user.
CREATE INDEX executions_owner_id_id_idx ON executions (owner_id, id DESC);
