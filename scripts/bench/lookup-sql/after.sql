-- The lookup's statements on PostgreSQL after branch sec11: session alone, one append statement (see setup.sql).
\set pid random(1, 100000)
SELECT user_id, revoked, expires_at FROM sessions WHERE token_hash = md5('7');
BEGIN;
WITH h AS (SELECT seq + 1 AS seq, hash AS prev_hash, encode(sha256(convert_to(hash || chr(10) || '[' || CAST(seq + 1 AS TEXT) || ',', 'UTF8') || '\x78'::bytea), 'hex') AS hash FROM audit_head WHERE id = 1 FOR UPDATE), u AS (UPDATE audit_head SET seq = h.seq, hash = h.hash FROM h WHERE audit_head.id = 1) INSERT INTO audit_events (seq, at, user_id, username, role, org_id, action, outcome, person_id, resource_kind, resource_id, reason, legal_basis, break_glass, request_id, prev_hash, hash) SELECT h.seq, 1765000000000, 7, 'demo.paramedic', 'responder', 3, 'person.view.plan', 'allowed', :pid, 'crisis_plan', 'plan 1 v1 identity (consent); crisis plan summary (consent)', NULL, 'consent', false, NULL, h.prev_hash, h.hash FROM h RETURNING seq, prev_hash, hash;
COMMIT;
