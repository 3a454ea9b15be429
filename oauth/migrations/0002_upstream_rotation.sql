-- HighLevel marketplace grants: their sealed secret (access and single-use refresh token) rotates
-- on every refresh, so each grant carries a version that a refresh must find unchanged
-- (compare-and-swap: one refresh per expiry, however many replicas race), and the expiry of the
-- access token it holds. Pasted Private Integration Tokens keep version 0 and no expiry.
ALTER TABLE grants ADD COLUMN upstream_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE grants ADD COLUMN upstream_expires_at BIGINT;
