-- Accounts, API keys and functions with their draft code.
-- Ids are UUIDv7 (time-ordered); times are timestamptz in UTC. JSON values
-- (scopes, env) are text so both dialects store the same bytes.

CREATE TABLE users (
    id            uuid        PRIMARY KEY,
    email         text        NOT NULL,  -- lowercased by the store
    name          text        NOT NULL DEFAULT '',
    role          text        NOT NULL DEFAULT 'user',
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE api_keys (
    id           uuid        PRIMARY KEY,
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text        NOT NULL,
    prefix       text        NOT NULL,
    hash         text        NOT NULL,  -- hex SHA-256 of the secret
    scopes       text        NOT NULL DEFAULT '[]',
    expires_at   timestamptz,
    last_used_at timestamptz,
    created_at   timestamptz NOT NULL,
    CONSTRAINT api_keys_hash_key UNIQUE (hash)
);

-- Keyset pagination of a user's keys.
CREATE INDEX api_keys_user_id_id_idx ON api_keys (user_id, id);

CREATE TABLE functions (
    id          uuid        PRIMARY KEY,
    owner_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    runtime     text        NOT NULL,
    handler     text        NOT NULL,
    memory_mb   integer     NOT NULL,
    timeout_ms  integer     NOT NULL,
    env         text        NOT NULL DEFAULT '{}',
    public      boolean     NOT NULL DEFAULT false,
    code        bytea       NOT NULL DEFAULT ''::bytea,  -- the draft ($LATEST) as a zip
    code_sha256 text        NOT NULL DEFAULT '',
    code_size   bigint      NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT functions_owner_id_name_key UNIQUE (owner_id, name)
);

-- Keyset pagination of an owner's functions.
CREATE INDEX functions_owner_id_id_idx ON functions (owner_id, id);
