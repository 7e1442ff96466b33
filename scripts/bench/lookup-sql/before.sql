-- The lookup's statements on PostgreSQL before branch sec11: session in a read transaction, head locked, then insert (see setup.sql).
\set pid random(1, 100000)
BEGIN READ ONLY;
SELECT user_id, revoked, expires_at FROM sessions WHERE token_hash = md5('7');
ROLLBACK;
BEGIN;
SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE \gset
WITH head AS (UPDATE audit_head SET seq = CAST(:seq AS BIGINT) + 1, hash = encode(sha256(convert_to(CAST(:hash AS TEXT) || '[' || (CAST(:seq AS BIGINT) + 1)::text || ',' || 'x', 'UTF8')), 'hex') WHERE id = 1 RETURNING seq, hash) INSERT INTO audit_events (seq, at, user_id, username, role, org_id, action, outcome, person_id, resource_kind, resource_id, reason, legal_basis, break_glass, request_id, prev_hash, hash) SELECT head.seq, 1765000000000, 7, 'demo.paramedic', 'responder', 3, 'person.view.plan', 'allowed', :pid, 'crisis_plan', 'plan 1 v1 identity (consent); crisis plan summary (consent)', NULL, 'consent', false, NULL, CAST(:hash AS TEXT), head.hash FROM head;
COMMIT;
