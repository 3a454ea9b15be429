-- PostgreSQL twin of ../0001_grants.sql (same version, same tables and columns): the queries in
-- oauth/src/store/sql.rs run unchanged on both, so the column types stay TEXT and BIGINT.
-- The OAuth store: clients, grants, authorization codes and our tokens; times are Unix seconds.
-- Our tokens and codes are stored only as SHA-256 hex; HighLevel secrets only sealed (AEAD, base64url).

CREATE TABLE store_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE clients (
    client_id TEXT PRIMARY KEY,
    client_name TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    auth_method TEXT NOT NULL,
    secret_hash TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    client_name TEXT NOT NULL,
    resource TEXT NOT NULL,
    scope TEXT NOT NULL,
    locations TEXT NOT NULL,
    default_location TEXT,
    upstream_kind TEXT NOT NULL,
    upstream_secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_reason TEXT
);

CREATE TABLE auth_codes (
    code_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    resource TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    client_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at BIGINT,
    revoked_at BIGINT
);

CREATE INDEX tokens_by_grant ON tokens (grant_id);
CREATE INDEX auth_codes_by_grant ON auth_codes (grant_id);
