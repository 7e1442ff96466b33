-- Crisis plans written with the person, every saved version, and the person's consent to share (SQLite).

CREATE TABLE crisis_plans (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL UNIQUE REFERENCES people(id),
    owner_org_id INTEGER NOT NULL REFERENCES organisations(id),
    version INTEGER NOT NULL DEFAULT 1,
    coproduced INTEGER NOT NULL DEFAULT 0,
    participants TEXT NOT NULL DEFAULT '',
    own_words TEXT,
    last_reviewed_on TEXT NOT NULL,
    review_due TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX crisis_plans_review_due ON crisis_plans(review_due);

-- The current sections: one row per section kind.
CREATE TABLE crisis_plan_sections (
    plan_id INTEGER NOT NULL REFERENCES crisis_plans(id),
    kind TEXT NOT NULL,
    sharing TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (plan_id, kind)
);

-- Every saved version, as a JSON snapshot written by the app (append-only).
CREATE TABLE crisis_plan_versions (
    plan_id INTEGER NOT NULL REFERENCES crisis_plans(id),
    version INTEGER NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    PRIMARY KEY (plan_id, version)
);
CREATE TRIGGER crisis_plan_versions_no_update BEFORE UPDATE ON crisis_plan_versions
BEGIN SELECT RAISE(ABORT, 'crisis_plan_versions is append-only'); END;

-- The person's current decision about sharing; every change is also an audit event.
CREATE TABLE plan_consents (
    person_id INTEGER PRIMARY KEY REFERENCES people(id),
    status TEXT NOT NULL,
    other_basis TEXT,
    basis_note TEXT,
    org_kinds TEXT NOT NULL DEFAULT '',
    sections TEXT NOT NULL DEFAULT '',
    valid_until TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
