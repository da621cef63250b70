-- Immutable function versions and the aliases that point at them.

CREATE TABLE function_versions (
    function_id uuid        NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
    number      integer     NOT NULL CHECK (number > 0),
    description text        NOT NULL DEFAULT '',
    runtime     text        NOT NULL,
    handler     text        NOT NULL,
    memory_mb   integer     NOT NULL,
    timeout_ms  integer     NOT NULL,
    env         text        NOT NULL DEFAULT '{}',
    code        bytea       NOT NULL,
    code_sha256 text        NOT NULL,
    code_size   bigint      NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (function_id, number)
);

-- An alias keeps the versions it names: deleting one of them is refused
-- (RESTRICT) until the alias moves. Deleting the function takes all along.
CREATE TABLE function_aliases (
    function_id     uuid             NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
    name            text             NOT NULL,
    version         integer          NOT NULL,
    routing_version integer,
    routing_weight  double precision NOT NULL DEFAULT 0,
    description     text             NOT NULL DEFAULT '',
    created_at      timestamptz      NOT NULL,
    updated_at      timestamptz      NOT NULL,
    PRIMARY KEY (function_id, name),
    CONSTRAINT function_aliases_version_fkey FOREIGN KEY (function_id, version)
        REFERENCES function_versions (function_id, number) ON DELETE RESTRICT,
    CONSTRAINT function_aliases_routing_version_fkey FOREIGN KEY (function_id, routing_version)
        REFERENCES function_versions (function_id, number) ON DELETE RESTRICT
);
