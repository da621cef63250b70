-- Accounts, API keys and functions with their draft code.
-- Ids are UUIDv7 text in canonical lowercase form, so text order is
-- creation order. Times are DATETIME, written by the driver as
-- "2006-01-02 15:04:05.999999999+00:00": the store writes only UTC, so
-- text comparison orders them. JSON values (scopes, env) are text.

CREATE TABLE users (
    id            TEXT     NOT NULL PRIMARY KEY,
    email         TEXT     NOT NULL,  -- lowercased by the store
    name          TEXT     NOT NULL DEFAULT '',
    role          TEXT     NOT NULL DEFAULT 'user',
    password_hash TEXT     NOT NULL,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE api_keys (
    id           TEXT     NOT NULL PRIMARY KEY,
    user_id      TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT     NOT NULL,
    prefix       TEXT     NOT NULL,
    hash         TEXT     NOT NULL,  -- hex SHA-256 of the secret
    scopes       TEXT     NOT NULL DEFAULT '[]',
    expires_at   DATETIME,
    last_used_at DATETIME,
    created_at   DATETIME NOT NULL,
    CONSTRAINT api_keys_hash_key UNIQUE (hash)
);

-- Keyset pagination of a user's keys.
CREATE INDEX api_keys_user_id_id_idx ON api_keys (user_id, id);

CREATE TABLE functions (
    id          TEXT     NOT NULL PRIMARY KEY,
    owner_id    TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT     NOT NULL,
    description TEXT     NOT NULL DEFAULT '',
    runtime     TEXT     NOT NULL,
    handler     TEXT     NOT NULL,
    memory_mb   INTEGER  NOT NULL,
    timeout_ms  INTEGER  NOT NULL,
    env         TEXT     NOT NULL DEFAULT '{}',
    public      BOOLEAN  NOT NULL DEFAULT 0,
    code        BLOB     NOT NULL DEFAULT x'',  -- the draft ($LATEST) as a zip
    code_sha256 TEXT     NOT NULL DEFAULT '',
    code_size   INTEGER  NOT NULL DEFAULT 0,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL,
    CONSTRAINT functions_owner_id_name_key UNIQUE (owner_id, name)
);

-- Keyset pagination of an owner's functions.
CREATE INDEX functions_owner_id_id_idx ON functions (owner_id, id);
