-- The audit log of write attempts (issue 15), when the server runs with a store: one row per
-- record, in chain order. `line` is the record exactly as the JSONL file would hold it (without
-- the newline) and `hash` its SHA-256, repeated here so an appender reads the chain's end
-- without parsing; `verify` checks every line against its own hash and its `prev`.
-- Rows are only ever inserted: nothing in highlevel-mcp updates or deletes them.

CREATE TABLE audit (
    seq BIGINT PRIMARY KEY,
    time TEXT NOT NULL,
    hash TEXT NOT NULL,
    line TEXT NOT NULL
);
