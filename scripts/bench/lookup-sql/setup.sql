-- A throwaway database for comparing the lookup's statement sequences with pgbench (docs/benchmarks-plans.md):
--   createdb -h 127.0.0.1 -U postgres sec11_pgb && psql -h 127.0.0.1 -U postgres -d sec11_pgb -f setup.sql
--   pgbench -h 127.0.0.1 -U postgres -n -c 4 -j 2 -T 15 -M prepared -l -f before.sql sec11_pgb   (then after.sql)
-- The audit tables as in migration 0001; sessions cut down to what the session statement reads.
CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, user_id BIGINT, username TEXT NOT NULL, role TEXT, org_id BIGINT,
    action TEXT NOT NULL, outcome TEXT NOT NULL, person_id BIGINT, resource_kind TEXT NOT NULL, resource_id TEXT,
    reason TEXT, legal_basis TEXT, break_glass BOOLEAN NOT NULL DEFAULT FALSE, request_id TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX audit_person ON audit_events(person_id, at);
CREATE INDEX audit_user ON audit_events(user_id, at);
CREATE INDEX audit_at ON audit_events(at);
CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL);
INSERT INTO audit_head VALUES (1, 0, repeat('0', 64));
CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, user_id BIGINT NOT NULL, revoked BOOLEAN NOT NULL DEFAULT FALSE, expires_at BIGINT NOT NULL);
INSERT INTO sessions SELECT md5(i::text), i, false, 9999999999999 FROM generate_series(1, 1000) i;
