-- Immutable function versions and the aliases that point at them.

CREATE TABLE function_versions (
    function_id TEXT     NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
    number      INTEGER  NOT NULL CHECK (number > 0),
    description TEXT     NOT NULL DEFAULT '',
    runtime     TEXT     NOT NULL,
    handler     TEXT     NOT NULL,
    memory_mb   INTEGER  NOT NULL,
    timeout_ms  INTEGER  NOT NULL,
    env         TEXT     NOT NULL DEFAULT '{}',
    code        BLOB     NOT NULL,
    code_sha256 TEXT     NOT NULL,
    code_size   INTEGER  NOT NULL,
    created_at  DATETIME NOT NULL,
    PRIMARY KEY (function_id, number)
);

-- An alias keeps the versions it names: deleting one of them is refused
-- (RESTRICT) until the alias moves. Deleting the function takes all along.
CREATE TABLE function_aliases (
    function_id     TEXT     NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
    name            TEXT     NOT NULL,
    version         INTEGER  NOT NULL,
    routing_version INTEGER,
    routing_weight  REAL     NOT NULL DEFAULT 0,
    description     TEXT     NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    PRIMARY KEY (function_id, name),
    CONSTRAINT function_aliases_version_fkey FOREIGN KEY (function_id, version)
        REFERENCES function_versions (function_id, number) ON DELETE RESTRICT,
    CONSTRAINT function_aliases_routing_version_fkey FOREIGN KEY (function_id, routing_version)
        REFERENCES function_versions (function_id, number) ON DELETE RESTRICT
);
